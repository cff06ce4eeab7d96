// The package as `npm pack` writes it (its prepack script runs `npm run build:package`: tsc and the
// handler bundles, ~15 s of CPU). The tarball is kept on disk, keyed by the content of everything
// that shapes it, so a second run of the package tests only unpacks it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { contentKey } from './content-key';

const ROOT = path.join(__dirname, '..', '..');
const INPUTS = ['lib', 'lambda', 'model-code', 'scripts/build-package.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'README.md', 'test/support/packed-package.ts'];


/** The path of the packed .tgz, packing the working tree first unless a tarball of the same sources is cached. */
export function packedPackage(): string {
  const dir = path.join(os.tmpdir(), 'mnist-cdk-package', contentKey(INPUTS, ['node_modules', '__pycache__', 'tests']));
  const tarball = (): string | undefined => (fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.tgz')) : undefined);
  const cached = tarball();
  if (cached) return path.join(dir, cached);

  // npm pack (through build:package) rewrites dist/ in the working tree: one packer at a time.
  const lock = path.join(os.tmpdir(), 'mnist-cdk-package.lock');
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      const held = fs.statSync(lock, { throwIfNoEntry: false });
      const stale = held !== undefined && Date.now() - held.mtimeMs > 240_000;
      if (stale) fs.rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held by another packer for over 4 minutes; remove it if none runs`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    const partial = `${dir}.${process.pid}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial, { recursive: true });
    const result = spawnSync('npm', ['pack', '--pack-destination', partial, '--silent'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
    if (result.status !== 0) throw new Error(`npm pack failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(partial, dir);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
  return path.join(dir, tarball()!);
}
