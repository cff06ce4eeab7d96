// Reads the four MNIST IDX files (gzipped or not, flat or under MNIST/raw/) back into
// DigitSets, so local mode can check a user's folder and take a reduced subset of any source.
import * as fs from 'fs';
import * as path from 'path';
import { decodeIdx, readMaybeGzip } from '../lib/idx-decode';
import { DigitSet, IDX_FILES, PackagedMnist } from '../lib/packaged-mnist';

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

function readImages(file: string): { images: Uint8Array; count: number } {
  const idx = decodeIdx(file, readMaybeGzip(file));
  if (idx?.kind !== 'images') throw new Error(`${file} is not an IDX image file (expected magic 0x00000803).`);
  return { images: new Uint8Array(idx.data), count: idx.count };
}

function readLabels(file: string): Uint8Array {
  const idx = decodeIdx(file, readMaybeGzip(file));
  if (idx?.kind !== 'labels') throw new Error(`${file} is not an IDX label file (expected magic 0x00000801).`);
  return new Uint8Array(idx.data);
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
