import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { loadSmokeDigits } from '../../lambda/smoke-test/digits';
import { createSmokeTestClient, describeFailures, runSmokeTest, SmokeTestOptions } from '../../lambda/smoke-test/run-smoke-test';
import { backoffDelay, isRetryable } from '../../lambda/smoke-test/retry';
import { FakeSageMakerRuntime, Step } from './fake-sagemaker-runtime';
import { DUMMY_CREDENTIALS, REGION, smokeDigitsForFake } from './helpers';

const digits = loadSmokeDigits();
let fake: FakeSageMakerRuntime;
let client: SageMakerRuntimeClient;
let retryLog: string[];

/** Small delays and timeouts so failure paths stay fast. */
function run(endpointNames: string[], overrides: Partial<SmokeTestOptions> = {}) {
  return runSmokeTest({
    client,
    endpointNames,
    minAccuracy: 0.9,
    baseDelayMs: 5,
    maxDelayMs: 20,
    maxAttempts: 4,
    requestTimeoutMs: 10_000,
    log: (line) => retryLog.push(line),
    ...overrides,
  });
}

beforeEach(async () => {
  fake = new FakeSageMakerRuntime(smokeDigitsForFake());
  const url = await fake.start();
  client = createSmokeTestClient({ endpoint: url, region: REGION, credentials: DUMMY_CREDENTIALS });
  retryLog = [];
});

afterEach(async () => {
  client.destroy();
  await fake.stop();
});

test('the bundled digits: at least 20, every class present', () => {
  expect(digits.count).toBeGreaterThanOrEqual(20);
  expect(new Set(digits.labels).size).toBe(10);
});

test('passes on right answers from two endpoints, both content types, with a full report', async () => {
  fake.endpoint('realtime').endpoint('serverless');
  const report = await run(['realtime', 'serverless']);

  expect(report.passed).toBe(true);
  expect(report).toMatchObject({ minAccuracy: 0.9, digits: digits.count, batchSize: 10 });
  expect(report.results.map((r) => [r.endpointName, r.contentType])).toEqual([
    ['realtime', 'application/x-npy'],
    ['realtime', 'application/json'],
    ['serverless', 'application/x-npy'],
    ['serverless', 'application/json'],
  ]);
  for (const result of report.results) {
    expect(result).toMatchObject({ passed: true, accuracy: 1, correct: digits.count, total: digits.count, requests: 4, attempts: 4, wrongAnswers: [] });
    expect(result.error).toBeUndefined();
    expect(result.latencyMs).not.toBeNull();
    expect(result.latencyMs!.p50).toBeLessThanOrEqual(result.latencyMs!.max);
  }
  // What went over the wire: signed SDK requests, one content type in and out, all digits sent.
  for (const name of ['realtime', 'serverless']) {
    const requests = fake.requestsTo(name);
    expect(requests).toHaveLength(8);
    expect(requests.every((r) => r.signed)).toBe(true);
    for (const type of ['application/x-npy', 'application/json']) {
      const ofType = requests.filter((r) => r.contentType === type);
      expect(ofType.every((r) => r.accept === type)).toBe(true);
      expect(ofType.reduce((sum, r) => sum + r.images, 0)).toBe(digits.count);
    }
  }
  expect(retryLog).toEqual([]);
});

test('sends one batch of all digits when batchSize covers them (the article client)', async () => {
  fake.endpoint('ep');
  const report = await run(['ep'], { batchSize: 1000, contentTypes: ['application/x-npy'] });
  expect(report.passed).toBe(true);
  expect(fake.requestsTo('ep').map((r) => r.images)).toEqual([digits.count]);
});

test('fails with a message listing the wrong answers (index, expected, got) below the threshold', async () => {
  const wrong = [0, 5, 9, 17, 33]; // 35/40 = 0.875 < 0.9
  fake.endpoint('good').endpoint('bad', { kind: 'wrong', indices: wrong });
  const report = await run(['good', 'bad']);

  expect(report.passed).toBe(false);
  const bad = report.results.filter((r) => r.endpointName === 'bad');
  for (const result of bad) {
    expect(result).toMatchObject({ passed: false, correct: digits.count - 5, accuracy: (digits.count - 5) / digits.count });
    expect(result.wrongAnswers).toEqual(
      wrong.map((index) => ({ index, expected: digits.labels[index], got: (digits.labels[index] + 3) % 10, probability: 0.91 })),
    );
  }
  expect(report.results.filter((r) => r.endpointName === 'good').every((r) => r.passed)).toBe(true);

  const message = describeFailures(report);
  expect(message).toContain('Smoke test failed on 2 of 4 check(s)');
  expect(message).toContain(`- bad (application/x-npy): accuracy 0.875 (35/40) is below 0.9; wrong answers: #0 expected ${digits.labels[0]} got ${(digits.labels[0] + 3) % 10} (p=0.91)`);
  expect(message).toContain(`#33 expected ${digits.labels[33]} got ${(digits.labels[33] + 3) % 10}`);
  expect(message).toContain('- bad (application/json)');
  expect(message).not.toContain('good');
});

test('a few wrong answers above the threshold pass but stay in the report', async () => {
  fake.endpoint('ep', { kind: 'wrong', indices: [3, 4] });
  const report = await run(['ep'], { contentTypes: ['application/json'] });
  expect(report.passed).toBe(true);
  expect(report.results[0]).toMatchObject({ accuracy: 0.95, correct: 38 });
  expect(report.results[0].wrongAnswers.map((w) => w.index)).toEqual([3, 4]);
});

describe('the accuracy floor', () => {
  test('accuracy exactly at the minimum passes; one more wrong answer fails', async () => {
    fake.endpoint('at', { kind: 'wrong', indices: [3, 4] }).endpoint('below', { kind: 'wrong', indices: [3, 4, 5] });
    const report = await run(['at', 'below'], { minAccuracy: 0.95 });
    expect(report.results.map((r) => [r.endpointName, r.passed, r.correct, r.accuracy])).toEqual([
      ['at', true, 38, 0.95], ['at', true, 38, 0.95], // 38/40 = 0.95: at the floor, not below it
      ['below', false, 37, 0.925], ['below', false, 37, 0.925],
    ]);
    expect(report.passed).toBe(false);
    expect(describeFailures(report)).not.toContain('- at ');
  });

  test('every digit right passes a floor of 1', async () => {
    fake.endpoint('ep');
    expect((await run(['ep'], { minAccuracy: 1 })).passed).toBe(true);
  });

  test('a request that fails after some answers fails the check, with accuracy 0, even where the answers so far clear the floor', async () => {
    const answersThenError: Step[] = [
      { kind: 'correct' }, { kind: 'correct' }, { kind: 'correct' },
      { kind: 'error', error: 'ModelError', originalStatus: 500, message: 'CUDA out of memory' },
    ];
    for (const minAccuracy of [0.5, 0]) {
      fake.endpoint('partial', ...answersThenError); // resets the endpoint's script
      const report = await run(['partial'], { minAccuracy, contentTypes: ['application/x-npy'] });
      expect(report.passed).toBe(false);
      // 30 of 40 answered right before the 4th batch failed: 0.75 would clear 0.5, but the check never finished.
      expect(report.results[0]).toMatchObject({ passed: false, accuracy: 0, correct: 30, total: 40, requests: 4, attempts: 4 });
      expect(report.results[0].error).toMatch(/^ModelError, HTTP 424, model status 500: .*CUDA out of memory.* \(after 1 attempt\(s\)\)$/);
      expect(describeFailures(report)).toMatch(/^Smoke test failed on 1 of 1 check\(s\):\n- partial \(application\/x-npy\): ModelError, HTTP 424/);
    }
  });

  test('a bad response after some answers fails the same way', async () => {
    fake.endpoint('partial', { kind: 'correct' }, { kind: 'unnormalized', sum: 0.5 });
    const report = await run(['partial'], { minAccuracy: 0.2, contentTypes: ['application/json'] });
    expect(report.results[0]).toMatchObject({ passed: false, accuracy: 0, correct: 10, requests: 2 });
    expect(report.results[0].error).toMatch(/^Row 0 is not a probability vector/);
  });
});

describe('probability rows', () => {
  test.each([0.5, 1.05])('values all in [0,1] but summing to %s are refused, on both content types, without retrying', async (sum) => {
    fake.endpoint('scores', { kind: 'unnormalized', sum });
    const report = await run(['scores']);
    expect(report.passed).toBe(false);
    for (const result of report.results) {
      expect(result).toMatchObject({ passed: false, accuracy: 0, correct: 0, requests: 1, attempts: 1 });
      expect(result.error).toMatch(new RegExp(`^Row 0 is not a probability vector \\(values [0-9., e-]+; sum ${sum.toPrecision(4).replace('.', '\\.')}\\): ` +
        'the model must return softmax probabilities'));
    }
  });

  test('float32 rounding of a softmax (sum within 0.001 of 1) is accepted', async () => {
    fake.endpoint('rounded', { kind: 'unnormalized', sum: 1.0005 }).endpoint('low', { kind: 'unnormalized', sum: 0.9995 });
    const report = await run(['rounded', 'low']);
    expect(report.results.map((r) => [r.endpointName, r.passed, r.accuracy])).toEqual([
      ['rounded', true, 1], ['rounded', true, 1], ['low', true, 1], ['low', true, 1],
    ]);
  });
});

test('fails on a wrong response shape and on log-probabilities, naming the problem', async () => {
  fake.endpoint('nine', { kind: 'shape', classes: 9 }).endpoint('logs', { kind: 'log-probabilities' });
  const report = await run(['nine', 'logs']);
  expect(report.passed).toBe(false);
  const byKey = Object.fromEntries(report.results.map((r) => [`${r.endpointName} ${r.contentType}`, r]));
  expect(byKey['nine application/x-npy'].error).toMatch(/shape \(10, 9\); expected \(10, 10\)/);
  expect(byKey['nine application/json'].error).toMatch(/array\[10\] of array\[9\]; expected an array of 10 arrays of 10 numbers/);
  expect(byKey['logs application/x-npy'].error).toMatch(/Row 0 is not a probability vector .*not logits or log-probabilities/);
  for (const result of report.results) {
    expect(result).toMatchObject({ passed: false, accuracy: 0, requests: 1, attempts: 1 }); // not retried
  }
});

test('a model error is reported at once, not retried, with the model status and message', async () => {
  fake.endpoint('broken', { kind: 'error', error: 'ModelError', originalStatus: 500, message: 'size mismatch for fc1.weight' });
  const report = await run(['broken']);
  expect(report.passed).toBe(false);
  for (const result of report.results) {
    expect(result.attempts).toBe(1);
    expect(result.error).toMatch(/^ModelError, HTTP 424, model status 500: Received server error \(500\) from primary with message "size mismatch for fc1\.weight"/);
    expect(result.error).toContain('(after 1 attempt(s))');
  }
  expect(describeFailures(report)).toContain('- broken (application/x-npy): ModelError, HTTP 424');
  expect(fake.requestsTo('broken')).toHaveLength(2);
});

test('an unknown endpoint fails with the service ValidationError, not retried', async () => {
  const report = await run(['missing'], { contentTypes: ['application/x-npy'] });
  expect(report.results[0].attempts).toBe(1);
  expect(report.results[0].error).toMatch(/ValidationError, HTTP 400: Endpoint missing of account 123456789012 not found\./);
});

test('persistent 503s are retried up to maxAttempts, then fail', async () => {
  fake.endpoint('down', { kind: 'error', error: 'ServiceUnavailable' });
  const report = await run(['down'], { maxAttempts: 3 });
  expect(report.passed).toBe(false);
  for (const result of report.results) {
    expect(result).toMatchObject({ attempts: 3, requests: 1, latencyMs: null });
    expect(result.error).toMatch(/ServiceUnavailable, HTTP 503: .*\(after 3 attempt\(s\)\)/);
  }
  expect(fake.requestsTo('down')).toHaveLength(6);
  expect(retryLog).toHaveLength(4);
});

test('succeeds after transient throttling and a cold start, counting the attempts', async () => {
  // ThrottlingException comes as HTTP 400 with {"message": null}: retried by name, not by status.
  fake.endpoint(
    'cold',
    { kind: 'error', error: 'ThrottlingException' },
    { kind: 'error', error: 'ModelNotReadyException' },
    { kind: 'error', error: 'InternalFailure' },
    { kind: 'correct' },
  );
  const report = await run(['cold']);
  expect(report.passed).toBe(true);
  const [npy, json] = report.results;
  expect(npy).toMatchObject({ passed: true, accuracy: 1, requests: 4, attempts: 7 });
  expect(json).toMatchObject({ passed: true, accuracy: 1, requests: 4, attempts: 4 });
  expect(retryLog).toHaveLength(3);
  expect(retryLog[0]).toMatch(/^cold \(application\/x-npy\): attempt 1 failed \(ThrottlingException, HTTP 400: .*\); retrying in \d+ ms$/);
  expect(retryLog[1]).toMatch(/attempt 2 failed \(ModelNotReadyException, HTTP 429/);
  expect(retryLog[2]).toMatch(/attempt 3 failed \(InternalFailure, HTTP 500/);
});

test('a hanging endpoint times out per request, is retried, then fails', async () => {
  fake.endpoint('hung', { kind: 'hang' });
  const started = Date.now();
  const report = await run(['hung'], { requestTimeoutMs: 150, maxAttempts: 2, contentTypes: ['application/json'] });
  expect(report.passed).toBe(false);
  expect(report.results[0]).toMatchObject({ attempts: 2, latencyMs: null });
  expect(report.results[0].error).toBe('RequestTimeoutError: no answer within 150 ms (REQUEST_TIMEOUT_MS) (after 2 attempt(s))');
  expect(Date.now() - started).toBeLessThan(3_000);
});

test('the time budget bounds the retries even when attempts remain', async () => {
  fake.endpoint('down', { kind: 'error', error: 'ServiceUnavailable' });
  const started = Date.now();
  // Retries stop while 1 s (the least a try is given) is still left, so the last error is the real one.
  const report = await run(['down'], { maxAttempts: 1_000, baseDelayMs: 40, maxDelayMs: 80, timeBudgetMs: 1_500, contentTypes: ['application/x-npy'] });
  expect(Date.now() - started).toBeLessThan(3_000); // vs ~60 s for 1000 attempts
  expect(report.results[0].error).toMatch(/^ServiceUnavailable, HTTP 503: .* \(after \d+ attempt\(s\); stopped retrying: out of time budget\)$/);
  expect(report.results[0].attempts).toBeGreaterThan(1);
  expect(report.results[0].attempts).toBeLessThan(40);
});

test('rejects bad options with a clear message', async () => {
  await expect(run([])).rejects.toThrow('No endpoint to test');
  await expect(run(['ep'], { minAccuracy: 90 })).rejects.toThrow('minAccuracy 90 is not valid: use a fraction from 0 to 1');
  await expect(run(['ep'], { batchSize: 0 })).rejects.toThrow('batchSize 0 is not valid');
});

describe('retry policy', () => {
  const err = (name: string, status?: number) => Object.assign(new Error('x'), { name, $metadata: { httpStatusCode: status } });

  test('retries warm-up, throttling, 5xx and network errors; not the model or validation', () => {
    for (const name of ['ModelNotReadyException', 'ThrottlingException', 'ServiceUnavailable', 'InternalFailure', 'RequestTimeoutError']) {
      expect(isRetryable(err(name))).toBe(true);
    }
    expect(isRetryable(err('Unknown', 502))).toBe(true);
    expect(isRetryable(err('Unknown', 429))).toBe(true);
    expect(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(err('ModelError', 424))).toBe(false);
    expect(isRetryable(err('ValidationError', 400))).toBe(false);
    expect(isRetryable(err('AccessDeniedException', 400))).toBe(false);
  });

  test('backoff grows exponentially with jitter and is capped', () => {
    const policy = { maxAttempts: 10, deadline: 0, baseDelayMs: 1_000, maxDelayMs: 20_000 };
    expect(backoffDelay(1, { ...policy, random: () => 0 })).toBe(500);
    expect(backoffDelay(1, { ...policy, random: () => 1 })).toBe(1_000);
    expect(backoffDelay(3, { ...policy, random: () => 0.5 })).toBe(3_000);
    expect(backoffDelay(10, { ...policy, random: () => 1 })).toBe(20_000);
  });
});
