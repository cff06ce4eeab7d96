// Each grant the training side makes: the resource grants, the grantee is any iam.IGrantable (the
// SageMakerExecutionRole itself, a plain iam.Role, a Lambda function), and the iam.Grant returned
// holds exactly the statements added to the grantee's policy.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { grantStatements } from '../../lib/common/grant-statements';
import { grantOutputKey, grantVolumeKey } from '../../lib/common/key-grants';
import { grantReadS3Uri, grantWritePrefix } from '../../lib/common/prefix-grants';
import { SecureBucket } from '../../lib/common/secure-bucket';
import { DlcImage } from '../../lib/training/dlc-image';
import { SageMakerExecutionRole } from '../../lib/training/execution-role';
import { grantSourceBundleRead, sourceBundleAsset } from '../../lib/training/source-bundle';
import { TrainingData } from '../../lib/training/training-data';
import { newApp } from '../stack/synth';

function setup(encryption: 'kms' | 's3-managed' = 'kms') {
  const stack = new Stack(newApp({ validate: false }), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  const storage = new SecureBucket(stack, 'Storage', { encryption });
  const role = new SageMakerExecutionRole(stack, 'Execution');
  return { stack, storage, bucket: storage.bucket, key: storage.encryptionKey, role };
}

/** The statements of the role's default policy, as synthesized, logical ids of the bucket and key replaced. */
function roleStatements(stack: Stack, role: SageMakerExecutionRole): unknown[] {
  const policyId = stack.getLogicalId(role.role.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy);
  const statements = Template.fromStack(stack).toJSON().Resources[policyId].Properties.PolicyDocument.Statement as unknown[];
  return normalize(statements).filter((s) => !/"Sid":"(WriteSageMakerLogs|PublishSageMakerMetrics)"/.test(JSON.stringify(s)));
}

/** A grant's principal statements, resolved, with the same replacements. */
function grantStatementsOf(stack: Stack, grant: iam.Grant): Array<Record<string, unknown>> {
  return normalize(grant.principalStatements.map((s) => stack.resolve(s.toStatementJson())));
}

function normalize(value: unknown[]): Array<Record<string, unknown>> {
  return JSON.parse(JSON.stringify(value).replace(/"StorageBucket[0-9A-F]{8}"/g, '"BUCKET"').replace(/"StorageKey[0-9A-F]{8}"/g, '"KEY"'));
}

const BUCKET_ARN = { 'Fn::GetAtt': ['BUCKET', 'Arn'] };
const KEY_ARN = { 'Fn::GetAtt': ['KEY', 'Arn'] };
const objects = (prefix: string) => ({ 'Fn::Join': ['', [BUCKET_ARN, `/${prefix}*`]] });

test('SageMakerExecutionRole is iam.IGrantable: its principal is the role, so grants land in the role\'s policy', () => {
  const { role } = setup();
  expect(role.grantPrincipal).toBe(role.role);
  const grantable: iam.IGrantable = role;
  expect(grantable.grantPrincipal).toBe(role.role);
});

test('grantWritePrefix (bucket side): PutObject/AbortMultipartUpload on the prefix, GenerateDataKey/Decrypt on the key; the Grant holds both', () => {
  const { stack, storage, role } = setup();
  const grant = storage.grantWritePrefix(role, 'mnist/output/');
  expect(grant.success).toBe(true);
  const expected = [
    { Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Effect: 'Allow', Resource: objects('mnist/output/') },
    { Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: KEY_ARN },
  ];
  expect(grantStatementsOf(stack, grant)).toEqual(expected);
  expect(roleStatements(stack, role)).toEqual([
    { Action: ['s3:AbortMultipartUpload', 's3:PutObject'], Effect: 'Allow', Resource: objects('mnist/output/') },
    { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: KEY_ARN },
  ]);
});

test('grantWritePrefix on an S3-managed bucket: no KMS statement', () => {
  const { stack, bucket, role } = setup('s3-managed');
  const grant = grantWritePrefix(bucket, 'mnist/checkpoints/', role);
  expect(grantStatementsOf(stack, grant)).toEqual([
    { Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Effect: 'Allow', Resource: objects('mnist/checkpoints/') },
  ]);
});

test('grantReadPrefix: GetObject under the prefix, ListBucket for that prefix only, Decrypt on the key', () => {
  const { stack, storage, role } = setup();
  const grant = storage.grantReadPrefix(role, 'mnist/data/');
  expect(grantStatementsOf(stack, grant)).toEqual([
    { Action: 's3:GetObject', Effect: 'Allow', Resource: objects('mnist/data/') },
    { Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['mnist/data/*'] } }, Effect: 'Allow', Resource: BUCKET_ARN },
    { Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN },
  ]);
});

test('grantReadS3Uri: a prefix of a bucket this app does not own, by ARN', () => {
  const { stack, role } = setup();
  const grant = grantReadS3Uri('s3://their-bucket/mnist/v2/', role, stack);
  expect(grantStatementsOf(stack, grant)).toEqual([
    // The stack's region is concrete (eu-west-1), so its partition is too.
    { Action: 's3:GetObject', Effect: 'Allow', Resource: 'arn:aws:s3:::their-bucket/mnist/v2/*' },
    { Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['mnist/v2/*'] } }, Effect: 'Allow', Resource: 'arn:aws:s3:::their-bucket' },
  ]);
});

test('grantVolumeKey: CreateGrant for AWS resources only, DescribeKey on its own; Sids where asked (a handler\'s role)', () => {
  const { stack, key, role } = setup();
  const plain = grantVolumeKey(key!, role);
  expect(grantStatementsOf(stack, plain)).toEqual([
    { Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } }, Effect: 'Allow', Resource: KEY_ARN },
    { Action: 'kms:DescribeKey', Effect: 'Allow', Resource: KEY_ARN },
  ]);
  const handlerRole = new iam.Role(stack, 'Handler', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const named = grantVolumeKey(key!, handlerRole, { sids: { createGrant: 'GrantVolumeKeyToSageMaker', describeKey: 'DescribeVolumeKey' } });
  expect(grantStatementsOf(stack, named).map((s) => s.Sid)).toEqual(['GrantVolumeKeyToSageMaker', 'DescribeVolumeKey']);
});

test('grantOutputKey: Encrypt, GenerateDataKey, Decrypt on the one key', () => {
  const { stack, key, role } = setup();
  expect(grantStatementsOf(stack, grantOutputKey(key!, role))).toEqual([
    { Action: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: KEY_ARN },
  ]);
});

test('TrainingData.grantRead takes any IGrantable: a bucket channel reads its own prefix; an s3 source with a key gets DecryptTrainingData', () => {
  const { stack, bucket, role } = setup();
  const local = new TrainingData(stack, 'Copied', {
    source: { kind: 'copy', sourceBucketName: 'public-mirror', sourcePrefix: 'mnist/' }, bucket, prefix: 'mnist/data/',
  });
  expect(grantStatementsOf(stack, local.grantRead(role)).map((s) => s.Action)).toEqual(['s3:GetObject', 's3:ListBucket', 'kms:Decrypt']);

  const plainRole = new iam.Role(stack, 'Plain', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  const theirs = new TrainingData(stack, 'Theirs', {
    source: { kind: 's3', s3Uri: 's3://their-bucket/mnist/', kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abc' }, bucket, prefix: 'theirs/',
  });
  const grant = theirs.grantRead(plainRole);
  expect(grantStatementsOf(stack, grant).at(-1)).toEqual({
    Action: 'kms:Decrypt', Effect: 'Allow', Resource: 'arn:aws:kms:eu-west-1:111122223333:key/abc', Sid: 'DecryptTrainingData',
  });
  expect(grantStatementsOf(stack, grant)).toHaveLength(3);
});

test('DlcImage.grantPull: the two named pull statements, as one Grant', () => {
  const { stack, role } = setup();
  const image = new DlcImage(stack, { repositoryName: 'pytorch-training', tag: 't' });
  const grant = DlcImage.grantPull(role, [image]);
  expect(grantStatementsOf(stack, grant).map((s) => s.Sid)).toEqual(['PullDeepLearningContainerImages', 'GetEcrAuthorizationToken']);
  expect(grantStatementsOf(stack, grant)).toEqual(DlcImage.pullStatements([image]).map((s) => stack.resolve(s.toStatementJson())));
});

test('grantSourceBundleRead: GetObject on the one asset object; as an input channel also ListBucket on its key', () => {
  const { stack, role } = setup();
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-grant-'));
  try {
    fs.writeFileSync(path.join(folder, 'train.py'), 'print(1)\n');
    const asset = sourceBundleAsset(stack, 'Code', { sourceDirectory: folder });
    expect(grantStatementsOf(stack, grantSourceBundleRead(asset, role)).map((s) => s.Action)).toEqual(['s3:GetObject']);
    const channel = grantStatementsOf(stack, grantSourceBundleRead(asset, role, { asInputChannel: true }));
    expect(channel.map((s) => s.Action)).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(channel[1].Condition).toEqual({ StringLike: { 's3:prefix': [`${asset.assetHash}.gz`] } });
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test('grantStatements keeps each Sid and refuses an empty list', () => {
  const { stack, role } = setup();
  const grant = grantStatements(role, [new iam.PolicyStatement({ sid: 'Named', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/k'] })]);
  expect(grantStatementsOf(stack, grant)).toEqual([{ Action: 's3:GetObject', Effect: 'Allow', Resource: 'arn:aws:s3:::b/k', Sid: 'Named' }]);
  expect(() => grantStatements(role, [])).toThrow(/no statement to grant/);
});
