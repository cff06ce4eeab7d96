import { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { logRetries, MAX_ATTEMPTS } from '../shared/retry';

/**
 * The handler's S3 client: the SDK's standard retries (MAX_ATTEMPTS tries), each retry logged. The
 * source (e.g. the public sample-files bucket) may live in another region: it follows S3's redirects.
 */
export function s3Client(config: S3ClientConfig = {}, log: (line: string) => void = console.log): S3Client {
  return logRetries(new S3Client({ followRegionRedirects: true, maxAttempts: MAX_ATTEMPTS, ...config }), log);
}
