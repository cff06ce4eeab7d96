// The training fingerprint: deterministic, blind to what does not change the trained model, and
// changed by every training input (each one a reason the handler must not reuse an earlier job).
import { canonicalJson, NOT_TRAINING_INPUTS, trainingFingerprint } from '../../lambda/training-job/fingerprint';
import { isJobNameFromPrefix, jobNameStem, makeJobName } from '../../lambda/training-job/job-name';

const INPUTS = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
  JobNamePrefix: 'mnist-1a2b3c4d',
  TrainingImage: '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.7.1-cpu-py312-ubuntu22.04-sagemaker',
  RoleArn: 'arn:aws:iam::123456789012:role/Execution',
  EntryPoint: 'mnist.py',
  CodeS3Uri: 's3://cdk-assets/0123abcd.gz',
  HyperParameters: { epochs: '1', backend: '"gloo"' },
  MetricDefinitions: [{ Name: 'test:accuracy', Regex: '([0-9.]+)%' }],
  InstanceType: 'ml.c5.2xlarge',
  InstanceCount: 2,
  VolumeSizeInGB: 30,
  MaxRuntimeInSeconds: 1800,
  InputChannels: [{ Name: 'training', S3Uri: 's3://data/mnist/' }],
  OutputS3Uri: 's3://data/output/',
  EnableNetworkIsolation: false,
  EnableInterContainerTrafficEncryption: false,
  OwnerTag: 'Stack/Training',
  MinimumMetric: { Name: 'test:accuracy', Value: 90 },
};

test('deterministic: key order and CloudFormation\'s stringified scalars do not matter', () => {
  const reordered = Object.fromEntries(Object.entries(INPUTS).reverse());
  const asCloudFormationSends = { ...INPUTS, InstanceCount: '2', VolumeSizeInGB: '30', MaxRuntimeInSeconds: '1800', EnableNetworkIsolation: 'false', EnableInterContainerTrafficEncryption: 'false' };
  expect(trainingFingerprint(reordered)).toBe(trainingFingerprint(INPUTS));
  expect(trainingFingerprint(asCloudFormationSends)).toBe(trainingFingerprint(INPUTS));
  expect(trainingFingerprint(INPUTS)).toMatch(/^[0-9a-f]{64}$/);
  expect(canonicalJson({ b: [2, { d: undefined, c: true }], a: 'x' })).toBe('{"a":"x","b":["2",{"c":"true"}]}');
});

test.each([
  ['TrainingImage', 'other-image:2.8'],
  ['EntryPoint', 'train.py'],
  ['CodeS3Uri', 's3://cdk-assets/4567cdef.gz'],
  ['HyperParameters', { epochs: '2', backend: '"gloo"' }],
  ['MetricDefinitions', [{ Name: 'test:loss', Regex: 'loss ([0-9.]+)' }]],
  ['InstanceType', 'ml.m5.xlarge'],
  ['InstanceCount', 1],
  ['VolumeSizeInGB', 50],
  ['MaxRuntimeInSeconds', 2400],
  ['InputChannels', [{ Name: 'training', S3Uri: 's3://other/mnist/' }]],
  // Same URI, other data (the copy's Revision attribute): data changed in place retrains.
  ['InputChannels', [{ Name: 'training', S3Uri: 's3://data/mnist/', Revision: 'b'.repeat(64) }]],
  ['OutputS3Uri', 's3://data/output2/'],
  ['OutputKmsKeyId', 'arn:aws:kms:eu-west-1:123456789012:key/k'],
  ['VolumeKmsKeyId', 'arn:aws:kms:eu-west-1:123456789012:key/k'],
  ['Spot', { MaxWaitTimeInSeconds: 2700, CheckpointS3Uri: 's3://data/checkpoints/' }],
  ['EnableNetworkIsolation', true],
  ['EnableInterContainerTrafficEncryption', true],
])('a changed %s is a new fingerprint (a new job)', (key, value) => {
  expect(trainingFingerprint({ ...INPUTS, [key]: value })).not.toBe(trainingFingerprint(INPUTS));
});

test.each([...NOT_TRAINING_INPUTS])('%s does not change the fingerprint (it changes nothing that is trained)', (key) => {
  expect(trainingFingerprint({ ...INPUTS, [key]: 'something else' })).toBe(trainingFingerprint(INPUTS));
});

test('job names embed the fingerprint after the prefix and stay within 63 characters', () => {
  const fingerprint = trainingFingerprint(INPUTS);
  const name = makeJobName('A'.repeat(30), fingerprint, new Date('2026-11-26T08:09:10Z'), () => 0.999);
  expect(name).toBe(`${'a'.repeat(30)}-${fingerprint.slice(0, 12)}-20261126080910-9999`);
  expect(name).toHaveLength(63);
  expect(name.startsWith(jobNameStem('A'.repeat(30), fingerprint))).toBe(true);
  expect(isJobNameFromPrefix(name, 'A'.repeat(30))).toBe(true);
  expect(() => jobNameStem('mnist', 'not-a-fingerprint')).toThrow(/Not a training fingerprint/);
});
