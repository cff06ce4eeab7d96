import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

/**
 * Deterministic `sourcedir.tar.gz` for SageMaker's framework containers.
 *
 * The same source tree always gives the same bytes (sorted entries, mtime 0, uid/gid 0,
 * modes 0644/0755, no user names), so an unchanged `model-code/` never changes the asset
 * hash and never retrains a model. Plain ustar (no PAX/GNU extensions) so Python's
 * `tarfile` (what the SageMaker training toolkit uses) reads it everywhere.
 */

const BLOCK = 512;
/** Python's tarfile and GNU tar pad archives to 20 blocks. */
const RECORD = 20 * BLOCK;
/** Directory names never shipped to the container. */
const SKIPPED_DIRECTORIES = new Set(['__pycache__', 'tests', '.git', '.pytest_cache']);
/** File names never shipped to the container. */
const SKIPPED_FILE_PATTERN = /(\.py[co]|~|\.swp)$|^\.DS_Store$/;

export interface TarEntry {
  /** Path inside the archive, '/' separated, directories without a trailing slash. */
  readonly name: string;
  readonly type: 'file' | 'directory';
  readonly mode: 0o644 | 0o755;
  /** Absolute path on disk (files only). */
  readonly source?: string;
}

export interface TarOptions {
  /** Files at the root of the source folder to leave out (e.g. a requirements.txt meant for local use only). */
  readonly excludeRootFiles?: readonly string[];
}

/** Lists what goes into the archive, in archive order. Throws on symlinks and special files. */
export function listTarEntries(sourceDir: string, options: TarOptions = {}): TarEntry[] {
  const excludedRootFiles = new Set(options.excludeRootFiles ?? []);
  const root = path.resolve(sourceDir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new Error(`createTarGz: source directory '${sourceDir}' does not exist or is not a directory`);
  }
  const entries: TarEntry[] = [];
  const walk = (dir: string, prefix: string): void => {
    // Byte-wise sort (not locale) so every machine agrees on the order.
    const names = fs.readdirSync(dir).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : a === b ? 0 : 1));
    for (const name of names) {
      const full = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const stat = fs.lstatSync(full);
      if (stat.isSymbolicLink()) {
        throw new Error(`createTarGz: '${full}' is a symbolic link; copy the file into the source directory instead`);
      }
      if (stat.isDirectory()) {
        if (SKIPPED_DIRECTORIES.has(name)) continue;
        entries.push({ name: rel, type: 'directory', mode: 0o755 });
        walk(full, rel);
      } else if (stat.isFile()) {
        if (SKIPPED_FILE_PATTERN.test(name) || (!prefix && excludedRootFiles.has(name))) continue;
        entries.push({ name: rel, type: 'file', mode: stat.mode & 0o111 ? 0o755 : 0o644, source: full });
      } else {
        throw new Error(`createTarGz: '${full}' is neither a regular file nor a directory`);
      }
    }
  };
  walk(root, '');
  return entries;
}

function octal(value: number, width: number): string {
  // width includes the terminating NUL.
  return value.toString(8).padStart(width - 1, '0');
}

/** Splits a long name into ustar's prefix (155) and name (100) fields. */
function splitName(name: string): { prefix: string; name: string } {
  const bytes = Buffer.byteLength(name);
  if (bytes <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { prefix, name: rest };
  }
  throw new Error(`createTarGz: path '${name}' is too long for a ustar archive (max 100 bytes per name, 155 for its folder); shorten it`);
}

function header(entry: TarEntry, size: number): Buffer {
  const buf = Buffer.alloc(BLOCK, 0);
  const { prefix, name } = splitName(entry.type === 'directory' ? `${entry.name}/` : entry.name);
  buf.write(name, 0, 100, 'utf8');
  buf.write(`${octal(entry.mode, 8)}\0`, 100, 8, 'ascii');
  buf.write(`${octal(0, 8)}\0`, 108, 8, 'ascii'); // uid
  buf.write(`${octal(0, 8)}\0`, 116, 8, 'ascii'); // gid
  buf.write(`${octal(size, 12)}\0`, 124, 12, 'ascii');
  buf.write(`${octal(0, 12)}\0`, 136, 12, 'ascii'); // mtime
  buf.write('        ', 148, 8, 'ascii'); // checksum placeholder: spaces
  buf.write(entry.type === 'directory' ? '5' : '0', 156, 1, 'ascii');
  buf.write('ustar\0', 257, 6, 'ascii');
  buf.write('00', 263, 2, 'ascii');
  buf.write(`${octal(0, 8)}\0`, 329, 8, 'ascii'); // devmajor
  buf.write(`${octal(0, 8)}\0`, 337, 8, 'ascii'); // devminor
  buf.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(`${octal(sum, 7)}\0 `, 148, 8, 'ascii');
  return buf;
}

/** The uncompressed, deterministic tar archive of `sourceDir`. */
export function createTar(sourceDir: string, options: TarOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const maxSize = 8 ** 11 - 1; // 11 octal digits
  for (const entry of listTarEntries(sourceDir, options)) {
    if (entry.type === 'directory') {
      parts.push(header(entry, 0));
      continue;
    }
    const data = fs.readFileSync(entry.source!);
    if (data.length > maxSize) throw new Error(`createTarGz: '${entry.source}' is larger than 8 GiB`);
    parts.push(header(entry, data.length), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(2 * BLOCK, 0)); // end-of-archive marker
  const length = parts.reduce((n, p) => n + p.length, 0);
  const padded = Math.ceil(length / RECORD) * RECORD;
  parts.push(Buffer.alloc(padded - length, 0));
  return Buffer.concat(parts);
}

/** gzip with a fixed header: no name, mtime 0, OS byte 3 (Unix) whatever the host is. */
export function gzipDeterministic(data: Buffer): Buffer {
  const gz = zlib.gzipSync(data, { level: 9 });
  gz.writeUInt32LE(0, 4); // MTIME
  gz[9] = 3; // OS
  return gz;
}

/** Writes `outFile` as the deterministic tar.gz of `sourceDir` (the contract's signature). */
export function createTarGz(sourceDir: string, outFile: string, options: TarOptions = {}): void {
  writeTarGz(sourceDir, outFile, options);
}

/**
 * Same as {@link createTarGz} and returns the sha256 (hex) of the uncompressed archive: a content
 * hash that does not depend on the zlib version, for use as an asset hash.
 */
export function writeTarGz(sourceDir: string, outFile: string, options: TarOptions = {}): string {
  const tar = createTar(sourceDir, options);
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  fs.writeFileSync(outFile, gzipDeterministic(tar));
  return crypto.createHash('sha256').update(tar).digest('hex');
}
