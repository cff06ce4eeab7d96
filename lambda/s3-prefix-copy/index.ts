import { S3Client } from '@aws-sdk/client-s3';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { CopyResponse, onEvent } from './handlers';

// The source (e.g. the public sample-files bucket) may live in another region: follow S3's redirects.
// Retries are ours (lambda/shared/retry.ts).
const s3 = new S3Client({ followRegionRedirects: true, maxAttempts: 1 });

/** Provider framework onEvent handler for Custom::S3PrefixCopy. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<CopyResponse> {
  return onEvent(event, { s3 });
}
