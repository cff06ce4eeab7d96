/**
 * Checks that need the stack's region, for stacks whose region is known at synth time (a
 * region-agnostic template gets CloudFormation Rules instead, see TrainingData).
 */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { KMS_KEY_ARN_PATTERN } from './schema';
import { SettingsError } from './settings-error';
import { MnistSettings } from './settings';

/** The partition a region belongs to (aws-cdk-lib's region facts; for regions they do not know yet, by name). */
export function partitionOf(region: string): string {
  return RegionInfo.get(region).partition
    ?? (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');
}

/** The partition `sagemaker-sample-files` exists in (S3 bucket names are unique per partition). */
export const SAMPLE_FILES_PARTITION = 'aws';

/** Why dataSource=sample-files cannot work outside that partition, and what to use instead. */
export const SAMPLE_FILES_ONLY_IN_AWS =
  'dataSource=sample-files copies from the public sagemaker-sample-files bucket, which exists only in the aws partition (not in China or GovCloud). ' +
  'Use -c dataSource=local -c dataLocalPath=<folder with the MNIST .gz files> or -c dataSource=s3 -c dataS3Uri=s3://<bucket in this region>/<prefix>/.';

/** Where the dataSource=s3 bucket is known to be: dataS3Region, else the region of its KMS key (S3 needs a key in the bucket's region). */
export function dataS3BucketRegion(s: MnistSettings): string | undefined {
  return s.dataS3Region ?? kmsKeyRegion(s.dataS3KmsKeyArn);
}

/** The region in a KMS key ARN that passed the setting's pattern. */
export function kmsKeyRegion(keyArn: string | undefined): string | undefined {
  return keyArn ? KMS_KEY_ARN_PATTERN.exec(keyArn)?.[1] : undefined;
}

/** A known region code that a bucket name carries as a whole part (`sagemaker-us-west-2-123456789012`). */
function regionNamedIn(bucketName: string): string | undefined {
  return RegionInfo.regions.map((r) => r.name).find((r) => new RegExp(`(^|[.-])${r}($|[.-])`).test(bucketName));
}

/** Throws a {@link SettingsError} for settings that cannot work in `region`. */
export function validateSettingsForRegion(s: MnistSettings, region: string): void {
  if (s.dataSource === 'sample-files' && partitionOf(region) !== SAMPLE_FILES_PARTITION) {
    throw new SettingsError(`Setting dataSource=sample-files cannot work in ${region} (partition ${partitionOf(region)}): ${SAMPLE_FILES_ONLY_IN_AWS}`);
  }
  if (s.dataSource !== 's3' || !s.dataS3Uri) return;
  const bucketName = /^s3:\/\/([^/]+)\//.exec(s.dataS3Uri)![1];
  const known = dataS3BucketRegion(s);
  if (known && known !== region) {
    const from = s.dataS3Region ? `dataS3Region=${known}` : `dataS3KmsKeyArn is a key in ${known}, so the bucket is there too`;
    throw new SettingsError(`Setting dataS3Uri=${s.dataS3Uri}: the bucket is in ${known} (${from}) but the stack deploys to ${region}, and SageMaker reads training data only from its own region. Copy the data to a bucket in ${region}, or deploy the stack to ${known}.`);
  }
  const named = known ? undefined : regionNamedIn(bucketName);
  if (named && named !== region) {
    throw new SettingsError(`Setting dataS3Uri=${s.dataS3Uri}: the bucket's name says ${named} but the stack deploys to ${region}, and SageMaker reads training data only from its own region. Use a bucket in ${region}; if this bucket really is in ${region}, say so with -c dataS3Region=${region}.`);
  }
}
