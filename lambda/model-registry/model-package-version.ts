import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { stackStatusClient } from '../shared/stack-status';
import { reportS3Client } from './report-s3-client';
import { sageMakerClient } from '../shared/sagemaker-client';
import { Dependencies, onEvent, VersionResponse } from './version-handler';

const region = process.env.AWS_REGION ?? '';
const deps: Dependencies = {
  sagemaker: sageMakerClient({ region }),
  s3: reportS3Client({ region }),
  // Set only when the resource may delete versions with its stack (DeleteVersionsWithStack).
  cloudFormation: process.env.STACK_ID ? stackStatusClient({ region }) : undefined,
  stackId: process.env.STACK_ID,
};

/** Provider framework onEvent handler for Custom::ModelPackageVersion. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<VersionResponse> {
  return onEvent(event, deps);
}
