// The SageMaker execution role's KMS grants: exactly the calls SageMaker and S3 make with the role
// (no kms:ReEncrypt*, no GenerateDataKey* variants), each on the one key.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { grantOutputKey, grantVolumeKey } from '../../lib/common/key-grants';
import { grantReadPrefix, grantWritePrefix } from '../../lib/common/prefix-grants';
import { SageMakerExecutionRole } from '../../lib/training/execution-role';

function setup() {
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const bucket = new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, enforceSSL: true });
  const role = new SageMakerExecutionRole(stack, 'Execution');
  return { stack, key, bucket, role };
}

/** The role's KMS statements, with the key's logical id replaced by KEY. */
function kmsStatements(stack: Stack): unknown[] {
  const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
    .filter((s) => JSON.stringify(s.Action).includes('kms:'));
  return JSON.parse(JSON.stringify(statements).replace(/"Key[0-9A-F]{8}"/g, '"KEY"'));
}

const KEY_ARN = { 'Fn::GetAtt': ['KEY', 'Arn'] };

test('grantOutputKey + grantVolumeKey (training volumes and output, endpoint storage): Encrypt, GenerateDataKey, Decrypt, a grant for AWS resources, DescribeKey', () => {
  const { stack, key, role } = setup();
  grantOutputKey(key, role);
  grantVolumeKey(key, role);
  expect(kmsStatements(stack)).toEqual([
    { Action: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: KEY_ARN },
    { Action: 'kms:CreateGrant', Effect: 'Allow', Resource: KEY_ARN, Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
    { Action: 'kms:DescribeKey', Effect: 'Allow', Resource: KEY_ARN },
  ]);
});

test('grantWritePrefix on an SSE-KMS bucket: GenerateDataKey for the upload, Decrypt for multipart, nothing else', () => {
  const { stack, bucket, role } = setup();
  grantWritePrefix(bucket, 'mnist/output/', role);
  expect(kmsStatements(stack)).toEqual([{ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: KEY_ARN }]);
});

test('grantReadPrefix on an SSE-KMS bucket: Decrypt only', () => {
  const { stack, bucket, role } = setup();
  grantReadPrefix(bucket, 'mnist/data/', role);
  expect(kmsStatements(stack)).toEqual([{ Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN }]);
});

test('all together never grant ReEncrypt* or a GenerateDataKey* wildcard', () => {
  const { stack, key, bucket, role } = setup();
  grantOutputKey(key, role);
  grantVolumeKey(key, role);
  grantReadPrefix(bucket, 'mnist/data/', role);
  grantWritePrefix(bucket, 'mnist/output/', role);
  const actions = JSON.stringify(kmsStatements(stack));
  expect(actions).not.toContain('ReEncrypt');
  expect(actions).not.toContain('GenerateDataKey*');
  expect(actions).not.toContain('kms:*');
});
