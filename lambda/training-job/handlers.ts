import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  DescribeTrainingJobCommandOutput,
  ListTagsCommand,
  ListTrainingJobsCommand,
  SageMakerClient,
  StopTrainingJobCommand,
  TrainingJobSummary,
} from '@aws-sdk/client-sagemaker';
import type {
  CloudFormationCustomResourceEvent,
} from 'aws-lambda';
import { trainingJobConsoleUrl, trainingJobLogsUrl } from '../shared/console-links';
import { attemptsOf, errorName, isThrottlingError } from '../shared/retry';
import { metricAttributeName } from './hyperparameters';
import { canonicalJson, FINGERPRINT_TAG, trainingFingerprint } from './fingerprint';
import { isJobNameFromPrefix, jobNameStem, jobNameTime, makeJobName } from './job-name';
import { buildCreateTrainingJobRequest, parseInteger, parseNumber, TrainingJobProperties } from './properties';
import { instanceQuotaName, resourceLimitMessage } from '../shared/quota-advice';

/**
 * The training job's custom-resource lifecycle (Provider framework: onEvent + isComplete).
 *
 * - Create/Update: training is idempotent by content. The inputs' fingerprint (fingerprint.ts) is
 *   in every job's name and tags; a `Completed` job with the same fingerprint whose model.tar.gz
 *   still exists (HeadObject) is reused, else an `InProgress` one is adopted, else a NEW job starts (its name is the new physical id, and
 *   CloudFormation then deletes the old physical id). So a rollback (an Update with the old
 *   properties) starts no job: it gets the old job back, with the same physical id.
 * - isComplete: poll DescribeTrainingJob; Completed → attributes; Failed/Stopped → throw.
 * - Delete: stop the job if it still runs, then wait until it has stopped. Finished jobs are
 *   kept as history (they cost nothing); a missing job is fine.
 */

export interface OnEventResponse {
  PhysicalResourceId: string;
}

export interface IsCompleteResponse {
  IsComplete: boolean;
  Data?: Record<string, string>;
}

export interface Dependencies {
  readonly sagemaker: Pick<SageMakerClient, 'send'>;
  /** onEvent's: confirms a finished job's model.tar.gz still exists before reusing the job. @default - none (isComplete needs none) */
  readonly s3?: Pick<S3Client, 'send'>;
  readonly region: string;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly log?: (line: string) => void;
}

type Event = CloudFormationCustomResourceEvent & { PhysicalResourceId?: string };

const RUNNING_STATUSES = new Set(['InProgress', 'Stopping']);
/** How long after its creation a job missing from DescribeTrainingJob counts as "not visible yet". */
const NOT_VISIBLE_GRACE_MS = 5 * 60 * 1000;

function propertiesOf(event: Event): TrainingJobProperties {
  return event.ResourceProperties as unknown as TrainingJobProperties;
}

function isNotFound(error: unknown): boolean {
  // SageMaker answers DescribeTrainingJob/StopTrainingJob for an unknown name with
  // ValidationException "Requested resource not found" (newer SDKs: ResourceNotFound).
  const name = errorName(error);
  const message = String((error as Error | undefined)?.message ?? '');
  return name === 'ResourceNotFound' || (name === 'ValidationException' && /not found/i.test(message));
}

async function describe(deps: Dependencies, jobName: string): Promise<DescribeTrainingJobCommandOutput | undefined> {
  try {
    return await deps.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** ListTrainingJobs pages read per lookup (100 jobs each) before giving up and training anew. */
const MAX_LOOKUP_PAGES = 20;
/** Statuses a job with the same fingerprint is reused in, in order of preference. */
const REUSABLE_STATUSES = ['Completed', 'InProgress'];

async function fingerprintTagOf(deps: Dependencies, jobArn: string): Promise<string | undefined> {
  let token: string | undefined;
  do {
    const page = await deps.sagemaker.send(new ListTagsCommand({ ResourceArn: jobArn, NextToken: token }));
    const tag = (page?.Tags ?? []).find((t) => t.Key === FINGERPRINT_TAG);
    if (tag) return tag.Value;
    token = page?.NextToken;
  } while (token);
  return undefined;
}

/** Thrown when confirming a model artifact fails in a way that must not turn into a silent retrain. */
class ArtifactCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactCheckError';
  }
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/**
 * Whether a Completed job's model.tar.gz is still where SageMaker wrote it (someone may have
 * deleted it, or a lifecycle rule expired it): reusing the job would only fail minutes later, when
 * the endpoint cannot load the model. Returns why not, or undefined when it exists.
 */
async function missingArtifact(deps: Dependencies, jobName: string): Promise<string | undefined> {
  const job = await describe(deps, jobName);
  const uri = job?.ModelArtifacts?.S3ModelArtifacts;
  const match = uri ? /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) : null;
  if (!match) return `it reports no model artifact (S3ModelArtifacts=${uri})`;
  const [, bucket, key] = match;
  if (!deps.s3) throw new ArtifactCheckError('The onEvent handler was given no S3 client to confirm a model artifact with');
  try {
    await deps.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return undefined;
  } catch (error) {
    if (['NotFound', 'NoSuchKey'].includes(errorName(error)) || httpStatus(error) === 404) return `its model artifact ${uri} no longer exists`;
    if (httpStatus(error) === 403 || ['AccessDenied', 'Forbidden'].includes(errorName(error))) {
      throw new ArtifactCheckError(
        `HeadObject ${uri} was denied (403), so it is unknown whether training job ${jobName}'s model still exists. ` +
          `S3 answers 403 instead of 404 for a missing object unless the caller may list it: the onEvent role needs s3:GetObject on ` +
          `that object and s3:ListBucket on bucket ${bucket} for its key (condition s3:prefix).`,
      );
    }
    throw new ArtifactCheckError(`Confirming training job ${jobName}'s model artifact ${uri} failed (${errorName(error) || 'Error'}: ${(error as Error).message})`);
  }
}

/**
 * A job of this resource trained from the same inputs that can stand in for a new one: ListTrainingJobs
 * on the name stem `<prefix>-<fingerprint 12 hex>-`, Completed before InProgress, newest first, each
 * confirmed by its full fingerprint tag, and a Completed one by its model artifact still existing.
 * Failed, Stopping and Stopped jobs are never reused.
 */
async function findReusableJob(event: Event, fingerprint: string, deps: Dependencies): Promise<TrainingJobSummary | undefined> {
  const props = propertiesOf(event);
  const stem = jobNameStem(props.JobNamePrefix, fingerprint);
  const candidates: TrainingJobSummary[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await deps.sagemaker.send(new ListTrainingJobsCommand({
      NameContains: stem, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 100, NextToken: token,
    }));
    for (const job of page?.TrainingJobSummaries ?? []) {
      const name = job.TrainingJobName ?? '';
      if (name.startsWith(stem) && isJobNameFromPrefix(name, props.JobNamePrefix) && REUSABLE_STATUSES.includes(job.TrainingJobStatus ?? '')) {
        candidates.push(job);
      }
    }
    token = page?.NextToken;
  } while (token && ++pages < MAX_LOOKUP_PAGES);
  const rank = (job: TrainingJobSummary) => REUSABLE_STATUSES.indexOf(job.TrainingJobStatus ?? '');
  const time = (job: TrainingJobSummary) => new Date(job.CreationTime ?? 0).getTime();
  candidates.sort((a, b) => rank(a) - rank(b) || time(b) - time(a));
  for (const job of candidates) {
    if (!job.TrainingJobArn || (await fingerprintTagOf(deps, job.TrainingJobArn)) !== fingerprint) continue;
    const missing = job.TrainingJobStatus === 'Completed' ? await missingArtifact(deps, job.TrainingJobName!) : undefined;
    if (!missing) return job;
    (deps.log ?? console.log)(
      `${event.RequestType}: training job ${job.TrainingJobName} (Completed) was trained from the same inputs (fingerprint ${fingerprint}), ` +
        `but ${missing}: not reusing it`,
    );
  }
  return undefined;
}

async function reuseOrStartJob(event: Event, deps: Dependencies): Promise<OnEventResponse> {
  const log = deps.log ?? console.log;
  const props = propertiesOf(event);
  const fingerprint = trainingFingerprint(props);
  let reusable: TrainingJobSummary | undefined;
  try {
    reusable = await findReusableJob(event, fingerprint, deps);
  } catch (error) {
    if (error instanceof ArtifactCheckError) throw error;
    throw new Error(
      `Looking for a training job with the same inputs failed (${errorName(error)}: ${(error as Error).message}). ` +
        `The onEvent role needs sagemaker:ListTrainingJobs (Resource *) and sagemaker:ListTags on training-job/${props.JobNamePrefix.toLowerCase()}-*`,
    );
  }
  if (reusable) {
    const name = reusable.TrainingJobName!;
    log(
      `${event.RequestType}: training job ${name} (${reusable.TrainingJobStatus}) was trained from the same inputs ` +
        `(fingerprint ${fingerprint}): ${reusable.TrainingJobStatus === 'Completed' ? 'reusing it' : 'waiting for it'} instead of starting a new job ` +
        `| console: ${trainingJobConsoleUrl(deps.region, name)}`,
    );
    return { PhysicalResourceId: name };
  }
  return startJob(event, fingerprint, deps);
}

async function startJob(event: Event, fingerprint: string, deps: Dependencies): Promise<OnEventResponse> {
  const log = deps.log ?? console.log;
  const props = propertiesOf(event);
  const jobName = makeJobName(props.JobNamePrefix, fingerprint, (deps.now ?? (() => new Date()))(), deps.random);
  const request = buildCreateTrainingJobRequest(props, jobName, deps.region, fingerprint);
  try {
    await deps.sagemaker.send(new CreateTrainingJobCommand(request));
  } catch (error) {
    if (errorName(error) === 'ResourceLimitExceeded') throw new Error(quotaErrorMessage(props, jobName, error, deps.region));
    // An earlier attempt (the SDK retried) may have created the job before its answer was lost: the name is ours.
    if (!(attemptsOf(error) > 1 && errorName(error) === 'ResourceInUse' && (await describe(deps, jobName)))) throw error;
  }
  log(
    `Started training job ${jobName} (${event.RequestType}) | console: ${trainingJobConsoleUrl(deps.region, jobName)} ` +
      `| logs: ${trainingJobLogsUrl(deps.region, jobName)}`,
  );
  return { PhysicalResourceId: jobName };
}

/**
 * CreateTrainingJob was refused over a service quota (new accounts often have 0 for an instance
 * type): name the quota, its numbers, how to raise it and the cheaper settings the construct passed.
 */
function quotaErrorMessage(props: TrainingJobProperties, jobName: string, error: unknown, region: string): string {
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

async function stopJob(event: Event, deps: Dependencies): Promise<OnEventResponse> {
  const log = deps.log ?? console.log;
  const jobName = event.PhysicalResourceId ?? '';
  const prefix = propertiesOf(event).JobNamePrefix ?? '';
  if (!isJobNameFromPrefix(jobName, prefix)) {
    // e.g. a Create that failed before any job existed: CloudFormation still sends Delete.
    log(`Delete: '${jobName}' is not a training job this resource created; nothing to stop`);
    return { PhysicalResourceId: jobName };
  }
  const job = await describe(deps, jobName);
  if (!job) {
    log(`Delete: training job ${jobName} does not exist; nothing to stop`);
  } else if (job.TrainingJobStatus === 'InProgress') {
    try {
      await deps.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: jobName }));
      log(`Delete: stopping training job ${jobName}`);
    } catch (error) {
      // It finished or got stopped between Describe and Stop: nothing left to do. Anything else
      // (AccessDenied, throttling past the SDK's retries) may leave a job billing: fail the delete, loudly.
      if (!(isNotFound(error) || errorName(error) === 'ValidationException')) {
        throw new Error(
          `Delete: could not stop training job ${jobName} (${errorName(error) || 'Error'}: ${(error as Error).message}). ` +
            `It may still be running and billing: stop it with 'aws sagemaker stop-training-job --region ${deps.region} ` +
            `--training-job-name ${jobName}', then retry the delete.`,
        );
      }
      log(`Delete: training job ${jobName} is no longer running (${errorName(error)})`);
    }
  } else {
    log(`Delete: training job ${jobName} is ${job.TrainingJobStatus}; kept as history`);
  }
  return { PhysicalResourceId: jobName };
}

/** Properties whose change needs no new job: the deploy only re-checks the finished job. */
const RECHECK_ONLY_PROPERTIES = new Set(['ServiceToken', 'ServiceTimeout', 'MinimumMetric', 'OwnerTag', 'QuotaAdvice']);

function onlyRecheckChanged(event: Event): boolean {
  if (event.RequestType !== 'Update') return false;
  const strip = (props: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(props ?? {}).filter(([k]) => !RECHECK_ONLY_PROPERTIES.has(k)));
  return canonicalJson(strip(event.ResourceProperties)) === canonicalJson(strip(event.OldResourceProperties));
}

export async function onEvent(event: Event, deps: Dependencies): Promise<OnEventResponse> {
  switch (event.RequestType) {
    case 'Create':
      return reuseOrStartJob(event, deps);
    case 'Update':
      if (onlyRecheckChanged(event) && event.PhysicalResourceId) {
        // e.g. a new minimum accuracy: isComplete checks the finished job again, no retraining.
        (deps.log ?? console.log)(`Update changes no training setting: re-checking training job ${event.PhysicalResourceId}`);
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      return reuseOrStartJob(event, deps);
    case 'Delete':
      return stopJob(event, deps);
    default:
      throw new Error(`Unknown request type ${(event as { RequestType: string }).RequestType}`);
  }
}

function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(total / 60);
  return minutes > 0 ? `${minutes}m${String(total % 60).padStart(2, '0')}s` : `${total}s`;
}

function metricsOf(job: DescribeTrainingJobCommandOutput): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const m of job.FinalMetricDataList ?? []) {
    if (m.MetricName !== undefined && m.Value !== undefined) metrics[m.MetricName] = m.Value;
  }
  return metrics;
}

function logPoll(job: DescribeTrainingJobCommandOutput, deps: Dependencies): void {
  const log = deps.log ?? console.log;
  const name = job.TrainingJobName ?? '?';
  const now = (deps.now ?? (() => new Date()))();
  const since = job.TrainingStartTime ?? job.CreationTime;
  const elapsed = since ? ` for ${formatDuration(now.getTime() - new Date(since).getTime())}` : '';
  // First line carries the links: it is the deploy's only progress view.
  log(
    `Training job ${name}: ${job.TrainingJobStatus}/${job.SecondaryStatus}${elapsed} | console: ${trainingJobConsoleUrl(deps.region, name)} ` +
      `| logs: ${trainingJobLogsUrl(deps.region, name)}`,
  );
  const transitions = job.SecondaryStatusTransitions ?? [];
  const latest = transitions[transitions.length - 1];
  if (latest?.StatusMessage) log(`  ${latest.Status}: ${latest.StatusMessage}`);
  const metrics = metricsOf(job);
  const names = Object.keys(metrics).sort();
  if (names.length > 0) log(`  metrics: ${names.map((n) => `${n}=${metrics[n]}`).join(', ')}`);
}

function completedData(job: DescribeTrainingJobCommandOutput): Record<string, string> {
  const uri = job.ModelArtifacts?.S3ModelArtifacts;
  const match = uri ? /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) : null;
  if (!uri || !match) throw new Error(`Training job ${job.TrainingJobName} completed without a model artifact (S3ModelArtifacts=${uri})`);
  const data: Record<string, string> = {
    ModelDataUrl: uri,
    ModelDataBucket: match[1],
    ModelDataKey: match[2],
    TrainingJobName: job.TrainingJobName ?? '',
    TrainingJobArn: job.TrainingJobArn ?? '',
    TrainingTimeInSeconds: String(job.TrainingTimeInSeconds ?? ''),
    BillableTimeInSeconds: String(job.BillableTimeInSeconds ?? ''),
  };
  for (const [name, value] of Object.entries(metricsOf(job))) data[metricAttributeName(name)] = String(value);
  return data;
}

function checkMinimumMetric(job: DescribeTrainingJobCommandOutput, props: TrainingJobProperties, region: string): void {
  if (!props.MinimumMetric) return;
  const name = props.MinimumMetric.Name;
  const minimum = parseNumber(props.MinimumMetric.Value, 'MinimumMetric.Value');
  const value = metricsOf(job)[name];
  const logs = trainingJobLogsUrl(region, job.TrainingJobName ?? '');
  if (value === undefined) {
    throw new Error(
      `Training job ${job.TrainingJobName} completed but reported no '${name}' metric, so the minimum ${minimum} cannot be checked: ` +
        `check that the script prints the line its metric definition's regex matches. Logs: ${logs}`,
    );
  }
  if (value < minimum) {
    throw new Error(
      `Training job ${job.TrainingJobName} completed with ${name}=${value}, below the required minimum ${minimum}: ` +
        `the model is not deployed. Train longer or change hyperparameters. Logs: ${logs}`,
    );
  }
}

export async function isComplete(event: Event, deps: Dependencies): Promise<IsCompleteResponse> {
  const log = deps.log ?? console.log;
  const jobName = event.PhysicalResourceId ?? '';
  const props = propertiesOf(event);

  if (event.RequestType === 'Delete') {
    if (!isJobNameFromPrefix(jobName, props.JobNamePrefix ?? '')) return { IsComplete: true };
    const job = await describe(deps, jobName);
    if (!job) return { IsComplete: true };
    if (RUNNING_STATUSES.has(job.TrainingJobStatus ?? '')) {
      log(`Delete: waiting for training job ${jobName} to stop (${job.TrainingJobStatus}/${job.SecondaryStatus})`);
      return { IsComplete: false };
    }
    log(`Delete: training job ${jobName} is ${job.TrainingJobStatus}`);
    return { IsComplete: true };
  }

  let job: DescribeTrainingJobCommandOutput | undefined;
  try {
    job = await describe(deps, jobName);
  } catch (error) {
    // Still throttled after the SDK's retries: skip this poll rather than fail a long deploy.
    if (isThrottlingError(error)) {
      log(`Training job ${jobName}: DescribeTrainingJob still throttled (${errorName(error)}); polling again later`);
      return { IsComplete: false };
    }
    throw error;
  }
  if (!job) {
    // The first poll comes right after CreateTrainingJob: give a new job a moment to become visible.
    const created = jobNameTime(jobName);
    const now = (deps.now ?? (() => new Date()))();
    if (created && now.getTime() - created.getTime() < NOT_VISIBLE_GRACE_MS) {
      log(`Training job ${jobName} is not visible yet; polling again`);
      return { IsComplete: false };
    }
    throw new Error(`Training job ${jobName} does not exist (was it deleted outside CloudFormation?)`);
  }
  logPoll(job, deps);

  const logs = trainingJobLogsUrl(deps.region, jobName);
  switch (job.TrainingJobStatus) {
    case 'InProgress':
    case 'Stopping':
      return { IsComplete: false };
    case 'Completed': {
      checkMinimumMetric(job, props, deps.region);
      const data = completedData(job);
      log(`Training job ${jobName} completed: model ${data.ModelDataUrl}`);
      return { IsComplete: true, Data: data };
    }
    case 'Failed':
      throw new Error(`Training job ${jobName} failed: ${job.FailureReason ?? 'no reason given'}. Logs: ${logs}`);
    case 'Stopped': {
      const why = job.SecondaryStatus === 'MaxRuntimeExceeded' || job.SecondaryStatus === 'MaxWaitTimeExceeded'
        ? ` (${job.SecondaryStatus}: raise maxRuntime${props.Spot ? '/spot maxWait' : ''} and the provider timeout together)`
        : ` (${job.SecondaryStatus ?? 'stopped'}: someone or something stopped it outside this deployment)`;
      throw new Error(`Training job ${jobName} was stopped before completing${why}. Logs: ${logs}`);
    }
    default:
      throw new Error(`Training job ${jobName} has unexpected status ${job.TrainingJobStatus}`);
  }
}
