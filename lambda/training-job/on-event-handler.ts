import { CreateTrainingJobCommand, StopTrainingJobCommand, TrainingJobSummary } from '@aws-sdk/client-sagemaker';
import { trainingJobConsoleUrl, trainingJobLogsUrl } from '../shared/console-links';
import { attemptsOf, errorName } from '../shared/retry';
import { Dependencies, logOf, nowOf, OnEventResponse, propertiesOf, TrainingJobEvent } from './dependencies';
import { describeJob, isNotFound } from './describe-job';
import { canonicalJson, trainingFingerprint } from './fingerprint';
import { isJobNameFromPrefix, makeJobName } from './job-name';
import { lookupFailedMessage, quotaErrorMessage, stopFailedMessage } from './messages';
import { buildCreateTrainingJobRequest } from './properties';
import { ArtifactCheckError, findReusableJob } from './reuse';

/**
 * The training job resource's onEvent (Provider framework; isComplete then waits for the job):
 *
 * - Create/Update: training is idempotent by content. The inputs' fingerprint (fingerprint.ts) is
 *   in every job's name and tags; a job trained from the same inputs is reused (reuse.ts), else a
 *   NEW job starts (its name is the new physical id, and CloudFormation then deletes the old
 *   physical id). So a rollback (an Update with the old properties) starts no job: it gets the
 *   old job back, with the same physical id.
 * - Delete: stop the job if it still runs (isComplete waits until it has stopped). Finished jobs
 *   are kept as history (they cost nothing); a missing job is fine.
 */
export async function onEvent(event: TrainingJobEvent, deps: Dependencies): Promise<OnEventResponse> {
  switch (event.RequestType) {
    case 'Create':
      return reuseOrStartJob(event, deps);
    case 'Update':
      if (onlyRecheckChanged(event) && event.PhysicalResourceId) {
        // e.g. a new minimum accuracy: isComplete checks the finished job again, no retraining.
        logOf(deps)(`Update changes no training setting: re-checking training job ${event.PhysicalResourceId}`);
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      return reuseOrStartJob(event, deps);
    case 'Delete':
      return stopJob(event, deps);
    default:
      throw new Error(`Unknown request type ${(event as { RequestType: string }).RequestType}`);
  }
}

/** Properties whose change needs no new job: the deploy only re-checks the finished job. */
const RECHECK_ONLY_PROPERTIES = new Set(['ServiceToken', 'ServiceTimeout', 'MinimumMetric', 'OwnerTag', 'QuotaAdvice']);

function onlyRecheckChanged(event: TrainingJobEvent): boolean {
  if (event.RequestType !== 'Update') return false;
  const strip = (props: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(props ?? {}).filter(([k]) => !RECHECK_ONLY_PROPERTIES.has(k)));
  return canonicalJson(strip(event.ResourceProperties)) === canonicalJson(strip(event.OldResourceProperties));
}

async function reuseOrStartJob(event: TrainingJobEvent, deps: Dependencies): Promise<OnEventResponse> {
  const props = propertiesOf(event);
  const fingerprint = trainingFingerprint(props);
  let reusable: TrainingJobSummary | undefined;
  try {
    reusable = await findReusableJob(event, fingerprint, deps);
  } catch (error) {
    if (error instanceof ArtifactCheckError) throw error;
    throw new Error(lookupFailedMessage(error, props.JobNamePrefix));
  }
  if (reusable) {
    const name = reusable.TrainingJobName!;
    logOf(deps)(
      `${event.RequestType}: training job ${name} (${reusable.TrainingJobStatus}) was trained from the same inputs ` +
        `(fingerprint ${fingerprint}): ${reusable.TrainingJobStatus === 'Completed' ? 'reusing it' : 'waiting for it'} instead of starting a new job ` +
        `| console: ${trainingJobConsoleUrl(deps.region, name)}`,
    );
    return { PhysicalResourceId: name };
  }
  return startJob(event, fingerprint, deps);
}

async function startJob(event: TrainingJobEvent, fingerprint: string, deps: Dependencies): Promise<OnEventResponse> {
  const props = propertiesOf(event);
  const jobName = makeJobName(props.JobNamePrefix, fingerprint, nowOf(deps), deps.random);
  const request = buildCreateTrainingJobRequest(props, jobName, deps.region, fingerprint);
  try {
    await deps.sagemaker.send(new CreateTrainingJobCommand(request));
  } catch (error) {
    if (errorName(error) === 'ResourceLimitExceeded') throw new Error(quotaErrorMessage(props, jobName, error, deps.region));
    // An earlier attempt (the SDK retried) may have created the job before its answer was lost: the name is ours.
    if (!(attemptsOf(error) > 1 && errorName(error) === 'ResourceInUse' && (await describeJob(deps, jobName)))) throw error;
  }
  logOf(deps)(
    `Started training job ${jobName} (${event.RequestType}) | console: ${trainingJobConsoleUrl(deps.region, jobName)} ` +
      `| logs: ${trainingJobLogsUrl(deps.region, jobName)}`,
  );
  return { PhysicalResourceId: jobName };
}

async function stopJob(event: TrainingJobEvent, deps: Dependencies): Promise<OnEventResponse> {
  const log = logOf(deps);
  const jobName = event.PhysicalResourceId ?? '';
  const prefix = propertiesOf(event).JobNamePrefix ?? '';
  if (!isJobNameFromPrefix(jobName, prefix)) {
    // e.g. a Create that failed before any job existed: CloudFormation still sends Delete.
    log(`Delete: '${jobName}' is not a training job this resource created; nothing to stop`);
    return { PhysicalResourceId: jobName };
  }
  const job = await describeJob(deps, jobName);
  if (!job) {
    log(`Delete: training job ${jobName} does not exist; nothing to stop`);
  } else if (job.TrainingJobStatus === 'InProgress') {
    try {
      await deps.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: jobName }));
      log(`Delete: stopping training job ${jobName}`);
    } catch (error) {
      // It finished or got stopped between Describe and Stop: nothing left to do. Anything else
      // (AccessDenied, throttling past the SDK's retries) may leave a job billing: fail the delete, loudly.
      if (!(isNotFound(error) || errorName(error) === 'ValidationException')) throw new Error(stopFailedMessage(jobName, error, deps.region));
      log(`Delete: training job ${jobName} is no longer running (${errorName(error)})`);
    }
  } else {
    log(`Delete: training job ${jobName} is ${job.TrainingJobStatus}; kept as history`);
  }
  return { PhysicalResourceId: jobName };
}
