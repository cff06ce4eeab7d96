// Delete while a job runs: only the finish-before-stop race (and a job that is already gone) may be
// taken as "nothing to stop". Any other StopTrainingJob failure can leave a job billing, so the
// delete must fail with a message that names the job, the error and the fix. Run against the fake
// SageMaker on loopback through the handlers' real SDK client, so the SDK's retries are what is counted.
import { Dependencies, onEvent } from '../../lambda/training-job/handlers';
import { customResourceEvent } from '../support/custom-resource-event';
import { FakeSageMaker } from './fake-sagemaker';

const REGION = 'eu-west-1';
// As CloudFormation sends them: every scalar a string.
const PROPERTIES: Record<string, unknown> = {
  JobNamePrefix: 'Mnist-Train',
  TrainingImage: '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.7.1-cpu-py312-ubuntu22.04-sagemaker',
  RoleArn: 'arn:aws:iam::123456789012:role/SageMakerExecution',
  EntryPoint: 'mnist.py',
  CodeS3Uri: 's3://cdk-assets-123456789012-eu-west-1/0123abcd.gz',
  HyperParameters: { epochs: '1' },
  InstanceType: 'ml.c5.2xlarge',
  InstanceCount: '1',
  VolumeSizeInGB: '30',
  MaxRuntimeInSeconds: '1800',
  InputChannels: [{ Name: 'training', S3Uri: 's3://data-bucket/mnist/' }],
  OutputS3Uri: 's3://data-bucket/output',
  EnableNetworkIsolation: 'false',
  EnableInterContainerTrafficEncryption: 'false',
};

const eventOf = (requestType: 'Create' | 'Delete', physicalId?: string) => customResourceEvent(requestType, {
  resourceType: 'Custom::SageMakerTrainingJob',
  logicalId: 'TrainingJob',
  stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/MnistStack/guid',
  properties: PROPERTIES,
  physicalId,
});

let fake: FakeSageMaker;
let lines: string[];
let deps: Dependencies;
let jobName: string;

beforeEach(async () => {
  fake = new FakeSageMaker();
  await fake.start();
  lines = [];
  const log = (line: string) => void lines.push(line);
  deps = { sagemaker: fake.client(log), region: REGION, log };
  // A job this resource created, still running (the fake keeps it InProgress for its first describes).
  jobName = (await onEvent(eventOf('Create'), deps)).PhysicalResourceId;
});

afterEach(async () => {
  await fake.stop();
});

const stopCalls = () => fake.calls.filter((c) => c.operation === 'StopTrainingJob').length;
const fix = () => `stop it with 'aws sagemaker stop-training-job --region ${REGION} --training-job-name ${jobName}', then retry the delete.`;

test('AccessDenied fails the delete at once, naming the job, the error and the fix', async () => {
  fake.failNext('StopTrainingJob', 'AccessDeniedException',
    'User: arn:aws:sts::123456789012:assumed-role/OnEvent/fn is not authorized to perform: sagemaker:StopTrainingJob');
  const deletion = onEvent(eventOf('Delete', jobName), deps);
  await expect(deletion).rejects.toThrow(
    `Delete: could not stop training job ${jobName} (AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/OnEvent/fn ` +
      `is not authorized to perform: sagemaker:StopTrainingJob). It may still be running and billing: ${fix()}`,
  );
  expect(stopCalls()).toBe(1); // not retried: permissions do not come back by waiting
  expect(lines.join('\n')).not.toMatch(/no longer running|nothing to stop/);
});

test('throttling that never ends fails the delete after the SDK\'s retries give up', async () => {
  fake.throttle('StopTrainingJob', Infinity);
  await expect(onEvent(eventOf('Delete', jobName), deps)).rejects.toThrow(
    `Delete: could not stop training job ${jobName} (ThrottlingException: Rate exceeded). It may still be running and billing: ${fix()}`,
  );
  expect(stopCalls()).toBe(8); // MAX_ATTEMPTS (lambda/shared/retry.ts), each retry logged
  expect(lines.filter((line) => line.startsWith(`StopTrainingJob ${jobName}: ThrottlingException on attempt`))).toHaveLength(7);
});

test('a 5xx that outlasts the retries fails the delete too', async () => {
  fake.failNext('StopTrainingJob', 'InternalFailure', 'We encountered an internal error.', Infinity); // HTTP 500
  await expect(onEvent(eventOf('Delete', jobName), deps)).rejects.toThrow(`could not stop training job ${jobName} (InternalFailure: `);
  expect(stopCalls()).toBe(8);
});

test('throttling that ends is retried and the delete goes on', async () => {
  fake.throttle('StopTrainingJob', 1);
  await expect(onEvent(eventOf('Delete', jobName), deps)).resolves.toEqual({ PhysicalResourceId: jobName });
  expect(stopCalls()).toBe(2);
  expect(lines).toContain(`Delete: stopping training job ${jobName}`);
  expect(fake.jobs.get(jobName)!.status).toBe('Stopping');
});

test.each([
  ['ValidationException', () => fake.finishJobBeforeNextStop()],
  ['ResourceNotFound', () => fake.failNext('StopTrainingJob', 'ResourceNotFound', 'Requested resource not found.')],
])('the race (%s: the job finished or went between Describe and Stop) is not a failure', async (name, race) => {
  race();
  await expect(onEvent(eventOf('Delete', jobName), deps)).resolves.toEqual({ PhysicalResourceId: jobName });
  expect(lines).toContain(`Delete: training job ${jobName} is no longer running (${name})`);
  expect(stopCalls()).toBe(1);
});
