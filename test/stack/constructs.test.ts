import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { Construct } from 'constructs';
import { PyTorchModel } from '../../lib/endpoints/pytorch-model';
import { hasInstanceStorage } from '../../lib/settings/instance-types';
import { RealtimeEndpoint } from '../../lib/endpoints/realtime-endpoint';
import { ServerlessEndpoint } from '../../lib/endpoints/serverless-endpoint';
import { EndpointSmokeTest, EndpointSmokeTestProps } from '../../lib/smoke-test/endpoint-smoke-test';
import { EndpointKind, IServingEndpoint } from '../../lib/endpoints/serving-endpoint';
import { ServingEndpointBase } from '../../lib/endpoints/serving-endpoint-base';
import { TrainingData } from '../../lib/training/training-data';
import { newApp, roleStatements, single } from './synth';

// The generic constructs on their own, as another model's stack would use them. CloudFormation's
// validation (slow) is asserted on the whole stack in default-stack and options tests.
const app = () => newApp({ validate: false });

function fixture() {
  const stack = new Stack(app(), 'S');
  const model = sagemaker.Model.fromModelName(stack, 'Imported', 'some-model');
  return { stack, model };
}

describe('ServerlessEndpoint validates its configuration at synth time', () => {
  test.each([
    [{ memorySizeInMb: 1500 }, /memorySizeInMb must be one of 1024, 2048, 3072, 4096, 5120, 6144, got 1500/],
    [{ memorySizeInMb: 8192 }, /memorySizeInMb must be one of/],
    [{ maxConcurrency: 0 }, /maxConcurrency must be a whole number from 1 to 200, got 0/],
    [{ maxConcurrency: 201 }, /from 1 to 200, got 201/],
    [{ maxConcurrency: 2, provisionedConcurrency: 3 }, /provisionedConcurrency must be a whole number from 1 to maxConcurrency \(2\), got 3/],
    [{ provisionedConcurrency: 0 }, /provisionedConcurrency must be a whole number from 1/],
  ])('%o', (props, message) => {
    const { stack, model } = fixture();
    expect(() => new ServerlessEndpoint(stack, 'E', { model, ...props })).toThrow(message);
  });

  test('defaults: 2048 MB, max concurrency 1', () => {
    const { stack, model } = fixture();
    new ServerlessEndpoint(stack, 'E', { model });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [{ ModelName: 'some-model', VariantName: 'AllTraffic', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 1 } }],
    });
  });
});

describe('RealtimeEndpoint', () => {
  test.each([
    [{ instanceCount: 0 }, /instanceCount must be a whole number ≥ 1, got 0/],
    [{ instanceCount: 3, maxInstanceCount: 2 }, /maxInstanceCount must be a whole number ≥ instanceCount \(3\), got 2/],
    [{ dataCapture: { samplingPercentage: 0, destinationS3Uri: 's3://b/p/' } }, /samplingPercentage must be a whole number from 1 to 100, got 0/],
    [{ dataCapture: { samplingPercentage: 101, destinationS3Uri: 's3://b/p/' } }, /got 101/],
  ])('rejects %o', (props, message) => {
    const { stack, model } = fixture();
    expect(() => new RealtimeEndpoint(stack, 'E', { model, instanceType: 'ml.m5.large', ...props })).toThrow(message);
  });

  test('no autoscaling when the maximum equals the count', () => {
    const { stack, model } = fixture();
    new RealtimeEndpoint(stack, 'E', { model, instanceType: 'ml.m5.large', instanceCount: 2, maxInstanceCount: 2 });
    Template.fromStack(stack).resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });
});

/** An endpoint with any name, even one an import would refuse: for the smoke test's own checks. */
function unchecked(scope: Construct, attrs: { endpointName: string; endpointArn: string; endpointConfigName?: string }): IServingEndpoint {
  class Unchecked extends ServingEndpointBase {
    public readonly endpointName = attrs.endpointName;
    public readonly endpointArn = attrs.endpointArn;
    public readonly physicalEndpointName = attrs.endpointName;
    public readonly variantName = 'AllTraffic';
    public readonly kind = EndpointKind.REALTIME;
    public readonly endpointConfigName = attrs.endpointConfigName;
  }
  return new Unchecked(scope, `Unchecked${attrs.endpointName}`);
}

describe('EndpointSmokeTest (generic: any endpoints by name and ARN)', () => {
  const arn = (name: string) => `arn:aws:sagemaker:eu-west-1:111122223333:endpoint/${name}`;
  /** Endpoints a and b (then c), imported by name and ARN; with `configs`, some with the configuration they serve. */
  const importEndpoints = (scope: Construct, configs: Record<string, string> = {}, names = ['a', 'b']) => names.map((name) =>
    ServingEndpointBase.fromEndpointAttributes(scope, `Imported${name}`, { endpointName: name, endpointArn: arn(name), endpointConfigName: configs[name] }));
  const endpointArns = [arn('a'), arn('b')];

  test('invoke rights on exactly the given endpoints; names and threshold in the environment', () => {
    const { stack } = fixture();
    new EndpointSmokeTest(stack, 'Smoke', { endpoints: importEndpoints(stack), minAccuracy: 0.8, runOnDeploy: false, revision: { MODEL_REVISION: 'abc' } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::Trigger', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x', Timeout: 600,
      Environment: { Variables: { ENDPOINT_NAMES: 'a,b', MIN_ACCURACY: '0.8', MODEL_REVISION: 'abc' } },
    });
    const [roleId] = single(template, 'AWS::IAM::Role', 'SmokeRole');
    // Each endpoint's grantInvoke, gathered into one named statement in the endpoints' order.
    expect(roleStatements(template, roleId).filter((st) => JSON.stringify(st.Action).includes('sagemaker:InvokeEndpoint'))).toEqual([{
      Sid: 'InvokeTestedEndpoints', Effect: 'Allow', Action: 'sagemaker:InvokeEndpoint', Resource: endpointArns,
    }]);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('STACK_ID is its own stack\'s id, and DescribeStacks is allowed on exactly that stack (the rollback question)', () => {
    const { stack } = fixture();
    new EndpointSmokeTest(stack, 'Smoke', { endpoints: importEndpoints(stack) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { ENDPOINT_NAMES: 'a,b', STACK_ID: { Ref: 'AWS::StackId' } } } });
    const [roleId] = single(template, 'AWS::IAM::Role', 'SmokeRole');
    expect(roleStatements(template, roleId).filter((s) => JSON.stringify(s.Action).includes('cloudformation:'))).toEqual([{
      Sid: 'ReadOwnStackStatus', Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' },
    }]);
  });

  test('endpoints with an endpointConfigName: ENDPOINT_CONFIGS pairs them, and DescribeEndpoint is allowed on exactly those', () => {
    const { stack } = fixture();
    const withConfigs = importEndpoints(stack, { a: 'a-config', c: 'c-config' }, ['a', 'b', 'c']);
    new EndpointSmokeTest(stack, 'Smoke', { endpoints: withConfigs, runOnDeploy: false });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { ENDPOINT_NAMES: 'a,b,c', ENDPOINT_CONFIGS: 'a=a-config,c=c-config' } } });
    const [roleId] = single(template, 'AWS::IAM::Role', 'SmokeRole');
    const statements = roleStatements(template, roleId);
    expect(statements.filter((s) => JSON.stringify(s.Action).includes('sagemaker:DescribeEndpoint'))).toEqual([{
      Sid: 'DescribeTestedEndpoints', Effect: 'Allow', Action: 'sagemaker:DescribeEndpoint',
      Resource: ['arn:aws:sagemaker:eu-west-1:111122223333:endpoint/a', 'arn:aws:sagemaker:eu-west-1:111122223333:endpoint/c'],
    }]);
  });

  test('without any endpointConfigName: no ENDPOINT_CONFIGS and no DescribeEndpoint right', () => {
    const { stack } = fixture();
    new EndpointSmokeTest(stack, 'Smoke', { endpoints: importEndpoints(stack), runOnDeploy: false });
    const template = Template.fromStack(stack);
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.ENDPOINT_NAMES === 'a,b')!;
    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('ENDPOINT_CONFIGS');
    const [roleId] = single(template, 'AWS::IAM::Role', 'SmokeRole');
    expect(JSON.stringify(roleStatements(template, roleId))).not.toContain('sagemaker:DescribeEndpoint');
  });

  test('no endpoints on purpose: the function stays, with the reason, no invoke rights and no run on deploy', () => {
    const { stack } = fixture();
    new EndpointSmokeTest(stack, 'Smoke', { endpoints: [], noEndpointsReason: ' all paused ', runOnDeploy: true });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::Trigger', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { ENDPOINT_NAMES: '', NO_ENDPOINTS_REASON: 'all paused', ENDPOINT_CONFIGS: Match.absent(), STACK_ID: Match.absent() } } });
    const [roleId] = single(template, 'AWS::IAM::Role', 'SmokeRole');
    expect(JSON.stringify(roleStatements(template, roleId))).not.toContain('sagemaker:');
    expect(JSON.stringify(roleStatements(template, roleId))).not.toContain('cloudformation:');
  });

  type Endpoint = { endpointName: string; endpointArn: string; endpointConfigName?: string };
  test.each<[Omit<Partial<EndpointSmokeTestProps>, 'endpoints'> & { endpoints?: Endpoint[] }, RegExp]>([
    [{ endpoints: [] }, /needs at least one endpoint, or noEndpointsReason/],
    [{ endpoints: [], noEndpointsReason: ' ' }, /needs at least one endpoint, or noEndpointsReason/],
    [{ noEndpointsReason: 'paused' }, /noEndpointsReason is only for an empty endpoints list/],
    [{ revision: { NO_ENDPOINTS_REASON: 'x' } }, /revision key 'NO_ENDPOINTS_REASON'/],
    [{ minAccuracy: 1.5 }, /minAccuracy must be a fraction from 0 to 1, got 1.5/],
    [{ revision: { ENDPOINT_NAMES: 'x' } }, /revision key 'ENDPOINT_NAMES'/],
    [{ revision: { 'model-name': 'x' } }, /UPPER_SNAKE/],
    [{ endpoints: [{ endpointName: 'a,b', endpointArn: 'arn' }] }, /cannot contain commas/],
    [{ revision: { ENDPOINT_CONFIGS: 'x' } }, /revision key 'ENDPOINT_CONFIGS'/],
    [{ revision: { STACK_ID: 'x' } }, /revision key 'STACK_ID'/],
    [{ endpoints: [{ endpointName: 'a=b', endpointArn: 'arn', endpointConfigName: 'c' }] }, /endpoint name 'a=b' cannot be empty or contain ',', '=' or spaces \(ENDPOINT_CONFIGS/],
    [{ endpoints: [{ endpointName: 'a', endpointArn: 'arn', endpointConfigName: 'c,d' }] }, /endpointConfigName 'c,d' cannot be empty or contain/],
    [{ endpoints: [{ endpointName: 'a', endpointArn: 'arn', endpointConfigName: '' }] }, /endpointConfigName '' cannot be empty/],
  ])('rejects %o', ({ endpoints, ...props }, message) => {
    const { stack } = fixture();
    const tested = endpoints ? endpoints.map((e) => unchecked(stack, e)) : importEndpoints(stack);
    expect(() => new EndpointSmokeTest(stack, 'Smoke', { endpoints: tested, ...props })).toThrow(message);
  });
});

describe('PyTorchModel', () => {
  test('reads exactly its artifact (not the bucket), with KMS decrypt on that bucket key only', () => {
    const stack = new Stack(app(), 'S');
    const bucket = new s3.Bucket(stack, 'B', { encryption: s3.BucketEncryption.KMS });
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    new PyTorchModel(stack, 'M', { role, imageUri: 'img:1', modelDataBucket: bucket, modelDataKey: 'out/job/output/model.tar.gz', entryPoint: 'inference.py' });
    const template = Template.fromStack(stack);
    const [bucketId] = single(template, 'AWS::S3::Bucket');
    const [keyId] = single(template, 'AWS::KMS::Key');
    const [, policy] = single(template, 'AWS::IAM::Policy', 'MArtifactRead');
    expect(policy.Properties!.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/out/job/output/model.tar.gz']] } },
        { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      ],
    });
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Image: 'img:1', Environment: Match.objectLike({ SAGEMAKER_PROGRAM: 'inference.py' }) },
    });
    template.resourceCountIs('AWS::IAM::Role', 1); // no role of the alpha's own (it would carry AmazonSageMakerFullAccess)
  });
});

test('TrainingData wants a prefix ending in /', () => {
  const stack = new Stack(app(), 'S');
  const bucket = new s3.Bucket(stack, 'B');
  expect(() => new TrainingData(stack, 'D', { source: { kind: 's3', s3Uri: 's3://x/y/' }, bucket, prefix: 'data' })).toThrow(/must end with '\/'/);
});

describe('RealtimeEndpoint volume key', () => {
  test.each([
    ['ml.m5.large', true],
    ['ml.c5.xlarge', true],
    ['ml.m5d.large', false],
    ['ml.c6id.large', false],
    ['ml.g4dn.xlarge', false],
    ['ml.g5.xlarge', false],
    ['ml.p4d.24xlarge', false],
    ['ml.p3.2xlarge', true],
  ])('%s: KmsKeyId set = %s (refused for instances with NVMe instance storage)', (instanceType, keySet) => {
    const { stack, model } = fixture();
    const key = new kms.Key(stack, 'K');
    new RealtimeEndpoint(stack, 'E', { model, instanceType, encryptionKey: key });
    const template = Template.fromStack(stack);
    const [, config] = single(template, 'AWS::SageMaker::EndpointConfig');
    const [keyId] = single(template, 'AWS::KMS::Key');
    expect(config.Properties!.KmsKeyId).toEqual(keySet ? { 'Fn::GetAtt': [keyId, 'Arn'] } : undefined);
    expect(hasInstanceStorage(instanceType)).toBe(!keySet);
  });
});
