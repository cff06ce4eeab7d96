import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { serviceQuotasClient } from './client';
import { CheckResponse, onEvent } from './handlers';

const region = process.env.AWS_REGION ?? '';
const serviceQuotas = serviceQuotasClient({ region });

/** Provider framework onEvent handler for Custom::ServiceQuotaCheck. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<CheckResponse> {
  return onEvent(event, { serviceQuotas, region });
}
