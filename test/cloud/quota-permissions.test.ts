// The permissions proof for the quota check, and a replay of what CloudFormation sends it on a failed
// update: its exact `cdk synth` bundle runs a Create, then the Updates of two failed deploys that
// start a new real-time fleet (the forward Update with the synthesized properties, the rollback
// Update with the previous ones while the stack is UPDATE_ROLLBACK_IN_PROGRESS) and a Delete, through
// a recording proxy in front of the loopback Service Quotas (and DescribeStacks) fake. Every call it
// made on the wire (and its log writes) is evaluated against its role's synthesized policies with
// @cloud-copilot/iam-simulate and AWS's Service Authorization Reference. Each call is allowed; quota
// changes, another stack, other services are not.
import { AwsCall } from '../support/aws-call';
import { CfnResolver, rolePolicies } from '../support/cfn-resolve';
import { customResourceEvent } from '../support/custom-resource-event';
import { AuthorizationCheck, decide, Principal } from '../support/iam-simulation';
import { RecordingProxy } from '../support/recording-proxy';
import { customResourceHandlers, functionBundle, functionRole, onlyResource, resourceOf, SynthesizedApp, synthesizedApp } from '../support/synthesized-app';
import type { QuotaRequirementProperties, ServiceQuotaCheckProperties } from '../../lambda/service-quota-check/handlers';
import { FakeServiceQuotas } from '../service-quota-check/fake-service-quotas';
import { lambdaLogChecks } from './required-permissions';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const WHERE = { account: ACCOUNT, region: REGION, partition: 'aws' };
const OK = { PhysicalResourceId: 'service-quota-check-sagemaker' };

type Handler = (event: unknown) => Promise<Record<string, unknown>>;
type Outcome = Record<string, unknown>;

/** One request of the replay: what the handler answered, the calls it made and the lines it logged. */
interface Step {
  readonly outcome: Outcome;
  readonly calls: string[];
  readonly lines: string[];
}

let app: SynthesizedApp;
let principal: Principal;
let calls: AwsCall[];
let logGroupName: string;
let stackId: string;
let properties: ServiceQuotaCheckProperties;
const steps: Record<string, Step> = {};
const saved = { ...process.env };

beforeAll(async () => {
  app = synthesizedApp();
  const [copyId] = onlyResource(app.template, 'Custom::S3PrefixCopy');
  // The sample data copy's revision is a deploy-time part of the real-time fleet's revision.
  const resolver = new CfnResolver(app.template, { account: ACCOUNT, region: REGION, values: { [`${copyId}.Revision`]: 'sample-data-etags' } });
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
  properties = resolver.resolve(check.Properties) as ServiceQuotaCheckProperties;
  const [training, realtime] = properties.Requirements;
  properties.Requirements.forEach((r, i) => (i === 0 ? fake.add(r.QuotaName, 0) : fake.add(r.QuotaName, 10, 10)));
  // The deploy before: the same settings, an earlier model (another fleet revision).
  const previous: ServiceQuotaCheckProperties = {
    ...properties,
    Requirements: properties.Requirements.map((r: QuotaRequirementProperties) => (r.FleetRevision ? { ...r, FleetRevision: 'the-previous-fleet' } : r)),
  };
  const proxy = new RecordingProxy(fake.url);
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: await proxy.start(),
    AWS_ACCESS_KEY_ID: 'AKIDQUOTACHECK',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  delete process.env.AWS_SESSION_TOKEN;
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const { file, exportName } = functionBundle(app, onEvent);
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(file) as Record<string, Handler>)[exportName];
  });
  stackId = resolver.resolveString({ Ref: 'AWS::StackId' });
  const event = (type: 'Create' | 'Update' | 'Delete', now: ServiceQuotaCheckProperties, old?: ServiceQuotaCheckProperties) => customResourceEvent(type, {
    resourceType: 'Custom::ServiceQuotaCheck', logicalId: 'QuotaCheck', stackId,
    properties: now as unknown as Record<string, unknown>,
    oldProperties: old as unknown as Record<string, unknown>, physicalId: 'service-quota-check-sagemaker',
  });
  const run = async (name: string, request: ReturnType<typeof event>, stackStatus?: string) => {
    if (stackStatus) fake.stack = { status: stackStatus };
    const [callsBefore, linesBefore] = [proxy.calls.length, log.mock.calls.length];
    const outcome = await handler!(request).catch((error: Error) => ({ error: error.message }));
    steps[name] = {
      outcome,
      calls: proxy.calls.slice(callsBefore).map((c) => c.operation),
      lines: log.mock.calls.slice(linesBefore).map((args) => String(args[0])),
    };
  };

  await run('create', event('Create', properties));

  // Failed deploy 1: the forward Update starts a new fleet and has the quota for both (2); something
  // else fails (the endpoint, the smoke test); CloudFormation sends the old properties back.
  fake.setApplied(training.QuotaName, 2);
  fake.setApplied(realtime.QuotaName, 2);
  await run('forward', event('Update', properties, previous), 'UPDATE_IN_PROGRESS');
  await run('rollback', event('Update', previous, properties), 'UPDATE_ROLLBACK_IN_PROGRESS');

  // Failed deploy 2: the quota is 1 (= realtimeInstanceCount): the check itself refuses the forward
  // Update; the rollback's Update (again both fleets) is as short, and must only warn.
  fake.setApplied(realtime.QuotaName, 1);
  await run('refused forward', event('Update', properties, previous), 'UPDATE_IN_PROGRESS');
  await run('refused rollback', event('Update', previous, properties), 'UPDATE_ROLLBACK_IN_PROGRESS');
  // The physical id never changes, so no cleanup Delete follows an Update; the stack's delete sends one.
  await run('delete', event('Delete', properties));

  calls = proxy.calls;
  await proxy.stop();
  await fake.stop();
}, 5 * 60_000);

afterAll(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

const LISTS = ['ListServiceQuotas', 'ListServiceQuotas'];

test('the bundle ran the check: the first quota (0, only in the defaults) failed the Create, read from both lists', () => {
  expect(String(steps.create.outcome.error)).toMatch(/^Service quota check: a quota is too low in eu-west-1 .* \(1\) Service quota 'ml\.c5\.2xlarge for training job usage'/);
  expect(steps.create.calls).toEqual([...LISTS, 'ListAWSDefaultServiceQuotas', 'ListAWSDefaultServiceQuotas']);
});

test('a new real-time fleet: the synthesized properties carry a fleet revision, and the forward Update needs both fleets', () => {
  expect(properties.Requirements[1]).toMatchObject({
    QuotaName: 'ml.m5.large for endpoint usage', Needed: 1, FleetMaximum: 1, FleetRevision: expect.stringMatching(/^[0-9a-f]{16}-sample-data-etags$/),
  });
  expect(steps.forward.outcome).toEqual(OK);
  expect(steps.forward.lines).toContain(
    "Quota 'ml.m5.large for endpoint usage' is 2 (applied value): enough for the real-time endpoint (realtimeInstanceCount=1 × ml.m5.large), which needs 2",
  );
  expect(steps.forward.calls).toEqual(LISTS);
});

test('failure elsewhere: the rollback Update with the old properties passes, asking nothing but the quotas', () => {
  expect(steps.rollback.outcome).toEqual(OK);
  expect(steps.rollback.calls).toEqual(LISTS);
});

test('the check refuses the forward Update (needs 2, quota 1); the rollback, as short, only warns (never UPDATE_ROLLBACK_FAILED)', () => {
  expect(String(steps['refused forward'].outcome.error)).toContain(
    "is 1 instances in eu-west-1, and the real-time endpoint (realtimeInstanceCount=1 × ml.m5.large) needs 2 (1 for the old fleet + 1 for the new one; an endpoint update is blue/green",
  );
  expect(steps['refused forward'].calls).toEqual([...LISTS, 'DescribeStacks']);
  expect(steps['refused forward'].lines).toContain('Stack status: UPDATE_IN_PROGRESS');
  expect(steps['refused rollback'].outcome).toEqual(OK);
  expect(steps['refused rollback'].calls).toEqual([...LISTS, 'DescribeStacks']);
  expect(steps['refused rollback'].lines).toContain('Stack status: UPDATE_ROLLBACK_IN_PROGRESS');
  expect(steps['refused rollback'].lines[steps['refused rollback'].lines.length - 1]).toMatch(
    /^Warning only, the stack is rolling back \(failing here would leave it UPDATE_ROLLBACK_FAILED\): Service quota check: a quota is too low/,
  );
  expect(calls.filter((c) => c.operation === 'DescribeStacks').map((c) => c.params)).toEqual([{ StackName: stackId }, { StackName: stackId }]);
});

test('Delete succeeds and calls nothing', () => {
  expect(steps.delete.outcome).toEqual(OK);
  expect(steps.delete.calls).toEqual([]);
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
