import { trainingJobLogsUrl } from '../shared/console-links';
import { instanceQuotaName, resourceLimitMessage } from '../shared/quota-advice';
import { errorName } from '../shared/retry';
import { parseInteger, TrainingJobProperties } from './properties';

/*
 * The lines a failed deploy shows for a training job: what happened, with the job's logs or the
 * setting, permission or command that fixes it.
 */

/**
 * CreateTrainingJob was refused over a service quota (new accounts often have 0 for an instance
 * type): name the quota, its numbers, how to raise it and the cheaper settings the construct passed.
 */
export function quotaErrorMessage(props: TrainingJobProperties, jobName: string, error: unknown, region: string): string {
  const spot = props.Spot !== undefined;
  const instanceType = String(props.InstanceType);
  const count = parseInteger(props.InstanceCount, 'InstanceCount');
  const usage = spot ? 'spot training job' : 'training job';
  const neededBy = `this job (${count} × ${instanceType}${spot ? ', managed spot' : ''})`;
  const original = String((error as Error).message ?? '');
  const message = resourceLimitMessage(
    original,
    neededBy,
    { quotaName: instanceQuotaName(instanceType, usage), needed: count, advice: props.QuotaAdvice || undefined },
    { region, serviceCode: 'sagemaker' },
  );
  return `Training job ${jobName} was not started: SageMaker refused it with ResourceLimitExceeded. ${message}`;
}

/** ListTrainingJobs or ListTags failed while looking for a job to reuse. */
export function lookupFailedMessage(error: unknown, jobNamePrefix: string): string {
  return `Looking for a training job with the same inputs failed (${errorName(error)}: ${(error as Error).message}). ` +
    `The onEvent role needs sagemaker:ListTrainingJobs (Resource *) and sagemaker:ListTags on training-job/${jobNamePrefix.toLowerCase()}-*`;
}

/** HeadObject on a reusable job's model artifact was denied: S3 hides a missing key behind 403 without ListBucket. */
export function artifactCheckDeniedMessage(uri: string, jobName: string, bucket: string): string {
  return `HeadObject ${uri} was denied (403), so it is unknown whether training job ${jobName}'s model still exists. ` +
    `S3 answers 403 instead of 404 for a missing object unless the caller may list it: the onEvent role needs s3:GetObject on ` +
    `that object and s3:ListBucket on bucket ${bucket} for its key (condition s3:prefix).`;
}

/** HeadObject on a reusable job's model artifact failed otherwise. */
export function artifactCheckFailedMessage(uri: string, jobName: string, error: unknown): string {
  return `Confirming training job ${jobName}'s model artifact ${uri} failed (${errorName(error) || 'Error'}: ${(error as Error).message})`;
}

/** StopTrainingJob failed on Delete: the job may still be billing. */
export function stopFailedMessage(jobName: string, error: unknown, region: string): string {
  return `Delete: could not stop training job ${jobName} (${errorName(error) || 'Error'}: ${(error as Error).message}). ` +
    `It may still be running and billing: stop it with 'aws sagemaker stop-training-job --region ${region} ` +
    `--training-job-name ${jobName}', then retry the delete.`;
}

export function jobFailedMessage(jobName: string, failureReason: string | undefined, region: string): string {
  return `Training job ${jobName} failed: ${failureReason ?? 'no reason given'}. Logs: ${trainingJobLogsUrl(region, jobName)}`;
}

/** A job stopped before completing: by its own limits (MaxRuntime/MaxWait), or by someone outside the deploy. */
export function jobStoppedMessage(jobName: string, secondaryStatus: string | undefined, spot: boolean, region: string): string {
  const why = secondaryStatus === 'MaxRuntimeExceeded' || secondaryStatus === 'MaxWaitTimeExceeded'
    ? ` (${secondaryStatus}: raise maxRuntime${spot ? '/spot maxWait' : ''} and the provider timeout together)`
    : ` (${secondaryStatus ?? 'stopped'}: someone or something stopped it outside this deployment)`;
  return `Training job ${jobName} was stopped before completing${why}. Logs: ${trainingJobLogsUrl(region, jobName)}`;
}

export function minimumMetricMissingMessage(jobName: string, metric: string, minimum: number, region: string): string {
  return `Training job ${jobName} completed but reported no '${metric}' metric, so the minimum ${minimum} cannot be checked: ` +
    `check that the script prints the line its metric definition's regex matches. Logs: ${trainingJobLogsUrl(region, jobName)}`;
}

export function belowMinimumMetricMessage(jobName: string, metric: string, value: number, minimum: number, region: string): string {
  return `Training job ${jobName} completed with ${metric}=${value}, below the required minimum ${minimum}: ` +
    `the model is not deployed. Train longer or change hyperparameters. Logs: ${trainingJobLogsUrl(region, jobName)}`;
}
