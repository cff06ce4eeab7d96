import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { sageMakerClient } from '../shared/sagemaker-client';
import { stackStatusClient } from '../shared/stack-status';
import { GuardResponse, onEvent } from './approved-model-package-handler';

const region = process.env.AWS_REGION;
// One client each per container, the SDK's standard retries (MAX_ATTEMPTS tries), each retry logged.
const sagemaker = sageMakerClient({ region });
const cloudFormation: CloudFormationClient = stackStatusClient({ region });

/** Provider framework onEvent handler for Custom::ApprovedModelPackage. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<GuardResponse> {
  return onEvent(event, { sagemaker, cloudFormation, stackId: process.env.STACK_ID });
}
