/** The dataS3Uri setting's own check: S3's bucket-naming rules and the trailing / of a prefix. */

const S3_BUCKET_NAME_RULES = 'S3 bucket names are 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';

/** S3's bucket-naming rules (AWS: "General purpose bucket naming rules"), each with what a name breaking it is. */
const S3_BUCKET_NAME_CHECKS: ReadonlyArray<[broken: (name: string) => boolean, why: (name: string) => string]> = [
  [(b) => b.length < 3 || b.length > 63, (b) => `it is ${b.length} character${b.length === 1 ? '' : 's'} long`],
  [(b) => /[A-Z]/.test(b), () => 'it has upper-case letters'],
  [(b) => /[^a-z0-9.-]/.test(b), (b) => `it has ${JSON.stringify(/[^a-z0-9.-]/.exec(b)![0])} in it`],
  [(b) => !/^[a-z0-9](.*[a-z0-9])?$/.test(b), () => 'it starts or ends with a dot or a hyphen'],
  [(b) => b.includes('..'), () => 'it has two dots in a row'],
  [(b) => /^\d+\.\d+\.\d+\.\d+$/.test(b), () => 'it is formatted as an IP address'],
  [(b) => /^(xn--|sthree-|amzn-s3-demo-)/.test(b), (b) => `it starts with the reserved prefix ${/^(xn--|sthree-|amzn-s3-demo-)/.exec(b)![1]}`],
];

/**
 * What is wrong with dataS3Uri `s3://bucket/prefix/`, naming the real problem (a bucket name S3
 * does not allow, or no trailing /); undefined when nothing is. Access point aliases (`-s3alias`)
 * and directory buckets (`--x-s3`) follow the same rules and pass.
 */
export function s3PrefixProblem(uri: string): string | undefined {
  const match = /^s3:\/\/([^/]*)(\/.*)?$/.exec(uri);
  if (!match) return 'expected an S3 prefix such as s3://my-bucket/mnist/ (ending in /)';
  const [, bucket, rest = ''] = match;
  const broken = S3_BUCKET_NAME_CHECKS.find(([breaks]) => breaks(bucket));
  if (broken) return `${bucket} is not a valid S3 bucket name: ${broken[1](bucket)} (${S3_BUCKET_NAME_RULES}); give the data's bucket and prefix, e.g. s3://my-bucket/mnist/`;
  if (!rest.endsWith('/')) return `a prefix names a folder and ends in / (SageMaker reads every object under it): use s3://${bucket}${rest}/`;
  return undefined;
}
