/**
 * Retries AWS calls that failed for a passing reason (throttling, 5xx, dropped connections) with
 * exponential backoff and full jitter. The handlers create their SDK clients with `maxAttempts: 1`
 * so this is the one retry layer, with the same behaviour and the same log line everywhere.
 */

const THROTTLING_ERROR_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);

const TRANSIENT_ERROR_NAMES = new Set([
  'InternalFailure',
  'InternalServerError',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

interface AwsErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export function isThrottlingError(error: unknown): boolean {
  const e = (error ?? {}) as AwsErrorShape;
  return (
    THROTTLING_ERROR_NAMES.has(e.name ?? '') ||
    e.$metadata?.httpStatusCode === 429 ||
    e.$retryable?.throttling === true
  );
}

export function isRetryableError(error: unknown): boolean {
  const e = (error ?? {}) as AwsErrorShape;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    isThrottlingError(error) ||
    TRANSIENT_ERROR_NAMES.has(e.name ?? '') ||
    TRANSIENT_ERROR_NAMES.has(e.code ?? '') ||
    status >= 500 ||
    e.$retryable !== undefined
  );
}

export interface BackoffOptions {
  /** Total tries including the first. Default 8. */
  readonly maxAttempts?: number;
  /** First delay ceiling in ms; doubles each retry. Default 500. */
  readonly baseDelayMs?: number;
  /** Largest delay ceiling in ms. Default 20,000. */
  readonly maxDelayMs?: number;
  /** Injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Called before each retry (logging). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number, description: string) => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `call`, retrying retryable errors; rethrows the last error or the first non-retryable one. */
export async function withBackoff<T>(description: string, call: () => Promise<T>, options: BackoffOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 20_000;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= maxAttempts || !isRetryableError(error)) throw error;
      const delayMs = Math.round(random() * Math.min(cap, base * 2 ** (attempt - 1)));
      (options.onRetry ?? defaultOnRetry)(error, attempt, delayMs, description);
      await wait(delayMs);
    }
  }
}

/** `<description>: <error name> on attempt N, retrying in M ms` */
export function retryMessage(error: unknown, attempt: number, delayMs: number, description: string): string {
  return `${description}: ${errorName(error) || 'Error'} on attempt ${attempt}, retrying in ${delayMs} ms`;
}

function defaultOnRetry(error: unknown, attempt: number, delayMs: number, description: string): void {
  console.log(retryMessage(error, attempt, delayMs, description));
}

/** The AWS error name, or '' (for `catch` blocks that branch on it). */
export function errorName(error: unknown): string {
  return ((error ?? {}) as AwsErrorShape).name ?? '';
}

/** `options` with retries reported through `log` (unless options already has an onRetry). */
export function loggingBackoff(options: BackoffOptions | undefined, log: (line: string) => void): BackoffOptions {
  return { onRetry: (...args) => log(retryMessage(...args)), ...options };
}
