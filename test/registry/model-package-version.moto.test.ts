// The ModelPackageVersion handler bundle, exactly as `cdk synth` wrote it for a small stack
// (test/registry/registry-app.ts), against moto's model registry, through the events a model's
// life sends: first train (Create) → a deploy that changes nothing of the model → retrain → the
// rollback of that retrain → the pipeline approves the retrained version → a later deploy of it →
// the first version is rejected → the cleanup Delete. Then what a deploy does with a version
// (CreateModel from its ARN), and the permissions proof of every call the handler made.
// Moto differs from SageMaker here in ways the test does not lean on: its UpdateModelPackage drops
// CustomerMetadataProperties not given again (SageMaker keeps them), its CreateModel accepts any
// ModelPackageName without resolving it, and it has no DeleteModelPackage (the delete path is
// proven on the fake, test/registry/model-package-version-handler.test.ts).
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateModelCommand, CreateModelPackageGroupCommand, DescribeModelCommand, DescribeModelPackageCommand, ListModelPackagesCommand, UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { registrationKey } from '../../lambda/model-registry/registration-key';
import { ACCOUNT, CloudRun, Credentials, PARTITION, Properties, REGION } from '../cloud/cloud-fixture';
import { checksFor, neighbourOf } from '../cloud/required-permissions';
import { decide } from '../support/iam-simulation';
import { customResourceHandlers } from '../support/synthesized-app';
import { GROUP_NAME, registryApp } from './registry-app';

const TYPE = 'Custom::ModelPackageVersion';
const WHERE = { account: ACCOUNT, region: REGION, partition: PARTITION };
const versionArn = (n: number) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${GROUP_NAME}/${n}`;

let run: CloudRun;
let fn: string;
let credentials: Credentials;
let first: Properties;
let retrained: Properties;
const saved = { ...process.env };

const creates = () => run.proxy.callsOf('sagemaker', 'CreateModelPackage').length;
const handlerCalls = () => run.proxy.calls.filter((c) => c.accessKeyId === credentials.accessKeyId);

async function onEvent(type: 'Create' | 'Update' | 'Delete', properties: Properties, extra: { old?: Properties; physicalId?: string } = {}) {
  const answer = await run.invoke(fn, credentials, run.event(TYPE, type, properties, extra));
  return answer as { PhysicalResourceId: string; Data?: Record<string, string> };
}

async function statuses(): Promise<Record<string, string>> {
  const answer = await run.admin.sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: GROUP_NAME }));
  return Object.fromEntries((answer.ModelPackageSummaryList ?? []).map((s) => [s.ModelPackageArn!, s.ModelApprovalStatus!]));
}

const setStatus = (arn: string, status: 'Approved' | 'Rejected') =>
  run.admin.sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn: arn, ModelApprovalStatus: status }));

beforeAll(async () => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  run = await CloudRun.start(registryApp);
  fn = customResourceHandlers(run.app.template, TYPE).onEvent;
  const groupId = Object.entries(run.app.template.Resources).find(([, r]) => r.Type === 'AWS::SageMaker::ModelPackageGroup')![0];
  run.setValue(`${groupId}.ModelPackageGroupArn`, `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package-group/${GROUP_NAME}`);
  first = run.properties(TYPE);
  retrained = { ...first, ModelDataUrl: 's3://artifacts/mnist/output/job-2/output/model.tar.gz', Lineage: { TrainingJobName: 'job-2' } };
  const reportBucket = /^s3:\/\/([^/]+)\//.exec(String(first.ReportS3Prefix))![1];
  await run.admin.s3.send(new CreateBucketCommand({ Bucket: reportBucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
  await run.admin.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP_NAME }));
  credentials = await run.credentialsFor(fn);
}, 20 * 60_000); // bounded; the first run on a new machine may build .venv for moto

afterAll(async () => {
  process.env = { ...saved };
  jest.restoreAllMocks();
  await run?.stop();
});

test('first train: Create registers version 1, PendingManualApproval, with its report, metadata and metrics', async () => {
  const answer = await onEvent('Create', first);
  expect(answer).toEqual({
    PhysicalResourceId: versionArn(1),
    Data: { ModelPackageArn: versionArn(1), ModelPackageVersion: '1', ModelPackageGroupName: GROUP_NAME, ApprovalStatus: 'PendingManualApproval', Registered: 'new' },
  });
  const key = registrationKey(first as never);
  const described = await run.admin.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: versionArn(1) }));
  expect(described).toMatchObject({
    ModelPackageDescription: `MNIST CNN [registration ${key}]`,
    ModelApprovalStatus: 'PendingManualApproval',
    InferenceSpecification: { Containers: [{ Image: first.ImageUri, ModelDataUrl: first.ModelDataUrl, Environment: first.Environment }] },
    CustomerMetadataProperties: { TrainingJobName: 'job-1', 'metric:accuracy': '0.985', RegistrationKey: key },
  });
  const reportUri = described.ModelMetrics!.ModelQuality!.Statistics!.S3Uri!;
  expect(reportUri).toBe(`${String(first.ReportS3Prefix)}${key}/model-quality.json`);
  const [, Bucket, Key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(reportUri)!;
  const report = await run.admin.s3.send(new GetObjectCommand({ Bucket, Key }));
  expect(JSON.parse(await report.Body!.transformToString())).toEqual({ multiclass_classification_metrics: { accuracy: { value: 0.985, standard_deviation: 'NaN' } } });
});

test('a deploy that changes nothing of the model finds version 1 in moto\'s listing (its description carries the key) and creates nothing', async () => {
  const relabelled = { ...first, Lineage: { TrainingJobName: 'job-1', SourceCommit: 'abc123' } };
  const answer = await onEvent('Update', relabelled, { old: first, physicalId: versionArn(1) });
  expect(answer.PhysicalResourceId).toBe(versionArn(1));
  expect(answer.Data).toMatchObject({ Registered: 'existing', ModelPackageVersion: '1' });
  expect(creates()).toBe(1);
  expect(run.proxy.callsOf('s3', 'PutObject')).toHaveLength(1);
});

test('retrain: a new ModelDataUrl registers version 2', async () => {
  const answer = await onEvent('Update', retrained, { old: first, physicalId: versionArn(1) });
  expect(answer.Data).toMatchObject({ ModelPackageArn: versionArn(2), ModelPackageVersion: '2', Registered: 'new', ApprovalStatus: 'PendingManualApproval' });
  expect(creates()).toBe(2);
});

test('the rollback Update (old properties again) answers version 1 and creates nothing', async () => {
  const answer = await onEvent('Update', first, { old: retrained, physicalId: versionArn(2) });
  expect(answer.PhysicalResourceId).toBe(versionArn(1));
  expect(answer.Data).toMatchObject({ Registered: 'existing', ModelPackageVersion: '1' });
  expect(creates()).toBe(2);
});

test('once the pipeline approves version 2, a deploy of its model finds it and reports Approved, leaving the status alone', async () => {
  await setStatus(versionArn(2), 'Approved');
  const answer = await onEvent('Update', retrained, { old: first, physicalId: versionArn(1) });
  expect(answer.PhysicalResourceId).toBe(versionArn(2));
  expect(answer.Data).toMatchObject({ ApprovalStatus: 'Approved', Registered: 'existing' });
  expect(creates()).toBe(2);
  expect(handlerCalls().filter((c) => c.operation === 'UpdateModelPackage')).toEqual([]);
});

test('version 1 rejected; the cleanup Delete of its resource removes nothing', async () => {
  await setStatus(versionArn(1), 'Rejected');
  expect(await onEvent('Delete', first, { physicalId: versionArn(1) })).toEqual({ PhysicalResourceId: versionArn(1) });
  expect(await statuses()).toEqual({ [versionArn(1)]: 'Rejected', [versionArn(2)]: 'Approved' });
});

test('a SageMaker model is created from version 2\'s ARN (Containers: [{ ModelPackageName }]) on moto', async () => {
  await run.admin.sagemaker.send(new CreateModelCommand({
    ModelName: 'mnist-from-registry', ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/execution`, Containers: [{ ModelPackageName: versionArn(2) }],
  }));
  const model = await run.admin.sagemaker.send(new DescribeModelCommand({ ModelName: 'mnist-from-registry' }));
  expect(model.Containers).toEqual([expect.objectContaining({ ModelPackageName: versionArn(2) })]);
  // Moto does not resolve the package; what SageMaker would serve is the version's container:
  const version = await run.admin.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: versionArn(2) }));
  expect(version.InferenceSpecification!.Containers![0]).toMatchObject({ Image: first.ImageUri, ModelDataUrl: retrained.ModelDataUrl });
});

test('permissions: every call the handler made is allowed by its synthesized role on the exact resource, and denied on a neighbouring one', async () => {
  const calls = handlerCalls();
  expect([...new Set(calls.map((c) => `${c.service}:${c.operation}`))].sort()).toEqual(['s3:PutObject', 'sagemaker:CreateModelPackage', 'sagemaker:ListModelPackages']);
  const principal = run.principalOf(fn);
  const checks = (await Promise.all(calls.map((c) => checksFor(c, WHERE)))).flat();
  const versions = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${GROUP_NAME}/*`;
  const bucket = /^s3:\/\/([^/]+)\/(.*)$/.exec(String(first.ReportS3Prefix))!;
  expect([...new Set(checks.map((c) => `${c.action} ${c.resource}`))].sort()).toEqual([
    `s3:PutObject arn:aws:s3:::${bucket[1]}/${bucket[2]}${registrationKey(first as never)}/model-quality.json`,
    `s3:PutObject arn:aws:s3:::${bucket[1]}/${bucket[2]}${registrationKey(retrained as never)}/model-quality.json`,
    `sagemaker:CreateModelPackage ${versions}`,
    `sagemaker:ListModelPackages ${versions}`,
  ].sort());
  const denied: string[] = [];
  const allowedNeighbours: string[] = [];
  for (const check of checks) {
    if ((await decide(principal, check)) !== 'Allowed') denied.push(`${check.action} on ${check.resource}`);
    for (const neighbour of neighbourOf(check)) {
      if ((await decide(principal, neighbour)) === 'Allowed') allowedNeighbours.push(`${neighbour.action} on ${neighbour.resource}`);
    }
  }
  expect(denied).toEqual([]);
  expect(allowedNeighbours).toEqual([]);
});
