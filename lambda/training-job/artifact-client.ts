import { S3Client } from '@aws-sdk/client-s3';
import { logRetries, MAX_ATTEMPTS } from '../shared/retry';

/**
 * onEvent's S3 client: it HEADs model artifacts in the stack's own region before reusing a job.
 * Its own file, so only the onEvent bundle carries the S3 SDK. Retries as the SDK's, each logged.
 */
export function artifactS3Client(config: { region: string }, log: (line: string) => void = console.log): S3Client {
  return logRetries(new S3Client({ maxAttempts: MAX_ATTEMPTS, ...config }), log);
}
