/**
 * The control-plane handlers' AWS calls are retried by the AWS SDK itself: its standard retry
 * strategy retries throttling and transient errors (HTTP 429, 500/502/503/504, timeouts, dropped
 * connections) with exponential backoff and full jitter (each wait capped at 20 s), stops after
 * `maxAttempts` tries (or when its retry quota runs dry under a storm of failures) and throws every
 * other error at once. The one thing it does not do is say so, hence `logRetries`.
 * The smoke test keeps its own loop (lambda/smoke-test/retry.ts): it works to a deadline.
 */
import { isThrottlingError as isSdkThrottlingError } from '@smithy/core/retry';
import type { FinalizeRequestMiddleware, MetadataBearer, MiddlewareStack, SdkError } from '@smithy/types';

/** Tries per call, the first included (the SDK's default is 3): about a minute of throttling at most. */
export const MAX_ATTEMPTS = 8;

interface AttemptFailure {
  readonly error: unknown;
  readonly attempt: number;
  readonly at: number;
}

/**
 * Logs each retry the client's SDK retry strategy makes, when it starts:
 * `<Operation> <target>: <error name> on attempt N, retried after M ms`.
 * A middleware just inside the SDK's retry middleware sees every attempt of a call (same `args`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any client's stack (SageMaker, S3)
export function logRetries<C extends { middlewareStack: MiddlewareStack<any, any> }>(client: C, log: (line: string) => void = console.log): C {
  const failures = new WeakMap<object, AttemptFailure>();
  const middleware: FinalizeRequestMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const failed = failures.get(args);
    if (failed) {
      const call = `${(context.commandName ?? 'AWS call').replace(/Command$/, '')} ${targetOf(args.input)}`.trim();
      log(`${call}: ${errorName(failed.error) || 'Error'} on attempt ${failed.attempt}, retried after ${Date.now() - failed.at} ms`);
    }
    try {
      return await next(args);
    } catch (error) {
      failures.set(args, { error, attempt: (failed?.attempt ?? 0) + 1, at: Date.now() });
      throw error;
    }
  };
  client.middlewareStack.addRelativeTo(middleware, { relation: 'after', toMiddleware: 'retryMiddleware', name: 'logRetriesMiddleware', override: true });
  return client;
}

/** What the call is about: the training job, the endpoint, the tagged ARN, the listing filter or the S3 object. */
function targetOf(input: object): string {
  const i = input as Record<string, unknown>;
  if (typeof i.Bucket === 'string') return `s3://${i.Bucket}/${String(i.Key ?? i.Prefix ?? '')}`;
  return String(i.TrainingJobName ?? i.EndpointName ?? i.ResourceArn ?? i.NameContains ?? '');
}

/** Whether the SDK classes `error` as throttling (for a caller that gave up retrying it). */
export function isThrottlingError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && isSdkThrottlingError(error as SdkError);
}

/** The AWS error name, or '' (for `catch` blocks that branch on it). */
export function errorName(error: unknown): string {
  return ((error ?? {}) as { name?: string }).name ?? '';
}

/** How many tries the SDK made for the call that failed with `error` (1 when unknown). */
export function attemptsOf(error: unknown): number {
  return ((error ?? {}) as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
}
