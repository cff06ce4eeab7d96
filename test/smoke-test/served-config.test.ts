// The served-configuration guard: before any digit, the handler asks SageMaker (DescribeEndpoint, the
// real @aws-sdk/client-sagemaker against the loopback fake) which endpoint configuration each endpoint
// serves, and fails the deploy when an update was rolled back (the old model still InService).
import { handler } from '../../lambda/smoke-test/index';
import { readExpectedConfigs } from '../../lambda/smoke-test/served-config';
import { FakeSageMakerRuntime } from './fake-sagemaker-runtime';
import { DUMMY_CREDENTIALS, REGION, smokeDigitsForFake } from './helpers';

const saved = { ...process.env };
let fake: FakeSageMakerRuntime;
let logged: string[];
const context = { getRemainingTimeInMillis: () => 300_000 };
const ALARMS = ['MnistSageMaker-Realtime-5XX', 'MnistSageMaker-Realtime-ModelLatency'];

beforeAll(async () => {
  fake = new FakeSageMakerRuntime(smokeDigitsForFake());
  fake.endpoint('realtime').endpoint('serverless').endpoint('unchecked');
  Object.assign(process.env, {
    // One URL for both clients, as the permissions proof runs it: runtime paths and control-plane JSON.
    AWS_ENDPOINT_URL: await fake.start(),
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    ENDPOINT_NAMES: 'realtime,serverless',
    ENDPOINT_CONFIGS: 'realtime=realtime-config-new,serverless=serverless-config-new',
    MIN_ACCURACY: '0.9',
    MAX_ATTEMPTS: '2',
    REQUEST_TIMEOUT_MS: '10000',
  });
});

beforeEach(() => {
  fake.serves('realtime', { endpointConfigName: 'realtime-config-new', rollbackAlarms: ALARMS });
  fake.serves('serverless', { endpointConfigName: 'serverless-config-new' });
  fake.calls.length = 0;
  fake.requests.length = 0;
  fake.describeRequests.length = 0;
  logged = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => logged.push(line));
});

afterEach(() => jest.restoreAllMocks());

afterAll(async () => {
  process.env = saved;
  await fake.stop();
});

const invocations = () => fake.calls.filter((call) => call.startsWith('InvokeEndpoint'));

test('each endpoint serves the configuration this deploy set: checked (signed) before any digit, then the digits pass', async () => {
  const report = await handler({}, context);
  expect(report.passed).toBe(true);
  expect(fake.calls.slice(0, 2).sort()).toEqual(['DescribeEndpoint realtime', 'DescribeEndpoint serverless']);
  expect(fake.calls.slice(2).every((call) => call.startsWith('InvokeEndpoint'))).toBe(true);
  expect(fake.describeRequests.every((r) => r.signed)).toBe(true);
  expect(report.results.map((r) => `${r.endpointName} ${r.correct}/${r.total}`)).toEqual(['realtime 40/40', 'realtime 40/40', 'serverless 40/40', 'serverless 40/40']);
  expect('servedConfigs' in report && report.servedConfigs).toEqual([
    { endpointName: 'realtime', expectedConfigName: 'realtime-config-new', servedConfigName: 'realtime-config-new', status: 'InService', passed: true },
    { endpointName: 'serverless', expectedConfigName: 'serverless-config-new', servedConfigName: 'serverless-config-new', status: 'InService', passed: true },
  ]);
  expect(JSON.parse(logged[logged.length - 1])).toEqual({ smokeTestReport: report });
});

test('an update SageMaker rolled back (old configuration InService) fails the deploy with the exact message; no digit is sent', async () => {
  fake.serves('realtime', { endpointConfigName: 'realtime-config-old', rollbackAlarms: ALARMS });
  await expect(handler({}, context)).rejects.toThrow(new Error(
    'Smoke test failed on 1 of 2 endpoint(s) before sending digits: not serving what this deploy set.\n' +
    '- Endpoint realtime serves endpoint configuration realtime-config-old, not realtime-config-new that this deploy set. ' +
    'Most likely SageMaker rolled the update back because one of its rollback alarms fired (MnistSageMaker-Realtime-5XX, MnistSageMaker-Realtime-ModelLatency; ' +
    'see which in the CloudWatch alarm history) while traffic shifted or during the bake. ' +
    'The endpoint still answers, with the OLD model, so its answers would prove nothing about this deploy. ' +
    'The deploy fails here, before any digit is sent, so CloudFormation rolls the stack back to the previous model without retraining.',
  ));
  expect(invocations()).toEqual([]);
  expect(JSON.parse(logged[logged.length - 1]).smokeTestReport).toMatchObject({ passed: false, results: [], servedConfigs: [{ passed: false }, { passed: true }] });
});

test('a rollback without LastDeploymentConfig alarms names SageMaker\'s failure reason instead', async () => {
  fake.serves('serverless', { endpointConfigName: 'serverless-config-old', failureReason: 'Request to service failed. The new fleet failed its health check.' });
  await expect(handler({}, context)).rejects.toThrow(
    '- Endpoint serverless serves endpoint configuration serverless-config-old, not serverless-config-new that this deploy set. ' +
    'Most likely SageMaker rolled the update back because a rollback alarm fired or the new fleet failed its health checks while traffic shifted or during the bake. ' +
    'SageMaker\'s failure reason: "Request to service failed. The new fleet failed its health check."',
  );
  expect(invocations()).toEqual([]);
});

test.each([
  ['Updating', { pendingConfigName: 'realtime-config-newer' }, 'Endpoint realtime is Updating, not InService: it serves endpoint configuration realtime-config-new, this deploy set realtime-config-new; an update to realtime-config-newer is still in progress.'],
  ['Failed', { failureReason: 'boom' }, 'Endpoint realtime is Failed, not InService: it serves endpoint configuration realtime-config-new, this deploy set realtime-config-new. SageMaker\'s failure reason: "boom".'],
])('an endpoint that is %s (even on the right configuration) fails, naming the state; no digit is sent', async (status, extra, message) => {
  fake.serves('realtime', { endpointConfigName: 'realtime-config-new', status, ...extra });
  const failure = handler({}, context);
  await expect(failure).rejects.toThrow(message);
  await expect(failure).rejects.toThrow('so CloudFormation rolls the stack back to the previous model without retraining.');
  expect(invocations()).toEqual([]);
});

test('an autoscaling resize (Updating on the configuration this deploy set, no deployment pending) is no failure: the digits go', async () => {
  fake.serves('realtime', { endpointConfigName: 'realtime-config-new', status: 'Updating' });
  const report = await handler({}, context);
  expect(report.passed).toBe(true);
  expect(invocations().length).toBeGreaterThan(0);
  expect('servedConfigs' in report && report.servedConfigs?.[0]).toMatchObject({ endpointName: 'realtime', status: 'Updating', passed: true });
});

// DescribeEndpoint's EndpointStatus: SystemUpdating is AWS maintenance that "does not change any
// customer-specified values such as ... model, instance type, or instance count"; RollingBack undoes a
// failed autoscaling change of capacity or weights (UpdateEndpointWeightsAndCapacities). Neither changes
// what is served, and the endpoint answers meanwhile.
test.each(['SystemUpdating', 'RollingBack'])('%s on the configuration this deploy set, no deployment pending, is no failure: the digits go', async (status) => {
  fake.serves('realtime', { endpointConfigName: 'realtime-config-new', status, rollbackAlarms: ALARMS });
  const report = await handler({}, context);
  expect(report.passed).toBe(true);
  expect(invocations()).toHaveLength(16);
  expect('servedConfigs' in report && report.servedConfigs?.[0]).toEqual({
    endpointName: 'realtime', expectedConfigName: 'realtime-config-new', servedConfigName: 'realtime-config-new', status, passed: true,
  });
});

test.each(['SystemUpdating', 'RollingBack'])('%s with a deployment pending, or on another configuration, still fails; no digit is sent', async (status) => {
  fake.serves('realtime', { endpointConfigName: 'realtime-config-new', status, pendingConfigName: 'realtime-config-newer' });
  await expect(handler({}, context)).rejects.toThrow(
    `Endpoint realtime is ${status}, not InService: it serves endpoint configuration realtime-config-new, this deploy set realtime-config-new; an update to realtime-config-newer is still in progress.`,
  );
  fake.serves('realtime', { endpointConfigName: 'realtime-config-old', status });
  await expect(handler({}, context)).rejects.toThrow(
    `Endpoint realtime is ${status}, not InService: it serves endpoint configuration realtime-config-old, this deploy set realtime-config-new.`,
  );
  expect(invocations()).toEqual([]);
});

test('Updating on an OLD configuration with nothing pending is still a mismatch', async () => {
  fake.serves('realtime', { endpointConfigName: 'realtime-config-old', status: 'Updating' });
  await expect(handler({}, context)).rejects.toThrow('Endpoint realtime is Updating, not InService: it serves endpoint configuration realtime-config-old, this deploy set realtime-config-new.');
});

test('a throttled DescribeEndpoint is retried by the SDK (each retry logged), then the smoke test goes on', async () => {
  fake.throttleDescribe(2);
  const report = await handler({ endpointNames: ['realtime'] }, context);
  expect(report.passed).toBe(true);
  expect(fake.calls.slice(0, 3)).toEqual(['DescribeEndpoint realtime', 'DescribeEndpoint realtime', 'DescribeEndpoint realtime']);
  expect(logged.filter((line) => line.startsWith('DescribeEndpoint'))).toEqual([
    expect.stringMatching(/^DescribeEndpoint realtime: ThrottlingException on attempt 1, retried after \d+ ms$/),
    expect.stringMatching(/^DescribeEndpoint realtime: ThrottlingException on attempt 2, retried after \d+ ms$/),
  ]);
});

test('a configuration that cannot be read fails closed, naming the error', async () => {
  process.env.ENDPOINT_CONFIGS = 'realtime=realtime-config-new,ghost=ghost-config';
  try {
    await expect(handler({ endpointNames: ['realtime', 'ghost'] }, context)).rejects.toThrow(
      '- Could not read which endpoint configuration endpoint ghost serves (DescribeEndpoint: ValidationException: Could not find endpoint ' +
      '"arn:aws:sagemaker:us-east-1:123456789012:endpoint/ghost".), so it cannot be shown to serve ghost-config that this deploy set.',
    );
  } finally {
    process.env.ENDPOINT_CONFIGS = 'realtime=realtime-config-new,serverless=serverless-config-new';
  }
  expect(invocations()).toEqual([]);
});

test('endpoints the event names without an expected configuration are not checked; named ones with one are', async () => {
  fake.serves('realtime', { endpointConfigName: 'realtime-config-old' });
  const report = await handler({ endpointNames: ['unchecked'] }, context);
  expect(report.passed).toBe(true);
  expect(fake.describeRequests).toEqual([]);
  expect(invocations()).toHaveLength(8);
  expect('servedConfigs' in report).toBe(false);

  await expect(handler({ endpointNames: ['unchecked', 'realtime'] }, context)).rejects.toThrow('Endpoint realtime serves endpoint configuration realtime-config-old');
  expect(fake.describeRequests.map((r) => r.endpointName)).toEqual(['realtime']);
});

test('without ENDPOINT_CONFIGS nothing is described (other callers of the construct, the pause)', async () => {
  delete process.env.ENDPOINT_CONFIGS;
  try {
    expect((await handler({}, context)).passed).toBe(true);
    expect(fake.describeRequests).toEqual([]);
    process.env.ENDPOINT_NAMES = '';
    process.env.NO_ENDPOINTS_REASON = 'paused';
    expect(await handler({}, context)).toEqual({ passed: true, skipped: 'no endpoint to test: paused', results: [] });
  } finally {
    Object.assign(process.env, { ENDPOINT_NAMES: 'realtime,serverless', ENDPOINT_CONFIGS: 'realtime=realtime-config-new,serverless=serverless-config-new' });
    delete process.env.NO_ENDPOINTS_REASON;
  }
  expect(fake.describeRequests).toEqual([]);
});

describe('ENDPOINT_CONFIGS', () => {
  test('comma-separated name=config pairs; unset or empty is nothing to check', () => {
    expect([...readExpectedConfigs({ ENDPOINT_CONFIGS: ' a=a-config , b=b-config,' })]).toEqual([['a', 'a-config'], ['b', 'b-config']]);
    expect(readExpectedConfigs({}).size).toBe(0);
    expect(readExpectedConfigs({ ENDPOINT_CONFIGS: '' }).size).toBe(0);
  });

  test.each([
    ['a', "ENDPOINT_CONFIGS has a bad entry 'a': use comma-separated endpoint=config pairs, e.g. my-endpoint=my-endpoint-config."],
    ['a=', "bad entry 'a='"],
    ['a=b=c', "bad entry 'a=b=c'"],
    ['a=x,a=y', 'ENDPOINT_CONFIGS names two configurations for endpoint a (x and y): give each endpoint one.'],
  ])('%s is refused, naming the fix', (value, message) => {
    expect(() => readExpectedConfigs({ ENDPOINT_CONFIGS: value })).toThrow(message);
  });
});
