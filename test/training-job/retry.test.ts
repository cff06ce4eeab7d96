// The control-plane handlers' retries are the AWS SDK's (lambda/shared/retry.ts): the production
// clients are configured for them, and each retry is logged. Driven through the real SDK client
// against the fake SageMaker on loopback, because aws-sdk-client-mock replaces `send` and so skips
// the SDK's retry middleware.
import { DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { s3Client } from '../../lambda/s3-prefix-copy/client';
import { attemptsOf, isThrottlingError, MAX_ATTEMPTS } from '../../lambda/shared/retry';
import { sageMakerClient } from '../../lambda/shared/sagemaker-client';
import { FakeSageMaker, REGION } from './fake-sagemaker';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };

let fake: FakeSageMaker;
let lines: string[];

beforeEach(async () => {
  fake = new FakeSageMaker();
  await fake.start();
  fake.seedJob('job-a', 'InProgress');
  lines = [];
});

afterEach(async () => {
  await fake.stop();
});

const describeCalls = () => fake.calls.filter((c) => c.operation === 'DescribeTrainingJob').length;
const describe = (client = fake.client((line) => lines.push(line))) => client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'job-a' }));

test('the production clients use the SDK\'s standard retry strategy with MAX_ATTEMPTS (8) tries', async () => {
  expect(MAX_ATTEMPTS).toBe(8);
  for (const client of [sageMakerClient({ region: REGION }), s3Client({ region: REGION })]) {
    expect(await client.config.maxAttempts()).toBe(8);
    expect((await client.config.retryStrategy()) as unknown).toMatchObject({ mode: 'standard' });
  }
  expect(s3Client({ region: REGION }).config.followRegionRedirects).toBe(true);
});

test('throttling that never ends: 8 attempts, each retry logged with the call and the error, then the error', async () => {
  fake.throttle('DescribeTrainingJob', Infinity);
  const error = await describe().catch((e: unknown) => e);
  expect((error as Error).name).toBe('ThrottlingException');
  expect(attemptsOf(error)).toBe(8);
  expect(describeCalls()).toBe(8);
  expect(lines.map((l) => l.replace(/\d+ ms$/, 'N ms'))).toEqual(
    [1, 2, 3, 4, 5, 6, 7].map((n) => `DescribeTrainingJob job-a: ThrottlingException on attempt ${n}, retried after N ms`),
  );
});

test('a 5xx is retried and the first success returned', async () => {
  fake.failNext('DescribeTrainingJob', 'InternalFailure', 'We encountered an internal error.', 2);
  await expect(describe()).resolves.toMatchObject({ TrainingJobName: 'job-a', $metadata: { attempts: 3 } });
  expect(describeCalls()).toBe(3);
  expect(lines).toHaveLength(2);
});

test.each(['ValidationException', 'AccessDeniedException', 'ResourceLimitExceeded'])('%s is thrown at once, not retried', async (type) => {
  fake.failNext('DescribeTrainingJob', type, 'no', Infinity);
  await expect(describe()).rejects.toMatchObject({ name: type });
  expect(describeCalls()).toBe(1);
  expect(lines).toEqual([]);
});

test('the production client waits the SDK\'s jittered backoff (at most 1 s before a first throttling retry)', async () => {
  fake.throttle('DescribeTrainingJob', 1);
  const client = sageMakerClient({ region: REGION, endpoint: fake.endpoint, credentials: CREDENTIALS }, (line) => lines.push(line));
  await expect(describe(client)).resolves.toMatchObject({ $metadata: { attempts: 2 } });
  expect(lines).toHaveLength(1);
  const waited = Number(/retried after (\d+) ms$/.exec(lines[0])![1]);
  expect(waited).toBeLessThanOrEqual(1100);
});

test('what isComplete counts as "still throttled": the SDK\'s classification', () => {
  const error = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  expect(isThrottlingError(error('ThrottlingException', 400))).toBe(true);
  expect(isThrottlingError(error('Whatever', 429))).toBe(true);
  expect(isThrottlingError(error('InternalFailure', 500))).toBe(false);
  expect(isThrottlingError(error('ValidationException', 400))).toBe(false);
});
