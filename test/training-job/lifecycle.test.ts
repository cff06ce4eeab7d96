// The training-job handlers driven through whole custom-resource lifecycles, the way the CDK
// Provider framework drives them (onEvent once, then isComplete until it says done or throws),
// against a stateful fake of SageMaker on loopback called through the real AWS SDK client.
import type { CreateTrainingJobCommandInput } from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { FINGERPRINT_TAG, trainingFingerprint } from '../../lambda/training-job/fingerprint';
import { Dependencies, isComplete, onEvent } from '../../lambda/training-job/handlers';
import { isJobNameFromPrefix, JOB_NAME_PATTERN } from '../../lambda/training-job/job-name';
import type { TrainingJobProperties } from '../../lambda/training-job/properties';
import { FakeSageMaker, REGION } from './fake-sagemaker';
import { FakeS3 } from '../s3-prefix-copy/fake-s3';
import { customResourceEvent } from '../support/custom-resource-event';

const CODE_URI = 's3://cdk-assets-123456789012-eu-west-1/0123abcd.gz';

const PROPERTIES: TrainingJobProperties = {
  JobNamePrefix: 'Mnist-Train',
  TrainingImage: '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.7.1-cpu-py312-ubuntu22.04-sagemaker',
  RoleArn: 'arn:aws:iam::123456789012:role/SageMakerExecution',
  EntryPoint: 'mnist.py',
  CodeS3Uri: CODE_URI,
  HyperParameters: { epochs: '1', backend: '"gloo"' },
  MetricDefinitions: [
    { Name: 'test:loss', Regex: 'Test set: Average loss: ([0-9.]+)' },
    { Name: 'test:accuracy', Regex: 'Test set: Average loss: [0-9.]+, Accuracy: [0-9]+/[0-9]+ \\(([0-9.]+)%\\)' },
  ],
  InstanceType: 'ml.c5.2xlarge',
  InstanceCount: 2,
  VolumeSizeInGB: 30,
  MaxRuntimeInSeconds: 1800,
  InputChannels: [{ Name: 'training', S3Uri: 's3://data-bucket/mnist/' }],
  OutputS3Uri: 's3://data-bucket/output',
  EnableNetworkIsolation: false,
  EnableInterContainerTrafficEncryption: false,
  OwnerTag: 'MnistStack/TrainingJob',
};

/** CloudFormation hands custom resources every scalar as a string. */
function asCloudFormationSends(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asCloudFormationSends);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, asCloudFormationSends(v)]));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  props: Partial<TrainingJobProperties> = {},
  physicalId?: string,
  oldProps?: Partial<TrainingJobProperties>,
): CloudFormationCustomResourceEvent {
  return customResourceEvent(requestType, {
    resourceType: 'Custom::SageMakerTrainingJob',
    logicalId: 'TrainingJob',
    stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/MnistStack/guid',
    properties: asCloudFormationSends({ ...PROPERTIES, ...props }) as Record<string, unknown>,
    oldProperties: asCloudFormationSends({ ...PROPERTIES, ...oldProps }) as Record<string, unknown>,
    physicalId,
  });
}

/** The fingerprint the handler computes for an event's properties. */
function fingerprintOf(e: CloudFormationCustomResourceEvent): string {
  return trainingFingerprint(e.ResourceProperties);
}

/** Names of the default properties' jobs start with this (prefix lower-cased, then 12 fingerprint characters). */
const STEM = `mnist-train-${trainingFingerprint(asCloudFormationSends(PROPERTIES) as object).slice(0, 12)}-`;

let fake: FakeSageMaker;
/** Where the fake's jobs upload their model.tar.gz, and where onEvent HEADs it before a reuse. */
let s3: FakeS3;
let lines: string[];
let deps: Dependencies;

beforeEach(async () => {
  fake = new FakeSageMaker();
  s3 = new FakeS3();
  await Promise.all([fake.start(), s3.start()]);
  fake.uploadArtifact = (bucket, key, body) => s3.put(bucket, key, body);
  lines = [];
  const log = (line: string) => void lines.push(line);
  deps = { sagemaker: fake.client(log), s3: s3.client(log), region: REGION, log };
});

afterEach(async () => {
  await Promise.all([fake.stop(), s3.stop()]);
});

/** The bucket and key of a job's model.tar.gz. */
function artifactOf(name: string): [string, string] {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(fake.artifactUri(name))!;
  return [bucket, key];
}

/** What the Provider framework does: onEvent, then isComplete every queryInterval until done. */
async function provider(e: CloudFormationCustomResourceEvent, maxPolls = 20): Promise<{ physicalId: string; data?: Record<string, string>; polls: number }> {
  const started = await onEvent(e, deps);
  const waiting = { ...e, PhysicalResourceId: started.PhysicalResourceId } as CloudFormationCustomResourceEvent;
  for (let polls = 1; polls <= maxPolls; polls++) {
    const result = await isComplete(waiting, deps);
    if (result.IsComplete) return { physicalId: started.PhysicalResourceId, data: result.Data, polls };
  }
  throw new Error(`provider timed out after ${maxPolls} polls`);
}

/** The CreateTrainingJob request the fake received, as JSON on the wire. */
function createRequest(name: string): Required<CreateTrainingJobCommandInput> & {
  HyperParameters: Record<string, string>;
  InputDataConfig: NonNullable<CreateTrainingJobCommandInput['InputDataConfig']>;
  ResourceConfig: NonNullable<CreateTrainingJobCommandInput['ResourceConfig']>;
  OutputDataConfig: NonNullable<CreateTrainingJobCommandInput['OutputDataConfig']>;
} {
  return fake.jobs.get(name)!.request as never;
}

describe('create', () => {
  test('InProgress → Completed returns the model artifact, job name, ARN and final metrics', async () => {
    fake.planNextJob({ outcome: 'Completed', describesInProgress: 3, metrics: { 'test:accuracy': 97.25, 'test:loss': 0.0861 } });
    const { physicalId, data, polls } = await provider(event('Create'));

    expect(physicalId).toMatch(JOB_NAME_PATTERN);
    expect(physicalId).toMatch(new RegExp(`^${STEM}\\d{14}-[a-z0-9]{4}$`));
    expect(polls).toBe(4); // 3 in progress, then Completed
    expect(data).toEqual({
      ModelDataUrl: `s3://data-bucket/output/${physicalId}/output/model.tar.gz`,
      ModelDataBucket: 'data-bucket',
      ModelDataKey: `output/${physicalId}/output/model.tar.gz`,
      TrainingJobName: physicalId,
      TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${physicalId}`,
      TrainingTimeInSeconds: '300',
      BillableTimeInSeconds: '300',
      'Metric.test_accuracy': '97.25',
      'Metric.test_loss': '0.0861',
    });
  });

  test('sends CreateTrainingJob as the SageMaker SDK would (numbers from CloudFormation strings, SDK hyperparameters)', async () => {
    const { physicalId } = await provider(event('Create'));
    const request = createRequest(physicalId);
    expect(request.HyperParameters).toEqual({
      epochs: '1',
      backend: '"gloo"',
      sagemaker_submit_directory: `"${CODE_URI}"`,
      sagemaker_program: '"mnist.py"',
      sagemaker_container_log_level: '20',
      sagemaker_job_name: `"${physicalId}"`,
      sagemaker_region: '"eu-west-1"',
    });
    expect(request.AlgorithmSpecification).toEqual({
      TrainingImage: PROPERTIES.TrainingImage,
      TrainingInputMode: 'File',
      MetricDefinitions: PROPERTIES.MetricDefinitions,
      EnableSageMakerMetricsTimeSeries: true,
    });
    expect(request.ResourceConfig).toEqual({ InstanceType: 'ml.c5.2xlarge', InstanceCount: 2, VolumeSizeInGB: 30 });
    expect(request.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 1800 });
    expect(request.InputDataConfig).toEqual([
      {
        ChannelName: 'training',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data-bucket/mnist/', S3DataDistributionType: 'FullyReplicated' } },
        InputMode: 'File',
      },
    ]);
    expect(request.OutputDataConfig).toEqual({ S3OutputPath: 's3://data-bucket/output' });
    expect(request.RoleArn).toBe(PROPERTIES.RoleArn);
    expect(request.EnableNetworkIsolation).toBe(false);
    expect(request.EnableInterContainerTrafficEncryption).toBe(false);
    expect(request.EnableManagedSpotTraining).toBeUndefined();
    expect(request.Tags).toEqual([
      { Key: 'managed-by', Value: 'MnistStack/TrainingJob' },
      { Key: FINGERPRINT_TAG, Value: fingerprintOf(event('Create')) },
    ]);
  });

  test('each poll logs status first with console and logs links, then the step message and latest metrics', async () => {
    fake.planNextJob({ outcome: 'Completed', describesInProgress: 3, metrics: { 'test:accuracy': 97.25 } });
    const { physicalId } = await provider(event('Create'));
    const statusLines = lines.filter((l) => l.startsWith(`Training job ${physicalId}: `));
    expect(statusLines).toHaveLength(4);
    for (const line of statusLines) {
      expect(line).toContain(`https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/jobs/${physicalId}`);
      expect(line).toContain(
        'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/' +
          `$252Faws$252Fsagemaker$252FTrainingJobs$3FlogStreamNameFilter$3D${physicalId}`,
      );
    }
    expect(statusLines[0]).toContain(': InProgress/Starting for ');
    expect(statusLines[2]).toContain(': InProgress/Training');
    expect(lines).toContain('  Training: Training image download completed. Training in progress.');
    expect(lines).toContain('  metrics: test:accuracy=97.25');
  });

  test('Failed fails the deploy with SageMaker\'s FailureReason', async () => {
    fake.planNextJob({ outcome: 'Failed', failureReason: 'AlgorithmError: ExecuteUserScriptError: exit code 1: CUDA not available' });
    await expect(provider(event('Create'))).rejects.toThrow(
      /^Training job mnist-train-\S+ failed: AlgorithmError: ExecuteUserScriptError: exit code 1: CUDA not available\. Logs: https:\/\//,
    );
  });

  test('Stopped fails the deploy and says why (MaxRuntimeExceeded → raise maxRuntime)', async () => {
    fake.planNextJob({ outcome: 'Stopped', stoppedSecondaryStatus: 'MaxRuntimeExceeded' });
    await expect(provider(event('Create'))).rejects.toThrow(/was stopped before completing \(MaxRuntimeExceeded: raise maxRuntime/);
  });

  test('Stopped by someone else fails the deploy too', async () => {
    fake.planNextJob({ outcome: 'Stopped' });
    await expect(provider(event('Create'))).rejects.toThrow(/was stopped before completing \(Stopped: someone or something stopped it/);
  });

  test('a final metric below minimumMetric fails the deploy with a clear message', async () => {
    fake.planNextJob({ outcome: 'Completed', metrics: { 'test:accuracy': 85.5 } });
    await expect(provider(event('Create', { MinimumMetric: { Name: 'test:accuracy', Value: 90 } }))).rejects.toThrow(
      /completed with test:accuracy=85\.5, below the required minimum 90: the model is not deployed/,
    );
  });

  test('minimumMetric passes at or above the minimum, and fails when the metric never appeared', async () => {
    fake.planNextJob({ outcome: 'Completed', metrics: { 'test:accuracy': 90 } });
    await expect(provider(event('Create', { MinimumMetric: { Name: 'test:accuracy', Value: 90 } }))).resolves.toMatchObject({
      data: { 'Metric.test_accuracy': '90' },
    });
    // Other inputs (2 epochs), so a new job runs instead of the first one being reused.
    fake.planNextJob({ outcome: 'Completed', metrics: { 'test:loss': 0.1 } });
    await expect(provider(event('Create', { MinimumMetric: { Name: 'test:accuracy', Value: 90 }, HyperParameters: { epochs: '2' } }))).rejects.toThrow(
      /reported no 'test:accuracy' metric, so the minimum 90 cannot be checked/,
    );
  });

  test('a job not visible yet on the first poll is polled again; one missing for minutes fails the deploy', async () => {
    const created = new Date('2026-11-26T08:00:00Z');
    let now = created;
    deps = { ...deps, now: () => now };
    const waiting = (name: string) => ({ ...event('Create'), PhysicalResourceId: name }) as CloudFormationCustomResourceEvent;
    const name = 'mnist-train-20261126080000-abcd'; // as if CreateTrainingJob had answered but Describe lags
    await expect(isComplete(waiting(name), deps)).resolves.toEqual({ IsComplete: false });
    expect(lines).toContain(`Training job ${name} is not visible yet; polling again`);
    now = new Date(created.getTime() + 6 * 60 * 1000);
    await expect(isComplete(waiting(name), deps)).rejects.toThrow(`Training job ${name} does not exist (was it deleted outside CloudFormation?)`);
  });

  test('two creates in the same second get different, valid names', async () => {
    const fixed = new Date('2026-11-26T08:00:00Z');
    let seed = 0;
    deps = { ...deps, now: () => fixed, random: () => ((seed = (seed * 9301 + 49297) % 233280) / 233280) };
    // The first job fails at once, so the second create (same inputs) cannot reuse it and starts its own.
    fake.planNextJob({ outcome: 'Failed', describesInProgress: 0 });
    const a = await onEvent(event('Create'), deps);
    await expect(isComplete({ ...event('Create'), PhysicalResourceId: a.PhysicalResourceId } as CloudFormationCustomResourceEvent, deps)).rejects.toThrow(/failed/);
    const b = await onEvent(event('Create'), deps);
    expect(a.PhysicalResourceId).not.toBe(b.PhysicalResourceId);
    expect(a.PhysicalResourceId).toMatch(new RegExp(`^${STEM}20261126080000-[a-z0-9]{4}$`));
    expect(b.PhysicalResourceId).toMatch(new RegExp(`^${STEM}20261126080000-[a-z0-9]{4}$`));
    expect(fake.jobs.size).toBe(2);
  });

  test('network isolation sends the code as the `code` channel and points the toolkit at its local path', async () => {
    const { physicalId } = await provider(event('Create', { EnableNetworkIsolation: true }));
    const request = createRequest(physicalId);
    expect(request.EnableNetworkIsolation).toBe(true);
    expect(request.HyperParameters.sagemaker_submit_directory).toBe('"/opt/ml/input/data/code/0123abcd.gz"');
    expect(request.InputDataConfig[1]).toEqual({
      ChannelName: 'code',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: CODE_URI, S3DataDistributionType: 'FullyReplicated' } },
      InputMode: 'File',
    });
  });

  test('managed spot training, encryption and KMS keys reach the request', async () => {
    const spotEvent = event('Create', {
      Spot: { MaxWaitTimeInSeconds: 3000, CheckpointS3Uri: 's3://data-bucket/checkpoints/' },
      EnableInterContainerTrafficEncryption: true,
      VolumeKmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/volume',
      OutputKmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/output',
    });
    const { physicalId } = await provider(spotEvent);
    const request = createRequest(physicalId);
    expect(request.EnableManagedSpotTraining).toBe(true);
    expect(request.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 1800, MaxWaitTimeInSeconds: 3000 });
    // One checkpoint prefix per training fingerprint (see 'checkpoints' below).
    expect(request.CheckpointConfig).toEqual({ S3Uri: `s3://data-bucket/checkpoints/${fingerprintOf(spotEvent)}/`, LocalPath: '/opt/ml/checkpoints' });
    expect(request.EnableInterContainerTrafficEncryption).toBe(true);
    expect(request.ResourceConfig.VolumeKmsKeyId).toBe('arn:aws:kms:eu-west-1:123456789012:key/volume');
    expect(request.OutputDataConfig.KmsKeyId).toBe('arn:aws:kms:eu-west-1:123456789012:key/output');
  });
});

describe('delete', () => {
  test('while InProgress: stops the job and waits until it has stopped', async () => {
    fake.planNextJob({ outcome: 'Completed', describesInProgress: 10 });
    const started = await onEvent(event('Create'), deps);
    const name = started.PhysicalResourceId;
    await isComplete({ ...event('Create'), PhysicalResourceId: name } as CloudFormationCustomResourceEvent, deps);

    const { physicalId, polls } = await provider(event('Delete', {}, name));
    expect(physicalId).toBe(name);
    expect(polls).toBe(2); // Stopping, then Stopped
    expect(fake.jobs.get(name)!.status).toBe('Stopped');
    expect(fake.calls.filter((c) => c.operation === 'StopTrainingJob')).toEqual([{ operation: 'StopTrainingJob', name }]);
    expect(lines).toContain(`Delete: waiting for training job ${name} to stop (Stopping/Stopping)`);
  });

  test('of a finished job succeeds at once and keeps the job as history', async () => {
    const { physicalId } = await provider(event('Create'));
    fake.calls.length = 0;
    const result = await provider(event('Delete', {}, physicalId));
    expect(result.polls).toBe(1);
    expect(fake.calls.map((c) => c.operation)).toEqual(['DescribeTrainingJob', 'DescribeTrainingJob']);
    expect(fake.jobs.get(physicalId)!.status).toBe('Completed');
  });

  test('of a failed job succeeds', async () => {
    fake.seedJob('mnist-train-20261126080000-abcd', 'Failed');
    await expect(provider(event('Delete', {}, 'mnist-train-20261126080000-abcd'))).resolves.toMatchObject({ polls: 1 });
  });

  test('of a missing job succeeds', async () => {
    const result = await provider(event('Delete', {}, 'mnist-train-20261126080000-gone'));
    expect(result.polls).toBe(1);
    expect(fake.calls.map((c) => c.operation)).toEqual(['DescribeTrainingJob', 'DescribeTrainingJob']);
  });

  test('never touches a job it could not have created (e.g. after a failed create, or another prefix)', async () => {
    fake.seedJob('someone-elses-job-20261126080000-abcd', 'InProgress');
    await provider(event('Delete', {}, 'someone-elses-job-20261126080000-abcd'));
    await provider(event('Delete', {}, 'b3b0c6a4-8a8c-4b5d-9d1c-3a3e1b7f1f00'));
    expect(fake.calls).toEqual([]);
    expect(fake.jobs.get('someone-elses-job-20261126080000-abcd')!.status).toBe('InProgress');
  });

  test('a job that finishes between Describe and Stop is fine', async () => {
    fake.planNextJob({ outcome: 'Completed', describesInProgress: 10 });
    const { PhysicalResourceId: name } = await onEvent(event('Create'), deps);
    fake.finishJobBeforeNextStop();
    const result = await provider(event('Delete', {}, name));
    expect(result.polls).toBe(1);
    expect(fake.jobs.get(name)!.status).toBe('Completed');
    expect(lines).toContain(`Delete: training job ${name} is no longer running (ValidationException)`);
  });
});

describe('update', () => {
  test('changed properties train a new job (new physical id); CloudFormation\'s Delete of the old one keeps it', async () => {
    const first = await provider(event('Create'));
    const second = await provider(
      event('Update', { HyperParameters: { epochs: '2', backend: '"gloo"' } }, first.physicalId),
    );
    expect(second.physicalId).not.toBe(first.physicalId);
    expect(isJobNameFromPrefix(second.physicalId, 'Mnist-Train')).toBe(true);
    expect(createRequest(second.physicalId).HyperParameters.epochs).toBe('2');
    expect(second.data!.ModelDataUrl).toContain(second.physicalId);

    // CloudFormation's cleanup: Delete with the old physical id.
    await provider(event('Delete', {}, first.physicalId));
    expect(fake.jobs.get(first.physicalId)!.status).toBe('Completed');
    expect(fake.calls.filter((c) => c.operation === 'StopTrainingJob')).toEqual([]);
  });

  test('a change of minimumMetric alone re-checks the finished job instead of training again', async () => {
    fake.planNextJob({ outcome: 'Completed', metrics: { 'test:accuracy': 97 } });
    const first = await provider(event('Create', { MinimumMetric: { Name: 'test:accuracy', Value: 90 } }));
    const stricter = event('Update', { MinimumMetric: { Name: 'test:accuracy', Value: 99 } }, first.physicalId, {
      MinimumMetric: { Name: 'test:accuracy', Value: 90 },
    });
    await expect(provider(stricter)).rejects.toThrow(/test:accuracy=97, below the required minimum 99/);
    const looser = event('Update', { MinimumMetric: { Name: 'test:accuracy', Value: 95 } }, first.physicalId, {
      MinimumMetric: { Name: 'test:accuracy', Value: 90 },
    });
    const kept = await provider(looser);
    expect(kept.physicalId).toBe(first.physicalId);
    expect(kept.data).toEqual(first.data);
    expect(fake.calls.filter((c) => c.operation === 'CreateTrainingJob')).toHaveLength(1);
  });

  test('a failed update fails the deploy with the reason; the old job stays the resource', async () => {
    const first = await provider(event('Create'));
    fake.planNextJob({ outcome: 'Failed', failureReason: 'ClientError: Data download failed' });
    await expect(provider(event('Update', { InstanceCount: 1 }, first.physicalId))).rejects.toThrow(/Data download failed/);
    expect(fake.jobs.get(first.physicalId)!.status).toBe('Completed');
    expect(fake.jobs.size).toBe(2);
  });
});

describe('throttling', () => {
  test('CreateTrainingJob and DescribeTrainingJob are retried (by the SDK), each retry logged', async () => {
    fake.throttle('CreateTrainingJob', 2);
    const started = await onEvent(event('Create'), deps);
    fake.throttle('DescribeTrainingJob', 3);
    const result = await isComplete({ ...event('Create'), PhysicalResourceId: started.PhysicalResourceId } as CloudFormationCustomResourceEvent, deps);
    expect(result.IsComplete).toBe(false);
    expect(fake.calls.map((c) => c.operation)).toEqual([
      'ListTrainingJobs',
      'CreateTrainingJob',
      'CreateTrainingJob',
      'CreateTrainingJob',
      'DescribeTrainingJob',
      'DescribeTrainingJob',
      'DescribeTrainingJob',
      'DescribeTrainingJob',
    ]);
    const retries = lines.filter((l) => / on attempt \d, retried after \d+ ms$/.test(l));
    expect(retries.map((l) => l.replace(/mnist-train-[a-z0-9-]+/, 'JOB').replace(/\d+ ms$/, 'N ms'))).toEqual([
      'CreateTrainingJob JOB: ThrottlingException on attempt 1, retried after N ms',
      'CreateTrainingJob JOB: ThrottlingException on attempt 2, retried after N ms',
      'DescribeTrainingJob JOB: ThrottlingException on attempt 1, retried after N ms',
      'DescribeTrainingJob JOB: ThrottlingException on attempt 2, retried after N ms',
      'DescribeTrainingJob JOB: ThrottlingException on attempt 3, retried after N ms',
    ]);
  });

  test('a poll still throttled after every retry is skipped, not a failed deploy', async () => {
    const started = await onEvent(event('Create'), deps);
    fake.throttle('DescribeTrainingJob', 8); // every one of the SDK's 8 attempts
    const waiting = { ...event('Create'), PhysicalResourceId: started.PhysicalResourceId } as CloudFormationCustomResourceEvent;
    await expect(isComplete(waiting, deps)).resolves.toEqual({ IsComplete: false });
    expect(fake.calls.filter((c) => c.operation === 'DescribeTrainingJob')).toHaveLength(8);
    expect(lines.some((l) => l.includes('DescribeTrainingJob still throttled (ThrottlingException); polling again later'))).toBe(true);
  });

  test('a create whose answer was lost is not a failure when the retry finds the name taken', async () => {
    fake.loseNextCreateResponse();
    const started = await onEvent(event('Create'), deps);
    expect(fake.jobs.size).toBe(1);
    expect(fake.jobs.has(started.PhysicalResourceId)).toBe(true);
    expect(fake.calls.map((c) => c.operation)).toEqual(['ListTrainingJobs', 'CreateTrainingJob', 'CreateTrainingJob', 'DescribeTrainingJob']);
  });

  test('ResourceInUse on a first attempt is an error (never adopts someone else\'s job)', async () => {
    const fixed = new Date('2026-11-26T08:00:00Z');
    deps = { ...deps, now: () => fixed, random: () => 0 };
    // Same name stem, but no fingerprint tag: neither adopted as ours nor overwritten.
    fake.seedJob(`${STEM}20261126080000-aaaa`, 'InProgress');
    await expect(onEvent(event('Create'), deps)).rejects.toThrow(/must be unique/);
  });
});

describe('idempotent by content (a rollback or a re-create starts no job)', () => {
  const epochs2 = { HyperParameters: { epochs: '2', backend: '"gloo"' } };

  test('a rollback (Update with the old properties) gets the old job back: same physical id and attributes, no new job', async () => {
    const first = await provider(event('Create'));
    const second = await provider(event('Update', epochs2, first.physicalId));
    expect(second.physicalId).not.toBe(first.physicalId);

    // A later resource failed: CloudFormation sends the old properties back, with the new physical id.
    const rollback = await provider(event('Update', {}, second.physicalId, epochs2));
    expect(rollback.physicalId).toBe(first.physicalId);
    expect(rollback.data).toEqual(first.data);
    expect(fake.createdJobNames).toEqual([first.physicalId, second.physicalId]);
    // Its model is confirmed to be there before it is handed back.
    const [bucket, key] = artifactOf(first.physicalId);
    expect(s3.calls).toContainEqual({ operation: 'HeadObject', bucket, key });
    expect(lines).toContain(
      `Update: training job ${first.physicalId} (Completed) was trained from the same inputs (fingerprint ${fingerprintOf(event('Create'))}): ` +
        `reusing it instead of starting a new job | console: https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/jobs/${first.physicalId}`,
    );
    // Then CloudFormation deletes the rolled-back physical id: finished, so kept as history.
    await provider(event('Delete', epochs2, second.physicalId));
    expect(fake.jobs.get(second.physicalId)!.status).toBe('Completed');
  });

  test('a rollback while the new job still runs: the old job comes back and the Delete that follows stops the new one', async () => {
    const first = await provider(event('Create'));
    fake.planNextJob({ outcome: 'Completed', describesInProgress: 50 });
    const { PhysicalResourceId: running } = await onEvent(event('Update', epochs2, first.physicalId), deps);
    const rollback = await provider(event('Update', {}, running, epochs2));
    expect(rollback.physicalId).toBe(first.physicalId);
    await provider(event('Delete', epochs2, running));
    expect(fake.jobs.get(running)!.status).toBe('Stopped');
    expect(fake.createdJobNames).toHaveLength(2);
  });

  test('re-creating a resource whose inputs were trained before reuses that job (e.g. the resource removed and added back; after cdk destroy the new bucket makes the inputs new)', async () => {
    const first = await provider(event('Create'));
    await provider(event('Delete', {}, first.physicalId));
    const again = await provider(event('Create'));
    expect(again.physicalId).toBe(first.physicalId);
    expect(again.data).toEqual(first.data);
    expect(fake.createdJobNames).toHaveLength(1);
  });

  test('a job with the same inputs still in progress is adopted: the deploy waits for it instead of paying for a second one', async () => {
    fake.planNextJob({ outcome: 'Completed', describesInProgress: 2, metrics: { 'test:accuracy': 97 } });
    const orphan = await onEvent(event('Create'), deps); // e.g. its deploy failed before the job ended, and nothing stopped it
    const adopted = await provider(event('Create'));
    expect(adopted.physicalId).toBe(orphan.PhysicalResourceId);
    expect(adopted.data!['Metric.test_accuracy']).toBe('97');
    expect(fake.createdJobNames).toHaveLength(1);
    expect(lines.some((l) => l.includes(`training job ${orphan.PhysicalResourceId} (InProgress) was trained from the same inputs`) && l.includes('waiting for it'))).toBe(true);
  });

  test.each<['Failed' | 'Stopped']>([['Failed'], ['Stopped']])('a %s job is never reused: the same inputs train again', async (outcome) => {
    fake.planNextJob({ outcome, describesInProgress: 0 });
    await expect(provider(event('Create'))).rejects.toThrow(outcome === 'Failed' ? /failed/ : /was stopped/);
    const retry = await provider(event('Create'));
    expect(fake.createdJobNames).toHaveLength(2);
    expect(fake.jobs.get(retry.physicalId)!.status).toBe('Completed');
  });

  test('a Stopping job is not adopted', async () => {
    fake.planNextJob({ outcome: 'Completed', describesInProgress: 50 });
    const { PhysicalResourceId: name } = await onEvent(event('Create'), deps);
    await onEvent(event('Delete', {}, name), deps); // StopTrainingJob: now Stopping
    expect(fake.jobs.get(name)!.status).toBe('Stopping');
    const fresh = await onEvent(event('Create'), deps);
    expect(fresh.PhysicalResourceId).not.toBe(name);
  });

  test('Completed beats InProgress, the newest Completed wins, and the full fingerprint tag must match', async () => {
    const fingerprint = fingerprintOf(event('Create'));
    const tags = (value: string) => [{ Key: FINGERPRINT_TAG, Value: value }];
    fake.seedJob(`${STEM}20261120080000-old1`, 'Completed', tags(fingerprint));
    fake.seedJob(`${STEM}20261121080000-new1`, 'Completed', tags(fingerprint));
    fake.seedJob(`${STEM}20261122080000-othr`, 'Completed', tags(`${fingerprint.slice(0, 12)}${'0'.repeat(52)}`)); // same 12, other inputs
    fake.seedJob(`${STEM}20261123080000-runs`, 'InProgress', tags(fingerprint));
    const { PhysicalResourceId } = await onEvent(event('Create'), deps);
    expect(PhysicalResourceId).toBe(`${STEM}20261121080000-new1`);
    // Newest Completed first: 'othr' (tag mismatch), then 'new1'; the older one and the InProgress one are never asked.
    expect(fake.calls.filter((c) => c.operation === 'ListTags')).toHaveLength(2);
  });

  test('a job with the right stem but another fingerprint tag is not reused', async () => {
    fake.seedJob(`${STEM}20261120080000-othr`, 'Completed', [{ Key: FINGERPRINT_TAG, Value: 'f'.repeat(64) }]);
    const { PhysicalResourceId } = await onEvent(event('Create'), deps);
    expect(PhysicalResourceId).not.toBe(`${STEM}20261120080000-othr`);
    expect(fake.createdJobNames).toEqual([PhysicalResourceId]);
  });

  test('the lookup reads every page of ListTrainingJobs', async () => {
    const fingerprint = fingerprintOf(event('Create'));
    fake.seedJob(`${STEM}20261101000000-ours`, 'Completed', [{ Key: FINGERPRINT_TAG, Value: fingerprint }]);
    for (let i = 0; i < 120; i++) fake.seedJob(`${STEM}20261102${String(i).padStart(6, '0')}-fail`, 'Failed');
    const { PhysicalResourceId } = await onEvent(event('Create'), deps);
    expect(PhysicalResourceId).toBe(`${STEM}20261101000000-ours`);
    expect(fake.calls.filter((c) => c.operation === 'ListTrainingJobs')).toHaveLength(2);
  });

  test('a lookup that is denied fails the deploy naming the IAM actions it needs (never silently retrains)', async () => {
    fake.failNext('ListTrainingJobs', 'AccessDeniedException', 'User is not authorized to perform: sagemaker:ListTrainingJobs');
    await expect(onEvent(event('Create'), deps)).rejects.toThrow(
      'Looking for a training job with the same inputs failed (AccessDeniedException: User is not authorized to perform: sagemaker:ListTrainingJobs). ' +
        'The onEvent role needs sagemaker:ListTrainingJobs (Resource *) and sagemaker:ListTags on training-job/mnist-train-*',
    );
    expect(fake.createdJobNames).toEqual([]);
  });

  test('a change of ServiceTimeout alone re-checks the finished job (no lookup, no job)', async () => {
    const first = await provider(event('Create'));
    fake.calls.length = 0;
    const kept = await provider(event('Update', { ServiceTimeout: '3600' } as Partial<TrainingJobProperties>, first.physicalId));
    expect(kept.physicalId).toBe(first.physicalId);
    expect(fake.calls.map((c) => c.operation)).toEqual(['DescribeTrainingJob']);
  });
});

describe('a reused job\'s model artifact must still exist', () => {
  test('deleted model.tar.gz: the job is not reused, a new job trains, and the log says why', async () => {
    const first = await provider(event('Create'));
    await provider(event('Delete', {}, first.physicalId));
    const [bucket, key] = artifactOf(first.physicalId);
    s3.buckets.get(bucket)!.delete(key);

    const again = await provider(event('Create'));
    expect(again.physicalId).not.toBe(first.physicalId);
    expect(fake.createdJobNames).toEqual([first.physicalId, again.physicalId]);
    expect(lines).toContain(
      `Create: training job ${first.physicalId} (Completed) was trained from the same inputs (fingerprint ${fingerprintOf(event('Create'))}), ` +
        `but its model artifact s3://${bucket}/${key} no longer exists: not reusing it`,
    );
    // The new job's artifact exists: the next reuse takes it, the older job is passed over.
    const third = await provider(event('Create'));
    expect(third.physicalId).toBe(again.physicalId);
    expect(fake.createdJobNames).toHaveLength(2);
  });

  test('a HEAD denied with 403 (no s3:ListBucket) fails the deploy naming the permissions; it never silently retrains', async () => {
    const first = await provider(event('Create'));
    const [bucket, key] = artifactOf(first.physicalId);
    s3.buckets.get(bucket)!.delete(key);
    s3.withoutListBucket(bucket);
    await expect(onEvent(event('Create'), deps)).rejects.toThrow(
      `HeadObject s3://${bucket}/${key} was denied (403), so it is unknown whether training job ${first.physicalId}'s model still exists. ` +
        `S3 answers 403 instead of 404 for a missing object unless the caller may list it: the onEvent role needs s3:GetObject on ` +
        `that object and s3:ListBucket on bucket ${bucket} for its key (condition s3:prefix).`,
    );
    expect(fake.createdJobNames).toEqual([first.physicalId]);
  });

  test('an in-progress job is adopted without a HEAD (its model does not exist yet)', async () => {
    fake.planNextJob({ outcome: 'Completed', describesInProgress: 5 });
    const running = await onEvent(event('Create'), deps);
    const adopted = await onEvent(event('Create'), deps);
    expect(adopted.PhysicalResourceId).toBe(running.PhysicalResourceId);
    expect(s3.calls).toEqual([]);
  });
});

describe('changed training data retrains once; reverted data reuses the earlier job', () => {
  const dataA = { InputChannels: [{ Name: 'training', S3Uri: 's3://data-bucket/mnist/', Revision: 'a'.repeat(64) }] };
  const dataB = { InputChannels: [{ Name: 'training', S3Uri: 's3://data-bucket/mnist/', Revision: 'b'.repeat(64) }] };

  test('a new channel Revision (same URI) trains one new job; back to the old data gets the old job; forward again the new one', async () => {
    const a = await provider(event('Create', dataA));
    const b = await provider(event('Update', dataB, a.physicalId, dataA));
    expect(b.physicalId).not.toBe(a.physicalId);
    const revert = await provider(event('Update', dataA, b.physicalId, dataB));
    expect(revert.physicalId).toBe(a.physicalId);
    const forward = await provider(event('Update', dataB, a.physicalId, dataA));
    expect(forward.physicalId).toBe(b.physicalId);
    expect(fake.createdJobNames).toEqual([a.physicalId, b.physicalId]);
    // The revision is the fingerprint's, not SageMaker's: the job is given the URI only.
    expect(createRequest(b.physicalId).InputDataConfig).toEqual([
      { ChannelName: 'training', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data-bucket/mnist/', S3DataDistributionType: 'FullyReplicated' } }, InputMode: 'File' },
    ]);
  });
});

describe('MaxRuntimeInSeconds is a training input (raising it is the fix MaxRuntimeExceeded recommends)', () => {
  test('after a job stopped at MaxRuntimeExceeded, the raised limit starts a new job with it, under another fingerprint', async () => {
    fake.planNextJob({ outcome: 'Stopped', stoppedSecondaryStatus: 'MaxRuntimeExceeded', describesInProgress: 1 });
    const stopped = await onEvent(event('Create'), deps);
    await expect(provider({ ...event('Create'), PhysicalResourceId: stopped.PhysicalResourceId } as CloudFormationCustomResourceEvent))
      .rejects.toThrow(/MaxRuntimeExceeded: raise maxRuntime/);

    const raised = await provider(event('Update', { MaxRuntimeInSeconds: 3600 }, stopped.PhysicalResourceId));
    expect(raised.physicalId).not.toBe(stopped.PhysicalResourceId);
    expect(createRequest(raised.physicalId).StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600 });
    const tag = (name: string) => (createRequest(name).Tags as Array<{ Key: string; Value: string }>).find((t) => t.Key === FINGERPRINT_TAG)!.Value;
    expect(tag(raised.physicalId)).not.toBe(tag(stopped.PhysicalResourceId));
  });

  test('an Update that changes only MaxRuntimeInSeconds starts a new job even though a job with the old limit completed', async () => {
    const first = await provider(event('Create'));
    const raised = await provider(event('Update', { MaxRuntimeInSeconds: 3600 }, first.physicalId));
    expect(raised.physicalId).not.toBe(first.physicalId);
    expect(fake.createdJobNames).toEqual([first.physicalId, raised.physicalId]);
    expect(createRequest(raised.physicalId).StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600 });
  });
});

describe('checkpoints', () => {
  const spot = (base: string, epochs = '1') =>
    event('Create', { Spot: { MaxWaitTimeInSeconds: 3000, CheckpointS3Uri: base }, HyperParameters: { epochs, backend: '"gloo"' } });

  test('one prefix per training fingerprint: other inputs never restore each other\'s state, the same inputs resume', async () => {
    fake.planNextJob({ outcome: 'Stopped', stoppedSecondaryStatus: 'MaxWaitTimeExceeded', describesInProgress: 0 });
    const interrupted = await onEvent(spot('s3://data-bucket/checkpoints'), deps);
    await expect(isComplete({ ...spot('s3://data-bucket/checkpoints'), PhysicalResourceId: interrupted.PhysicalResourceId } as CloudFormationCustomResourceEvent, deps))
      .rejects.toThrow(/MaxWaitTimeExceeded/);
    const retried = await onEvent(spot('s3://data-bucket/checkpoints'), deps);
    const other = await onEvent(spot('s3://data-bucket/checkpoints', '2'), deps);

    const uri = (name: string) => createRequest(name).CheckpointConfig.S3Uri;
    expect(uri(interrupted.PhysicalResourceId)).toBe(`s3://data-bucket/checkpoints/${fingerprintOf(spot('s3://data-bucket/checkpoints'))}/`);
    expect(uri(retried.PhysicalResourceId)).toBe(uri(interrupted.PhysicalResourceId));
    expect(uri(other.PhysicalResourceId)).toBe(`s3://data-bucket/checkpoints/${fingerprintOf(spot('s3://data-bucket/checkpoints', '2'))}/`);
    expect(uri(other.PhysicalResourceId)).not.toBe(uri(interrupted.PhysicalResourceId));
  });
});

describe('service quotas (ResourceLimitExceeded from CreateTrainingJob)', () => {
  const ADVICE = '-c trainingInstanceCount=1; -c spotTraining=true';
  const raise = (quota: string, desired: number) =>
    `To raise it to ${desired}: Service Quotas console https://eu-west-1.console.aws.amazon.com/servicequotas/home/services/sagemaker/quotas ` +
    `(search '${quota}', Request increase), or run: aws service-quotas request-service-quota-increase --region eu-west-1 --service-code sagemaker ` +
    `--desired-value ${desired} --quota-code "$(aws service-quotas list-aws-default-service-quotas --region eu-west-1 --service-code sagemaker ` +
    `--query "Quotas[?QuotaName=='${quota}'].QuotaCode" --output text)" (AWS reviews increases; approval can take from minutes to days).`;
  const refusedName = () => fake.createdJobNames[fake.createdJobNames.length - 1];

  test('a quota of 0 fails the create at once, naming instance type, usage, quota, numbers, how to raise it and the settings to try', async () => {
    fake.quotas.set('ml.c5.2xlarge for training job usage', 0);
    const error = await onEvent(event('Create', { QuotaAdvice: ADVICE }), deps).catch((e: Error) => e);
    const name = refusedName();
    expect((error as Error).message).toBe(
      `Training job ${name} was not started: SageMaker refused it with ResourceLimitExceeded. ` +
        'Service quota \'ml.c5.2xlarge for training job usage\' (instance type ml.c5.2xlarge, usage: training job) is 0 instances in eu-west-1, ' +
        `0 in use, and this job (2 × ml.c5.2xlarge) needs 2. ${raise('ml.c5.2xlarge for training job usage', 2)} ` +
        `Settings to try instead: ${ADVICE} ` +
        'SageMaker said: The account-level service limit \'ml.c5.2xlarge for training job usage\' is 0 Instances, with current utilization of 0 Instances ' +
        'and a request delta of 2 Instances. Please contact AWS support to request an increase for this limit.',
    );
    expect(fake.jobs.size).toBe(0);
    // Refused is final: the SDK does not retry it.
    expect(fake.calls.filter((c) => c.operation === 'CreateTrainingJob')).toHaveLength(1);
  });

  test('spot training is counted against its own quota, with the instances running jobs already use', async () => {
    const spot = { Spot: { MaxWaitTimeInSeconds: 3000, CheckpointS3Uri: 's3://data-bucket/checkpoints/' }, QuotaAdvice: ADVICE };
    fake.quotas.set('ml.c5.2xlarge for training job usage', 0);
    fake.quotas.set('ml.c5.2xlarge for spot training job usage', 3);
    fake.planNextJob({ outcome: 'Completed', describesInProgress: 10 });
    const running = await onEvent(event('Create', spot), deps);
    const error = await onEvent(event('Update', { ...spot, InstanceType: 'ml.c5.2xlarge', HyperParameters: { epochs: '2', backend: '"gloo"' } }, running.PhysicalResourceId, spot), deps)
      .catch((e: Error) => e);
    expect((error as Error).message).toContain(
      'Service quota \'ml.c5.2xlarge for spot training job usage\' (instance type ml.c5.2xlarge, usage: spot training job) is 3 instances in eu-west-1, ' +
        `2 in use, and this job (2 × ml.c5.2xlarge, managed spot) needs 2. ${raise('ml.c5.2xlarge for spot training job usage', 4)} `,
    );
    expect(fake.jobs.size).toBe(1);
  });

  test('a ResourceLimitExceeded text that names no quota still names the one the job needs, and keeps SageMaker\'s words', async () => {
    fake.failNext('CreateTrainingJob', 'ResourceLimitExceeded', 'Request limit exceeded for this account.');
    const error = await onEvent(event('Create'), deps).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      `Training job ${refusedName()} was not started: SageMaker refused it with ResourceLimitExceeded. ` +
        'Service quota \'ml.c5.2xlarge for training job usage\' (instance type ml.c5.2xlarge, usage: training job) is too low in eu-west-1: ' +
        `this job (2 × ml.c5.2xlarge) needs 2. ${raise('ml.c5.2xlarge for training job usage', 2)} ` +
        '(SageMaker\'s message did not name the quota; this is the one the request needs) SageMaker said: Request limit exceeded for this account.',
    );
  });

  test('other CreateTrainingJob errors pass through unchanged', async () => {
    fake.failNext('CreateTrainingJob', 'ValidationException', 'Instance type ml.c5.2xlarge is not supported for this algorithm');
    await expect(onEvent(event('Create', { QuotaAdvice: ADVICE }), deps)).rejects.toThrow(/^Instance type ml\.c5\.2xlarge is not supported for this algorithm$/);
  });

  test('QuotaAdvice is not a training input: adding it to a trained resource re-checks the job, never retrains', async () => {
    const first = await provider(event('Create'));
    fake.calls.length = 0;
    const kept = await provider(event('Update', { QuotaAdvice: ADVICE }, first.physicalId));
    expect(kept.physicalId).toBe(first.physicalId);
    expect(fake.calls.map((c) => c.operation)).toEqual(['DescribeTrainingJob']);
    expect(trainingFingerprint(event('Create', { QuotaAdvice: ADVICE }).ResourceProperties)).toBe(fingerprintOf(event('Create')));
  });
});
