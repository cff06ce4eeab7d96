// Unpacks a gzip'd tar archive (ustar/GNU regular files and folders) the way SageMaker
// unpacks model.tar.gz into /opt/ml/model and sourcedir.tar.gz into /opt/ml/code.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octalField(header: Buffer, offset: number, length: number): number {
  const text = field(header, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Extracts `archive` into `targetDir`; returns the relative paths of the files written. */
export function extractTarGz(archive: string, targetDir: string): string[] {
  let tar: Buffer;
  try {
    tar = zlib.gunzipSync(fs.readFileSync(archive));
  } catch (error) {
    throw new Error(`${archive} is not a readable gzip file (${(error as Error).message}).`);
  }
  const root = path.resolve(targetDir);
  fs.mkdirSync(root, { recursive: true });
  const written: string[] = [];
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break; // end-of-archive marker
    const prefix = field(header, 345, 155);
    const name = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
    const size = octalField(header, 124, 12);
    const type = String.fromCharCode(header[156] || 0x30);
    const mode = octalField(header, 100, 8) & 0o777;
    const destination = path.resolve(root, name);
    if (destination !== root && !destination.startsWith(`${root}${path.sep}`)) {
      throw new Error(`${archive} holds '${name}', which points outside the folder it unpacks into: refusing it.`);
    }
    const dataStart = offset + BLOCK;
    if (type === '5') {
      fs.mkdirSync(destination, { recursive: true });
    } else if (type === '0') {
      if (dataStart + size > tar.length) throw new Error(`${archive} is truncated inside '${name}'.`);
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      fs.writeFileSync(destination, tar.subarray(dataStart, dataStart + size), { mode: mode || 0o644 });
      written.push(path.relative(root, destination).split(path.sep).join('/'));
    } else {
      throw new Error(`${archive} holds '${name}' of tar type '${type}': only regular files and folders are supported.`);
    }
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return written;
}
