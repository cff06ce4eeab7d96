// Delete while a job runs: only the finish-before-stop race (and a job that is already gone) may be
// taken as "nothing to stop". Any other StopTrainingJob failure can leave a job billing, so the
// delete must fail with a message that names the job, the error and the fix.
import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  SageMakerServiceException,
  StopTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { Dependencies, onEvent } from '../../lambda/training-job/handlers';
import { customResourceEvent } from '../support/custom-resource-event';

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

const serviceError = (name: string, status: number, message: string) =>
  new SageMakerServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });

const sagemaker = mockClient(SageMakerClient);
let lines: string[];
let deps: Dependencies;
let jobName: string;

beforeEach(async () => {
  sagemaker.reset();
  lines = [];
  deps = {
    sagemaker: new SageMakerClient({ region: REGION, maxAttempts: 1 }),
    region: REGION,
    log: (line) => lines.push(line),
    backoff: { sleep: async () => undefined, random: () => 1 },
  };
  // A job this resource created (whatever lookups Create makes first find nothing), now running.
  sagemaker.onAnyCommand().resolves({});
  sagemaker.on(CreateTrainingJobCommand).resolves({ TrainingJobArn: 'arn:aws:sagemaker:eu-west-1:123456789012:training-job/x' });
  jobName = (await onEvent(eventOf('Create'), deps)).PhysicalResourceId;
  sagemaker.on(DescribeTrainingJobCommand).resolves({ TrainingJobName: jobName, TrainingJobStatus: 'InProgress', SecondaryStatus: 'Training' });
});

const stopCalls = () => sagemaker.commandCalls(StopTrainingJobCommand).length;
const fix = () => `stop it with 'aws sagemaker stop-training-job --region ${REGION} --training-job-name ${jobName}', then retry the delete.`;

test('AccessDenied fails the delete at once, naming the job, the error and the fix', async () => {
  sagemaker.on(StopTrainingJobCommand).rejects(serviceError('AccessDeniedException', 400,
    'User: arn:aws:sts::123456789012:assumed-role/OnEvent/fn is not authorized to perform: sagemaker:StopTrainingJob'));
  const deletion = onEvent(eventOf('Delete', jobName), deps);
  await expect(deletion).rejects.toThrow(
    `Delete: could not stop training job ${jobName} (AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/OnEvent/fn ` +
      `is not authorized to perform: sagemaker:StopTrainingJob). It may still be running and billing: ${fix()}`,
  );
  expect(stopCalls()).toBe(1); // not retried: permissions do not come back by waiting
  expect(lines.join('\n')).not.toMatch(/no longer running|nothing to stop/);
});

test('throttling that never ends fails the delete after the backoff gives up', async () => {
  sagemaker.on(StopTrainingJobCommand).rejects(serviceError('ThrottlingException', 400, 'Rate exceeded'));
  await expect(onEvent(eventOf('Delete', jobName), deps)).rejects.toThrow(
    `Delete: could not stop training job ${jobName} (ThrottlingException: Rate exceeded). It may still be running and billing: ${fix()}`,
  );
  expect(stopCalls()).toBe(8); // the shared backoff's default attempts, each retry logged
  expect(lines.filter((line) => line.startsWith(`StopTrainingJob ${jobName}: ThrottlingException on attempt`))).toHaveLength(7);
});

test('a 5xx that outlasts the retries fails the delete too', async () => {
  sagemaker.on(StopTrainingJobCommand).rejects(serviceError('InternalFailure', 500, 'We encountered an internal error.'));
  await expect(onEvent(eventOf('Delete', jobName), deps)).rejects.toThrow(`could not stop training job ${jobName} (InternalFailure: `);
});

test('throttling that ends is retried and the delete goes on', async () => {
  sagemaker.on(StopTrainingJobCommand)
    .rejectsOnce(serviceError('ThrottlingException', 400, 'Rate exceeded'))
    .resolves({});
  await expect(onEvent(eventOf('Delete', jobName), deps)).resolves.toEqual({ PhysicalResourceId: jobName });
  expect(stopCalls()).toBe(2);
  expect(lines).toContain(`Delete: stopping training job ${jobName}`);
});

test.each([
  ['ValidationException', 'The request was rejected because the training job is in status Completed.'],
  ['ResourceNotFound', 'Requested resource not found.'],
])('the race (%s: the job finished or went between Describe and Stop) is not a failure', async (name, message) => {
  sagemaker.on(StopTrainingJobCommand).rejects(serviceError(name, 400, message));
  await expect(onEvent(eventOf('Delete', jobName), deps)).resolves.toEqual({ PhysicalResourceId: jobName });
  expect(lines).toContain(`Delete: training job ${jobName} is no longer running (${name})`);
  expect(stopCalls()).toBe(1);
});
