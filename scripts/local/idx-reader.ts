// Reads the four MNIST IDX files (gzipped or not, flat or under MNIST/raw/) back into
// DigitSets, so local mode can check a user's folder and take a reduced subset of any source.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { DigitSet, IDX_FILES, IMAGE_SIDE, PackagedMnist, PIXELS } from '../lib/packaged-mnist';

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

/** Finds `name` or `name.gz` in `dir` or `dir/MNIST/raw`. */
function findIdxFile(dir: string, name: string): string {
  const candidates = [dir, path.join(dir, 'MNIST', 'raw')].flatMap((folder) => [
    path.join(folder, name),
    path.join(folder, `${name}.gz`),
  ]);
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) {
    throw new Error(
      `MNIST file ${name}(.gz) not found in ${dir} (looked flat and under MNIST/raw/). ` +
        `The folder needs all four: ${Object.values(IDX_FILES).join(', ')}.`,
    );
  }
  return found;
}

function readMaybeGzip(file: string): Buffer {
  const raw = fs.readFileSync(file);
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return zlib.gunzipSync(raw);
    } catch (error) {
      throw new Error(`${file} is not a valid gzip file (${(error as Error).message}): download it again.`);
    }
  }
  return raw;
}

function readImages(file: string): { images: Uint8Array; count: number } {
  const data = readMaybeGzip(file);
  if (data.length < 16 || data.readUInt32BE(0) !== IMAGES_MAGIC) {
    throw new Error(`${file} is not an IDX image file (expected magic 0x00000803).`);
  }
  const count = data.readUInt32BE(4);
  const rows = data.readUInt32BE(8);
  const cols = data.readUInt32BE(12);
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) {
    throw new Error(`${file} holds ${rows}×${cols} images; MNIST images are ${IMAGE_SIDE}×${IMAGE_SIDE}.`);
  }
  if (data.length !== 16 + count * PIXELS) {
    throw new Error(`${file} is truncated: its header says ${count} images (${16 + count * PIXELS} bytes), it has ${data.length}.`);
  }
  return { images: new Uint8Array(data.subarray(16)), count };
}

function readLabels(file: string): Uint8Array {
  const data = readMaybeGzip(file);
  if (data.length < 8 || data.readUInt32BE(0) !== LABELS_MAGIC) {
    throw new Error(`${file} is not an IDX label file (expected magic 0x00000801).`);
  }
  const count = data.readUInt32BE(4);
  if (data.length !== 8 + count) {
    throw new Error(`${file} is truncated: its header says ${count} labels, it has ${data.length - 8}.`);
  }
  const labels = new Uint8Array(data.subarray(8));
  const bad = labels.findIndex((label) => label > 9);
  if (bad >= 0) throw new Error(`${file}: label ${labels[bad]} at index ${bad} is not a digit 0..9.`);
  return labels;
}

function readSet(dir: string, imagesName: string, labelsName: string): DigitSet {
  const imagesFile = findIdxFile(dir, imagesName);
  const labelsFile = findIdxFile(dir, labelsName);
  const { images, count } = readImages(imagesFile);
  const labels = readLabels(labelsFile);
  if (labels.length !== count) {
    throw new Error(`${imagesFile} has ${count} images but ${labelsFile} has ${labels.length} labels: they must match.`);
  }
  return { images, labels, count };
}

/** Reads and checks the training and test sets from a folder of MNIST IDX files. */
export function readIdxDataset(dir: string): PackagedMnist {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`MNIST data folder ${dir} does not exist: pass a folder holding the four IDX files.`);
  }
  return {
    train: readSet(dir, IDX_FILES.trainImages, IDX_FILES.trainLabels),
    test: readSet(dir, IDX_FILES.testImages, IDX_FILES.testLabels),
  };
}
