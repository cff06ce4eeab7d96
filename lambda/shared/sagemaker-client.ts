import { SageMakerClient, SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import { logRetries, MAX_ATTEMPTS } from './retry';

/** A handler's SageMaker client: the SDK's standard retries (MAX_ATTEMPTS tries), each retry logged. */
export function sageMakerClient(config: SageMakerClientConfig = {}, log: (line: string) => void = console.log): SageMakerClient {
  return logRetries(new SageMakerClient({ maxAttempts: MAX_ATTEMPTS, ...config }), log);
}
