import { resources, synthMnistOnce, SynthOptions } from '../stack/synth';

// CloudFormation's validation of these variants is asserted in test/stack (off here: it is slow).

/** Resources CloudFormation keeps on stack deletion, as `Type` strings. */
const synth = (options: SynthOptions) => synthMnistOnce({ ...options, validate: false });

function retained(options: SynthOptions) {
  const { template } = synth(options);
  return Object.values(resources(template))
    .filter((r) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate')
    .map((r) => r.Type)
    .sort();
}

// What docs/operations.md's "What cdk destroy removes and what stays" promises.
describe('cdk destroy', () => {
  test('by default keeps only the two buckets (data/models and their access logs) and the registry group (versions are history)', () => {
    expect(retained({})).toEqual(['AWS::S3::Bucket', 'AWS::S3::Bucket', 'AWS::SageMaker::ModelPackageGroup']);
  });

  test('with destroyBucketOnDelete=true keeps nothing, and empties the buckets first', () => {
    const { template } = synth({ settings: { destroyBucketOnDelete: true, bucketEncryption: 'kms' } });
    const all = Object.values(resources(template));
    expect(all.filter((r) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate').map((r) => r.Type)).toEqual([]);
    expect(all.filter((r) => r.Type === 'Custom::S3AutoDeleteObjects')).toHaveLength(2);
    // The group goes too: the registration deletes its versions first (a group with versions cannot be deleted).
    expect(all.filter((r) => r.Type === 'Custom::ModelPackageVersion').map((r) => r.Properties!.DeleteVersionsWithStack)).toEqual(['true']);
  });

  test('with a KMS-encrypted bucket kept, its key is kept too (and says so in docs/operations.md)', () => {
    expect(retained({ settings: { bucketEncryption: 'kms' } })).toEqual(['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::S3::Bucket', 'AWS::SageMaker::ModelPackageGroup']);
  });

  test('everything that bills by the hour is deleted: endpoints, configs, model, training job, alarm key', () => {
    const { template } = synth({ settings: { realtimeMaxInstanceCount: 2, serverlessProvisionedConcurrency: 1 } });
    const hourly = Object.values(resources(template)).filter((r) =>
      /^AWS::SageMaker::(?!ModelPackageGroup$)|^Custom::SageMakerTrainingJob$|^AWS::KMS::Key$|^AWS::ApplicationAutoScaling::/.test(r.Type));
    expect(hourly.map((r) => r.Type)).toEqual(expect.arrayContaining([
      'AWS::SageMaker::Endpoint', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Model', 'Custom::SageMakerTrainingJob', 'AWS::KMS::Key',
    ]));
    for (const r of hourly) expect([undefined, 'Delete']).toContain(r.DeletionPolicy);
  });
});
