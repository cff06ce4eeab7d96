import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import * as tar from 'tar';

/**
 * Deterministic `sourcedir.tar.gz` for SageMaker's framework containers.
 *
 * The tar format is node-tar's (`portable`: no uid/gid, user names, atime/ctime, dev/inode; PAX
 * records only for names ustar cannot hold, which Python's `tarfile`, what the SageMaker training
 * toolkit uses, reads). What is ours is the policy that keeps the bytes stable, so an unchanged
 * `model-code/` never changes the asset hash and never retrains a model: which files go in, in
 * byte-wise sorted order (node-tar would recurse in readdir order, which differs by file system),
 * mtime 0, modes 0644/0755 whatever the umask, and a gzip header without host or time.
 */

/** Directory names never shipped to the container. */
const SKIPPED_DIRECTORIES = new Set(['__pycache__', 'tests', '.git', '.pytest_cache']);
/** File names never shipped to the container. */
const SKIPPED_FILE_PATTERN = /(\.py[co]|~|\.swp)$|^\.DS_Store$/;
/** Every entry's timestamp: a touched but unchanged file must not change the archive. */
const FIXED_MTIME = new Date(0);
/** gzip's OS byte for Unix: node's zlib writes the host's (e.g. 10 on Windows), so it is fixed. */
const GZIP_OS_UNIX = 3;

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
    const names = fs.readdirSync(dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
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

/** The uncompressed, deterministic tar archive of `sourceDir`. */
export function createTar(sourceDir: string, options: TarOptions = {}): Buffer {
  const root = path.resolve(sourceDir);
  const entries = listTarEntries(root, options);
  const modes = new Map(entries.map((entry) => [path.join(root, entry.name), entry.mode]));
  const chunks: Buffer[] = [];
  const pack = new tar.PackSync({
    cwd: root,
    portable: true,
    mtime: FIXED_MTIME,
    noDirRecurse: true, // the listing above chose every entry and its order
    strict: true, // an unreadable file fails the synth instead of being skipped with a warning
    onWriteEntry: (entry) => {
      // Called just before the header is written: 0644/0755 also under umask 077 (0600/0700).
      const mode = modes.get(entry.absolute);
      if (mode === undefined || !entry.stat) throw new Error(`createTarGz: unexpected entry '${entry.path}'`);
      entry.stat.mode = (entry.stat.mode & ~0o7777) | mode;
    },
  });
  pack.on('data', (chunk: Buffer) => chunks.push(chunk));
  for (const entry of entries) pack.add(entry.name);
  pack.end();
  return Buffer.concat(chunks);
}

/** gzip with a fixed header: no name, mtime 0, OS byte 3 (Unix) whatever the host is. */
export function gzipDeterministic(data: Buffer): Buffer {
  const gz = zlib.gzipSync(data, { level: 9 });
  gz.writeUInt32LE(0, 4); // MTIME
  gz[9] = GZIP_OS_UNIX;
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
  const archive = createTar(sourceDir, options);
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  fs.writeFileSync(outFile, gzipDeterministic(archive));
  return crypto.createHash('sha256').update(archive).digest('hex');
}
