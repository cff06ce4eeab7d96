// The handlers as NodejsFunction ships them (esbuild, minified, AWS SDK v3 inside): each bundle
// loads on its own and runs a real lifecycle against the loopback fakes, with the SDK's standard
// AWS_ENDPOINT_URL_<SERVICE> variables pointing it there. Prints each bundle's size.
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { FakeS3 } from '../s3-prefix-copy/fake-s3';
import { FakeSageMaker, REGION } from './fake-sagemaker';

const LAMBDA = path.join(__dirname, '..', '..', 'lambda');
type Handler = (event: CloudFormationCustomResourceEvent) => Promise<Record<string, unknown>>;

let dir: string;
const saved = { ...process.env };

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tj-bundle-'));
});

afterEach(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Bundles like NodejsFunction with externalModules: [] and minify, then loads it. */
function load(entry: string, name: string): { handler: Handler; bytes: number } {
  const outfile = path.join(dir, `${name}.js`);
  esbuild.buildSync({ entryPoints: [path.join(LAMBDA, entry)], bundle: true, minify: true, platform: 'node', target: 'node22', format: 'cjs', outfile, logLevel: 'error' });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { handler: (require(outfile) as { handler: Handler }).handler, bytes: fs.statSync(outfile).size };
}

function environment(extra: Record<string, string>): void {
  Object.assign(process.env, { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', ...extra });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

test('training-job bundles: create, poll to Completed, attributes; the same inputs again reuse the job (its model confirmed in S3)', async () => {
  const fake = new FakeSageMaker();
  const s3 = new FakeS3();
  await Promise.all([fake.start(), s3.start()]);
  fake.uploadArtifact = (bucket, key, body) => s3.put(bucket, key, body);
  try {
    environment({ AWS_ENDPOINT_URL_SAGEMAKER: fake.endpoint, AWS_ENDPOINT_URL_S3: s3.endpoint });
    const onEvent = load('training-job/on-event.ts', 'on-event');
    const isComplete = load('training-job/is-complete.ts', 'is-complete');
    console.info(`training-job bundles (minified, SDK inside): onEvent ${kib(onEvent.bytes)}, isComplete ${kib(isComplete.bytes)}`);

    fake.planNextJob({ outcome: 'Completed', describesInProgress: 2, metrics: { 'test:accuracy': 98.5 } });
    const event = {
      RequestType: 'Create',
      ServiceToken: 'x',
      ResponseURL: 'https://example/',
      StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/S/guid',
      RequestId: 'r',
      LogicalResourceId: 'Training',
      ResourceType: 'Custom::SageMakerTrainingJob',
      ResourceProperties: {
        ServiceToken: 'x',
        JobNamePrefix: 'mnist',
        TrainingImage: 'image',
        RoleArn: 'arn:aws:iam::123456789012:role/r',
        EntryPoint: 'mnist.py',
        CodeS3Uri: 's3://assets/abc.gz',
        HyperParameters: { epochs: '1' },
        MetricDefinitions: [{ Name: 'test:accuracy', Regex: '([0-9.]+)%' }],
        InstanceType: 'ml.c5.2xlarge',
        InstanceCount: '1',
        VolumeSizeInGB: '30',
        MaxRuntimeInSeconds: '600',
        InputChannels: [{ Name: 'training', S3Uri: 's3://data/' }],
        OutputS3Uri: 's3://out/',
      },
    } as unknown as CloudFormationCustomResourceEvent;
    const { PhysicalResourceId } = await onEvent.handler(event);
    const waiting = { ...event, PhysicalResourceId } as CloudFormationCustomResourceEvent;
    expect(await isComplete.handler(waiting)).toEqual({ IsComplete: false });
    expect(await isComplete.handler(waiting)).toEqual({ IsComplete: false });
    const done = await isComplete.handler(waiting);
    expect(done).toMatchObject({ IsComplete: true, Data: { ModelDataUrl: `s3://out/${PhysicalResourceId}/output/model.tar.gz`, 'Metric.test_accuracy': '98.5' } });
    // The same inputs again (a re-create, or a rollback's Update): the bundle finds the job and starts none.
    const again = await onEvent.handler(event);
    expect(again.PhysicalResourceId).toBe(PhysicalResourceId);
    expect(fake.createdJobNames).toEqual([PhysicalResourceId]);
    expect(s3.calls).toEqual([{ operation: 'HeadObject', bucket: 'out', key: `${PhysicalResourceId}/output/model.tar.gz` }]);
  } finally {
    await Promise.all([fake.stop(), s3.stop()]);
  }
});

test('s3-prefix-copy bundle: copies and deletes its copy', async () => {
  const s3 = new FakeS3();
  await s3.start();
  try {
    s3.put('sagemaker-sample-files', 'datasets/image/MNIST/t10k-labels-idx1-ubyte.gz', 'labels');
    environment({ AWS_ENDPOINT_URL_S3: s3.endpoint });
    const copy = load('s3-prefix-copy/index.ts', 's3-prefix-copy');
    console.info(`s3-prefix-copy bundle (minified, SDK inside): ${kib(copy.bytes)}`);
    const base = {
      ServiceToken: 'x',
      ResponseURL: 'https://example/',
      StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/S/guid',
      RequestId: 'r',
      LogicalResourceId: 'Copy',
      ResourceType: 'Custom::S3PrefixCopy',
      ResourceProperties: {
        ServiceToken: 'x',
        SourceBucketName: 'sagemaker-sample-files',
        SourcePrefix: 'datasets/image/MNIST/',
        Keys: ['t10k-labels-idx1-ubyte.gz'],
        DestinationBucketName: 'mnist-data',
        DestinationPrefix: 'mnist/',
      },
    };
    await copy.handler({ ...base, RequestType: 'Create' } as CloudFormationCustomResourceEvent);
    expect(s3.get('mnist-data', 'mnist/t10k-labels-idx1-ubyte.gz')!.body.toString()).toBe('labels');
    await copy.handler({ ...base, RequestType: 'Delete', PhysicalResourceId: 's3://mnist-data/mnist/' } as CloudFormationCustomResourceEvent);
    expect(s3.keys('mnist-data')).toEqual([]);
  } finally {
    await s3.stop();
  }
});
