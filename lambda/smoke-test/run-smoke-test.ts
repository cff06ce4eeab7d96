// Sends real MNIST digits with known labels to SageMaker endpoints and checks the answers:
// shape (N,10), probability rows, and accuracy against the true labels. Used by the Lambda
// handler (deployed endpoints) and in-process by local mode (client pointed at loopback).
import { InvokeEndpointCommand, SageMakerRuntimeClient, SageMakerRuntimeClientConfig } from '@aws-sdk/client-sagemaker-runtime';
import { DIGIT_PIXELS, Digits, loadSmokeDigits, validateDigits } from './digits';
import { CONTENT_TYPES, SmokeContentType, argmax, encodeRequest, parseResponse } from './payload';
import { RequestTimeoutError, describeError, withRetries } from './retry';

export { CONTENT_TYPES };
export type { SmokeContentType };

export interface WrongAnswer {
  /** Position of the digit (or test case) in the smoke test's set. */
  readonly index: number;
  readonly expected: number | string;
  readonly got: number | string;
  /** The probability the model gave its (wrong) answer, when it answered with probabilities. */
  readonly probability?: number;
}

/** The outcome for one endpoint and one content type. */
export interface SmokeCheckResult {
  readonly endpointName: string;
  /** A SmokeContentType for the digits; a test case's own content type otherwise. */
  readonly contentType: string;
  readonly passed: boolean;
  /** correct / total; 0 when a request failed before all digits were answered. */
  readonly accuracy: number;
  readonly correct: number;
  readonly total: number;
  /** Requests sent (batches), and tries including retries. */
  readonly requests: number;
  readonly attempts: number;
  /** Over the successful requests' final attempts; null when none succeeded. */
  readonly latencyMs: { readonly p50: number; readonly max: number } | null;
  readonly wrongAnswers: WrongAnswer[];
  /** Why the check could not finish (the SDK error, a bad response shape, a timeout). */
  readonly error?: string;
}

export interface SmokeTestReport {
  readonly passed: boolean;
  readonly minAccuracy: number;
  readonly digits: number;
  readonly batchSize: number;
  readonly durationMs: number;
  readonly results: SmokeCheckResult[];
}

/** How any smoke-test run talks to the endpoints and judges them: the digits' run and a model's own test cases. */
export interface EndpointCheckOptions {
  /** Build it with createSmokeTestClient (SDK retries off) so attempts are counted here. */
  readonly client: SageMakerRuntimeClient;
  readonly endpointNames: string[];
  /** Fraction 0..1 of the answers each endpoint must get right, per content type. */
  readonly minAccuracy: number;
  /** Tries per request, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** Per try. @default 70 s (InvokeEndpoint allows the model 60 s) */
  readonly requestTimeoutMs?: number;
  /** Whole run, from now. @default 10 minutes */
  readonly timeBudgetMs?: number;
  /** Backoff: first delay ~baseDelayMs, capped at maxDelayMs. @default 1 s and 20 s */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly random?: () => number;
  /** One line per retry. @default console.warn */
  readonly log?: (line: string) => void;
}

export interface SmokeTestOptions extends EndpointCheckOptions {
  /** Default both: application/x-npy then application/json. */
  readonly contentTypes?: readonly SmokeContentType[];
  /** Default: the bundled held-out MNIST digits. */
  readonly digits?: Digits;
  /** Digits per request. Default 10. */
  readonly batchSize?: number;
}

/** A retry is only worth starting with at least this much time left (or REQUEST_TIMEOUT_MS if smaller). */
export const MIN_USEFUL_ATTEMPT_MS = 1_000;

/** How many wrong answers per check the failure message lists (CloudFormation truncates long reasons). */
const MAX_LISTED_WRONG = 10;

/** A client for the smoke test: the SDK's own retries off (this module retries and counts). */
export function createSmokeTestClient(config: SageMakerRuntimeClientConfig = {}): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({ maxAttempts: 1, ...config });
}

/** Nearest-rank percentile of ascending `sorted` values (fraction 0..1). */
export function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}

/** One InvokeEndpoint call, aborted after `timeoutMs` (`timeoutLimit` names what set it). */
export async function invokeOnce(
  client: SageMakerRuntimeClient,
  endpointName: string,
  contentType: string,
  body: Uint8Array,
  timeoutMs: number,
  timeoutLimit: string,
  accept: string = contentType,
): Promise<{ body: Uint8Array; contentType?: string; latencyMs: number }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const started = performance.now();
  try {
    const response = await client.send(
      new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: contentType, Accept: accept, Body: body }),
      { abortSignal: controller.signal },
    );
    return { body: response.Body ?? new Uint8Array(), contentType: response.ContentType, latencyMs: performance.now() - started };
  } catch (error) {
    if (controller.signal.aborted) throw new RequestTimeoutError(timeoutMs, timeoutLimit);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function runCheck(
  options: Required<Omit<SmokeTestOptions, 'random' | 'contentTypes' | 'endpointNames' | 'timeBudgetMs'>> & { random?: () => number },
  endpointName: string,
  contentType: SmokeContentType,
  deadline: number,
): Promise<SmokeCheckResult> {
  const { digits, batchSize } = options;
  const latencies: number[] = [];
  const wrongAnswers: WrongAnswer[] = [];
  let correct = 0;
  let attempts = 0;
  let requests = 0;
  let error: string | undefined;

  for (let start = 0; start < digits.count && error === undefined; start += batchSize) {
    if (Date.now() >= deadline) {
      error = 'not finished: the time budget (TIME_BUDGET_MS, or the Lambda timeout) ran out first';
      break;
    }
    const count = Math.min(batchSize, digits.count - start);
    const body = encodeRequest(digits.images.subarray(start * DIGIT_PIXELS, (start + count) * DIGIT_PIXELS), count, contentType);
    requests++;
    const outcome = await withRetries(
      {
        maxAttempts: options.maxAttempts,
        deadline,
        baseDelayMs: options.baseDelayMs,
        maxDelayMs: options.maxDelayMs,
        minAttemptMs: Math.min(options.requestTimeoutMs, MIN_USEFUL_ATTEMPT_MS),
        random: options.random,
      },
      (remainingMs) =>
        remainingMs < options.requestTimeoutMs
          ? invokeOnce(options.client, endpointName, contentType, body, Math.max(1, remainingMs), 'the rest of the time budget')
          : invokeOnce(options.client, endpointName, contentType, body, options.requestTimeoutMs, 'REQUEST_TIMEOUT_MS'),
      (n, retryError, delayMs) =>
        options.log(`${endpointName} (${contentType}): attempt ${n} failed (${describeError(retryError)}); retrying in ${Math.round(delayMs)} ms`),
    );
    attempts += outcome.attempts;
    if (outcome.value === undefined) {
      const why = outcome.outOfTime ? '; stopped retrying: out of time budget' : '';
      error = `${describeError(outcome.error)} (after ${outcome.attempts} attempt(s)${why})`;
      break;
    }
    latencies.push(outcome.value.latencyMs);
    let rows: number[][];
    try {
      rows = parseResponse(outcome.value.body, outcome.value.contentType, count);
    } catch (parseError) {
      error = (parseError as Error).message;
      break;
    }
    rows.forEach((row, i) => {
      const index = start + i;
      const got = argmax(row);
      if (got === digits.labels[index]) correct++;
      else wrongAnswers.push({ index, expected: digits.labels[index], got, probability: Number(row[got].toFixed(4)) });
    });
  }

  return checkResult({ endpointName, contentType, total: digits.count, correct, requests, attempts, latencies, wrongAnswers, error, minAccuracy: options.minAccuracy });
}

/** What one endpoint × content type check counted, before it is judged. */
export interface CheckTally {
  readonly endpointName: string;
  readonly contentType: string;
  readonly total: number;
  readonly correct: number;
  readonly requests: number;
  readonly attempts: number;
  /** Milliseconds of each successful request. */
  readonly latencies: readonly number[];
  readonly wrongAnswers: WrongAnswer[];
  /** Why the check stopped early, if it did (then it fails whatever it counted). */
  readonly error?: string;
  readonly minAccuracy: number;
}

/** The check's verdict and figures: it passes without an error and at or above the accuracy floor. */
export function checkResult(tally: CheckTally): SmokeCheckResult {
  const { endpointName, contentType, total, correct, requests, attempts, wrongAnswers, error } = tally;
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const accuracy = error === undefined ? correct / total : 0;
  return {
    endpointName,
    contentType,
    passed: error === undefined && accuracy >= tally.minAccuracy,
    accuracy: Number(accuracy.toFixed(4)),
    correct,
    total,
    requests,
    attempts,
    latencyMs: sorted.length > 0 ? { p50: Math.round(percentile(sorted, 0.5)), max: Math.round(sorted[sorted.length - 1]) } : null,
    wrongAnswers,
    ...(error === undefined ? {} : { error }),
  };
}

/** The checks every run makes of the options both runs share: at least one endpoint, a floor from 0 to 1. */
export function validateEndpointCheckOptions(options: Pick<EndpointCheckOptions, 'endpointNames' | 'minAccuracy'>): void {
  if (options.endpointNames.length === 0) throw new Error('No endpoint to test: give at least one endpoint name.');
  if (!(options.minAccuracy >= 0 && options.minAccuracy <= 1)) {
    throw new Error(`minAccuracy ${options.minAccuracy} is not valid: use a fraction from 0 to 1 (e.g. 0.9).`);
  }
}

/** Endpoints in parallel; per endpoint one content type after another, one request at a time (as serverless allows). */
export async function checkEveryEndpoint<ContentType extends string>(
  endpointNames: readonly string[],
  contentTypes: readonly ContentType[],
  check: (endpointName: string, contentType: ContentType) => Promise<SmokeCheckResult>,
): Promise<SmokeCheckResult[]> {
  const perEndpoint = await Promise.all(endpointNames.map(async (endpointName) => {
    const results: SmokeCheckResult[] = [];
    for (const contentType of contentTypes) results.push(await check(endpointName, contentType));
    return results;
  }));
  return perEndpoint.flat();
}

/** Runs every check (endpoints in parallel; per endpoint one request at a time, as serverless allows). */
export async function runSmokeTest(options: SmokeTestOptions): Promise<SmokeTestReport> {
  validateEndpointCheckOptions(options);
  const digits = validateDigits(options.digits ?? loadSmokeDigits());
  const resolved = {
    client: options.client,
    minAccuracy: options.minAccuracy,
    digits,
    batchSize: options.batchSize ?? 10,
    maxAttempts: options.maxAttempts ?? 8,
    requestTimeoutMs: options.requestTimeoutMs ?? 70_000,
    baseDelayMs: options.baseDelayMs ?? 1_000,
    maxDelayMs: options.maxDelayMs ?? 20_000,
    random: options.random,
    log: options.log ?? ((line: string) => console.warn(line)),
  };
  for (const [name, value] of [['batchSize', resolved.batchSize], ['maxAttempts', resolved.maxAttempts], ['requestTimeoutMs', resolved.requestTimeoutMs]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} ${value} is not valid: use a whole number >= 1.`);
  }
  const started = Date.now();
  const deadline = started + (options.timeBudgetMs ?? 600_000);
  const contentTypes = options.contentTypes ?? CONTENT_TYPES;
  const results = await checkEveryEndpoint(options.endpointNames, contentTypes, (endpointName, contentType) => runCheck(resolved, endpointName, contentType, deadline));
  return {
    passed: results.every((result) => result.passed),
    minAccuracy: options.minAccuracy,
    digits: digits.count,
    batchSize: resolved.batchSize,
    durationMs: Date.now() - started,
    results,
  };
}

/** The failure message: one line per failed check, with its wrong answers (index, expected, got). */
export function describeFailures(report: Pick<SmokeTestReport, 'minAccuracy' | 'results'>): string {
  const lines = report.results
    .filter((result) => !result.passed)
    .map((result) => {
      const head = `${result.endpointName} (${result.contentType})`;
      if (result.error !== undefined) return `- ${head}: ${result.error}`;
      const listed = result.wrongAnswers
        .slice(0, MAX_LISTED_WRONG)
        .map((w) => `#${w.index} expected ${w.expected} got ${w.got}${w.probability === undefined ? '' : ` (p=${w.probability})`}`);
      const more = result.wrongAnswers.length > MAX_LISTED_WRONG ? `, ... and ${result.wrongAnswers.length - MAX_LISTED_WRONG} more` : '';
      return `- ${head}: accuracy ${result.accuracy} (${result.correct}/${result.total}) is below ${report.minAccuracy}; wrong answers: ${listed.join(', ')}${more}`;
    });
  return `Smoke test failed on ${lines.length} of ${report.results.length} check(s):\n${lines.join('\n')}`;
}
