import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { productionDependencies } from './client';
import type { IsCompleteResponse } from './dependencies';
import { isComplete } from './is-complete-handler';

const deps = productionDependencies();

/** Provider framework isComplete handler for Custom::SageMakerTrainingJob. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<IsCompleteResponse> {
  return isComplete(event, deps);
}
