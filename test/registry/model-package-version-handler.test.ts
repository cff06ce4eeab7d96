// Custom::ModelPackageVersion's handler on a stateful fake registry (test/registry/fake-registry.ts):
// find-or-create by registration key, what a new version records (report, metadata, metrics), the
// Delete that keeps history unless the stack takes the group with it, and bad input.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { ModelPackageVersionProperties } from '../../lambda/model-registry/properties';
import { registrationKey } from '../../lambda/model-registry/registration-key';
import { Dependencies, onEvent, VersionResponse } from '../../lambda/model-registry/version-handler';
import { customResourceEvent } from '../support/custom-resource-event';
import { FakeRegistry, STACK_ID } from './fake-registry';

const GROUP = 'mnist-models';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';

const FIRST: ModelPackageVersionProperties = {
  ModelPackageGroupName: GROUP,
  ImageUri: '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.5-cpu-py311',
  ModelDataUrl: 's3://artifacts/mnist/output/job-1/output/model.tar.gz',
  Environment: { SAGEMAKER_PROGRAM: 'mnist.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code' },
  ContentTypes: ['application/json'],
  ResponseTypes: ['application/json'],
  InitialApprovalStatus: 'PendingManualApproval',
  Lineage: { TrainingJobName: 'job-1', TrainingJobArn: 'arn:aws:sagemaker:eu-west-1:123456789012:training-job/job-1', SourceCommit: '' },
  ModelQuality: { ProblemType: 'multiclass_classification_metrics', Metrics: { accuracy: { Value: '98.5', Scale: '0.01' }, loss: { Value: '0.0512' } } },
  ReportS3Prefix: 's3://reports/model-quality/',
  ReportKmsKeyId: KEY_ARN,
  Description: 'MNIST CNN',
};
const SECOND: ModelPackageVersionProperties = { ...FIRST, ModelDataUrl: 's3://artifacts/mnist/output/job-2/output/model.tar.gz', Lineage: { TrainingJobName: 'job-2' } };

let registry: FakeRegistry;
let logs: string[];

beforeEach(() => {
  registry = new FakeRegistry();
  logs = [];
});

function deps(extra: Partial<Dependencies> = {}): Dependencies {
  return { sagemaker: registry.sagemaker, s3: registry.s3, cloudFormation: registry.cloudFormation, stackId: STACK_ID, log: (l) => logs.push(l), ...extra };
}

function event(type: 'Create' | 'Update' | 'Delete', props: Partial<ModelPackageVersionProperties> | Record<string, unknown>, physicalId?: string, old?: object): CloudFormationCustomResourceEvent {
  return customResourceEvent(type, {
    resourceType: 'Custom::ModelPackageVersion', logicalId: 'Version', stackId: STACK_ID,
    properties: props as Record<string, unknown>, oldProperties: old as Record<string, unknown>, physicalId,
  });
}

const data = (answer: VersionResponse) => answer.Data!;

describe('Create and Update: find the version of the same model, or register it', () => {
  test('Create registers version 1 with the image, artifact, environment, content types, initial status and a description that carries the key', async () => {
    const answer = await onEvent(event('Create', FIRST), deps());
    const arn = `arn:aws:sagemaker:eu-west-1:123456789012:model-package/${GROUP}/1`;
    expect(answer).toEqual({
      PhysicalResourceId: arn,
      Data: { ModelPackageArn: arn, ModelPackageVersion: '1', ModelPackageGroupName: GROUP, ApprovalStatus: 'PendingManualApproval', Registered: 'new' },
    });
    const key = registrationKey(FIRST);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    const [request] = registry.callsOf('CreateModelPackage');
    expect(request).toMatchObject({
      ModelPackageGroupName: GROUP,
      ModelPackageDescription: `MNIST CNN [registration ${key}]`,
      InferenceSpecification: {
        Containers: [{ Image: FIRST.ImageUri, ModelDataUrl: FIRST.ModelDataUrl, Environment: FIRST.Environment }],
        SupportedContentTypes: ['application/json'],
        SupportedResponseMIMETypes: ['application/json'],
      },
      ModelApprovalStatus: 'PendingManualApproval',
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://reports/model-quality/${key}/model-quality.json` } } },
    });
  });

  test('lineage (empty values left out), scaled metrics and the registration key go into CustomerMetadataProperties', async () => {
    await onEvent(event('Create', FIRST), deps());
    expect(registry.callsOf('CreateModelPackage')[0].CustomerMetadataProperties).toEqual({
      TrainingJobName: 'job-1',
      TrainingJobArn: 'arn:aws:sagemaker:eu-west-1:123456789012:training-job/job-1',
      'metric:accuracy': '0.985',
      'metric:loss': '0.0512',
      RegistrationKey: registrationKey(FIRST),
    });
  });

  test('the model-quality report is written first, SSE-KMS with the given key, where ModelMetrics points', async () => {
    await onEvent(event('Create', FIRST), deps());
    expect(registry.calls.map((c) => c.operation)).toEqual(['ListModelPackages', 'PutObject', 'CreateModelPackage']);
    const uri = `s3://reports/model-quality/${registrationKey(FIRST)}/model-quality.json`;
    const report = registry.objects.get(uri)!;
    expect(JSON.parse(report.body)).toEqual({
      multiclass_classification_metrics: { accuracy: { value: 0.985, standard_deviation: 'NaN' }, loss: { value: 0.0512, standard_deviation: 'NaN' } },
    });
    expect(report.params).toMatchObject({ ContentType: 'application/json', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN });
  });

  test('without a KMS key the report takes the bucket\'s default encryption; without ModelQuality nothing is written and no metrics are recorded', async () => {
    await onEvent(event('Create', { ...FIRST, ReportKmsKeyId: undefined }), deps());
    const [report] = [...registry.objects.values()];
    expect(report.params.ServerSideEncryption).toBeUndefined();
    expect(report.params.SSEKMSKeyId).toBeUndefined();

    registry = new FakeRegistry();
    await onEvent(event('Create', { ...FIRST, ModelQuality: undefined }), deps());
    expect(registry.callsOf('PutObject')).toEqual([]);
    const [request] = registry.callsOf('CreateModelPackage');
    expect(request.ModelMetrics).toBeUndefined();
    expect(Object.keys(request.CustomerMetadataProperties as object).sort()).toEqual(['RegistrationKey', 'TrainingJobArn', 'TrainingJobName']);
  });

  test('an Update with the same model (only lineage, metrics or description changed) reuses the version: nothing written or created', async () => {
    const first = await onEvent(event('Create', FIRST), deps());
    const relabelled = { ...FIRST, Lineage: { TrainingJobName: 'job-1', SourceCommit: 'abc123' }, Description: 'renamed', ModelQuality: { ...FIRST.ModelQuality!, Metrics: { accuracy: { Value: '99' } } } };
    const again = await onEvent(event('Update', relabelled, first.PhysicalResourceId, FIRST), deps());
    expect(again.PhysicalResourceId).toBe(first.PhysicalResourceId);
    expect(data(again)).toMatchObject({ ModelPackageVersion: '1', Registered: 'existing' });
    expect(registry.callsOf('CreateModelPackage')).toHaveLength(1);
    expect(registry.callsOf('PutObject')).toHaveLength(1);
    // Looked up newest first, by the description's key, without a Describe per version.
    expect(registry.callsOf('ListModelPackages')[1]).toEqual({ ModelPackageGroupName: GROUP, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 100, NextToken: undefined });
    expect(registry.callsOf('DescribeModelPackage')).toEqual([]);
  });

  test('retrain → version 2; rollback (old properties again) → version 1 with nothing created; the found version\'s status is reported, never changed', async () => {
    const first = await onEvent(event('Create', FIRST), deps());
    const second = await onEvent(event('Update', SECOND, first.PhysicalResourceId, FIRST), deps());
    expect(data(second)).toMatchObject({ ModelPackageVersion: '2', Registered: 'new' });
    registry.approve(first.PhysicalResourceId, 'Rejected');
    registry.approve(second.PhysicalResourceId, 'Approved');
    const rollback = await onEvent(event('Update', FIRST, second.PhysicalResourceId, SECOND), deps());
    expect(rollback.PhysicalResourceId).toBe(first.PhysicalResourceId);
    expect(data(rollback)).toMatchObject({ ModelPackageVersion: '1', ApprovalStatus: 'Rejected', Registered: 'existing' });
    const forward = await onEvent(event('Update', { ...SECOND, InitialApprovalStatus: 'PendingManualApproval' }, rollback.PhysicalResourceId, FIRST), deps());
    expect(data(forward)).toMatchObject({ ModelPackageVersion: '2', ApprovalStatus: 'Approved', Registered: 'existing' });
    expect(registry.callsOf('CreateModelPackage')).toHaveLength(2);
    expect(registry.callsOf('UpdateModelPackage')).toEqual([]);
    expect(registry.versions.map((v) => v.status)).toEqual(['Rejected', 'Approved']);
  });

  test('a version of the same model registered twice (e.g. by hand): the newest is the one reused', async () => {
    const described = `by hand [registration ${registrationKey(FIRST)}]`;
    registry.seed(GROUP, { ModelPackageDescription: described });
    registry.seed(GROUP, { ModelPackageDescription: 'another model [registration 0123456789abcdef]' });
    registry.seed(GROUP, { ModelPackageDescription: described });
    const answer = await onEvent(event('Create', FIRST), deps());
    expect(data(answer)).toMatchObject({ ModelPackageVersion: '3', Registered: 'existing' });
  });

  test('the search pages through the 1,000 newest versions and stops there (logged): an older registration is not reused', async () => {
    registry.seed(GROUP, { ModelPackageDescription: `old [registration ${registrationKey(FIRST)}]` });
    for (let i = 0; i < 999; i++) registry.seed(GROUP, { ModelPackageDescription: `filler ${i}` });
    // 1,000 versions: the registration is the oldest, on the 10th page of the newest-first listing.
    expect(data(await onEvent(event('Create', FIRST), deps()))).toMatchObject({ ModelPackageVersion: '1', Registered: 'existing' });
    expect(registry.callsOf('ListModelPackages').map((c) => c.NextToken)).toEqual([undefined, ...Array.from({ length: 9 }, (_, i) => String((i + 1) * 100))]);
    registry.seed(GROUP, { ModelPackageDescription: 'one more' });
    const answer = await onEvent(event('Create', FIRST), deps());
    expect(data(answer)).toMatchObject({ ModelPackageVersion: '1002', Registered: 'new' });
    expect(logs.join('\n')).toContain('Looked at the 1000 newest versions of mnist-models');
  });
});

describe('the registration key', () => {
  const key = (change: Partial<ModelPackageVersionProperties>) => registrationKey({ ...FIRST, ...change });

  test('is the same for the same model, whatever the environment\'s key order, lineage, metrics, description or initial status', () => {
    const reordered = Object.fromEntries(Object.entries(FIRST.Environment).reverse());
    expect(Object.keys(reordered)).not.toEqual(Object.keys(FIRST.Environment));
    expect(key({ Environment: reordered, Lineage: {}, ModelQuality: undefined, Description: 'x', InitialApprovalStatus: 'Approved' })).toBe(key({}));
  });

  test.each<[string, Partial<ModelPackageVersionProperties>]>([
    ['the image', { ImageUri: `${FIRST.ImageUri}-2` }],
    ['the artifact', { ModelDataUrl: SECOND.ModelDataUrl }],
    ['an environment value', { Environment: { ...FIRST.Environment, SAGEMAKER_PROGRAM: 'other.py' } }],
    ['an environment variable more', { Environment: { ...FIRST.Environment, TS_MAX_BATCH: '4' } }],
    ['the content types', { ContentTypes: ['application/x-npy'] }],
    ['the response types', { ResponseTypes: ['text/csv'] }],
  ])('changes with %s', (_what, change) => {
    expect(key(change)).not.toBe(key({}));
  });
});

describe('Delete keeps the versions, unless the stack takes the group with it', () => {
  async function threeVersions(): Promise<string> {
    const first = await onEvent(event('Create', FIRST), deps());
    await onEvent(event('Update', SECOND, first.PhysicalResourceId, FIRST), deps());
    registry.approve(first.PhysicalResourceId, 'Approved');
    registry.seed('other-group');
    return first.PhysicalResourceId;
  }

  test('without DeleteVersionsWithStack: nothing deleted, the stack not even asked', async () => {
    const arn = await threeVersions();
    registry.stack = { status: 'DELETE_IN_PROGRESS' };
    expect(await onEvent(event('Delete', FIRST, arn), deps())).toEqual({ PhysicalResourceId: arn });
    expect(registry.versions).toHaveLength(3);
    expect(registry.callsOf('DescribeStacks')).toEqual([]);
  });

  test.each(['DELETE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'])('with it, in %s: every version of the group goes (all statuses, every page), no other group\'s', async (status) => {
    await threeVersions();
    for (let i = 0; i < 150; i++) registry.seed(GROUP, { ModelPackageDescription: `filler ${i}` });
    registry.stack = { status };
    const arn = registry.versions[0].arn;
    expect(await onEvent(event('Delete', { ...FIRST, DeleteVersionsWithStack: 'true' }, arn), deps())).toEqual({ PhysicalResourceId: arn });
    expect(registry.callsOf('DescribeStacks')).toEqual([{ StackName: STACK_ID }]);
    expect(registry.callsOf('DeleteModelPackage')).toHaveLength(152);
    expect(registry.versions.map((v) => v.group)).toEqual(['other-group']);
  });

  test.each([
    'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'CREATE_COMPLETE', 'DELETE_COMPLETE',
  ])('with it, in %s: nothing deleted', async (status) => {
    const arn = await threeVersions();
    registry.stack = { status };
    await onEvent(event('Delete', { ...FIRST, DeleteVersionsWithStack: 'true' }, arn), deps());
    expect(registry.callsOf('DeleteModelPackage')).toEqual([]);
    expect(registry.versions).toHaveLength(3);
    expect(logs.join('\n')).toContain(`is ${status}, not being deleted`);
  });

  test('with it, when the stack\'s status cannot be read (or there is no STACK_ID): nothing deleted, and the log says why', async () => {
    const arn = await threeVersions();
    registry.stack = { error: 'AccessDenied' };
    await onEvent(event('Delete', { ...FIRST, DeleteVersionsWithStack: 'true' }, arn), deps());
    expect(logs.join('\n')).toContain('could not be read (AccessDenied: AccessDenied (fake)): deleting no version');
    registry.stack = { status: 'DELETE_IN_PROGRESS' };
    await onEvent(event('Delete', { ...FIRST, DeleteVersionsWithStack: 'true' }, arn), deps({ stackId: undefined }));
    expect(logs.join('\n')).toContain('no STACK_ID');
    expect(registry.versions).toHaveLength(3);
    expect(registry.callsOf('DeleteModelPackage')).toEqual([]);
  });

  test('a Delete after a Create that failed on bad properties does not fail', async () => {
    expect(await onEvent(event('Delete', { ModelDataUrl: 'nope' }, 'failed-create'), deps())).toEqual({ PhysicalResourceId: 'failed-create' });
    expect(registry.calls).toEqual([]);
  });
});

describe('bad input fails before anything is written, naming the property and the fix', () => {
  test.each<[string, Record<string, unknown>, RegExp]>([
    ['a missing group name', { ModelPackageGroupName: undefined }, /property ModelPackageGroupName must name a model package group .* got nothing\. Fix: pass the ModelPackageGroup .* as the group prop/],
    ['a non-s3 artifact URL', { ModelDataUrl: 'https://example.com/model.tar.gz' }, /property ModelDataUrl must be an s3:\/\/bucket\/key URL .* got 'https:\/\/example.com\/model.tar.gz'\. Fix: set modelDataUrl/],
    ['an unknown approval status', { InitialApprovalStatus: 'Pending' }, /property InitialApprovalStatus must be one of PendingManualApproval, Approved, Rejected, got 'Pending'\. Fix: set initialApprovalStatus/],
    ['a metric that is no number', { ModelQuality: { ProblemType: 'p', Metrics: { accuracy: { Value: 'high' } } } }, /property ModelQuality.Metrics.accuracy.Value must be a number, got 'high'\. Fix: /],
    ['a lineage value SageMaker refuses', { Lineage: { SourceCommit: 'fix: (a, b)' } }, /property Lineage.SourceCommit is recorded as a CustomerMetadataProperties value, which may hold only letters, numbers, spaces and _ \. : \/ = \+ - @; got 'fix: \(a, b\)'\. Fix: /],
    ['a lineage value over 256 characters', { Lineage: { Note: 'x'.repeat(257) } }, /property Lineage.Note .* must be 1 to 256 characters long \(it has 257\)/],
    ['more metadata than SageMaker keeps', { Lineage: Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, 'v'])) }, /make 51 CustomerMetadataProperties, more than the 50/],
    ['a report prefix without its slash', { ReportS3Prefix: 's3://reports/model-quality' }, /property ReportS3Prefix must be an s3:\/\/bucket\/prefix\/ URL ending in '\/'.* Fix: set reportBucket and reportPrefix/],
    ['an environment variable name', { Environment: { 'BAD-NAME': 'x' } }, /property Environment must map variable names .* got 'BAD-NAME'/],
  ])('%s', async (_what, change, message) => {
    await expect(onEvent(event('Create', { ...FIRST, ...change }), deps())).rejects.toThrow(message);
    expect(registry.calls).toEqual([]);
  });

  test('48 lineage entries and 2 metrics is too many; 47 fit with the registration key', async () => {
    const lineage = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    await expect(onEvent(event('Create', { ...FIRST, Lineage: lineage(48) }), deps())).rejects.toThrow(/51 CustomerMetadataProperties/);
    await onEvent(event('Create', { ...FIRST, Lineage: lineage(47) }), deps());
    expect(Object.keys(registry.callsOf('CreateModelPackage')[0].CustomerMetadataProperties as object)).toHaveLength(50);
  });
});
