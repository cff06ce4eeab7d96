// Reads MNIST IDX files (the format scripts/lib/packaged-mnist.ts writes): gzip or not, header
// checked against the file's size, so a truncated download or a wrong file is named, not misread.
import * as fs from 'fs';
import * as zlib from 'zlib';
import { IMAGE_SIDE, PIXELS } from './packaged-mnist';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export type IdxContent =
  | { readonly kind: 'images'; readonly count: number; readonly data: Buffer }
  | { readonly kind: 'labels'; readonly count: number; readonly data: Buffer };

/** The file's bytes, gunzipped when they start with gzip's magic number. */
export function readMaybeGzip(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new Error(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path.`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return zlib.gunzipSync(bytes);
    } catch (error) {
      throw new Error(`${file} looks gzipped but does not decompress (${(error as Error).message}): download or copy it again.`);
    }
  }
  return bytes;
}

/**
 * Decodes an IDX images (28×28) or labels (0..9) file; undefined when the magic number is
 * neither, so callers can say what they expected instead.
 */
export function decodeIdx(file: string, bytes: Buffer): IdxContent | undefined {
  const magic = bytes.length >= 4 ? bytes.readUInt32BE(0) : undefined;
  if (magic !== IDX_IMAGES_MAGIC && magic !== IDX_LABELS_MAGIC) return undefined;
  const headerSize = magic === IDX_IMAGES_MAGIC ? 16 : 8;
  if (bytes.length < headerSize) throw new Error(`${file} is truncated: it ends inside the IDX header.`);
  const count = bytes.readUInt32BE(4);
  if (magic === IDX_IMAGES_MAGIC) {
    const rows = bytes.readUInt32BE(8);
    const cols = bytes.readUInt32BE(12);
    if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) {
      throw new Error(`${file} holds ${rows}×${cols} images; MNIST images (and the model) are ${IMAGE_SIDE}×${IMAGE_SIDE}.`);
    }
    if (bytes.length !== headerSize + count * PIXELS) {
      throw new Error(`${file} is truncated or corrupt: its header says ${count} images (${headerSize + count * PIXELS} bytes), it has ${bytes.length}.`);
    }
    return { kind: 'images', count, data: bytes.subarray(headerSize) };
  }
  if (bytes.length !== headerSize + count) {
    throw new Error(`${file} is truncated or corrupt: its header says ${count} labels, it has ${bytes.length - headerSize}.`);
  }
  const data = bytes.subarray(headerSize);
  const bad = data.findIndex((label) => label > 9);
  if (bad >= 0) throw new Error(`${file}: label ${data[bad]} at index ${bad} is not a digit 0..9.`);
  return { kind: 'labels', count, data };
}
