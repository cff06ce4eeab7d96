// The handlers' AWS SDK retries without the waiting: the SDK's ConfiguredRetryStrategy is its
// standard strategy (same errors retried, same attempt limit, same retry quota) with a fixed
// 1 ms backoff, so "throttled N times" tests take milliseconds and still count every attempt.
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { MAX_ATTEMPTS } from '../../lambda/shared/retry';

export function fastRetries(): { retryStrategy: ConfiguredRetryStrategy } {
  return { retryStrategy: new ConfiguredRetryStrategy(MAX_ATTEMPTS, 1) };
}
