// Times InvokeEndpoint calls (the real SDK client, the runtime API path) with real digits in
// the article's wire format: raw 0..255 pixels, shape (N,1,28,28), as .npy or JSON.
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SmokeContentType, argmax, encodeRequest, parseResponse } from '../../lambda/smoke-test/payload';
import { percentile } from '../../lambda/smoke-test/run-smoke-test';
import { DigitSet, PIXELS } from '../lib/packaged-mnist';

export interface LatencyOptions {
  readonly client: SageMakerRuntimeClient;
  readonly endpointName: string;
  readonly contentType: SmokeContentType;
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
  readonly contentType: SmokeContentType;
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

export async function measureLatency(options: LatencyOptions): Promise<LatencyResult> {
  const { digits, batch, contentType } = options;
  if (batch > digits.count) throw new Error(`A batch of ${batch} needs at least ${batch} digits; only ${digits.count} given.`);
  const concurrency = options.concurrency ?? 1;
  const batches = Math.floor(digits.count / batch);
  const bodies = Array.from({ length: Math.min(batches, 64) }, (_, i) =>
    encodeRequest(digits.images.subarray(i * batch * PIXELS, (i + 1) * batch * PIXELS), batch, contentType),
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
    const rows = parseResponse(response.Body ?? new Uint8Array(), response.ContentType, batch);
    rows.forEach((row, k) => {
      if (argmax(row) === digits.labels[slot * batch + k]) correct++;
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
