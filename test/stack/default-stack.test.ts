import * as fs from 'fs';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MnistSageMakerStack } from '../../lib/mnist/mnist-stack';
import {
  allDependencies, asArray, directDependencies, newApp, policyStatements, resources, roleStatements, single,
} from './synth';

// One synthesis for the whole file, with the Lambda handlers really bundled by esbuild (no Docker).
let stack: MnistSageMakerStack;
let template: Template;
let assemblyDir: string;
let ids: Record<'bucket' | 'logs' | 'role' | 'training' | 'copy' | 'model' | 'group' | 'version' | 'rtConfig' | 'rtEndpoint' | 'slConfig' | 'slEndpoint' | 'smokeFn' | 'smokeRole' | 'trigger', string>;

beforeAll(() => {
  const app = newApp({ bundle: true });
  stack = new MnistSageMakerStack(app, 'Mnist');
  template = Template.fromStack(stack);
  assemblyDir = app.synth().directory;
  const id = (type: string, prefix: string) => single(template, type, prefix)[0];
  ids = {
    bucket: id('AWS::S3::Bucket', 'StorageBucket'),
    logs: id('AWS::S3::Bucket', 'StorageAccessLogs'),
    role: id('AWS::IAM::Role', 'ExecutionRole'),
    training: id('Custom::SageMakerTrainingJob', 'Training'),
    copy: id('Custom::S3PrefixCopy', 'TrainingData'),
    model: id('AWS::SageMaker::Model', 'Model'),
    group: id('AWS::SageMaker::ModelPackageGroup', 'ModelRegistry'),
    version: id('Custom::ModelPackageVersion', 'ModelVersion'),
    rtConfig: id('AWS::SageMaker::EndpointConfig', 'RealtimeEndpoint'),
    rtEndpoint: id('AWS::SageMaker::Endpoint', 'RealtimeEndpoint'),
    slConfig: id('AWS::SageMaker::EndpointConfig', 'ServerlessEndpoint'),
    slEndpoint: id('AWS::SageMaker::Endpoint', 'ServerlessEndpoint'),
    smokeFn: id('AWS::Lambda::Function', 'SmokeTestFunction'),
    smokeRole: id('AWS::IAM::Role', 'SmokeTestRole'),
    trigger: id('Custom::Trigger', 'SmokeTest'),
  };
});

const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });
const imageUri = (repository: string, tag: string) => ({
  'Fn::Join': ['', [
    { 'Fn::FindInMap': ['DlcRepositoryAccounts', { Ref: 'AWS::Region' }, 'account'] },
    '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, `/${repository}:${tag}`,
  ]],
});
const objectsUnder = (bucketId: string, prefix: string) => ({ 'Fn::Join': ['', [getAtt(bucketId, 'Arn'), `/${prefix}`]] });

describe('region-agnostic template', () => {
  test('no concrete account or region: the stack deploys wherever the CLI points', () => {
    expect(stack.resolve(stack.region)).toEqual({ Ref: 'AWS::Region' });
    expect(stack.resolve(stack.account)).toEqual({ Ref: 'AWS::AccountId' });
  });

  test("CloudFormation's own validation (run by cdk synth) reports nothing", () => {
    const report = JSON.parse(fs.readFileSync(path.join(assemblyDir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  test("each of the project's Lambda handlers is bundled by esbuild into one index.js (no Docker)", () => {
    const bundled = Object.entries(resources(template))
      // (the Provider framework's and the trigger's own functions, prebuilt in aws-cdk-lib, have other handlers)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties!.Handler === 'index.handler')
      .filter(([, r]) => {
        const key = (r.Properties!.Code as { S3Key?: string }).S3Key;
        const dir = path.join(assemblyDir, `asset.${String(key).replace(/\.zip$/, '')}`);
        return fs.existsSync(path.join(dir, 'index.js')) && !fs.existsSync(path.join(dir, 'index.ts'));
      })
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
      .sort();
    expect(bundled).toEqual(['ModelVersionHandler', 'QuotaCheckHandler', 'SmokeTestFunction', 'TrainingDataCopyHandler', 'TrainingIsComplete', 'TrainingOnEvent']);
  });
});

describe('bucket', () => {
  test('encrypted, versioned, public access blocked, access-logged', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: { Ref: ids.logs }, LogFilePrefix: 'access-logs/' },
    });
  });

  test('TLS only: the bucket policy denies requests without aws:SecureTransport', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.bucket },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      })]) },
    });
  });

  test('kept on stack deletion by default (with its access logs), and nothing auto-deletes objects', () => {
    expect(resources(template)[ids.bucket].DeletionPolicy).toBe('Retain');
    expect(resources(template)[ids.logs].DeletionPolicy).toBe('Retain');
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});

describe('execution role', () => {
  test('trusted by SageMaker only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } }] },
    });
    const role = resources(template)[ids.role];
    expect(JSON.stringify(role.Properties!.AssumeRolePolicyDocument)).not.toContain('lambda');
  });

  test('no *FullAccess anywhere; the only managed policy is the logs-only one of CDK\'s trigger provider', () => {
    const managed = Object.entries(resources(template))
      .filter(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties!.ManagedPolicyArns !== undefined)
      .map(([id, r]) => `${id}: ${JSON.stringify(r.Properties!.ManagedPolicyArns)}`);
    expect(managed).toEqual([
      'AWSCDKTriggerCustomResourceProviderCustomResourceProviderRoleE18FAF0A: [{"Fn::Sub":"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}]',
    ]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/FullAccess/);
  });

  test('exactly these permissions: logs, metrics, image pulls, data read, output write, code read', () => {
    const statements = roleStatements(template, ids.role);
    const withAction = (action: string) => statements.filter((s) => asArray(s.Action as string | string[]).includes(action));

    expect(withAction('logs:PutLogEvents')).toEqual([expect.objectContaining({
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:/aws/sagemaker/*']] },
    })]);
    expect(withAction('cloudwatch:PutMetricData')).toEqual([expect.objectContaining({
      Resource: '*', Condition: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*'] } },
    })]);

    const pull = withAction('ecr:BatchGetImage');
    expect(pull).toHaveLength(1);
    expect(asArray(pull[0].Action as string[]).sort()).toEqual(['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']);
    const repositories = JSON.stringify(pull[0].Resource);
    expect(repositories).toContain(':repository/pytorch-training');
    expect(repositories).toContain(':repository/pytorch-inference');
    expect(repositories).toContain('"Fn::FindInMap":["DlcRepositoryAccounts"');
    expect(withAction('ecr:GetAuthorizationToken')).toEqual([expect.objectContaining({ Resource: '*' })]);

    expect(withAction('s3:PutObject')).toEqual([expect.objectContaining({ Resource: objectsUnder(ids.bucket, 'mnist/output/*') })]);
    const reads = withAction('s3:GetObject').flatMap((s) => asArray(s.Resource));
    expect(reads).toContainEqual(objectsUnder(ids.bucket, 'mnist/data/*'));
    // the sourcedir.tar.gz asset, granted by the training-job construct: one object
    expect(JSON.stringify(reads)).toMatch(/cdk-hnb659fds-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}"\},"\/[0-9a-f]{64}\.gz"/);
    expect(withAction('s3:ListBucket')).toContainEqual(expect.objectContaining({
      Resource: getAtt(ids.bucket, 'Arn'), Condition: { StringLike: { 's3:prefix': ['mnist/data/*'] } },
    }));
    // The model reads exactly the trained artifact, in a policy of its own (avoids a role <-> job cycle).
    expect(withAction('s3:GetObject')).toContainEqual(expect.objectContaining({
      Resource: { 'Fn::Join': ['', [getAtt(ids.bucket, 'Arn'), '/', getAtt(ids.training, 'ModelDataKey')]] },
    }));

    // SageMaker reads the real-time endpoint's rollback alarms (test/rollout checks the exact grant);
    // the serverless endpoint has no deployment guardrails.
    expect(withAction('cloudwatch:DescribeAlarms')).toHaveLength(1);

    // nothing else: no other action, no wildcard action, no s3 write outside mnist/output/
    const actions = new Set(statements.flatMap((s) => asArray(s.Action as string | string[])));
    expect([...actions].sort()).toEqual([
      'cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricData', 'ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetAuthorizationToken',
      'ecr:GetDownloadUrlForLayer', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents',
      's3:AbortMultipartUpload', 's3:GetObject', 's3:ListBucket', 's3:PutObject',
    ]);
  });

  test('iam:PassRole anywhere in the template: only this role, only to SageMaker', () => {
    const passRole = policyStatements(template).filter(({ statement }) => asArray(statement.Action as string | string[]).includes('iam:PassRole'));
    expect(passRole.length).toBeGreaterThan(0);
    for (const { statement } of passRole) {
      expect(statement.Resource).toEqual(getAtt(ids.role, 'Arn'));
      expect(statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    }
  });
});

describe('training data and training job', () => {
  test('MNIST is copied server-side from the SageMaker sample-files bucket into mnist/data/', () => {
    template.hasResourceProperties('Custom::S3PrefixCopy', {
      SourceBucketName: 'sagemaker-sample-files',
      SourcePrefix: 'datasets/image/MNIST/',
      Keys: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
      DestinationBucketName: { Ref: ids.bucket },
      DestinationPrefix: 'mnist/data/',
    });
  });

  test("the article's job: 2 x ml.c5.2xlarge, 1 epoch with gloo, CPU training DLC, mnist.py, accuracy metric", () => {
    template.hasResourceProperties('Custom::SageMakerTrainingJob', {
      TrainingImage: imageUri('pytorch-training', '2.7.1-cpu-py312-ubuntu22.04-sagemaker'),
      RoleArn: getAtt(ids.role, 'Arn'),
      EntryPoint: 'mnist.py',
      HyperParameters: { epochs: '1', backend: '"gloo"' },
      MetricDefinitions: [
        { Name: 'test:loss', Regex: 'Test set: Average loss: ([0-9.]+)' },
        { Name: 'test:accuracy', Regex: 'Test set: Average loss: [0-9.]+, Accuracy: [0-9]+/[0-9]+ \\(([0-9.]+)%\\)' },
      ],
      InstanceType: 'ml.c5.2xlarge',
      InstanceCount: 2,
      VolumeSizeInGB: 30,
      MaxRuntimeInSeconds: 30 * 60,
      InputChannels: [{ Name: 'training', S3Uri: getAtt(ids.copy, 'DestinationS3Uri') }],
      OutputS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: ids.bucket }, '/mnist/output/']] },
      EnableNetworkIsolation: false,
      EnableInterContainerTrafficEncryption: false,
      MinimumMetric: { Name: 'test:accuracy', Value: 90 },
    });
    const job = resources(template)[ids.training].Properties!;
    expect(job.Spot).toBeUndefined();
    expect(job.OutputKmsKeyId).toBeUndefined();
  });

  test('the job starts after the data copy and after the role has its permissions', () => {
    const deps = directDependencies(template, ids.training);
    expect(deps).toContain(ids.copy);
    expect(deps).toContain(single(template, 'AWS::IAM::Policy', 'ExecutionRoleDefaultPolicy')[0]);
    // ...while the job's own handlers are created in parallel with the copy, not after it
    const [onEvent] = single(template, 'AWS::Lambda::Function', 'TrainingOnEvent');
    expect(allDependencies(template, onEvent)).not.toContain(ids.copy);
  });
});

describe('model', () => {
  test('registered as a version: inference DLC, the trained artifact, the toolkit environment, content types, lineage, accuracy', () => {
    template.hasResourceProperties('Custom::ModelPackageVersion', {
      ModelPackageGroupName: 'Mnist-models',
      ImageUri: imageUri('pytorch-inference', '2.6.0-cpu-py312-ubuntu22.04-sagemaker'),
      ModelDataUrl: getAtt(ids.training, 'ModelDataUrl'),
      Environment: {
        SAGEMAKER_PROGRAM: 'mnist.py',
        SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code',
        SAGEMAKER_REGION: { Ref: 'AWS::Region' },
        SAGEMAKER_CONTAINER_LOG_LEVEL: '20',
      },
      ContentTypes: ['application/json', 'application/x-npy'],
      ResponseTypes: ['application/json', 'application/x-npy'],
      InitialApprovalStatus: 'PendingManualApproval',
      Lineage: Match.objectLike({
        TrainingJobName: getAtt(ids.training, 'TrainingJobName'),
        TrainingJobArn: getAtt(ids.training, 'TrainingJobArn'),
        DataRevision: getAtt(ids.copy, 'Revision'),
        CodeAssetHash: Match.stringLikeRegexp('^[0-9a-f]{64}$'),
      }),
      ModelQuality: { ProblemType: 'multiclass_classification_metrics', Metrics: { accuracy: { Value: getAtt(ids.training, 'Metric.test_accuracy'), Scale: '0.01' } } },
    });
    // The group is kept on destroy (history), as the bucket with the artifacts is.
    expect(resources(template)[ids.group].DeletionPolicy).toBe('Retain');
    expect(resources(template)[ids.group].Properties!.ModelPackageGroupName).toBe('Mnist-models');
    expect(directDependencies(template, ids.version)).toContain(ids.group);
  });

  test('the model is created from that version, with the same role', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      ExecutionRoleArn: getAtt(ids.role, 'Arn'),
      PrimaryContainer: { ModelPackageName: getAtt(ids.version, 'ModelPackageArn') },
    });
    expect(resources(template)[ids.model].Properties!.PrimaryContainer).toEqual({ ModelPackageName: getAtt(ids.version, 'ModelPackageArn') });
  });

  test('is created only once the role can read the artifact', () => {
    expect(directDependencies(template, ids.model)).toContain(single(template, 'AWS::IAM::Policy', 'ModelArtifactRead')[0]);
  });
});

describe('endpoints', () => {
  test('real-time: one ml.m5.large serving the model, no autoscaling, no data capture', () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [{ ModelName: getAtt(ids.model, 'ModelName'), VariantName: 'AllTraffic', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 }],
    });
    expect(resources(template)[ids.rtConfig].Properties!.DataCaptureConfig).toBeUndefined();
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointConfigName: getAtt(ids.rtConfig, 'EndpointConfigName') });
  });

  test("serverless: 2048 MB, max concurrency 1 (the article's), no provisioned concurrency", () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [{ ModelName: getAtt(ids.model, 'ModelName'), VariantName: 'AllTraffic', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 1 } }],
    });
    const variant = (resources(template)[ids.slConfig].Properties!.ProductionVariants as Array<Record<string, unknown>>)[0];
    expect(variant.ServerlessConfig).not.toHaveProperty('ProvisionedConcurrency');
    expect(variant).not.toHaveProperty('InstanceType');
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointConfigName: getAtt(ids.slConfig, 'EndpointConfigName') });
  });

  test('both depend on the model and not on each other, so CloudFormation creates them in parallel', () => {
    const realtime = allDependencies(template, ids.rtEndpoint);
    const serverless = allDependencies(template, ids.slEndpoint);
    expect(realtime).toContain(ids.model);
    expect(serverless).toContain(ids.model);
    expect(realtime).not.toContain(ids.slEndpoint);
    expect(realtime).not.toContain(ids.slConfig);
    expect(serverless).not.toContain(ids.rtEndpoint);
    expect(serverless).not.toContain(ids.rtConfig);
  });
});

describe('smoke test', () => {
  test('Node.js 24 function sized for cold starts, testing both endpoints at 90 %', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Timeout: 600,
      MemorySize: 512,
      Environment: { Variables: {
        ENDPOINT_NAMES: { 'Fn::Join': ['', [getAtt(ids.rtEndpoint, 'EndpointName'), ',', getAtt(ids.slEndpoint, 'EndpointName')]] },
        MIN_ACCURACY: '0.9',
        MODEL_NAME: getAtt(ids.model, 'ModelName'),
        MODEL_REVISION: Match.stringLikeRegexp('^[0-9a-f]{16}$'),
        STACK_ID: { Ref: 'AWS::StackId' },
      } },
    });
    expect(stack.smokeTestFunction.node.path).toBe('Mnist/SmokeTest/Function');
  });

  test('may describe and invoke exactly these two endpoints, read its own stack\'s status and write its own logs, nothing else', () => {
    const statements = roleStatements(template, ids.smokeRole);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'sagemaker:InvokeEndpoint', Resource: [{ Ref: ids.rtEndpoint }, { Ref: ids.slEndpoint }] }),
    ]));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'sagemaker:DescribeEndpoint', Resource: [{ Ref: ids.rtEndpoint }, { Ref: ids.slEndpoint }] }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } }));
    const actions = statements.flatMap((s) => asArray(s.Action as string | string[])).sort();
    expect(actions).toEqual(['cloudformation:DescribeStacks', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sagemaker:DescribeEndpoint', 'sagemaker:InvokeEndpoint']);
  });

  test('ENDPOINT_CONFIGS pairs each endpoint with the configuration the endpoint itself is given (a rolled-back update fails the smoke test)', () => {
    const fn = resources(template)[ids.smokeFn];
    const env = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    const configOf = (endpointId: string) => resources(template)[endpointId].Properties!.EndpointConfigName;
    expect(configOf(ids.rtEndpoint)).toEqual(getAtt(ids.rtConfig, 'EndpointConfigName'));
    expect(configOf(ids.slEndpoint)).toEqual(getAtt(ids.slConfig, 'EndpointConfigName'));
    expect(env.ENDPOINT_CONFIGS).toEqual({ 'Fn::Join': ['', [
      getAtt(ids.rtEndpoint, 'EndpointName'), '=', configOf(ids.rtEndpoint), ',',
      getAtt(ids.slEndpoint, 'EndpointName'), '=', configOf(ids.slEndpoint),
    ]] });
  });

  test('the trigger runs the current version synchronously after both endpoints', () => {
    const trigger = resources(template)[ids.trigger];
    expect(trigger.Properties).toMatchObject({ InvocationType: 'RequestResponse', ExecuteOnHandlerChange: true, Timeout: '600000' });
    expect(JSON.stringify(trigger.Properties!.HandlerArn)).toContain('SmokeTestFunctionCurrentVersion');
    const deps = asArray(trigger.DependsOn);
    expect(deps).toEqual(expect.arrayContaining([ids.rtEndpoint, ids.rtConfig, ids.slEndpoint, ids.slConfig]));
  });
});

describe('outputs', () => {
  test('endpoint names, job name and accuracy, smoke-test function, copy-paste commands', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'AlarmTopicArn', 'BucketName', 'DashboardUrl', 'InvokeRealtimeEndpoint', 'InvokeServerlessEndpoint', 'ModelDataUrl',
      'ModelPackageArn', 'ModelPackageVersion', 'RealtimeEndpointName', 'RunSmokeTest', 'ServerlessEndpointName', 'SmokeTestFunctionName', 'TestAccuracy', 'TrainingJobName',
    ]);
    expect(outputs.RealtimeEndpointName.Value).toEqual(getAtt(ids.rtEndpoint, 'EndpointName'));
    expect(outputs.ServerlessEndpointName.Value).toEqual(getAtt(ids.slEndpoint, 'EndpointName'));
    expect(outputs.TrainingJobName.Value).toEqual(getAtt(ids.training, 'TrainingJobName'));
    expect(outputs.TestAccuracy.Value).toEqual(getAtt(ids.training, 'Metric.test_accuracy'));
    expect(outputs.ModelDataUrl.Value).toEqual(getAtt(ids.training, 'ModelDataUrl'));
    expect(outputs.ModelPackageArn.Value).toEqual(getAtt(ids.version, 'ModelPackageArn'));
    expect(outputs.ModelPackageVersion.Value).toEqual(getAtt(ids.version, 'ModelPackageVersion'));
    expect(outputs.BucketName.Value).toEqual({ Ref: ids.bucket });
    expect(outputs.SmokeTestFunctionName.Value).toEqual({ Ref: ids.smokeFn });
    // Copy-paste commands: a JSON all-zero digit to each endpoint, and the smoke test by hand.
    const invoke = (endpointId: string) => ({ 'Fn::Join': ['', [
      'aws sagemaker-runtime invoke-endpoint --region ', { Ref: 'AWS::Region' }, ' --endpoint-name ', getAtt(endpointId, 'EndpointName'),
      ' --content-type application/json --accept application/json --cli-binary-format raw-in-base64-out ' +
        '--body "$(python3 -c \'print([[[[0]*28]*28]])\')" /dev/stdout',
    ]] });
    expect(outputs.InvokeRealtimeEndpoint.Value).toEqual(invoke(ids.rtEndpoint));
    expect(outputs.InvokeServerlessEndpoint.Value).toEqual(invoke(ids.slEndpoint));
    expect(outputs.RunSmokeTest.Value).toEqual({ 'Fn::Join': ['', [
      'aws lambda invoke --region ', { Ref: 'AWS::Region' }, ' --function-name ', { Ref: ids.smokeFn }, ' --cli-read-timeout 900 /dev/stdout',
    ]] });
    expect(stack.smokeTestFunctionNameOutput.node.id).toBe('SmokeTestFunctionName');
  });

  test('public properties for other stacks and stages', () => {
    expect(stack.endpointNames).toEqual([stack.realtimeEndpointName, stack.serverlessEndpointName]);
    expect(stack.settings.trainingInstanceCount).toBe(2);
    expect(stack.executionRole.node.path).toBe('Mnist/ExecutionRole/Role');
  });
});
