// Changed training data is a changed training resource: CloudFormation sends the training job an
// Update (and its fingerprint changes) exactly when the data it reads changes. Proven on the
// synthesized MNIST template: local data is uploaded under a content-addressed prefix, and the
// sample-files copy hands the job its data revision (the copied objects' ETags, a deploy-time
// attribute that the copy handler returns equal for equal source objects: test/s3-prefix-copy).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { trainingFingerprint } from '../../lambda/training-job/fingerprint';
import { MnistSettingsOverrides } from '../../lib/settings';
import { TrainingData } from '../../lib/training/training-data';
import { single, synthMnist } from '../stack/synth';

type Properties = Record<string, unknown>;

const folders: string[] = [];

/** A data folder like `npm run make-mnist-idx` writes, its training images ending in `lastByte`. */
function dataFolder(lastByte: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-data-revision-'));
  folders.push(folder);
  fs.writeFileSync(path.join(folder, 'train-images-idx3-ubyte.gz'), `images${lastByte}`);
  fs.writeFileSync(path.join(folder, 'train-labels-idx1-ubyte.gz'), 'labels');
  return folder;
}

afterAll(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

/** The training resource's properties, as the template gives them to CloudFormation. */
function trainingProperties(settings: MnistSettingsOverrides = {}): Properties {
  const { template } = synthMnist({ settings, validate: false });
  const [, training] = single(template, 'Custom::SageMakerTrainingJob', 'Training');
  return training.Properties as Properties;
}

const channelOf = (properties: Properties) => (properties.InputChannels as Array<Record<string, unknown>>)[0];

describe('dataSource=local', () => {
  test('two folders that differ in one byte give different training properties (channel URI) and fingerprints', () => {
    const one = trainingProperties({ dataSource: 'local', dataLocalPath: dataFolder('1') });
    const other = trainingProperties({ dataSource: 'local', dataLocalPath: dataFolder('2') });
    expect(JSON.stringify(channelOf(one))).toMatch(/\/mnist\/data-local\/[0-9a-f]{64}\/"/);
    expect(channelOf(other)).not.toEqual(channelOf(one));
    expect(trainingFingerprint(other)).not.toBe(trainingFingerprint(one));
  });

  test('the same content in another folder is the same channel: nothing to update, the trained job is reused', () => {
    const one = trainingProperties({ dataSource: 'local', dataLocalPath: dataFolder('1') });
    const same = trainingProperties({ dataSource: 'local', dataLocalPath: dataFolder('1') });
    expect(same).toEqual(one);
  });

  test('each version is uploaded under its own prefix, and the execution role reads exactly that prefix', () => {
    const folder = dataFolder('1');
    const { template } = synthMnist({ settings: { dataSource: 'local', dataLocalPath: folder }, validate: false });
    const [, upload] = single(template, 'Custom::CDKBucketDeployment', 'TrainingData');
    const prefix = String(upload.Properties!.DestinationBucketKeyPrefix);
    expect(prefix).toMatch(/^mnist\/data-local\/[0-9a-f]{64}\/$/);
    expect(JSON.stringify(channelOf(trainingProperties({ dataSource: 'local', dataLocalPath: folder })))).toContain(`/${prefix}"`);
    const reads = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(reads).toContain(`/${prefix}*`);
    expect(reads).not.toContain('/mnist/data/*');
    expect(reads).not.toContain('/mnist/data-local/*');
    // Never the copy's prefix: a sample-files channel (mnist/data/) never reads a local upload, nor the other way round.
    expect(prefix.startsWith('mnist/data/')).toBe(false);
  });

  test('a localPrefix that contains, or lies inside, the copy prefix is refused in one line', () => {
    const stack = new Stack(new App(), 'S');
    const bucket = new s3.Bucket(stack, 'B');
    const source = { kind: 'local' as const, path: dataFolder('1') };
    expect(() => new TrainingData(stack, 'Inside', { source, bucket, prefix: 'mnist/data/', localPrefix: 'mnist/data/local/' }))
      .toThrow("TrainingData localPrefix 'mnist/data/local/' overlaps prefix 'mnist/data/': one channel would read the other's files; choose prefixes that do not contain each other");
    expect(() => new TrainingData(stack, 'Around', { source, bucket, prefix: 'mnist/data/', localPrefix: 'mnist/' })).toThrow(/overlaps prefix/);
  });
});

describe('dataSource=sample-files', () => {
  test('the channel carries the copy\'s Revision attribute, so a changed copy updates the job', () => {
    const { template } = synthMnist({ validate: false });
    const [copyId] = single(template, 'Custom::S3PrefixCopy', 'TrainingData');
    const [, training] = single(template, 'Custom::SageMakerTrainingJob', 'Training');
    expect(channelOf(training.Properties as Properties)).toEqual({
      Name: 'training',
      S3Uri: { 'Fn::GetAtt': [copyId, 'DestinationS3Uri'] },
      Revision: { 'Fn::GetAtt': [copyId, 'Revision'] },
    });
  });

  test('switching sample-files → local → sample-files gives fingerprints A, B, A (the last deploy reuses the first job)', () => {
    const local = dataFolder('1');
    const fingerprints = [{}, { dataSource: 'local', dataLocalPath: local }, {}]
      .map((settings) => trainingFingerprint(trainingProperties(settings as MnistSettingsOverrides)));
    expect(fingerprints[1]).not.toBe(fingerprints[0]);
    expect(fingerprints[2]).toBe(fingerprints[0]);
  });
});
