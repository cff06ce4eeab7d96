import { instanceQuotaName } from '../lambda/shared/quota-advice';
import { deploysRealtimeEndpoint, MnistSettings, quotaAdvice } from './config';
import { QuotaRequirement } from './service-quota-check';

/**
 * The Service Quotas name of the account-wide serverless concurrency quota (L-96300102), the sum of
 * MaxConcurrency over every serverless endpoint in the region.
 */
export const SERVERLESS_CONCURRENCY_QUOTA = 'Maximum total concurrency that can be allocated across all serverless endpoints';

/** Why an update of the real-time endpoint needs twice its instances. */
export const BLUE_GREEN_REASON =
  'an endpoint update is blue/green: SageMaker starts the new fleet before it retires the old one, so both run until traffic has moved';

/** The SageMaker quotas a deploy with these settings needs: training instances, real-time instances, serverless concurrency. */
export function sageMakerQuotaRequirements(s: MnistSettings): QuotaRequirement[] {
  const advice = quotaAdvice(s);
  const requirements: QuotaRequirement[] = [{
    quotaName: instanceQuotaName(s.trainingInstanceType, s.spotTraining ? 'spot training job' : 'training job'),
    needed: s.trainingInstanceCount,
    neededBy: `the training job (trainingInstanceCount=${s.trainingInstanceCount} × ${s.trainingInstanceType}${s.spotTraining ? ', spotTraining=true' : ''})`,
    advice: advice.training,
  }];
  if (deploysRealtimeEndpoint(s)) {
    requirements.push({
      quotaName: instanceQuotaName(s.realtimeInstanceType, 'endpoint'),
      needed: s.realtimeInstanceCount,
      neededOnUpdate: 2 * s.realtimeInstanceCount,
      neededOnUpdateReason: BLUE_GREEN_REASON,
      neededBy: `the real-time endpoint (realtimeInstanceCount=${s.realtimeInstanceCount} × ${s.realtimeInstanceType})`,
      advice: advice.realtimeEndpoint,
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
