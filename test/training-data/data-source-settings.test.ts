// The data-source settings that depend on where the stack runs: sample-files only in the aws
// partition, a dataSource=s3 bucket in the stack's own region, and its customer-managed KMS key.
import { App } from 'aws-cdk-lib';
import { resolveSettings, SettingsError, validateSettingsForRegion, dataS3BucketRegion, partitionOf } from '../../lib/settings';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Settings as `-c key=value` passes them. */
function fromCli(context: Record<string, string>) {
  return resolveSettings(new App({ context }).node);
}

describe('dataS3KmsKeyArn and dataS3Region', () => {
  test('accepted with dataSource=s3; the bucket region comes from dataS3Region, else from the key', () => {
    const withKey = fromCli({ dataSource: 's3', dataS3Uri: 's3://my-data/mnist/', dataS3KmsKeyArn: KEY_ARN });
    expect(withKey.dataS3KmsKeyArn).toBe(KEY_ARN);
    expect(dataS3BucketRegion(withKey)).toBe('eu-west-1');
    expect(dataS3BucketRegion(fromCli({ dataSource: 's3', dataS3Uri: 's3://my-data/mnist/', dataS3Region: 'us-east-2' }))).toBe('us-east-2');
    expect(dataS3BucketRegion(fromCli({ dataSource: 's3', dataS3Uri: 's3://my-data/mnist/' }))).toBeUndefined();
  });

  test.each([
    ['an alias instead of a key ARN', { dataS3KmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/data' }, /Invalid setting dataS3KmsKeyArn=.*alias\/data: expected a KMS key ARN such as/],
    ['a key id without ARN', { dataS3KmsKeyArn: '1234abcd-12ab-34cd-56ef-1234567890ab' }, /Invalid setting dataS3KmsKeyArn/],
    ['a region that is not one', { dataS3Region: 'Ireland' }, /Invalid setting dataS3Region=Ireland: expected an AWS region such as eu-west-1/],
    ['a key in another region than dataS3Region', { dataS3KmsKeyArn: KEY_ARN, dataS3Region: 'us-east-1' }, /dataS3KmsKeyArn \(a key in eu-west-1\) and dataS3Region=us-east-1 disagree/],
  ])('refused: %s', (_what, settings, message) => {
    expect(() => fromCli({ dataSource: 's3', dataS3Uri: 's3://my-data/mnist/', ...settings })).toThrow(message);
  });

  test.each(['dataS3KmsKeyArn', 'dataS3Region'])('%s without dataSource=s3 is refused rather than ignored', (name) => {
    const value = name === 'dataS3Region' ? 'eu-west-1' : KEY_ARN;
    expect(() => fromCli({ [name]: value })).toThrow(new SettingsError(`Setting ${name}=${value} applies to dataSource=s3 only (dataSource is sample-files): remove it or set -c dataSource=s3.`));
  });
});

describe('checks for a stack whose region is known', () => {
  test.each([
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('sample-files is refused in %s (%s) with the settings to use instead', (region, partition) => {
    expect(() => validateSettingsForRegion(fromCli({}), region)).toThrow(
      new RegExp(`dataSource=sample-files cannot work in ${region} \\(partition ${partition}\\): .*exists only in the aws partition.*-c dataSource=local .*-c dataSource=s3`),
    );
  });

  test('sample-files is fine in the aws partition, local and s3 anywhere', () => {
    expect(() => validateSettingsForRegion(fromCli({}), 'eu-west-1')).not.toThrow();
    expect(() => validateSettingsForRegion(fromCli({ dataSource: 's3', dataS3Uri: 's3://my-data/mnist/' }), 'cn-north-1')).not.toThrow();
  });

  test('partitions of regions aws-cdk-lib does not know yet follow their names', () => {
    expect([partitionOf('cn-south-9'), partitionOf('us-gov-south-9'), partitionOf('xx-new-1')]).toEqual(['aws-cn', 'aws-us-gov', 'aws']);
  });

  test('a dataS3Region or key region other than the stack region is refused', () => {
    expect(() => validateSettingsForRegion(fromCli({ dataSource: 's3', dataS3Uri: 's3://my-data/mnist/', dataS3Region: 'us-east-1' }), 'eu-west-1')).toThrow(
      'Setting dataS3Uri=s3://my-data/mnist/: the bucket is in us-east-1 (dataS3Region=us-east-1) but the stack deploys to eu-west-1, and SageMaker reads training data only from its own region. Copy the data to a bucket in eu-west-1, or deploy the stack to us-east-1.',
    );
    expect(() => validateSettingsForRegion(fromCli({ dataSource: 's3', dataS3Uri: 's3://my-data/mnist/', dataS3KmsKeyArn: KEY_ARN }), 'us-west-2')).toThrow(
      /the bucket is in eu-west-1 \(dataS3KmsKeyArn is a key in eu-west-1, so the bucket is there too\) but the stack deploys to us-west-2/,
    );
    expect(() => validateSettingsForRegion(fromCli({ dataSource: 's3', dataS3Uri: 's3://my-data/mnist/', dataS3KmsKeyArn: KEY_ARN }), 'eu-west-1')).not.toThrow();
  });

  test('a bucket named after another region (SageMaker default buckets) is refused unless dataS3Region says otherwise', () => {
    const named = { dataSource: 's3', dataS3Uri: 's3://sagemaker-us-west-2-123456789012/mnist/' };
    expect(() => validateSettingsForRegion(fromCli(named), 'eu-west-1')).toThrow(
      /the bucket's name says us-west-2 but the stack deploys to eu-west-1.*if this bucket really is in eu-west-1, say so with -c dataS3Region=eu-west-1/,
    );
    expect(() => validateSettingsForRegion(fromCli(named), 'us-west-2')).not.toThrow();
    expect(() => validateSettingsForRegion(fromCli({ ...named, dataS3Region: 'eu-west-1' }), 'eu-west-1')).not.toThrow();
    // A region code only as part of a longer word is not a region name.
    expect(() => validateSettingsForRegion(fromCli({ dataSource: 's3', dataS3Uri: 's3://data-us-west-20x/mnist/' }), 'eu-west-1')).not.toThrow();
  });
});
