import { instanceQuotaName } from '../../lambda/shared/quota-advice';
import { deploysRealtimeEndpoint, MnistSettings, quotaAdvice } from '../settings';
import { QuotaRequirement } from '../quotas/service-quota-check';

/**
 * The Service Quotas name of the account-wide serverless concurrency quota (L-96300102), the sum of
 * MaxConcurrency over every serverless endpoint in the region.
 */
export const SERVERLESS_CONCURRENCY_QUOTA = 'Maximum total concurrency that can be allocated across all serverless endpoints';

/** Why an update that deploys a new real-time fleet needs the old fleet's instances and the new one's. */
export const BLUE_GREEN_REASON =
  'an endpoint update is blue/green: SageMaker starts the new fleet before it retires the old one, so both run until traffic has moved';
/** Why an autoscaled fleet counts at its maximum during such an update. */
export const AUTOSCALED_FLEET_REASON =
  'an autoscaled fleet counts at its maximum: it may be scaled out, and the new fleet starts with as many instances as the old one has';

/**
 * The SageMaker quotas a deploy with these settings needs: training instances, real-time instances,
 * serverless concurrency. `realtimeFleetRevision` (see endpointFleetRevision) changes whenever a
 * deploy starts a new real-time fleet; required when the settings deploy the real-time endpoint.
 */
export function sageMakerQuotaRequirements(s: MnistSettings, realtimeFleetRevision?: string, options: { training?: boolean } = {}): QuotaRequirement[] {
  const advice = quotaAdvice(s);
  const requirements: QuotaRequirement[] = [];
  // A stack served from a registry trains nothing.
  if (options.training ?? true) {
    requirements.push({
      quotaName: instanceQuotaName(s.trainingInstanceType, s.spotTraining ? 'spot training job' : 'training job'),
      needed: s.trainingInstanceCount,
      neededBy: `the training job (trainingInstanceCount=${s.trainingInstanceCount} × ${s.trainingInstanceType}${s.spotTraining ? ', spotTraining=true' : ''})`,
      advice: advice.training,
    });
  }
  if (deploysRealtimeEndpoint(s)) {
    if (realtimeFleetRevision === undefined) throw new Error('sageMakerQuotaRequirements: the real-time endpoint is deployed, so realtimeFleetRevision is required');
    const autoscaled = s.realtimeMaxInstanceCount > s.realtimeInstanceCount;
    requirements.push({
      quotaName: instanceQuotaName(s.realtimeInstanceType, 'endpoint'),
      needed: s.realtimeInstanceCount,
      neededBy: `the real-time endpoint (realtimeInstanceCount=${s.realtimeInstanceCount} × ${s.realtimeInstanceType}` +
        `${autoscaled ? `, autoscaled up to realtimeMaxInstanceCount=${s.realtimeMaxInstanceCount}` : ''})`,
      advice: advice.realtimeEndpoint,
      fleet: {
        revision: realtimeFleetRevision,
        maximum: s.realtimeMaxInstanceCount,
        replacementReason: autoscaled ? `${BLUE_GREEN_REASON}; ${AUTOSCALED_FLEET_REASON}` : BLUE_GREEN_REASON,
      },
    });
  }
  if (s.serverlessEndpoint) {
    requirements.push({
      quotaName: SERVERLESS_CONCURRENCY_QUOTA,
      needed: s.serverlessMaxConcurrency,
      neededBy: `the serverless endpoint (serverlessMaxConcurrency=${s.serverlessMaxConcurrency})`,
      unit: 'concurrent invocations',
      advice: advice.serverlessEndpoint,
    });
  }
  return requirements;
}
