import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { productionDependencies } from './client';
import { onEvent, OnEventResponse } from './handlers';

const deps = productionDependencies({ withS3: true });

/** Provider framework onEvent handler for Custom::SageMakerTrainingJob. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<OnEventResponse> {
  return onEvent(event, deps);
}
