// Retries for the calls a fresh endpoint answers with "not yet": serverless cold starts
// (ModelNotReadyException), throttling, 5xx and timeouts. Exponential backoff with jitter,
// bounded by a number of attempts and by a deadline (so the Lambda never times out first).
// Why not the AWS SDK's retry strategy, as the other handlers use (lambda/shared/retry.ts): the SDK
// counts attempts but knows no deadline, so it cannot skip a retry that would outlive the Lambda
// nor give each try the time that is left, and the report needs every try's outcome; so the
// runtime client makes one attempt per call and this loop decides (never on ModelError/ValidationError).

/** Errors worth another try: the endpoint is warming up, busy or briefly unreachable. */
const RETRYABLE_NAMES = new Set([
  'ModelNotReadyException',
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalDependencyException',
  'RequestTimeoutError',
  'TimeoutError',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

interface AwsLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The HTTP status of an SDK error, if the service answered at all. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as AwsLikeError | undefined)?.$metadata?.httpStatusCode;
}

export function isRetryable(error: unknown): boolean {
  const e = (error ?? {}) as AwsLikeError;
  // The model's own answer (4xx/5xx from the container) is deterministic: report it, don't retry.
  if (e.name === 'ModelError' || e.name === 'ValidationError') return false;
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.code && RETRYABLE_CODES.has(e.code)) return true;
  const status = httpStatusOf(error);
  return status === 429 || (status !== undefined && status >= 500);
}

/** Raised when a single request gets no answer in time. */
export class RequestTimeoutError extends Error {
  /** `limit` names what set the timeout, so the reader knows which knob to turn. */
  constructor(timeoutMs: number, limit = 'REQUEST_TIMEOUT_MS') {
    super(`no answer within ${timeoutMs} ms (${limit})`);
    this.name = 'RequestTimeoutError';
  }
}

export interface RetryPolicy {
  /** Total tries, the first included. */
  readonly maxAttempts: number;
  /** Epoch milliseconds after which no new attempt starts. */
  readonly deadline: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** No retry unless at least this much budget is left after the delay (a try cut short proves nothing). Default 0. */
  readonly minAttemptMs?: number;
  /** Uniform 0..1; injectable so tests are deterministic. */
  readonly random?: () => number;
}

export interface RetryOutcome<T> {
  readonly value?: T;
  readonly error?: unknown;
  readonly attempts: number;
  /** Set when retrying stopped because the next try would start past the deadline. */
  readonly outOfTime?: boolean;
}

/** "Equal jitter": half the exponential delay fixed, half random — spreads retries, never zero. */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return exponential / 2 + (policy.random ?? Math.random)() * (exponential / 2);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt(remainingMs)` until it succeeds, fails with a non-retryable error, runs out
 * of attempts or would start past the deadline. Never throws: the outcome carries the error.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (remainingMs: number) => Promise<T>,
  onRetry?: (attemptNumber: number, error: unknown, delayMs: number) => void,
): Promise<RetryOutcome<T>> {
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(policy.deadline - Date.now()), attempts: n };
    } catch (error) {
      if (!isRetryable(error) || n >= policy.maxAttempts) return { error, attempts: n };
      const delay = backoffDelay(n, policy);
      if (Date.now() + delay + (policy.minAttemptMs ?? 0) >= policy.deadline) return { error, attempts: n, outOfTime: true };
      onRetry?.(n, error, delay);
      await sleep(delay);
    }
  }
}

/** One line for a report: the error's type, HTTP status and message (ModelError's original status too). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & AwsLikeError & { OriginalStatusCode?: number };
  const status = httpStatusOf(error);
  const parts = [e.name];
  if (status !== undefined) parts.push(`HTTP ${status}`);
  if (e.OriginalStatusCode !== undefined) parts.push(`model status ${e.OriginalStatusCode}`);
  return `${parts.join(', ')}: ${e.message}`;
}
