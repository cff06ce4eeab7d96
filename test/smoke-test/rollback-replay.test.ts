// What CloudFormation does to the smoke-test trigger on a failed update, replayed against the
// smoke-test bundle exactly as `cdk synth` writes it, with the environment the template gives it:
// the forward Update runs the digits; a later resource fails; CloudFormation rolls the trigger back
// FIRST (it depends on the endpoints, so it is undone before them) with an Update carrying its old
// properties, i.e. the old function version with the old ENDPOINT_CONFIGS, while the endpoints still
// serve the new configurations; then the rollback's cleanup. The rollback must send nothing and pass.
import * as fs from 'fs';
import { CfnResolver } from '../support/cfn-resolve';
import { CfnTemplate, functionBundle, onlyResource, resourceOf, SynthesizedApp, synthesizedApp, triggerFunction } from '../support/synthesized-app';
import { FakeSageMakerRuntime } from './fake-sagemaker-runtime';
import { DUMMY_CREDENTIALS, smokeDigitsForFake } from './helpers';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

type Handler = (event: unknown, context?: unknown) => Promise<Record<string, unknown>>;
type Environment = Record<string, string>;

let app: SynthesizedApp;
let fake: FakeSageMakerRuntime;
let newEnvironment: Environment;
let oldEnvironment: Environment;
let stackId: string;
const saved = { ...process.env };

/** One function version: its own module instance of the bundle (a Lambda container) and its own environment. */
function functionVersion(environment: Environment): (event: unknown) => Promise<Record<string, unknown>> {
  const { file, exportName } = functionBundle(app, triggerFunction(app.template));
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(file) as Record<string, Handler>)[exportName];
  });
  return async (event) => {
    process.env = { ...saved, ...environment, AWS_REGION: REGION, AWS_ENDPOINT_URL: fake.url, AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey };
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    return handler!(event, { getRemainingTimeInMillis: () => 600_000 });
  };
}

/**
 * What aws-cdk-lib's triggers provider (custom-resource-handlers/dist/triggers/lambda/index.js) does
 * with each request CloudFormation sends Custom::Trigger: nothing on Delete; on Create, and on Update
 * unless ExecuteOnHandlerChange is "false", it invokes HandlerArn with no payload (the function's
 * event is {}) and fails the resource when the function fails.
 */
async function triggerProvider(requestType: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown>, version: ReturnType<typeof functionVersion>): Promise<'invoked' | 'not invoked'> {
  if (requestType === 'Delete') return 'not invoked';
  if (requestType === 'Update' && String(properties.ExecuteOnHandlerChange) === 'false') return 'not invoked';
  await version({});
  return 'invoked';
}

beforeAll(async () => {
  app = synthesizedApp();
  const resolver = new CfnResolver(app.template, { account: ACCOUNT, region: REGION });
  stackId = resolver.resolveString({ Ref: 'AWS::StackId' });
  const variables = (resourceOf(app.template, triggerFunction(app.template)).Properties!.Environment as { Variables: unknown }).Variables;
  newEnvironment = resolver.resolve(variables) as Environment;
  // The previous deploy's version: same code, its own endpoint configurations (a new model gives new ones).
  oldEnvironment = { ...newEnvironment, ENDPOINT_CONFIGS: newEnvironment.ENDPOINT_CONFIGS.replace(/=([^,]+)/g, '=$1-previous') };

  fake = new FakeSageMakerRuntime(smokeDigitsForFake());
  await fake.start();
  for (const name of newEnvironment.ENDPOINT_NAMES.split(',')) fake.endpoint(name);
  for (const [id, endpoint] of endpointsOf(app.template)) {
    fake.serves(resolver.resolveString({ 'Fn::GetAtt': [id, 'EndpointName'] }), { endpointConfigName: resolver.resolveString(endpoint.Properties!.EndpointConfigName) });
  }
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
}, 5 * 60_000);

afterAll(async () => {
  process.env = { ...saved };
  jest.restoreAllMocks();
  await fake?.stop();
});

function endpointsOf(template: CfnTemplate) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::SageMaker::Endpoint');
}

test('the synthesized function carries its stack id, and its trigger runs on every Update with no payload', () => {
  expect(newEnvironment.STACK_ID).toBe(stackId);
  expect(fs.existsSync(functionBundle(app, triggerFunction(app.template)).file)).toBe(true);
  const [, trigger] = onlyResource(app.template, 'Custom::Trigger');
  expect(trigger.Properties).toMatchObject({ InvocationType: 'RequestResponse', ExecuteOnHandlerChange: true });
});

test('a failed update: the forward Update tests the digits; the rollback Update (UPDATE_ROLLBACK_IN_PROGRESS) sends nothing and passes; the cleanup Delete runs nothing', async () => {
  const [, trigger] = onlyResource(app.template, 'Custom::Trigger');
  const properties = trigger.Properties!;
  const current = functionVersion(newEnvironment);
  const previous = functionVersion(oldEnvironment);
  const endpoints = newEnvironment.ENDPOINT_NAMES.split(',');

  // 1. The forward Update: the stack is UPDATE_IN_PROGRESS; every endpoint gets the digits.
  fake.stack = { status: 'UPDATE_IN_PROGRESS' };
  expect(await triggerProvider('Update', properties, current)).toBe('invoked');
  const forward = fake.calls.splice(0);
  expect(forward[0]).toBe(`DescribeStacks ${stackId}`);
  expect(forward.filter((call) => call.startsWith('DescribeEndpoint ')).sort()).toEqual(endpoints.map((name) => `DescribeEndpoint ${name}`).sort());
  expect(forward.filter((call) => call.startsWith('InvokeEndpoint '))).toHaveLength(endpoints.length * 2 * 4);

  // 2. A resource after the trigger fails; CloudFormation rolls back, the trigger first, with its old
  //    properties: the previous version, whose ENDPOINT_CONFIGS the endpoints do not serve yet.
  fake.stack = { status: 'UPDATE_ROLLBACK_IN_PROGRESS' };
  const before = fake.requests.length;
  await expect(triggerProvider('Update', properties, previous)).resolves.toBe('invoked');
  expect(fake.calls.splice(0)).toEqual([`DescribeStacks ${stackId}`]);
  expect(fake.requests.length - before).toBe(0);

  // 3. The rollback's cleanup deletes what the failed update created; a trigger's Delete runs nothing.
  fake.stack = { status: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS' };
  expect(await triggerProvider('Delete', properties, current)).toBe('not invoked');
  expect(fake.calls).toEqual([]);
  expect(fake.describeStacksRequests.map((r) => r.stackName)).toEqual([stackId, stackId]);
});

test('what the rollback invocation answers: passed, skipped because the stack is rolling back', async () => {
  fake.stack = { status: 'UPDATE_ROLLBACK_IN_PROGRESS' };
  const answer = await functionVersion(oldEnvironment)({});
  expect(answer).toEqual({
    passed: true,
    skipped: 'stack rolling back: stack MnistSageMaker is UPDATE_ROLLBACK_IN_PROGRESS; the smoke test does not run during a rollback, so it cannot turn it into ' +
      'UPDATE_ROLLBACK_FAILED. To test the endpoints anyway, invoke the function with {"endpointNames": [...]}.',
    results: [],
  });
  fake.calls.length = 0;
});
