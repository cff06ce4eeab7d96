// Request bodies and response parsing for the two content types the smoke test sends:
// `application/x-npy` (the article's client: float32 0..255, shape (N,1,28,28)) and
// `application/json` (nested arrays of the same shape). Both expect (N,10) probabilities back.
import { decodeNpy, encodeNpy } from '../shared/npy';

export const CONTENT_TYPES = ['application/x-npy', 'application/json'] as const;
export type SmokeContentType = (typeof CONTENT_TYPES)[number];

const SIDE = 28;
const PIXELS = SIDE * SIDE;
export const CLASSES = 10;
/** Softmax output in float32 sums to 1 within rounding; a looser sum means it is not probabilities. */
const SUM_TOLERANCE = 1e-3;

/** Thrown when the endpoint answered, but not with an (N,10) matrix of probabilities. */
export class BadResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadResponseError';
  }
}

/** Encodes `count` images (784 values each, 0..255) as an (N,1,28,28) request body. */
export function encodeRequest(images: ArrayLike<number>, count: number, contentType: SmokeContentType): Uint8Array {
  if (images.length !== count * PIXELS) {
    throw new Error(`Expected ${count * PIXELS} pixel values for ${count} images, got ${images.length}.`);
  }
  if (contentType === 'application/x-npy') return encodeNpy(images, [count, 1, SIDE, SIDE], 'float32');
  const batch: number[][][][] = [];
  for (let n = 0; n < count; n++) {
    const rows: number[][] = [];
    for (let r = 0; r < SIDE; r++) {
      const start = n * PIXELS + r * SIDE;
      rows.push(Array.from({ length: SIDE }, (_, c) => Number(images[start + c])));
    }
    batch.push([rows]);
  }
  return Buffer.from(JSON.stringify(batch));
}

function describeJsonShape(value: unknown): string {
  if (!Array.isArray(value)) return typeof value;
  const inner = value.length > 0 ? describeJsonShape(value[0]) : '';
  return `array[${value.length}]${inner && inner.startsWith('array') ? ` of ${inner}` : ''}`;
}

/** Parses the response body into N rows of 10 probabilities, or throws BadResponseError. */
export function parseResponse(body: Uint8Array, contentType: string | undefined, count: number): number[][] {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  let rows: number[][];
  if (type === 'application/x-npy') {
    let array;
    try {
      array = decodeNpy(body);
    } catch (error) {
      throw new BadResponseError(`The application/x-npy response is not a readable .npy array: ${(error as Error).message}`);
    }
    if (array.shape.length !== 2 || array.shape[0] !== count || array.shape[1] !== CLASSES) {
      throw new BadResponseError(`The response has shape (${array.shape.join(', ')}); expected (${count}, ${CLASSES}): one row of ${CLASSES} class probabilities per image.`);
    }
    rows = Array.from({ length: count }, (_, n) => Array.from(array.data.subarray(n * CLASSES, (n + 1) * CLASSES)));
  } else if (type === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch (error) {
      throw new BadResponseError(`The application/json response is not valid JSON: ${(error as Error).message}`);
    }
    const ok = Array.isArray(value) && value.length === count &&
      value.every((row) => Array.isArray(row) && row.length === CLASSES && row.every((x) => typeof x === 'number'));
    if (!ok) {
      throw new BadResponseError(`The response is ${describeJsonShape(value)}; expected an array of ${count} arrays of ${CLASSES} numbers.`);
    }
    rows = value as number[][];
  } else {
    throw new BadResponseError(`The response's content type is ${contentType ?? '(none)'}; expected application/x-npy or application/json.`);
  }
  rows.forEach((row, n) => {
    const sum = row.reduce((a, b) => a + b, 0);
    const inRange = row.every((p) => Number.isFinite(p) && p >= -1e-6 && p <= 1 + 1e-6);
    if (!inRange || Math.abs(sum - 1) > SUM_TOLERANCE) {
      throw new BadResponseError(
        `Row ${n} is not a probability vector (values ${row.map((p) => p.toPrecision(3)).join(', ')}; sum ${sum.toPrecision(4)}): ` +
          'the model must return softmax probabilities, not logits or log-probabilities.',
      );
    }
  });
  return rows;
}

/** Index of the largest value (the predicted class). */
export function argmax(row: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return best;
}
