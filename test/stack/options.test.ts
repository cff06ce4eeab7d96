import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MnistSettingsOverrides } from '../../lib/settings';
import { MnistSageMakerStack } from '../../lib/mnist/mnist-stack';
import { asArray, resources, roleStatements, single, synthMnist, validationFindings } from './synth';

const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });

let dataDir: string;
beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-local-data-'));
  fs.writeFileSync(path.join(dataDir, 'train-images-idx3-ubyte.gz'), 'not really gzip');
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('every option switched on (settings as -c passes them: strings)', () => {
  let template: Template;
  let stack: MnistSageMakerStack;
  let ids: Record<string, string>;
  beforeAll(() => {
    ({ template, stack } = synthMnist({
      context: {
        bucketEncryption: 'kms',
        destroyBucketOnDelete: 'true',
        dataSource: 'local',
        dataLocalPath: dataDir,
        spotTraining: 'true',
        trainingMaxRuntimeMinutes: '20',
        spotMaxWaitMinutes: '40',
        interContainerTrafficEncryption: 'true',
        networkIsolation: 'true',
        hyperparameters: '{"epochs":2,"lr":0.02}',
        minTestAccuracy: '0.57',
        realtimeInstanceCount: '2',
        realtimeMaxInstanceCount: '4',
        realtimeMaxRequestsPerSecond: '10',
        dataCapturePercent: '25',
        serverlessMemoryMb: '4096',
        serverlessMaxConcurrency: '5',
        serverlessProvisionedConcurrency: '2',
      },
    }));
    const id = (type: string, prefix: string) => single(template, type, prefix)[0];
    ids = {
      bucket: id('AWS::S3::Bucket', 'StorageBucket'),
      key: id('AWS::KMS::Key', 'StorageKey'),
      role: id('AWS::IAM::Role', 'ExecutionRole'),
      rtEndpoint: id('AWS::SageMaker::Endpoint', 'RealtimeEndpoint'),
      rtConfig: id('AWS::SageMaker::EndpointConfig', 'RealtimeEndpoint'),
      slConfig: id('AWS::SageMaker::EndpointConfig', 'ServerlessEndpoint'),
      training: id('Custom::SageMakerTrainingJob', 'Training'),
    };
  });

  test("CloudFormation's own validation finds nothing", () => {
    expect(validationFindings(stack)).toEqual([]);
  });

  test('KMS: a rotating key encrypts the bucket, training volumes and output, endpoint storage and captures', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: getAtt(ids.key, 'Arn') }, BucketKeyEnabled: true,
      }] },
    });
    template.hasResourceProperties('Custom::SageMakerTrainingJob', { VolumeKmsKeyId: getAtt(ids.key, 'Arn'), OutputKmsKeyId: getAtt(ids.key, 'Arn') });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: getAtt(ids.key, 'Arn'), DataCaptureConfig: Match.objectLike({ KmsKeyId: getAtt(ids.key, 'Arn') }) });
    const kms = roleStatements(template, ids.role).filter((s) => asArray(s.Action as string[]).some((a) => a.startsWith('kms:')));
    expect(kms.length).toBeGreaterThan(0);
    for (const statement of kms) expect(statement.Resource).toEqual(getAtt(ids.key, 'Arn'));
    // Only the calls made with the role: no re-encryption, no GenerateDataKey* variants.
    expect(JSON.stringify(kms)).not.toMatch(/ReEncrypt|GenerateDataKey\*/);
  });

  test('destroyBucketOnDelete: bucket, access logs and key are deleted with the stack, objects emptied first', () => {
    for (const [id, r] of Object.entries(resources(template))) {
      if (['AWS::S3::Bucket', 'AWS::KMS::Key'].includes(r.Type)) expect({ id, policy: r.DeletionPolicy }).toEqual({ id, policy: 'Delete' });
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    template.hasResourceProperties('AWS::KMS::Key', { PendingWindowInDays: 7 });
  });

  test('local data: the folder is uploaded into mnist/data-local/<content hash>/ and the job waits for the upload', () => {
    template.resourceCountIs('Custom::S3PrefixCopy', 0);
    const [uploadId, upload] = single(template, 'Custom::CDKBucketDeployment', 'TrainingData');
    // Content-addressed (test/training-data/data-revision.test.ts): changed data is a changed channel.
    const prefix = String(upload.Properties!.DestinationBucketKeyPrefix);
    expect(prefix).toMatch(/^mnist\/data-local\/[0-9a-f]{64}\/$/);
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: ids.bucket }, DestinationBucketKeyPrefix: prefix, Prune: false,
    });
    expect(asArray(resources(template)[ids.training].DependsOn)).toContain(uploadId);
    // The URI names the bucket through the upload's own attribute (bucket name out of its ARN),
    // which is what orders the job after it.
    const bucketNameOfArn = (arn: unknown) => ({ 'Fn::Select': [0, { 'Fn::Split': ['/', { 'Fn::Select': [5, { 'Fn::Split': [':', arn] }] }] }] });
    template.hasResourceProperties('Custom::SageMakerTrainingJob', {
      InputChannels: [{ Name: 'training', S3Uri: { 'Fn::Join': ['', ['s3://', bucketNameOfArn(getAtt(uploadId, 'DestinationBucketArn')), `/${prefix}`]] } }],
    });
    template.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketArn: getAtt(ids.bucket, 'Arn') });
  });

  test('spot training with checkpoints under mnist/checkpoints/ (which the role may read and write), network isolation, encrypted inter-container traffic', () => {
    template.hasResourceProperties('Custom::SageMakerTrainingJob', {
      MaxRuntimeInSeconds: 1200,
      Spot: { MaxWaitTimeInSeconds: 2400, CheckpointS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: ids.bucket }, '/mnist/checkpoints/']] } },
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      HyperParameters: { epochs: '2', lr: '0.02', backend: '"gloo"' },
      MinimumMetric: { Name: 'test:accuracy', Value: 57 }, // percent, without float noise
    });
    const resourcesOf = (action: string) => roleStatements(template, ids.role)
      .filter((s) => asArray(s.Action as string[]).includes(action)).flatMap((s) => asArray(s.Resource));
    const checkpoints = { 'Fn::Join': ['', [getAtt(ids.bucket, 'Arn'), '/mnist/checkpoints/*']] };
    expect(resourcesOf('s3:PutObject')).toContainEqual(checkpoints);
    expect(resourcesOf('s3:GetObject')).toContainEqual(checkpoints);
  });

  test('real-time autoscaling: target tracking on invocations per instance between 2 and 4', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 2,
      MaxCapacity: 4,
      ResourceId: { 'Fn::Join': ['', ['endpoint/', getAtt(ids.rtEndpoint, 'EndpointName'), '/variant/AllTraffic']] },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 10 * 60 * 0.5,
      },
    });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InitialInstanceCount: 2, InstanceType: 'ml.m5.large' })],
    });
  });

  test('data capture: 25 % of inputs and outputs into mnist/data-capture/, which the role may write', () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 25,
        DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: ids.bucket }, '/mnist/data-capture/']] },
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { JsonContentTypes: ['application/json'], CsvContentTypes: ['text/csv'] },
      },
    });
    const writes = roleStatements(template, ids.role).filter((s) => asArray(s.Action as string[]).includes('s3:PutObject')).flatMap((s) => asArray(s.Resource));
    expect(writes).toContainEqual({ 'Fn::Join': ['', [getAtt(ids.bucket, 'Arn'), '/mnist/data-capture/*']] });
    expect(resources(template)[ids.slConfig].Properties!.DataCaptureConfig).toBeUndefined();
  });

  test('serverless: memory, max and provisioned concurrency as set', () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 4096, MaxConcurrency: 5, ProvisionedConcurrency: 2 } })],
    });
  });
});

describe('data from an existing S3 prefix', () => {
  test('is read in place: no copy, read-only grant on that prefix only', () => {
    const { template, stack } = synthMnist({ settings: { dataSource: 's3', dataS3Uri: 's3://my-datasets/mnist/raw/' } });
    expect(validationFindings(stack)).toEqual([]);
    template.resourceCountIs('Custom::S3PrefixCopy', 0);
    template.resourceCountIs('Custom::CDKBucketDeployment', 0);
    template.hasResourceProperties('Custom::SageMakerTrainingJob', { InputChannels: [{ Name: 'training', S3Uri: 's3://my-datasets/mnist/raw/' }] });
    const [roleId] = single(template, 'AWS::IAM::Role', 'ExecutionRole');
    const statements = roleStatements(template, roleId);
    const external = statements.filter((s) => JSON.stringify(s.Resource).includes('my-datasets'));
    expect(external).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 's3:GetObject', Resource: expect.arrayContaining([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-datasets/mnist/raw/*']] }]) }),
      expect.objectContaining({
        Action: 's3:ListBucket',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-datasets']] },
        Condition: { StringLike: { 's3:prefix': ['mnist/raw/*'] } },
      }),
    ]));
    for (const s of external) expect(asArray(s.Action as string[]).every((a) => ['s3:GetObject', 's3:ListBucket'].includes(a))).toBe(true);
  });
});

describe('switches', () => {
  test('serverless only: no real-time resources; the smoke test covers just the serverless endpoint', () => {
    const { template, stack } = synthMnist({ context: { realtimeEndpoint: 'false' } });
    expect(validationFindings(stack)).toEqual([]);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    template.resourceCountIs('AWS::SageMaker::EndpointConfig', 1);
    const [sl] = single(template, 'AWS::SageMaker::Endpoint', 'ServerlessEndpoint');
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ENDPOINT_NAMES: getAtt(sl, 'EndpointName') }) } });
    expect(stack.realtimeEndpointName).toBeUndefined();
    expect(template.toJSON().Outputs.RealtimeEndpointName).toBeUndefined();
  });

  test('real-time only on a GPU instance: GPU image tags for inference; training stays on CPU', () => {
    const { template, stack } = synthMnist({ settings: { serverlessEndpoint: false, realtimeInstanceType: 'ml.g5.xlarge' } });
    expect(validationFindings(stack)).toEqual([]);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    template.hasResourceProperties('Custom::ModelPackageVersion', {
      ImageUri: { 'Fn::Join': ['', Match.arrayWith(['/pytorch-inference:2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker'])] },
    });
    template.hasResourceProperties('Custom::SageMakerTrainingJob', {
      TrainingImage: { 'Fn::Join': ['', Match.arrayWith(['/pytorch-training:2.7.1-cpu-py312-ubuntu22.04-sagemaker'])] },
    });
  });

  test('GPU training instance: GPU training tag; custom tags and a DLC account override are used as given', () => {
    const { template, stack } = synthMnist({ context: { trainingInstanceType: 'ml.g4dn.xlarge', trainingImageTagGpu: '2.8.0-gpu-py312-cu129-ubuntu22.04-sagemaker', dlcAccount: '111122223333' } });
    expect(validationFindings(stack)).toEqual([]);
    template.hasResourceProperties('Custom::SageMakerTrainingJob', {
      TrainingImage: { 'Fn::Join': ['', ['111122223333.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/pytorch-training:2.8.0-gpu-py312-cu129-ubuntu22.04-sagemaker']] },
    });
    expect(template.toJSON().Mappings?.DlcRepositoryAccounts).toBeUndefined();
  });

  test('KMS with a GPU (NVMe) training instance: no volume key (SageMaker refuses it there), output still encrypted', () => {
    const { template, stack } = synthMnist({ settings: { bucketEncryption: 'kms', trainingInstanceType: 'ml.g4dn.xlarge' } });
    expect(validationFindings(stack)).toEqual([]);
    const [, job] = single(template, 'Custom::SageMakerTrainingJob');
    const [keyId] = single(template, 'AWS::KMS::Key', 'StorageKey');
    expect(job.Properties!.VolumeKmsKeyId).toBeUndefined();
    expect(job.Properties!.OutputKmsKeyId).toEqual(getAtt(keyId, 'Arn'));
  });

  test('smokeTestOnDeploy=false: the function stays (for the pipeline and by hand), the trigger goes', () => {
    const { template, stack } = synthMnist({ context: { smokeTestOnDeploy: 'false' } });
    expect(validationFindings(stack)).toEqual([]);
    template.resourceCountIs('Custom::Trigger', 0);
    const [functionId] = single(template, 'AWS::Lambda::Function', 'SmokeTestFunction');
    expect(template.toJSON().Outputs.SmokeTestFunctionName.Value).toEqual({ Ref: functionId });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Environment: { Variables: Match.objectLike({ MIN_ACCURACY: '0.9' }) } });
  });

  test('a retrained or re-imaged model gets a new smoke-test version (so the trigger runs again); the same inputs keep it', () => {
    const versionOf = (template: Template) => single(template, 'AWS::Lambda::Version', 'SmokeTestFunctionCurrentVersion')[0];
    // Version ids are the point here, not CloudFormation's validation (asserted above, and slow).
    const version = (settings?: MnistSettingsOverrides) => versionOf(synthMnist({ settings, validate: false }).template);
    const base = version();
    expect(version()).toBe(base);
    expect(version({ hyperparameters: { epochs: 2 } })).not.toBe(base);
    expect(version({ inferenceImageTag: '2.5.1-cpu-py311-ubuntu22.04-sagemaker' })).not.toBe(base);
  });

  test('a bad setting fails synth naming the setting', () => {
    expect(() => synthMnist({ context: { serverlessMemoryMb: '3000' } })).toThrow(/serverlessMemoryMb=3000: expected one of 1024, 2048/);
  });

  test('modelApprovalStatus sets the status a new version starts with; a version is never registered Rejected', () => {
    const { template } = synthMnist({ context: { modelApprovalStatus: 'Approved' }, validate: false });
    template.hasResourceProperties('Custom::ModelPackageVersion', { InitialApprovalStatus: 'Approved' });
    expect(() => synthMnist({ context: { modelApprovalStatus: 'Rejected' }, validate: false })).toThrow(/modelApprovalStatus=Rejected: expected one of PendingManualApproval, Approved/);
  });
});
