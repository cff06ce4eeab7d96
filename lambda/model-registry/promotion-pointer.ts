import { SSMClient } from '@aws-sdk/client-ssm';
import { logRetries, MAX_ATTEMPTS } from '../shared/retry';
import { sageMakerClient } from '../shared/sagemaker-client';
import { onEvent, PointerEvent, SyncResponse } from './promotion-pointer-handler';

const region = process.env.AWS_REGION;
// One client each per container, the SDK's standard retries (MAX_ATTEMPTS tries), each retry logged.
const sagemaker = sageMakerClient({ region });
const ssm = logRetries(new SSMClient({ region, maxAttempts: MAX_ATTEMPTS }));

/**
 * The promotion pointer's Lambda: EventBridge "SageMaker Model Package State Change" events of the
 * group, and Provider-framework events of Custom::PromotionPointerSync.
 */
export async function handler(event: PointerEvent): Promise<SyncResponse | void> {
  return onEvent(event, { sagemaker, ssm }, process.env);
}
