import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { cloudFormationClient, serviceQuotasClient } from './client';
import { CheckResponse, onEvent } from './handlers';

const region = process.env.AWS_REGION ?? '';
const serviceQuotas = serviceQuotasClient({ region });
const cloudFormation = cloudFormationClient({ region });

/** Provider framework onEvent handler for Custom::ServiceQuotaCheck. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<CheckResponse> {
  return onEvent(event, { serviceQuotas, cloudFormation, region });
}
