// S3PrefixCopy's template: least-privilege IAM (the named source objects, the destination prefix,
// ListBucket on the destination prefix so a HEAD of a missing copy is a 404, the source listed only
// when no key list is given, the bucket's KMS key for exactly what S3 needs), properties, cdk-nag.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { REVISION_SCHEME } from '../../lambda/s3-prefix-copy/handlers';
import { S3PrefixCopy, S3PrefixCopyProps } from '../../lib/training/s3-prefix-copy';
import { awsSolutionsFindings } from '../monitoring/nag-findings';

const KEYS = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'];

function synth(props: Partial<Omit<S3PrefixCopyProps, 'destination'>> = {}, encrypted = false) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'CopyStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const destination = encrypted
    ? new s3.Bucket(stack, 'Data', { encryptionKey: new kms.Key(stack, 'DataKey', { enableKeyRotation: true }) })
    : s3.Bucket.fromBucketName(stack, 'Data', 'mnist-data-bucket');
  const copy = new S3PrefixCopy(stack, 'Copy', {
    sourceBucketName: 'sagemaker-sample-files',
    sourcePrefix: 'datasets/image/MNIST/',
    keys: KEYS,
    destination,
    destinationPrefix: 'mnist/train/',
    ...props,
  });
  return { stack, copy, template: Template.fromStack(stack) };
}

function handlerStatements(template: Template): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('CopyHandlerRole'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const arn = (suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, suffix]] });

test('with a key list: GetObject on exactly those source objects; its copies and ListBucket scoped to the destination prefix', () => {
  const { template, stack, copy } = synth();
  const statements = handlerStatements(template);
  expect(statements.map((s) => s.Sid ?? s.Action)).toEqual([
    ['logs:CreateLogStream', 'logs:PutLogEvents'],
    'ReadSourceObjects',
    'WriteOwnCopies',
    'ListDestinationPrefix',
  ]);
  const read = statements.find((s) => s.Sid === 'ReadSourceObjects')!;
  expect(read.Action).toBe('s3:GetObject');
  expect(read.Resource).toEqual(KEYS.map((k) => arn(`:s3:::sagemaker-sample-files/datasets/image/MNIST/${k}`)));
  // The prefix, not the keys: copies of keys dropped from a later key list must stay deletable.
  const write = statements.find((s) => s.Sid === 'WriteOwnCopies')!;
  expect(write.Action).toEqual(['s3:GetObject', 's3:PutObject', 's3:DeleteObject']);
  expect(write.Resource).toEqual(arn(':s3:::mnist-data-bucket/mnist/train/*'));
  // HeadObject of a copy that does not exist yet answers 403 instead of 404 without ListBucket.
  expect(statements).toContainEqual({
    Sid: 'ListDestinationPrefix',
    Action: 's3:ListBucket',
    Effect: 'Allow',
    Resource: arn(':s3:::mnist-data-bucket'),
    Condition: { StringLike: { 's3:prefix': ['mnist/train/*'] } },
  });
  expect(JSON.stringify(statements)).not.toContain('sagemaker-sample-files"');
  expect(statements.filter((s) => s.Action === 's3:ListBucket')).toHaveLength(1);
  expect(JSON.stringify(statements)).not.toContain('"*"');
  template.hasResourceProperties('Custom::S3PrefixCopy', {
    SourceBucketName: 'sagemaker-sample-files',
    SourcePrefix: 'datasets/image/MNIST/',
    Keys: KEYS,
    DestinationBucketName: 'mnist-data-bucket',
    DestinationPrefix: 'mnist/train/',
    // A stack deployed before the Revision attribute existed gets an Update that returns it.
    RevisionScheme: REVISION_SCHEME,
  });
  expect(stack.resolve(copy.destinationS3Uri)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Copy/), 'DestinationS3Uri'] });
  expect(stack.resolve(copy.revision)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Copy/), 'Revision'] });
  template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Handler: 'index.handler', Timeout: 300 });
});

test('without a key list: prefix-scoped objects plus ListBucket limited to the two prefixes', () => {
  const statements = handlerStatements(synth({ keys: undefined }).template);
  expect(statements).toContainEqual({
    Sid: 'ListSourcePrefix',
    Action: 's3:ListBucket',
    Effect: 'Allow',
    Resource: arn(':s3:::sagemaker-sample-files'),
    Condition: { StringLike: { 's3:prefix': ['datasets/image/MNIST/*'] } },
  });
  expect(statements).toContainEqual({
    Sid: 'ListDestinationPrefix',
    Action: 's3:ListBucket',
    Effect: 'Allow',
    Resource: arn(':s3:::mnist-data-bucket'),
    Condition: { StringLike: { 's3:prefix': ['mnist/train/*'] } },
  });
  expect(statements.find((s) => s.Sid === 'WriteOwnCopies')!.Resource).toEqual(arn(':s3:::mnist-data-bucket/mnist/train/*'));
  expect(statements.find((s) => s.Sid === 'ReadSourceObjects')!.Resource).toEqual(arn(':s3:::sagemaker-sample-files/datasets/image/MNIST/*'));
});

test('a KMS-encrypted destination bucket: the handler may generate data keys and decrypt with that key, nothing more', () => {
  const statements = handlerStatements(synth({}, true).template);
  const kms = statements.filter((s) => JSON.stringify(s.Action).includes('kms:'));
  expect(kms).toEqual([
    expect.objectContaining({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] },
    }),
  ]);
});

test.each<[string, Partial<S3PrefixCopyProps>, RegExp]>([
  ['a prefix without a trailing slash', { destinationPrefix: 'mnist' }, /destinationPrefix 'mnist' must be '' or end with '\/'/],
  ['a prefix with a leading slash', { sourcePrefix: '/datasets/' }, /sourcePrefix '\/datasets\/' must be/],
  ['an empty key list', { keys: [] }, /keys is empty; leave it out to copy every object/],
  ['a key naming a folder', { keys: ['sub/'] }, /key 'sub\/' must name an object/],
])('%s is refused with a clear error', (_what, props, message) => {
  expect(() => synth(props)).toThrow(message);
});

test.each([
  ['with keys', { keys: KEYS }],
  ['without keys', { keys: undefined }],
])('cdk-nag AwsSolutions: no unacknowledged findings (%s)', (_what, props) => {
  const findings = awsSolutionsFindings((app) => {
    app.node.setContext('aws:cdk:bundling-stacks', []);
    const stack = new Stack(app, 'CopyStack', { env: { account: '123456789012', region: 'eu-west-1' } });
    new S3PrefixCopy(stack, 'Copy', {
      sourceBucketName: 'sagemaker-sample-files',
      sourcePrefix: 'datasets/image/MNIST/',
      destination: s3.Bucket.fromBucketName(stack, 'Data', 'mnist-data-bucket'),
      destinationPrefix: 'mnist/train/',
      ...props,
    });
  });
  expect(findings).toEqual([]);
});
