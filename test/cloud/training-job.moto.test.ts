// The training job's onEvent and isComplete bundles, exactly as `cdk synth` wrote them, against
// moto's SageMaker, driven through the event sequence CloudFormation sends: Create → isComplete →
// no-change Update → changed Update → rollback Update (the OLD properties again, after a later
// resource failed) → the rollback's cleanup Delete → stack Delete → re-Create.
// Moto does not write model.tar.gz either: the test puts it where SageMaker would once a job
// completes, so the handler's check before a reuse (HeadObject, 404 only with s3:ListBucket, which
// the fixture enforces as S3 does) meets the artifact, or its absence after it is deleted.
// Moto's jobs are Completed as soon as they are created, with none of our metrics, and moto has no
// StopTrainingJob: the fixture reports the metrics and, for the Delete-while-running case, keeps a
// job InProgress and answers StopTrainingJob (our fake); failures and timeouts are proven on our
// stateful fake (test/training-job/lifecycle.test.ts).
// Moto's IAM enforcement stays off here: it authorizes SageMaker calls against resource "*",
// which a policy scoped to training-job/<prefix>-* never matches; test/cloud/permissions.test.ts
// proves these calls' permissions instead.
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ListTrainingJobsCommand, TrainingJobSummary } from '@aws-sdk/client-sagemaker';
import { CloudRun, Credentials, Properties, REPORTED_METRICS } from './cloud-fixture';

const TYPE = 'Custom::SageMakerTrainingJob';

let run: CloudRun;
let original: Properties;
let changed: Properties;
let onEventCredentials: Credentials;
let isCompleteCredentials: Credentials;
const saved = { ...process.env };
/** Physical ids as the steps produce them. */
const jobs: { first?: string; second?: string } = {};
/** What isComplete returned for the first job: a rollback must give CloudFormation these again. */
let firstAttributes: Record<string, unknown>;

const creates = (): number => run.proxy.callsOf('sagemaker', 'CreateTrainingJob').length;

/** Bucket and key of a job's model.tar.gz, from the ModelDataUrl isComplete returned. */
function artifactOf(attributes: Record<string, unknown>): { Bucket: string; Key: string } {
  const [, Bucket, Key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(String((attributes.Data as Record<string, string>).ModelDataUrl))!;
  return { Bucket, Key };
}

/** What SageMaker does when a job completes (moto does not): upload its model.tar.gz. */
async function uploadModel(attributes: Record<string, unknown>): Promise<void> {
  await run.admin.s3.send(new PutObjectCommand({ ...artifactOf(attributes), Body: 'model.tar.gz' }));
}

/** The onEvent handler's HEADs of model artifacts since `from`: key and the status S3 (as the fixture enforces it) answered. */
const heads = (from = 0) => run.proxy.callsOf('s3', 'HeadObject').slice(from).map((c) => ({ key: String(c.params.Key), status: c.status }));

async function jobsInMoto(): Promise<TrainingJobSummary[]> {
  const answer = await run.admin.sagemaker.send(new ListTrainingJobsCommand({ MaxResults: 100 }));
  return answer.TrainingJobSummaries ?? [];
}

async function onEvent(requestType: 'Create' | 'Update' | 'Delete', properties: Properties, extra: { old?: Properties; physicalId?: string } = {}): Promise<string> {
  const { onEvent: fn } = run.trainingFunctions();
  const answer = await run.invoke(fn, onEventCredentials, run.event(TYPE, requestType, properties, extra));
  return String(answer.PhysicalResourceId);
}

/** Polls isComplete as the Provider's waiter does (bounded), until IsComplete. */
async function isComplete(requestType: 'Create' | 'Update' | 'Delete', properties: Properties, physicalId: string, old?: Properties): Promise<Record<string, unknown>> {
  const { isComplete: fn } = run.trainingFunctions();
  for (let poll = 0; poll < 5; poll++) {
    // The Provider framework hands isComplete the event with onEvent's answer merged in, Create included.
    const event = { ...run.event(TYPE, requestType, properties, { physicalId, old }), PhysicalResourceId: physicalId };
    const answer = await run.invoke(fn, isCompleteCredentials, event);
    if (answer.IsComplete) return answer;
  }
  throw new Error(`isComplete never completed for ${physicalId}`);
}

beforeAll(async () => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  run = await CloudRun.start();
  // The training channel is the data copy's DestinationS3Uri attribute.
  run.setValue(`${run.logicalId('Custom::S3PrefixCopy')}.DestinationS3Uri`, 's3://storagebucket/mnist/data/');
  run.setValue(`${run.logicalId('Custom::S3PrefixCopy')}.Revision`, 'a'.repeat(64));
  original = run.properties(TYPE);
  const outputBucket = /^s3:\/\/([^/]+)\//.exec(String(original.OutputS3Uri))![1];
  await run.admin.s3.send(new CreateBucketCommand({ Bucket: outputBucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
  changed = { ...original, HyperParameters: { ...(original.HyperParameters as Record<string, string>), epochs: '2' } };
  const { onEvent: onEventFn, isComplete: isCompleteFn } = run.trainingFunctions();
  onEventCredentials = await run.credentialsFor(onEventFn);
  isCompleteCredentials = await run.credentialsFor(isCompleteFn);
}, 20 * 60_000); // bounded; the first run on a new machine may build .venv for moto

afterAll(async () => {
  process.env = { ...saved };
  jest.restoreAllMocks();
  await run?.stop();
});

test('Create starts one job from the template\'s properties; isComplete returns its model and metrics', async () => {
  jobs.first = await onEvent('Create', original);
  expect(creates()).toBe(1);
  const [request] = run.proxy.callsOf('sagemaker', 'CreateTrainingJob');
  expect(request.params).toMatchObject({
    TrainingJobName: jobs.first,
    RoleArn: original.RoleArn,
    ResourceConfig: { InstanceType: 'ml.c5.2xlarge', InstanceCount: 2 },
    HyperParameters: { epochs: '1', backend: '"gloo"', sagemaker_program: '"mnist.py"' },
  });
  firstAttributes = await isComplete('Create', original, jobs.first);
  await uploadModel(firstAttributes);
  expect(firstAttributes.Data).toMatchObject({
    TrainingJobName: jobs.first,
    ModelDataUrl: `${String(original.OutputS3Uri)}${jobs.first}/output/model.tar.gz`,
    'Metric.test_accuracy': String(REPORTED_METRICS['test:accuracy']),
  });
});

test('an Update that changes no training setting starts no job and keeps the physical id', async () => {
  const recheck = { ...original, MinimumMetric: { Name: 'test:accuracy', Value: '95' } };
  expect(await onEvent('Update', recheck, { old: original, physicalId: jobs.first })).toBe(jobs.first);
  expect(creates()).toBe(1);
  expect((await isComplete('Update', recheck, jobs.first!, original)).Data).toMatchObject({ TrainingJobName: jobs.first });
});

test('an Update with a changed hyperparameter starts one new job under a new physical id', async () => {
  jobs.second = await onEvent('Update', changed, { old: original, physicalId: jobs.first });
  expect(jobs.second).not.toBe(jobs.first);
  expect(creates()).toBe(2);
  expect(run.proxy.callsOf('sagemaker', 'CreateTrainingJob')[1].params).toMatchObject({ HyperParameters: { epochs: '2' } });
  const secondAttributes = await isComplete('Update', changed, jobs.second, original);
  expect(secondAttributes.Data).toMatchObject({ TrainingJobName: jobs.second });
  await uploadModel(secondAttributes);
});

test('the rollback Update (old properties again) confirms the first job\'s model is there, starts no job and hands back its attributes', async () => {
  const before = run.proxy.callsOf('s3', 'HeadObject').length;
  const physicalId = await onEvent('Update', original, { old: changed, physicalId: jobs.second });
  expect(creates()).toBe(2);
  expect(physicalId).toBe(jobs.first);
  expect(heads(before)).toEqual([{ key: artifactOf(firstAttributes).Key, status: 200 }]);
  const attributes = await isComplete('Update', original, physicalId, changed);
  expect(attributes.Data).toEqual(firstAttributes.Data);
  expect((await jobsInMoto()).map((j) => j.TrainingJobName).sort()).toEqual([jobs.first, jobs.second].sort());
});

test('the rollback\'s cleanup Delete of the new job and the stack Delete stop nothing and keep finished jobs as history', async () => {
  expect(await onEvent('Delete', changed, { physicalId: jobs.second })).toBe(jobs.second);
  expect(await isComplete('Delete', changed, jobs.second!)).toMatchObject({ IsComplete: true });
  expect(await onEvent('Delete', original, { physicalId: jobs.first })).toBe(jobs.first);
  expect(await isComplete('Delete', original, jobs.first!)).toMatchObject({ IsComplete: true });
  expect(run.proxy.callsOf('sagemaker', 'StopTrainingJob')).toHaveLength(0);
  expect((await jobsInMoto()).map((j) => j.TrainingJobStatus)).toEqual(['Completed', 'Completed']);
});

test('re-creating the resource with inputs already trained starts no job', async () => {
  expect(await onEvent('Create', original)).toBe(jobs.first);
  expect(creates()).toBe(2);
});

test('a job whose model.tar.gz was deleted is not reused: S3 answers the HEAD 404 (the role may list that key) and a new job trains', async () => {
  await run.admin.s3.send(new DeleteObjectCommand(artifactOf(firstAttributes)));
  const before = run.proxy.callsOf('s3', 'HeadObject').length;
  const again = await onEvent('Create', original);
  expect(again).not.toBe(jobs.first);
  expect(creates()).toBe(3);
  // 404, not the 403 S3 gives a caller without s3:ListBucket: the handler knows the model is gone.
  expect(heads(before)).toEqual([{ key: artifactOf(firstAttributes).Key, status: 404 }]);
  await uploadModel(await isComplete('Create', original, again));
  // The new job, with its model, is what the next deploy of these inputs reuses.
  expect(await onEvent('Create', original)).toBe(again);
  expect(creates()).toBe(3);
});

test('a Delete while the job still runs stops it and waits until it has stopped', async () => {
  const another = { ...original, HyperParameters: { ...(original.HyperParameters as Record<string, string>), epochs: '3' } };
  const running = await onEvent('Create', another);
  expect(creates()).toBe(4);
  run.keepRunning(running);
  const { isComplete: fn } = run.trainingFunctions();
  const poll = { ...run.event(TYPE, 'Create', another, { physicalId: running }), PhysicalResourceId: running };
  expect(await run.invoke(fn, isCompleteCredentials, poll)).toEqual({ IsComplete: false });
  expect(await onEvent('Delete', another, { physicalId: running })).toBe(running);
  expect(run.proxy.callsOf('sagemaker', 'StopTrainingJob').map((c) => c.params.TrainingJobName)).toEqual([running]);
  expect(await isComplete('Delete', another, running)).toMatchObject({ IsComplete: true });
});
