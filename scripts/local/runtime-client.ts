// The real SageMaker runtime SDK client, pointed at the local emulator instead of AWS.
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

/** The endpoint name the local server answers to unless `npm run local` gets `--endpoint-name`. */
export const DEFAULT_ENDPOINT_NAME = 'mnist-local';

/**
 * Dummy credentials and region: the SDK signs requests as it would for AWS, and the local
 * server ignores the signature. SDK retries are off so every failure shows.
 */
export function createLocalRuntimeClient(url: string): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'LOCALMODE', secretAccessKey: 'local-mode-does-not-check-signatures' },
    maxAttempts: 1,
  });
}
