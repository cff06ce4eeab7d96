// ModelPackageVersion's template: the custom resource's properties, its order against the group,
// the handler's least-privilege IAM (exact statements), and the props it refuses.
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { ModelPackageVersion, ModelPackageVersionProps } from '../../lib/registry/model-package-version';

const IMAGE = '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.5-cpu-py311';

function synth(props: Partial<ModelPackageVersionProps> = {}, options: { groupRemoval?: RemovalPolicy; importedGroup?: boolean; encryptedBucket?: boolean } = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Registry', { env: { account: '123456789012', region: 'eu-west-1' } });
  const group = options.importedGroup
    ? ModelPackageGroup.fromModelPackageGroupAttributes(stack, 'Group', { modelPackageGroupName: 'mnist-models' })
    : new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'mnist-models', removalPolicy: options.groupRemoval });
  const reportBucket = options.encryptedBucket
    ? new s3.Bucket(stack, 'Reports', { encryptionKey: new kms.Key(stack, 'BucketKey', { enableKeyRotation: true }) })
    : s3.Bucket.fromBucketName(stack, 'Reports', 'report-bucket');
  const version = new ModelPackageVersion(stack, 'Version', {
    group,
    imageUri: IMAGE,
    modelDataUrl: 's3://artifacts/job-1/output/model.tar.gz',
    environment: { SAGEMAKER_PROGRAM: 'mnist.py' },
    reportBucket,
    reportPrefix: 'model-quality/',
    ...props,
  });
  return { app, stack, group, version, template: () => Template.fromStack(stack) };
}

function handlerStatements(template: Template): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('VersionHandlerRole'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const arn = (suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, suffix]] });
const VERSIONS = arn(':sagemaker:eu-west-1:123456789012:model-package/mnist-models/*');
const LOGS = { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^VersionLogs/), 'Arn'] } };
const REGISTER = [
  LOGS,
  // What the handler calls, no more (test/cloud/permissions.test.ts: each statement is needed).
  { Action: ['sagemaker:ListModelPackages', 'sagemaker:CreateModelPackage'], Effect: 'Allow', Resource: VERSIONS },
  { Sid: 'WriteQualityReports', Action: 's3:PutObject', Effect: 'Allow', Resource: arn(':s3:::report-bucket/model-quality/*/model-quality.json') },
];

test('properties as the handler reads them, with the documented defaults', () => {
  const template = synth({ lineage: { TrainingJobName: 'job-1' }, description: 'MNIST CNN' }).template();
  const [resource] = Object.values(template.findResources('Custom::ModelPackageVersion'));
  expect(resource.Properties).toEqual({
    ServiceToken: expect.anything(),
    ServiceTimeout: '600',
    ModelPackageGroupName: 'mnist-models',
    ImageUri: IMAGE,
    ModelDataUrl: 's3://artifacts/job-1/output/model.tar.gz',
    Environment: { SAGEMAKER_PROGRAM: 'mnist.py' },
    ContentTypes: ['application/json'],
    ResponseTypes: ['application/json'],
    InitialApprovalStatus: 'PendingManualApproval',
    Lineage: { TrainingJobName: 'job-1' },
    ReportS3Prefix: 's3://report-bucket/model-quality/',
    Description: 'MNIST CNN',
  });
});

test('model quality: each metric\'s value and scale (as text), the problem type; attributes are the handler\'s Data', () => {
  const { template: synthesized, stack, version } = synth({
    modelQuality: { problemType: 'multiclass_classification_metrics', metrics: { accuracy: { value: '98.5', scale: 0.01 }, loss: { value: '0.05' } } },
    initialApprovalStatus: 'Approved',
  });
  const template = synthesized();
  template.hasResourceProperties('Custom::ModelPackageVersion', {
    InitialApprovalStatus: 'Approved',
    ModelQuality: { ProblemType: 'multiclass_classification_metrics', Metrics: { accuracy: { Value: '98.5', Scale: '0.01' }, loss: { Value: '0.05' } } },
  });
  const id = Object.keys(template.findResources('Custom::ModelPackageVersion'))[0];
  expect(stack.resolve(version.modelPackageArn)).toEqual({ 'Fn::GetAtt': [id, 'ModelPackageArn'] });
  expect(stack.resolve(version.modelPackageVersion)).toEqual({ 'Fn::GetAtt': [id, 'ModelPackageVersion'] });
  expect(stack.resolve(version.approvalStatus)).toEqual({ 'Fn::GetAtt': [id, 'ApprovalStatus'] });
});

test('the version depends on the group: created after it, deleted before it', () => {
  const template = synth().template();
  const [resource] = Object.values(template.findResources('Custom::ModelPackageVersion'));
  expect(resource.DependsOn).toContain('GroupC77FDACD');
});

test('IAM: read and register this group\'s versions, write model-quality.json under the prefix; no delete, no stack read, no key', () => {
  const template = synth().template();
  expect(handlerStatements(template)).toEqual(REGISTER);
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => JSON.stringify(f.Properties.Role).includes('VersionHandlerRole'))!;
  expect(fn.Properties.Environment).toBeUndefined();
});

test('IAM with a report key: kms:GenerateDataKey on that key only, and its ARN for the handler', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Registry', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'ReportKey', { enableKeyRotation: true });
  new ModelPackageVersion(stack, 'Version', {
    group: new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'mnist-models' }),
    imageUri: IMAGE, modelDataUrl: 's3://artifacts/m.tar.gz', environment: {},
    reportBucket: s3.Bucket.fromBucketName(stack, 'Reports', 'report-bucket'), reportPrefix: 'model-quality/', reportKmsKey: key,
  });
  const template = Template.fromStack(stack);
  expect(handlerStatements(template)).toEqual([...REGISTER, { Action: 'kms:GenerateDataKey', Effect: 'Allow', Resource: { 'Fn::GetAtt': ['ReportKey59FCFF66', 'Arn'] } }]);
  template.hasResourceProperties('Custom::ModelPackageVersion', { ReportKmsKeyId: { 'Fn::GetAtt': ['ReportKey59FCFF66', 'Arn'] } });
});

test('IAM with an SSE-KMS report bucket and no key of its own: kms:GenerateDataKey on the bucket\'s key; the handler leaves encryption to the bucket', () => {
  const template = synth({}, { encryptedBucket: true }).template();
  const statements = handlerStatements(template);
  expect(statements).toContainEqual({ Action: 'kms:GenerateDataKey', Effect: 'Allow', Resource: { 'Fn::GetAtt': ['BucketKey7092080A', 'Arn'] } });
  expect(statements.filter((s) => JSON.stringify(s.Action).includes('kms:'))).toHaveLength(1);
  const [resource] = Object.values(template.findResources('Custom::ModelPackageVersion'));
  expect(resource.Properties.ReportKmsKeyId).toBeUndefined();
});

test('deleteVersionsWithStack: DeleteModelPackage on the group\'s versions and DescribeStacks on this stack only, the stack id in STACK_ID', () => {
  const template = synth({ deleteVersionsWithStack: true }, { groupRemoval: RemovalPolicy.DESTROY }).template();
  expect(handlerStatements(template)).toEqual([
    ...REGISTER,
    { Sid: 'DeleteGroupVersions', Action: 'sagemaker:DeleteModelPackage', Effect: 'Allow', Resource: VERSIONS },
    { Sid: 'ReadOwnStackStatus', Action: 'cloudformation:DescribeStacks', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } },
  ]);
  template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { STACK_ID: { Ref: 'AWS::StackId' } } } });
  template.hasResourceProperties('Custom::ModelPackageVersion', { DeleteVersionsWithStack: 'true' });
});

test('deleteVersionsWithStack refuses a group the stack keeps (checked at synthesis, after any later removal-policy change) or one it does not own', () => {
  const kept = synth({ deleteVersionsWithStack: true }, { groupRemoval: RemovalPolicy.RETAIN });
  expect(() => kept.app.synth()).toThrow(/Registry\/Version: deleteVersionsWithStack deletes every version of Registry\/Group, which the stack keeps .* Set the group's removalPolicy to RemovalPolicy.DESTROY/);
  const changed = synth({ deleteVersionsWithStack: true }, { groupRemoval: RemovalPolicy.RETAIN });
  (changed.group as ModelPackageGroup).resource.applyRemovalPolicy(RemovalPolicy.DESTROY);
  expect(() => changed.app.synth()).not.toThrow();
  expect(() => synth({ deleteVersionsWithStack: true }, { importedGroup: true })).toThrow(/deleteVersionsWithStack may only delete the versions of a ModelPackageGroup of this stack/);
});

test.each<[string, Partial<ModelPackageVersionProps>, RegExp]>([
  ['a report prefix without its slash', { reportPrefix: 'model-quality' }, /Registry\/Version: reportPrefix must be '' or a key prefix ending in '\/'/],
  ['an artifact that is no s3 URL', { modelDataUrl: 'https://example.com/model.tar.gz' }, /modelDataUrl must be an s3:\/\/bucket\/key URL/],
  ['a lineage key SageMaker refuses', { lineage: { 'commit (sha)': 'abc' } }, /lineage\['commit \(sha\)'\] key may hold only letters, numbers, spaces and/],
  ['a lineage value SageMaker refuses', { lineage: { SourceCommit: 'a,b' } }, /lineage\['SourceCommit'\] value may hold only/],
  ['the reserved RegistrationKey', { lineage: { RegistrationKey: 'x' } }, /lineage\['RegistrationKey'\] key is the key the registration key is recorded under/],
  ['a description too long for the key beside it', { description: 'x'.repeat(1000) }, /description must be at most 992 characters/],
])('refuses %s', (_what, props, message) => {
  expect(() => synth(props)).toThrow(message);
});
