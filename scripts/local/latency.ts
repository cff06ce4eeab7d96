// Times InvokeEndpoint calls (the real SDK client, the runtime API path) with real digits in
// the article's wire format: raw 0..255 pixels, shape (N,1,28,28), as .npy or JSON.
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { decodeNpy, encodeNpy } from '../../lambda/shared/npy';
import { DigitSet, PIXELS } from '../lib/packaged-mnist';

export type WireType = 'application/x-npy' | 'application/json';
export const WIRE_TYPES: readonly WireType[] = ['application/x-npy', 'application/json'];

export interface LatencyOptions {
  readonly client: SageMakerRuntimeClient;
  readonly endpointName: string;
  readonly contentType: WireType;
  readonly digits: DigitSet;
  /** Images per request. */
  readonly batch: number;
  readonly requests: number;
  /** Requests in flight at once (default 1). */
  readonly concurrency?: number;
  /** Untimed requests first (default 2): the first call pays for lazy set-up. */
  readonly warmup?: number;
}

export interface LatencyResult {
  readonly contentType: WireType;
  readonly batch: number;
  readonly requests: number;
  readonly concurrency: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly meanMs: number;
  readonly requestsPerSecond: number;
  readonly imagesPerSecond: number;
  /** Share of the images answered with the right label (a sanity check on what was timed). */
  readonly accuracy: number;
}

export function encodeBatch(images: Uint8Array, count: number, contentType: WireType): Uint8Array {
  if (contentType === 'application/x-npy') return encodeNpy(images, [count, 1, 28, 28], 'float32');
  const nested = Array.from({ length: count }, (_, n) => [
    Array.from({ length: 28 }, (_, row) => Array.from(images.subarray(n * PIXELS + row * 28, n * PIXELS + (row + 1) * 28))),
  ]);
  return Buffer.from(JSON.stringify(nested));
}

/** Rows of 10 class scores from an npy or JSON answer; throws on any other shape. */
export function decodeScores(body: Uint8Array, contentType: string | undefined, count: number): number[][] {
  let rows: number[][];
  if ((contentType ?? '').startsWith('application/x-npy')) {
    const array = decodeNpy(body);
    if (array.shape.length !== 2 || array.shape[1] !== 10) throw new Error(`expected an (N,10) array, got (${array.shape.join(',')})`);
    rows = Array.from({ length: array.shape[0] }, (_, i) => Array.from(array.data.subarray(i * 10, (i + 1) * 10)));
  } else {
    rows = JSON.parse(Buffer.from(body).toString('utf8')) as number[][];
  }
  if (!Array.isArray(rows) || rows.length !== count || rows.some((row) => !Array.isArray(row) || row.length !== 10)) {
    throw new Error(`expected ${count} rows of 10 scores, got ${Buffer.from(body).toString('utf8', 0, 200)}`);
  }
  return rows;
}

export function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}

export async function measureLatency(options: LatencyOptions): Promise<LatencyResult> {
  const { digits, batch, contentType } = options;
  if (batch > digits.count) throw new Error(`A batch of ${batch} needs at least ${batch} digits; only ${digits.count} given.`);
  const concurrency = options.concurrency ?? 1;
  const batches = Math.floor(digits.count / batch);
  const bodies = Array.from({ length: Math.min(batches, 64) }, (_, i) =>
    encodeBatch(digits.images.subarray(i * batch * PIXELS, (i + 1) * batch * PIXELS), batch, contentType),
  );
  let correct = 0;
  let answered = 0;
  const invoke = async (i: number): Promise<number> => {
    const slot = i % bodies.length;
    const started = performance.now();
    const response = await options.client.send(
      new InvokeEndpointCommand({ EndpointName: options.endpointName, ContentType: contentType, Accept: contentType, Body: bodies[slot] }),
    );
    const elapsed = performance.now() - started;
    const rows = decodeScores(response.Body ?? new Uint8Array(), response.ContentType, batch);
    rows.forEach((row, k) => {
      if (row.indexOf(Math.max(...row)) === digits.labels[slot * batch + k]) correct++;
    });
    answered += batch;
    return elapsed;
  };

  for (let i = 0; i < (options.warmup ?? 2); i++) await invoke(i);
  correct = 0;
  answered = 0;
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < options.requests) latencies.push(await invoke(next++));
    }),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    contentType,
    batch,
    requests: options.requests,
    concurrency,
    p50Ms: round(percentile(sorted, 0.5)),
    p95Ms: round(percentile(sorted, 0.95)),
    meanMs: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
    requestsPerSecond: round(options.requests / wallSeconds),
    imagesPerSecond: round((options.requests * batch) / wallSeconds),
    accuracy: answered ? correct / answered : 0,
  };
}
