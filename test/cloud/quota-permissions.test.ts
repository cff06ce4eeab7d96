// The permissions proof for the quota check: its exact `cdk synth` bundle runs a Create, and an Update
// during a rollback (which asks for the stack's status), through a recording proxy in front of the
// loopback Service Quotas (and DescribeStacks) fake; every call it made on the wire (and its log
// writes) is evaluated against its role's synthesized policies with @cloud-copilot/iam-simulate and
// AWS's Service Authorization Reference. Each call is allowed; quota changes, another stack, other
// services are not.
import { AwsCall } from '../support/aws-call';
import { CfnResolver, rolePolicies } from '../support/cfn-resolve';
import { customResourceEvent } from '../support/custom-resource-event';
import { AuthorizationCheck, decide, Principal } from '../support/iam-simulation';
import { RecordingProxy } from '../support/recording-proxy';
import { customResourceHandlers, functionBundle, functionRole, onlyResource, resourceOf, SynthesizedApp, synthesizedApp } from '../support/synthesized-app';
import { FakeServiceQuotas } from '../service-quota-check/fake-service-quotas';
import { lambdaLogChecks } from './required-permissions';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const WHERE = { account: ACCOUNT, region: REGION, partition: 'aws' };

type Handler = (event: unknown) => Promise<Record<string, unknown>>;

let app: SynthesizedApp;
let principal: Principal;
let calls: AwsCall[];
let logGroupName: string;
let outcome: Record<string, unknown>;
let rollback: Record<string, unknown>;
let stackId: string;
const saved = { ...process.env };

beforeAll(async () => {
  app = synthesizedApp();
  const resolver = new CfnResolver(app.template, { account: ACCOUNT, region: REGION });
  const { onEvent } = customResourceHandlers(app.template, 'Custom::ServiceQuotaCheck');
  const roleId = functionRole(app.template, onEvent);
  principal = { name: roleId, arn: resolver.arnOf(roleId), account: ACCOUNT, policies: rolePolicies(app.template, resolver, roleId) };
  const logGroup = (resourceOf(app.template, onEvent).Properties!.LoggingConfig as { LogGroup: unknown }).LogGroup;
  logGroupName = resolver.resolveString(logGroup);

  // A Create whose quotas sit on the second page of the applied list, one only in the defaults:
  // both list operations, paged, as in an account.
  const fake = new FakeServiceQuotas();
  await fake.start();
  fake.addFiller(120);
  const [, check] = onlyResource(app.template, 'Custom::ServiceQuotaCheck');
  const properties = resolver.resolve(check.Properties) as { Requirements: Array<{ QuotaName: string }> };
  properties.Requirements.forEach((r, i) => (i === 0 ? fake.add(r.QuotaName, 0) : fake.add(r.QuotaName, 10, 10)));
  const proxy = new RecordingProxy(fake.url);
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: await proxy.start(),
    AWS_ACCESS_KEY_ID: 'AKIDQUOTACHECK',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  delete process.env.AWS_SESSION_TOKEN;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const { file, exportName } = functionBundle(app, onEvent);
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(file) as Record<string, Handler>)[exportName];
  });
  stackId = resolver.resolveString({ Ref: 'AWS::StackId' });
  const event = (type: 'Create' | 'Update') => customResourceEvent(type, {
    resourceType: 'Custom::ServiceQuotaCheck', logicalId: 'QuotaCheck', stackId,
    properties: properties as unknown as Record<string, unknown>,
    oldProperties: { ...properties, Requirements: [] }, physicalId: 'service-quota-check-sagemaker',
  });
  outcome = await handler!(event('Create')).catch((error: Error) => ({ error: error.message }));
  // Every requirement is new to this Update, and the first is short: it asks whether the stack rolls back.
  fake.stack = { status: 'UPDATE_ROLLBACK_IN_PROGRESS' };
  rollback = await handler!(event('Update'));
  calls = proxy.calls;
  await proxy.stop();
  await fake.stop();
}, 5 * 60_000);

afterAll(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

test('the bundle ran the check: the first quota (0, only in the defaults) failed the Create; the rollback only warned', () => {
  expect(String(outcome.error)).toMatch(/^Service quota check: a quota is too low in eu-west-1 .* \(1\) Service quota 'ml\.c5\.2xlarge for training job usage'/);
  expect(rollback).toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
  const lists = ['servicequotas:ListServiceQuotas', 'servicequotas:ListServiceQuotas', 'servicequotas:ListAWSDefaultServiceQuotas', 'servicequotas:ListAWSDefaultServiceQuotas'];
  expect(calls.map((c) => `${c.service}:${c.operation}`)).toEqual([...lists, ...lists, 'cloudformation:DescribeStacks']);
  expect(calls[calls.length - 1].params).toEqual({ StackName: stackId });
});

test('every call it made, and its log writes, are allowed by its role', async () => {
  const checks: AuthorizationCheck[] = [
    // Neither action has a resource type (Service Authorization Reference): they are authorized on '*'.
    ...calls.map((c) => ({
      action: `${c.service}:${c.operation}`,
      resource: c.service === 'cloudformation' ? String(c.params.StackName) : '*',
      because: `${c.operation} (captured)`,
    })),
    ...lambdaLogChecks(logGroupName, WHERE, 'the quota check'),
  ];
  const decisions = await Promise.all(checks.map(async (c) => `${c.action} ${await decide(principal, c)}`));
  expect(decisions).toEqual(checks.map((c) => `${c.action} Allowed`));
});

test('it cannot change quotas, read other services, or write another log group', async () => {
  const forbidden: AuthorizationCheck[] = [
    { action: 'servicequotas:RequestServiceQuotaIncrease', resource: '*', because: 'changing a quota' },
    { action: 'servicequotas:GetServiceQuota', resource: `arn:aws:servicequotas:${REGION}:${ACCOUNT}:sagemaker/L-12345678`, because: 'not needed' },
    { action: 'sagemaker:ListTrainingJobs', resource: '*', because: 'another service' },
    { action: 'cloudformation:DescribeStacks', resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/OtherStack/11111111-1111-1111-1111-111111111111`, because: 'another stack' },
    ...lambdaLogChecks('/aws/lambda/someone-else', WHERE, 'another log group'),
  ];
  for (const check of forbidden) expect(`${check.action} ${await decide(principal, check)}`).toBe(`${check.action} ImplicitlyDenied`);
});
