// The smoke test's digits: real MNIST test digits with known labels, committed as a small
// fixture (written by scripts/make-smoke-digits.ts) and bundled into the Lambda by esbuild.
import fixture from './smoke-digits.json';

export const DIGIT_SIDE = 28;
export const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE;

export interface Digits {
  readonly count: number;
  /** count × 784 pixels, 0..255, row-major. */
  readonly images: Uint8Array;
  readonly labels: readonly number[];
}

/** Checks a set of digits is self-consistent (labels 0..9, 784 bytes per digit). */
export function validateDigits(digits: Digits): Digits {
  if (digits.count < 1 || digits.labels.length !== digits.count || digits.images.length !== digits.count * DIGIT_PIXELS) {
    throw new Error(
      `Inconsistent digits: ${digits.count} digits need ${digits.count} labels and ${digits.count * DIGIT_PIXELS} pixels, ` +
        `got ${digits.labels.length} and ${digits.images.length}.`,
    );
  }
  const bad = digits.labels.findIndex((label) => !Number.isInteger(label) || label < 0 || label > 9);
  if (bad >= 0) throw new Error(`Digit ${bad} has label ${digits.labels[bad]}: labels are 0..9.`);
  return digits;
}

let bundled: Digits | undefined;

/** The bundled fixture, decoded once. */
export function loadSmokeDigits(): Digits {
  if (!bundled) {
    if (fixture.rows !== DIGIT_SIDE || fixture.cols !== DIGIT_SIDE) {
      throw new Error(`smoke-digits.json holds ${fixture.rows}x${fixture.cols} images; the model takes 28x28.`);
    }
    bundled = validateDigits({
      count: fixture.count,
      images: new Uint8Array(Buffer.from(fixture.pixels, 'base64')),
      labels: fixture.labels,
    });
  }
  return bundled;
}
