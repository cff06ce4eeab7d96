import { SageMakerClient, SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import { logRetries, MAX_ATTEMPTS } from '../shared/retry';
import type { Dependencies } from './dependencies';

/** The handlers' SageMaker client: the SDK's standard retries (MAX_ATTEMPTS tries), each retry logged. */
export function sageMakerClient(config: SageMakerClientConfig = {}, log: (line: string) => void = console.log): SageMakerClient {
  return logRetries(new SageMakerClient({ maxAttempts: MAX_ATTEMPTS, ...config }), log);
}

/** Production dependencies: one client per container. */
export function productionDependencies(): Dependencies {
  const region = process.env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set');
  return { sagemaker: sageMakerClient({ region }), region };
}
