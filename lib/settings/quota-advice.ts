/** What to try, in settings, when a SageMaker quota is too low (quoted in lib/mnist/mnist-quotas.ts's errors). */
import { deploysRealtimeEndpoint, MnistSettings } from './settings';

/** Settings that need less of a SageMaker quota, per use, quoted in quota errors (see lib/mnist/mnist-quotas.ts). */
export interface QuotaAdvice {
  readonly training: string;
  readonly realtimeEndpoint: string;
  readonly serverlessEndpoint: string;
}

/**
 * What to try when a quota is too low, for these settings: each option says which quota it needs
 * instead and claims "cheaper" only where it is (SageMaker's on-demand prices: ml.m5.xlarge below
 * ml.c5.2xlarge for training, ml.t2.medium about half of ml.m5.large for hosting; managed spot
 * training up to 90 % below on-demand).
 */
export function quotaAdvice(s: MnistSettings): QuotaAdvice {
  const trainingType = s.trainingInstanceType;
  const training: string[] = [];
  if (s.trainingInstanceCount > 1) {
    training.push(`-c trainingInstanceCount=1 (1 instance of this quota instead of ${s.trainingInstanceCount}; mnist.py trains on one host too, the epoch just takes longer)`);
  }
  if (trainingType !== 'ml.m5.xlarge') {
    const why = trainingType === 'ml.c5.2xlarge' ? '4 vCPUs instead of 8, cheaper per hour' : '4 vCPUs, 16 GiB, enough for MNIST';
    training.push(`-c trainingInstanceType=ml.m5.xlarge (${why}; its own quota 'ml.m5.xlarge for ${s.spotTraining ? 'spot ' : ''}training job usage')`);
  }
  training.push(s.spotTraining
    ? `-c spotTraining=false (on-demand, not cheaper; its own quota '${trainingType} for training job usage')`
    : `-c spotTraining=true (managed spot training, up to 90% cheaper, may wait for spare capacity; its own quota '${trainingType} for spot training job usage')`);

  const realtimeType = s.realtimeInstanceType;
  const realtime: string[] = [
    `-c pauseRealtimeEndpoint=true (no real-time instances at all: ${s.serverlessEndpoint
      ? 'the serverless endpoint serves alone, billed per request'
      : 'add -c serverlessEndpoint=true so that the serverless endpoint serves, billed per request'}; set it back to false once the quota is raised)`,
  ];
  if (realtimeType !== 'ml.t2.medium') {
    const noAutoscaling = s.realtimeMaxInstanceCount > s.realtimeInstanceCount ? ` -c realtimeMaxInstanceCount=${s.realtimeInstanceCount}` : '';
    const price = realtimeType === 'ml.m5.large' ? ', about half the hourly price of ml.m5.large' : '';
    realtime.push(`-c realtimeInstanceType=ml.t2.medium${noAutoscaling} (2 vCPUs, 4 GiB, enough for MNIST${price}${noAutoscaling ? '; burstable types do not autoscale' : ''}; its own quota 'ml.t2.medium for endpoint usage')`);
  }
  if (s.realtimeInstanceCount > 1) realtime.push(`-c realtimeInstanceCount=1 (1 instance of this quota instead of ${s.realtimeInstanceCount})`);

  const serverless: string[] = [];
  if (s.serverlessMaxConcurrency > 1) serverless.push(`-c serverlessMaxConcurrency=1 (1 of this quota instead of ${s.serverlessMaxConcurrency})`);
  if (deploysRealtimeEndpoint(s)) {
    serverless.push('-c serverlessEndpoint=false (serve from the real-time endpoint only; not cheaper: its instances bill by the hour)');
  }
  serverless.push('every serverless endpoint in the region counts against this quota, so deleting unused ones frees some');

  return { training: `${training.join('; ')}.`, realtimeEndpoint: `${realtime.join('; ')}.`, serverlessEndpoint: `${serverless.join('; ')}.` };
}
