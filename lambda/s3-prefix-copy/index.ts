import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { s3Client } from './client';
import { CopyResponse, onEvent } from './handlers';

const s3 = s3Client();

/** Provider framework onEvent handler for Custom::S3PrefixCopy. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<CopyResponse> {
  return onEvent(event, { s3 });
}
