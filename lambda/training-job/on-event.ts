import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { artifactS3Client } from './artifact-client';
import { productionDependencies } from './client';
import type { OnEventResponse } from './dependencies';
import { onEvent } from './on-event-handler';

const production = productionDependencies();
const deps = { ...production, s3: artifactS3Client({ region: production.region }) };

/** Provider framework onEvent handler for Custom::SageMakerTrainingJob. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<OnEventResponse> {
  return onEvent(event, deps);
}
