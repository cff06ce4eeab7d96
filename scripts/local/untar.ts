// Unpacks a gzip'd tar archive (regular files and folders only) the way SageMaker unpacks
// model.tar.gz into /opt/ml/model and sourcedir.tar.gz into /opt/ml/code. node-tar reads the
// format; what is ours is refusing, before anything is written and with a message naming the
// entry, whatever could land outside the target folder: absolute or '..' paths, and links
// (node-tar alone would strip a leading '/' and skip a '..' entry with a warning).
import * as fs from 'fs';
import * as path from 'path';
import * as tar from 'tar';

/** Throws, naming the first offending entry, unless every entry is a file or folder inside `root`. */
function checkEntries(archive: string, root: string): void {
  let refusal: Error | undefined;
  const check = (entry: tar.ReadEntry): void => {
    const destination = path.resolve(root, entry.path);
    if (path.isAbsolute(entry.path) || (destination !== root && !destination.startsWith(`${root}${path.sep}`))) {
      refusal ??= new Error(`${archive} holds '${entry.path}', which points outside the folder it unpacks into: refusing it.`);
    } else if (entry.type !== 'File' && entry.type !== 'Directory') {
      refusal ??= new Error(`${archive} holds '${entry.path}' of tar type '${entry.type}': only regular files and folders are supported.`);
    }
  };
  readArchive(archive, () => tar.list({ file: archive, sync: true, strict: true, onReadEntry: check }));
  if (refusal) throw refusal;
}

/** Runs a node-tar read of `archive`, turning its errors (bad gzip, truncation) into one naming the file. */
function readArchive(archive: string, read: () => void): void {
  try {
    read();
  } catch (error) {
    throw new Error(`${archive} is not a readable tar.gz archive (${(error as Error).message}).`);
  }
}

/** Extracts `archive` into `targetDir`; returns the relative paths of the files written. */
export function extractTarGz(archive: string, targetDir: string): string[] {
  const root = path.resolve(targetDir);
  checkEntries(archive, root);
  fs.mkdirSync(root, { recursive: true });
  const written: string[] = [];
  const record = (entry: tar.ReadEntry): void => {
    if (entry.type === 'File') written.push(path.relative(root, path.resolve(root, entry.path)).split(path.sep).join('/'));
  };
  readArchive(archive, () => tar.extract({ file: archive, cwd: root, sync: true, strict: true, onReadEntry: record }));
  return written;
}
