import { DescribeTrainingJobCommand, DescribeTrainingJobCommandOutput } from '@aws-sdk/client-sagemaker';
import { errorName } from '../shared/retry';
import type { Dependencies } from './dependencies';

/**
 * SageMaker answers DescribeTrainingJob/StopTrainingJob for an unknown name with
 * ValidationException "Requested resource not found" (newer SDKs: ResourceNotFound).
 */
export function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  const message = String((error as Error | undefined)?.message ?? '');
  return name === 'ResourceNotFound' || (name === 'ValidationException' && /not found/i.test(message));
}

/** DescribeTrainingJob, or undefined for a job that does not exist. */
export async function describeJob(deps: Dependencies, jobName: string): Promise<DescribeTrainingJobCommandOutput | undefined> {
  try {
    return await deps.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
