// A cache key for what a slow build step reads: a hash of the paths and bytes of every file under
// `inputs` (files or folders, relative to the repository root), skipping folders named in `skip`.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

function filesUnder(entry: string, skip: ReadonlySet<string>): string[] {
  const full = path.join(ROOT, entry);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return [entry];
  return fs.readdirSync(full, { withFileTypes: true })
    .filter((d) => !skip.has(d.name))
    .flatMap((d) => filesUnder(path.join(entry, d.name), skip))
    .sort();
}

/** 24 hex digits that change whenever a file under `inputs` is added, removed, renamed or edited. */
export function contentKey(inputs: readonly string[], skip: readonly string[]): string {
  const skipped = new Set(skip);
  const hash = crypto.createHash('sha256');
  for (const file of inputs.flatMap((input) => filesUnder(input, skipped))) hash.update(file).update('\0').update(fs.readFileSync(path.join(ROOT, file)));
  return hash.digest('hex').slice(0, 24);
}
