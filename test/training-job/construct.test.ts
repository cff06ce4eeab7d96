// SageMakerTrainingJob's synthesized template: the request it will send, the code asset, IAM
// scoped to its own jobs, PassRole only to SageMaker, Provider timings, cdk-nag, and the clear
// synth-time errors for settings that cannot work.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { JOB_NAME_PATTERN, makeJobName } from '../../lambda/training-job/job-name';
import { PROVIDER_TIMEOUT_MARGIN, SageMakerTrainingJob, SageMakerTrainingJobProps } from '../../lib/training/training-job';
import { writeTarGz } from '../../lib/training/tarball';
import { awsSolutionsFindings } from '../monitoring/nag-findings';

let sourceDir: string;

beforeAll(() => {
  sourceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'training-source-'));
  fs.writeFileSync(path.join(sourceDir, 'mnist.py'), 'print("train")\n');
  fs.mkdirSync(path.join(sourceDir, 'tests'));
  fs.writeFileSync(path.join(sourceDir, 'tests', 'test_mnist.py'), 'pass\n');
});

afterAll(() => fs.rmSync(sourceDir, { recursive: true, force: true }));

function baseProps(role: iam.IRole): SageMakerTrainingJobProps {
  return {
    role,
    image: '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.7.1-cpu-py312-ubuntu22.04-sagemaker',
    sourceDirectory: sourceDir,
    entryPoint: 'mnist.py',
    hyperparameters: { epochs: 1, backend: 'gloo', lr: 0.01 },
    instanceType: 'ml.c5.2xlarge',
    instanceCount: 2,
    maxRuntime: Duration.minutes(30),
    inputChannels: [{ name: 'training', s3Uri: 's3://data-bucket/mnist/' }],
    outputS3Uri: 's3://data-bucket/output/',
    metricDefinitions: [{ name: 'test:accuracy', regex: 'Accuracy: [0-9]+/[0-9]+ \\(([0-9.]+)%\\)' }],
    jobNamePrefix: 'Mnist',
  };
}

/** A stack with one training job; `bundle` runs esbuild for real (slower), otherwise CDK skips bundling. */
function synth(overrides: Partial<SageMakerTrainingJobProps> = {}, bundle = false) {
  const app = new App(bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TrainStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const role = new iam.Role(stack, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  const job = new SageMakerTrainingJob(stack, 'Training', { ...baseProps(role), ...overrides });
  return { app, stack, role, job, template: Template.fromStack(stack) };
}

/** The policy statements attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(template: Template, rolePrefix: string): Array<Record<string, unknown>> {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** jobNamePrefix 'Mnist' scoped to stack 'TrainStack', construct 'TrainStack/Training' (8 hex of sha256 of both). */
const SCOPED_PREFIX = 'Mnist-91345c66';
const JOB_ARN = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:training-job/mnist-91345c66-*']],
};

describe('default settings', () => {
  let result: ReturnType<typeof synth>;
  beforeAll(() => {
    result = synth({}, true);
  });

  test('the custom resource carries the CreateTrainingJob settings, hyperparameters JSON-encoded as the SDK does', () => {
    result.template.hasResourceProperties('Custom::SageMakerTrainingJob', {
      JobNamePrefix: SCOPED_PREFIX,
      TrainingImage: '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.7.1-cpu-py312-ubuntu22.04-sagemaker',
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ExecutionRole'), 'Arn'] },
      EntryPoint: 'mnist.py',
      CodeS3Uri: Match.stringLikeRegexp('^s3://cdk-hnb659fds-assets-123456789012-eu-west-1/[0-9a-f]{64}\\.gz$'),
      HyperParameters: { epochs: '1', backend: '"gloo"', lr: '0.01' },
      MetricDefinitions: [{ Name: 'test:accuracy', Regex: 'Accuracy: [0-9]+/[0-9]+ \\(([0-9.]+)%\\)' }],
      InstanceType: 'ml.c5.2xlarge',
      InstanceCount: 2,
      VolumeSizeInGB: 30,
      MaxRuntimeInSeconds: 1800,
      InputChannels: [{ Name: 'training', S3Uri: 's3://data-bucket/mnist/' }],
      OutputS3Uri: 's3://data-bucket/output/',
      EnableNetworkIsolation: false,
      EnableInterContainerTrafficEncryption: false,
      Spot: Match.absent(),
      MinimumMetric: Match.absent(),
    });
  });

  test('the code asset is the deterministic sourcedir.tar.gz (tests/ left out), keyed by content, not timestamps', () => {
    const codeUri = (stack: Template): string =>
      Object.values(stack.findResources('Custom::SageMakerTrainingJob'))[0].Properties.CodeS3Uri as string;
    const key = codeUri(result.template).split('/').pop()!;
    const assembly = result.app.synth();
    const staged = path.join(assembly.directory, `asset.${key.replace(/\.gz$/, '')}.tar.gz`);
    const fresh = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tgz-')), 'sourcedir.tar.gz');
    writeTarGz(sourceDir, fresh);
    expect(fs.readFileSync(staged).equals(fs.readFileSync(fresh))).toBe(true);
    expect(execFileSync('tar', ['-tzf', staged], { encoding: 'utf8' }).trim().split('\n')).toEqual(['mnist.py']);

    fs.utimesSync(path.join(sourceDir, 'mnist.py'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(codeUri(synth().template)).toBe(codeUri(result.template));
    fs.writeFileSync(path.join(sourceDir, 'mnist.py'), 'print("train v2")\n');
    try {
      expect(codeUri(synth().template)).not.toBe(codeUri(result.template));
    } finally {
      fs.writeFileSync(path.join(sourceDir, 'mnist.py'), 'print("train")\n');
    }
  });

  test('the execution role may read the code object only', () => {
    expect(statementsOf(result.template, 'ExecutionRole')).toEqual([
      {
        Action: 's3:GetObject',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::cdk-hnb659fds-assets-123456789012-eu-west-1/${(Object.values(result.template.findResources('Custom::SageMakerTrainingJob'))[0].Properties.CodeS3Uri as string).split('/').pop()}`]],
        },
      },
    ]);
  });

  test('onEvent: only its own training jobs, and PassRole of the execution role to SageMaker only', () => {
    const statements = statementsOf(result.template, 'TrainingOnEventRole');
    expect(statements).toContainEqual({
      Sid: 'ManageOwnTrainingJobs',
      Action: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:AddTags', 'sagemaker:ListTags'],
      Effect: 'Allow',
      Resource: JOB_ARN,
    });
    // The lookup of a job with the same inputs: ListTrainingJobs has no resource-level permissions.
    expect(statements).toContainEqual({ Sid: 'FindJobsWithSameInputs', Action: 'sagemaker:ListTrainingJobs', Effect: 'Allow', Resource: '*' });
    expect(statements).toContainEqual({
      Sid: 'PassExecutionRoleToSageMaker',
      Action: 'iam:PassRole',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ExecutionRole/), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
    // Before reusing a finished job: HEAD its model.tar.gz, and only its own jobs' (ListBucket so a
    // missing one answers 404, not 403). A HEAD needs no KMS permission.
    const artifacts = 'output/mnist-91345c66-*/output/model.tar.gz';
    const partition = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
    expect(statements).toContainEqual({ Sid: 'ConfirmOwnModelArtifacts', Action: 's3:GetObject', Effect: 'Allow', Resource: partition(`:s3:::data-bucket/${artifacts}`) });
    expect(statements).toContainEqual({
      Sid: 'MissingArtifactIs404', Action: 's3:ListBucket', Effect: 'Allow', Resource: partition(':s3:::data-bucket'),
      Condition: { StringLike: { 's3:prefix': [artifacts] } },
    });
    expect(statements.map((s) => s.Sid ?? s.Action)).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      'ManageOwnTrainingJobs',
      'FindJobsWithSameInputs',
      'PassExecutionRoleToSageMaker',
      'ConfirmOwnModelArtifacts',
      'MissingArtifactIs404',
    ]);
  });

  test('a channel revision is part of the properties (the fingerprint), next to the URI', () => {
    const withRevision = synth({ inputChannels: [{ name: 'training', s3Uri: 's3://data-bucket/mnist/', revision: 'r1' }] }, false);
    withRevision.template.hasResourceProperties('Custom::SageMakerTrainingJob', {
      InputChannels: [{ Name: 'training', S3Uri: 's3://data-bucket/mnist/', Revision: 'r1' }],
    });
  });

  test('isComplete: DescribeTrainingJob on its own jobs, nothing else', () => {
    expect(statementsOf(result.template, 'TrainingIsCompleteRole')).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TrainingLogs/), 'Arn'] } },
      { Sid: 'DescribeOwnTrainingJobs', Action: 'sagemaker:DescribeTrainingJob', Effect: 'Allow', Resource: JOB_ARN },
    ]);
  });

  test('no managed policies, and Resource "*" only for sagemaker:ListTrainingJobs (which has no resource-level permissions)', () => {
    for (const role of Object.values(result.template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    const everywhere = Object.values(result.template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    expect(everywhere.filter((s) => JSON.stringify(s.Resource).includes('"*"'))).toEqual([
      { Sid: 'FindJobsWithSameInputs', Action: 'sagemaker:ListTrainingJobs', Effect: 'Allow', Resource: '*' },
    ]);
  });

  test('handlers: Node.js 24, bundled code, one log group with a retention', () => {
    const functions = result.template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs24.x', Handler: 'index.handler' },
    });
    expect(Object.keys(functions).sort()).toEqual([
      expect.stringMatching(/^TrainingIsComplete/),
      expect.stringMatching(/^TrainingOnEvent/),
    ]);
    result.template.resourceCountIs('AWS::Logs::LogGroup', 1);
    result.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('CloudFormation waits 3600 s (ServiceTimeout set explicitly); the Provider polls every 30 s for 55 min (110 attempts), 300 s less', () => {
    result.template.hasResourceProperties('Custom::SageMakerTrainingJob', { ServiceTimeout: '3600' });
    const [machine] = Object.values(result.template.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    expect(definition).toContain('\\"IntervalSeconds\\":30,\\"MaxAttempts\\":110,\\"BackoffRate\\":1');
    expect(110 * 30 + PROVIDER_TIMEOUT_MARGIN.toSeconds()).toBeLessThanOrEqual(3600);
  });

  test('attributes are GetAtt tokens of the custom resource; finalMetric refuses unknown names', () => {
    const stack = result.stack;
    expect(stack.resolve(result.job.modelDataUrl)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Training/), 'ModelDataUrl'] });
    expect(stack.resolve(result.job.finalMetric('test:accuracy'))).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^Training/), 'Metric.test_accuracy'],
    });
    expect(() => result.job.finalMetric('test:f1')).toThrow("finalMetric('test:f1'): no metric definition with that name; defined: test:accuracy");
  });
});

test('options: spot with checkpoints, network isolation, encryption, KMS keys, minimum metric', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TrainStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const role = new iam.Role(stack, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  const volumeKey = new kms.Key(stack, 'VolumeKey', { enableKeyRotation: true });
  const outputKey = new kms.Key(stack, 'OutputKey', { enableKeyRotation: true });
  new SageMakerTrainingJob(stack, 'Training', {
    ...baseProps(role),
    maxRuntime: Duration.minutes(20),
    spot: { maxWait: Duration.minutes(45), checkpointS3Uri: 's3://data-bucket/checkpoints/' },
    networkIsolation: true,
    interContainerTrafficEncryption: true,
    volumeKmsKey: volumeKey,
    outputKmsKey: outputKey,
    minimumMetric: { name: 'test:accuracy', value: 95 },
  });
  const template = Template.fromStack(stack);
  template.hasResourceProperties('Custom::SageMakerTrainingJob', {
    MaxRuntimeInSeconds: 1200,
    Spot: { MaxWaitTimeInSeconds: 2700, CheckpointS3Uri: 's3://data-bucket/checkpoints/' },
    EnableNetworkIsolation: true,
    EnableInterContainerTrafficEncryption: true,
    VolumeKmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^VolumeKey'), 'Arn'] },
    OutputKmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OutputKey'), 'Arn'] },
    MinimumMetric: { Name: 'test:accuracy', Value: 95 },
  });
  // The code travels as an S3Prefix channel: SageMaker lists the key, with the role.
  expect(statementsOf(template, 'ExecutionRole')).toContainEqual(
    expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': [expect.stringMatching(/^[0-9a-f]{64}\.gz$/)] } } }),
  );
  // SageMaker encrypts the output with the role (kms:Encrypt per OutputDataConfig, GenerateDataKey
  // for SSE-KMS, Decrypt for a multipart upload) and attaches volumes through a grant; nothing more.
  const volumeKeyArn = { 'Fn::GetAtt': [expect.stringMatching(/^VolumeKey/), 'Arn'] };
  const outputKeyArn = { 'Fn::GetAtt': [expect.stringMatching(/^OutputKey/), 'Arn'] };
  const kmsStatements = (rolePrefix: string) => statementsOf(template, rolePrefix).filter((st) => JSON.stringify(st.Action).includes('kms:'));
  expect(kmsStatements('ExecutionRole')).toEqual([
    { Action: 'kms:CreateGrant', Effect: 'Allow', Resource: volumeKeyArn, Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
    { Action: 'kms:DescribeKey', Effect: 'Allow', Resource: volumeKeyArn },
    { Action: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: outputKeyArn },
  ]);
  // The handler lets SageMaker create the volume grant; DescribeKey (no grant call, so never under
  // kms:GrantIsForAWSResource) in a statement of its own.
  expect(kmsStatements('TrainingOnEventRole')).toEqual([
    {
      Sid: 'GrantVolumeKeyToSageMaker',
      Action: 'kms:CreateGrant',
      Effect: 'Allow',
      Resource: volumeKeyArn,
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
    { Sid: 'DescribeVolumeKey', Action: 'kms:DescribeKey', Effect: 'Allow', Resource: volumeKeyArn },
  ]);
});

test('a shorter serviceTimeout shortens the Provider\'s default wait by the same margin', () => {
  const { template } = synth({ serviceTimeout: Duration.minutes(40), maxRuntime: Duration.minutes(20) });
  template.hasResourceProperties('Custom::SageMakerTrainingJob', { ServiceTimeout: '2400' });
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  expect(JSON.stringify(machine.Properties.DefinitionString)).toContain('\\"IntervalSeconds\\":30,\\"MaxAttempts\\":70,'); // (2400 - 300) / 30
});

describe('job names are scoped to their stack', () => {
  /** Dev and Prod stages of a pipeline plus a standalone stack, all in one account and region. */
  function threeStacks(prefix = 'mnist') {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const env = { account: '123456789012', region: 'eu-west-1' };
    const stacks = [
      new Stack(app, 'MnistStack', { env }),
      new Stack(app, 'DevMnist', { env, stackName: 'Dev-MnistStack' }),
      new Stack(app, 'ProdMnist', { env, stackName: 'Prod-MnistStack' }),
    ];
    const jobs = stacks.map((stack) => {
      const role = new iam.Role(stack, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
      return new SageMakerTrainingJob(stack, 'Training', { ...baseProps(role), jobNamePrefix: prefix });
    });
    return jobs.map((job) => {
      const [statement] = statementsOf(Template.fromStack(Stack.of(job)), 'TrainingOnEventRole').filter((st) => st.Sid === 'ManageOwnTrainingJobs');
      const arn = JSON.stringify(statement.Resource);
      return { prefix: job.jobNamePrefix, pattern: /training-job\/([a-z0-9-]+)\*/.exec(arn)![1] };
    });
  }

  test('dev, prod and a standalone stack in one account get distinct prefixes, and no stack\'s IAM pattern matches another\'s jobs', () => {
    const scoped = threeStacks();
    expect(new Set(scoped.map((s) => s.prefix)).size).toBe(3);
    for (const own of scoped) {
      expect(own.prefix).toMatch(/^mnist-[0-9a-f]{8}$/);
      expect(own.pattern).toBe(`${own.prefix}-`);
      for (const other of scoped.filter((o) => o !== own)) {
        const othersJob = makeJobName(other.prefix, 'a'.repeat(64), new Date('2026-11-26T08:00:00Z'), () => 0);
        expect(othersJob.startsWith(own.pattern)).toBe(false);
      }
    }
  });

  test('the longest prefix (21 characters) still makes job names of at most 63 characters; 22 is refused', () => {
    const [longest] = threeStacks('m'.repeat(21));
    const name = makeJobName(longest.prefix, 'f'.repeat(64), new Date('2026-11-26T08:00:00Z'), () => 0.999);
    expect(name).toHaveLength(63);
    expect(name).toMatch(JOB_NAME_PATTERN);
    expect(() => threeStacks('m'.repeat(22))).toThrow(/jobNamePrefix 'm{22}' is invalid: use 1-21 letters, digits and hyphens/);
  });
});

test('cdk-nag AwsSolutions: no unacknowledged findings', () => {
  const findings = awsSolutionsFindings((app) => {
    app.node.setContext('aws:cdk:bundling-stacks', []);
    const stack = new Stack(app, 'TrainStack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const role = new iam.Role(stack, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    new SageMakerTrainingJob(stack, 'Training', baseProps(role));
  });
  expect(findings).toEqual([]);
});

describe('synth-time errors name the setting and the fix', () => {
  test.each<[string, Partial<SageMakerTrainingJobProps>, RegExp]>([
    [
      'maxRuntime too long for the provider',
      { maxRuntime: Duration.minutes(46) },
      /maxRuntime \(2760 s\) plus 600 s for starting and uploading exceeds the provider's totalTimeout \(3300 s\).*lower it to at most 2700 s/,
    ],
    ['totalTimeout over an hour', { totalTimeout: Duration.minutes(61) }, /totalTimeout \(3660 s\) must be at most 3300 s/],
    [
      'totalTimeout as long as the ServiceTimeout (CloudFormation would give up first)',
      { totalTimeout: Duration.minutes(60) },
      /totalTimeout \(3600 s\) must be at most 3300 s \(serviceTimeout 3600 s less 300 s for the calls around the wait/,
    ],
    [
      'totalTimeout within the margin of a shorter serviceTimeout',
      { serviceTimeout: Duration.minutes(40), totalTimeout: Duration.minutes(38), maxRuntime: Duration.minutes(20) },
      /totalTimeout \(2280 s\) must be at most 2100 s \(serviceTimeout 2400 s/,
    ],
    ['serviceTimeout over an hour', { serviceTimeout: Duration.minutes(61) }, /serviceTimeout \(3660 s\) must be 1-3600 s/],
    [
      'maxRuntime too long for a shorter serviceTimeout',
      { serviceTimeout: Duration.minutes(30) },
      /maxRuntime \(1800 s\) plus 600 s .* exceeds the provider's totalTimeout \(1500 s\)/,
    ],
    ['totalTimeout not a multiple of pollInterval', { pollInterval: Duration.seconds(7) }, /a whole multiple of pollInterval \(7 s\)/],
    [
      'spot maxWait beyond the provider',
      { maxRuntime: Duration.minutes(30), spot: { maxWait: Duration.minutes(46), checkpointS3Uri: 's3://b/c/' } },
      /spot.maxWait \(2760 s\) plus 600 s .* totalTimeout \(3300 s\)/,
    ],
    ['spot maxWait below maxRuntime', { spot: { maxWait: Duration.minutes(10), checkpointS3Uri: 's3://b/c/' } }, /spot.maxWait \(600 s\) must be at least maxRuntime \(1800 s\)/],
    ['a hyperparameter with a space', { hyperparameters: { backend: 'gloo nccl' } }, /'backend' has value "gloo nccl", which contains a space/],
    ['a bad job name prefix', { jobNamePrefix: 'mnist_training' }, /jobNamePrefix 'mnist_training' is invalid/],
    ['a missing entry point', { entryPoint: 'train.py' }, /entryPoint 'train.py' must be a file at the root of sourceDirectory/],
    ['a minimum metric without a definition', { minimumMetric: { name: 'test:f1', value: 1 } }, /minimumMetric 'test:f1' has no metric definition/],
    ['instanceCount 0', { instanceCount: 0 }, /instanceCount must be a positive integer, got 0/],
    ['an instance type without ml.', { instanceType: 'c5.2xlarge' }, /instanceType 'c5.2xlarge' is not a SageMaker instance type/],
    ['a code channel under network isolation', { networkIsolation: true, inputChannels: [{ name: 'code', s3Uri: 's3://b/' }] }, /'code' is reserved/],
  ])('%s', (_what, overrides, message) => {
    expect(() => synth(overrides)).toThrow(message);
  });

  test('a requirements.txt under network isolation (pip would fail at start)', () => {
    fs.writeFileSync(path.join(sourceDir, 'requirements.txt'), 'numpy\n');
    try {
      expect(() => synth({ networkIsolation: true })).toThrow(/has a requirements.txt, which makes the container run pip at start/);
      expect(() => synth()).not.toThrow();
      // Left out of the archive, the file can stay for local virtual environments.
      const excluded = synth({ networkIsolation: true, excludeFromSource: ['requirements.txt'] });
      const key = (Object.values(excluded.template.findResources('Custom::SageMakerTrainingJob'))[0].Properties.CodeS3Uri as string)
        .split('/').pop()!;
      const staged = path.join(excluded.app.synth().directory, `asset.${key.replace(/\.gz$/, '')}.tar.gz`);
      expect(execFileSync('tar', ['-tzf', staged], { encoding: 'utf8' }).trim().split('\n')).toEqual(['mnist.py']);
    } finally {
      fs.rmSync(path.join(sourceDir, 'requirements.txt'));
    }
  });
});
