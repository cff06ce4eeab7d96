import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient, SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import { logRetries, MAX_ATTEMPTS } from '../shared/retry';
import type { Dependencies } from './handlers';

/** The handlers' SageMaker client: the SDK's standard retries (MAX_ATTEMPTS tries), each retry logged. */
export function sageMakerClient(config: SageMakerClientConfig = {}, log: (line: string) => void = console.log): SageMakerClient {
  return logRetries(new SageMakerClient({ maxAttempts: MAX_ATTEMPTS, ...config }), log);
}

/** The onEvent handler's S3 client (it HEADs model artifacts in the stack's own region), retries logged. */
export function artifactS3Client(config: { region: string }, log: (line: string) => void = console.log): S3Client {
  return logRetries(new S3Client({ maxAttempts: MAX_ATTEMPTS, ...config }), log);
}

/** Production dependencies: one client per container; `withS3` for onEvent, which confirms model artifacts. */
export function productionDependencies(options: { withS3?: boolean } = {}): Dependencies {
  const region = process.env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set');
  return { sagemaker: sageMakerClient({ region }), region, ...(options.withS3 ? { s3: artifactS3Client({ region }) } : {}) };
}
