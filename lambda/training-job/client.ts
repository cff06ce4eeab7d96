import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Dependencies } from './handlers';

/** Production dependencies: one client per container; retries are ours (lambda/shared/retry.ts). */
export function productionDependencies(): Dependencies {
  const region = process.env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set');
  return { sagemaker: new SageMakerClient({ region, maxAttempts: 1 }), region };
}
