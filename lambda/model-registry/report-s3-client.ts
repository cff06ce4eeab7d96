import { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { logRetries, MAX_ATTEMPTS } from '../shared/retry';

/** The registration handler's S3 client (it writes model-quality reports): standard retries, each logged. */
export function reportS3Client(config: S3ClientConfig = {}, log: (line: string) => void = console.log): S3Client {
  return logRetries(new S3Client({ maxAttempts: MAX_ATTEMPTS, ...config }), log);
}
