// The Lambda entry as the Trigger calls it: settings from the environment, the SDK's default
// client pointed at the loopback fake through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME.
import { handler, readSettings } from '../../lambda/smoke-test/index';
import { FakeSageMakerRuntime } from './fake-sagemaker-runtime';
import { DUMMY_CREDENTIALS, REGION, smokeDigitsForFake } from './helpers';

const saved = { ...process.env };
let fake: FakeSageMakerRuntime;
let logged: string[];
const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });

beforeAll(async () => {
  fake = new FakeSageMakerRuntime(smokeDigitsForFake());
  fake.endpoint('realtime').endpoint('serverless').endpoint('broken', { kind: 'wrong', indices: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: await fake.start(),
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    ENDPOINT_NAMES: 'realtime, serverless',
    MIN_ACCURACY: '0.9',
    MAX_ATTEMPTS: '2',
    REQUEST_TIMEOUT_MS: '10000',
  });
});

beforeEach(() => {
  logged = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => logged.push(line));
});

afterEach(() => jest.restoreAllMocks());

afterAll(async () => {
  process.env = saved;
  await fake.stop();
});

test('tests every endpoint in ENDPOINT_NAMES, returns the report and logs it as JSON', async () => {
  const report = await handler({}, context(300_000));
  expect(report.passed).toBe(true);
  expect(report.results.map((r) => `${r.endpointName} ${r.contentType} ${r.correct}/${r.total}`)).toEqual([
    'realtime application/x-npy 40/40',
    'realtime application/json 40/40',
    'serverless application/x-npy 40/40',
    'serverless application/json 40/40',
  ]);
  expect(logged).toHaveLength(1);
  expect(JSON.parse(logged[0])).toEqual({ smokeTestReport: report });
});

test('the event may name the endpoints; a failing one throws the wrong answers', async () => {
  const failure = handler({ endpointNames: ['broken'] }, context(300_000));
  await expect(failure).rejects.toThrow(/^Smoke test failed on 2 of 2 check\(s\):\n- broken \(application\/x-npy\): accuracy 0\.7 \(28\/40\) is below 0\.9; wrong answers: #1 expected \d got \d \(p=0\.91\),/);
  await expect(handler({ endpointNames: ['broken'] }, context(300_000))).rejects.toThrow(/, \.\.\. and 2 more\n- broken \(application\/json\)/);
  // The report is logged before the throw, so the logs hold the details.
  expect(JSON.parse(logged[0]).smokeTestReport.passed).toBe(false);
});

test('a Lambda about to time out stops retrying in time (budget = remaining time minus a margin)', async () => {
  fake.endpoint('hung', { kind: 'hang' });
  process.env.REQUEST_TIMEOUT_MS = '60000';
  const started = Date.now();
  try {
    // 11 s left - 10 s margin = 1 s budget; the one try gets what is left of it (<= 1000 ms).
    await expect(handler({ endpointNames: ['hung'] }, context(11_000))).rejects.toThrow(
      new RegExp(
        '^Smoke test failed on 2 of 2 check\\(s\\):\n' +
          '- hung \\(application/x-npy\\): RequestTimeoutError: no answer within (1000|9\\d\\d) ms \\(the rest of the time budget\\) ' +
          '\\(after 1 attempt\\(s\\); stopped retrying: out of time budget\\)\n' +
          '- hung \\(application/json\\): not finished: the time budget \\(TIME_BUDGET_MS, or the Lambda timeout\\) ran out first$',
      ),
    );
  } finally {
    process.env.REQUEST_TIMEOUT_MS = '10000';
  }
  expect(Date.now() - started).toBeLessThan(5_000);
});

describe('a stack that deploys no endpoint on purpose (NO_ENDPOINTS_REASON)', () => {
  const reason = 'the real-time endpoint is paused (pauseRealtimeEndpoint=true) and serverlessEndpoint=false';

  test('answers with the reason, sends nothing and fails nothing', async () => {
    const before = fake.requests.length;
    const saved = { names: process.env.ENDPOINT_NAMES };
    Object.assign(process.env, { ENDPOINT_NAMES: '', NO_ENDPOINTS_REASON: reason });
    try {
      await expect(handler({}, context(60_000))).resolves.toEqual({ passed: true, skipped: `no endpoint to test: ${reason}`, results: [] });
    } finally {
      process.env.ENDPOINT_NAMES = saved.names;
      delete process.env.NO_ENDPOINTS_REASON;
    }
    expect(fake.requests.length).toBe(before);
    expect(logged.join('\n')).toContain('"skipped":"no endpoint to test: ');
  });

  test('the reason never hides endpoints: named ones are tested, and without a reason an empty list is an error', () => {
    expect(readSettings({ ENDPOINT_NAMES: 'a', NO_ENDPOINTS_REASON: reason })).toMatchObject({ endpointNames: ['a'] });
    expect(readSettings({ ENDPOINT_NAMES: '', NO_ENDPOINTS_REASON: reason }, { endpointNames: ['x'] })).toMatchObject({ endpointNames: ['x'] });
    expect(readSettings({ ENDPOINT_NAMES: '', NO_ENDPOINTS_REASON: reason })).toEqual({ skipped: reason });
    expect(() => readSettings({ ENDPOINT_NAMES: '', NO_ENDPOINTS_REASON: '  ' })).toThrow('ENDPOINT_NAMES is empty');
  });
});

describe('settings', () => {
  test('defaults and overrides', () => {
    expect(readSettings({ ENDPOINT_NAMES: 'a,b' })).toEqual({
      endpointNames: ['a', 'b'], minAccuracy: 0.9, maxAttempts: undefined, requestTimeoutMs: undefined, timeBudgetMs: undefined, batchSize: undefined,
    });
    expect(readSettings({ ENDPOINT_NAMES: 'a', MIN_ACCURACY: '0.5', MAX_ATTEMPTS: '3', REQUEST_TIMEOUT_MS: '500' }, { endpointNames: ['x'] }))
      .toMatchObject({ endpointNames: ['x'], minAccuracy: 0.5, maxAttempts: 3, requestTimeoutMs: 500 });
  });

  test('bad values fail with the setting named and the fix', () => {
    expect(() => readSettings({})).toThrow('ENDPOINT_NAMES is empty: set it to the comma-separated endpoint names');
    expect(() => readSettings({ ENDPOINT_NAMES: ' , ' })).toThrow('ENDPOINT_NAMES is empty');
    expect(() => readSettings({ ENDPOINT_NAMES: 'a', MIN_ACCURACY: '90' })).toThrow('MIN_ACCURACY=90 is not valid: use a fraction from 0 to 1');
    expect(() => readSettings({ ENDPOINT_NAMES: 'a', MAX_ATTEMPTS: '2.5' })).toThrow('MAX_ATTEMPTS=2.5 is not valid: use a whole number >= 1');
    expect(() => readSettings({ ENDPOINT_NAMES: 'a', REQUEST_TIMEOUT_MS: 'soon' })).toThrow('REQUEST_TIMEOUT_MS=soon is not valid');
    expect(() => readSettings({ ENDPOINT_NAMES: 'a' }, { endpointNames: [] })).toThrow('event.endpointNames must be a non-empty array');
  });
});

describe('during a rollback of its stack (STACK_ID), the trigger\'s invocation tests nothing and passes', () => {
  const stackId = 'arn:aws:cloudformation:us-east-1:123456789012:stack/MnistSageMaker/4f1f0a40-d3a1-11ee-9a3c-0a1b2c3d4e5f';

  beforeEach(() => {
    Object.assign(process.env, { STACK_ID: stackId, AWS_ENDPOINT_URL_CLOUDFORMATION: fake.url });
  });

  afterEach(() => {
    delete process.env.STACK_ID;
    fake.stack = { status: 'UPDATE_IN_PROGRESS' };
  });

  /** The calls the fake saw while `run` ran. */
  async function callsDuring<T>(run: () => Promise<T>): Promise<{ outcome: T; calls: string[] }> {
    const before = fake.calls.length;
    const outcome = await run();
    return { outcome, calls: fake.calls.slice(before) };
  }

  test.each([
    ['UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED'],
    ['ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED'],
    ['IMPORT_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_FAILED'],
  ])('%s: one DescribeStacks on its own stack, no DescribeEndpoint, no digit; passed with the reason', async (status, failed) => {
    fake.stack = { status };
    process.env.ENDPOINT_CONFIGS = 'realtime=realtime-config';
    try {
      const { outcome, calls } = await callsDuring(() => handler({}, context(300_000)));
      expect(outcome).toEqual({
        passed: true,
        skipped: `stack rolling back: stack MnistSageMaker is ${status}; the smoke test does not run during a rollback, so it cannot turn it into ${failed}. ` +
          'To test the endpoints anyway, invoke the function with {"endpointNames": [...]}.',
        results: [],
      });
      expect(calls).toEqual([`DescribeStacks ${stackId}`]);
    } finally {
      delete process.env.ENDPOINT_CONFIGS;
    }
    expect(fake.describeStacksRequests.at(-1)).toEqual({ stackName: stackId, signed: true });
    expect(JSON.parse(logged.at(-1)!)).toEqual({ smokeTestReport: expect.objectContaining({ passed: true, skipped: expect.stringMatching(/^stack rolling back: /) }) });
  });

  test.each(['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'])('%s: asks, then tests every endpoint as before', async (status) => {
    fake.stack = { status };
    const { outcome, calls } = await callsDuring(() => handler({}, context(300_000)));
    expect(outcome.passed).toBe(true);
    expect(outcome.results).toHaveLength(4);
    expect(calls[0]).toBe(`DescribeStacks ${stackId}`);
    expect(calls.slice(1).every((call) => call.startsWith('InvokeEndpoint '))).toBe(true);
    expect(calls).toHaveLength(1 + 2 * 2 * 4);
  });

  test('a status it cannot read (AccessDenied) counts as a forward deploy: it says so and tests, so a deploy is never left untested', async () => {
    fake.stack = { error: 'AccessDenied' };
    const { outcome, calls } = await callsDuring(() => handler({}, context(300_000)));
    expect(outcome.passed).toBe(true);
    expect(calls.filter((call) => call.startsWith('InvokeEndpoint '))).toHaveLength(16);
    expect(logged[0]).toMatch(new RegExp(
      `^Could not tell whether stack ${stackId.replace(/[/.]/g, '\\$&')} is rolling back \\(DescribeStacks: AccessDenied: User: .* is not authorized to perform: cloudformation:DescribeStacks on resource: .*\\); running the smoke test as on a forward deploy\\.$`,
    ));
  });

  test('a failing endpoint still fails outside a rollback', async () => {
    process.env.ENDPOINT_NAMES = 'broken';
    try {
      await expect(handler({}, context(300_000))).rejects.toThrow(/^Smoke test failed on 2 of 2 check/);
    } finally {
      process.env.ENDPOINT_NAMES = 'realtime, serverless';
    }
  });

  test('an event that names endpoints (someone asking by hand) is tested as always: no DescribeStacks, even mid-rollback', async () => {
    fake.stack = { status: 'UPDATE_ROLLBACK_IN_PROGRESS' };
    const { outcome, calls } = await callsDuring(() => handler({ endpointNames: ['realtime'] }, context(300_000)));
    expect(outcome.passed).toBe(true);
    expect(calls).toEqual(Array(8).fill('InvokeEndpoint realtime'));
  });

  test('without STACK_ID (no stack to ask about) it never asks', async () => {
    delete process.env.STACK_ID;
    fake.stack = { status: 'UPDATE_ROLLBACK_IN_PROGRESS' };
    const { outcome, calls } = await callsDuring(() => handler({}, context(300_000)));
    expect(outcome.passed).toBe(true);
    expect(calls.some((call) => call.startsWith('DescribeStacks'))).toBe(false);
  });

  test('a STACK_ID that is no stack id fails in one line naming the setting, the value and the fix', async () => {
    process.env.STACK_ID = 'MnistSageMaker';
    await expect(handler({}, context(300_000))).rejects.toThrow(
      'STACK_ID=MnistSageMaker is not valid: use the stack\'s id, arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid> ' +
        '(AWS::StackId, as the EndpointSmokeTest construct sets it), or leave it unset to test without asking whether the stack is rolling back.',
    );
  });
});
