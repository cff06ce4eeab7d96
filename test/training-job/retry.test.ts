// The handlers' one retry layer (lambda/shared/retry.ts): what it retries, how long it waits, when it gives up.
import { isRetryableError, isThrottlingError, withBackoff } from '../../lambda/shared/retry';

function awsError(name: string, status: number, extra: object = {}): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });
}

test('classifies throttling and transient errors, and leaves client errors alone', () => {
  expect(isThrottlingError(awsError('ThrottlingException', 400))).toBe(true);
  expect(isThrottlingError(awsError('SlowDown', 503))).toBe(true);
  expect(isThrottlingError(awsError('Whatever', 429))).toBe(true);
  expect(isThrottlingError(awsError('Whatever', 400, { $retryable: { throttling: true } }))).toBe(true);
  expect(isRetryableError(awsError('ServiceUnavailable', 503))).toBe(true);
  expect(isRetryableError(awsError('InternalFailure', 500))).toBe(true);
  expect(isRetryableError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
  for (const name of ['ValidationException', 'ResourceInUse', 'ResourceLimitExceeded', 'AccessDeniedException']) {
    expect(isRetryableError(awsError(name, 400))).toBe(false);
  }
});

test('a client error is thrown at once, without waiting', async () => {
  const sleeps: number[] = [];
  let calls = 0;
  const call = async (): Promise<never> => {
    calls++;
    throw awsError('ValidationException', 400);
  };
  await expect(withBackoff('op', call, { sleep: async (ms) => void sleeps.push(ms) })).rejects.toThrow('ValidationException');
  expect(calls).toBe(1);
  expect(sleeps).toEqual([]);
});

test('throttling is retried with doubling, capped, jittered delays and gives up after maxAttempts', async () => {
  const sleeps: number[] = [];
  const retries: string[] = [];
  let calls = 0;
  const call = async (): Promise<never> => {
    calls++;
    throw awsError('ThrottlingException', 400);
  };
  await expect(
    withBackoff('DescribeTrainingJob x', call, {
      maxAttempts: 6,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 0.5,
      sleep: async (ms) => void sleeps.push(ms),
      onRetry: (_e, attempt, delay, description) => retries.push(`${description}#${attempt}:${delay}`),
    }),
  ).rejects.toThrow('ThrottlingException');
  expect(calls).toBe(6);
  expect(sleeps).toEqual([50, 100, 200, 400, 500]);
  expect(retries[0]).toBe('DescribeTrainingJob x#1:50');
});

test('returns the first success', async () => {
  let calls = 0;
  const result = await withBackoff(
    'op',
    async () => {
      if (++calls < 3) throw awsError('ThrottlingException', 400);
      return 'ok';
    },
    { sleep: async () => undefined },
  );
  expect(result).toBe('ok');
  expect(calls).toBe(3);
});
