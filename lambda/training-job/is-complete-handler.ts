import { DescribeTrainingJobCommandOutput } from '@aws-sdk/client-sagemaker';
import { trainingJobConsoleUrl, trainingJobLogsUrl } from '../shared/console-links';
import { errorName, isThrottlingError } from '../shared/retry';
import { Dependencies, IsCompleteResponse, logOf, nowOf, propertiesOf, TrainingJobEvent } from './dependencies';
import { describeJob } from './describe-job';
import { metricAttributeName } from './hyperparameters';
import { isJobNameFromPrefix, jobNameTime } from './job-name';
import { belowMinimumMetricMessage, jobFailedMessage, jobStoppedMessage, minimumMetricMissingMessage } from './messages';
import { parseNumber, TrainingJobProperties } from './properties';

const RUNNING_STATUSES = new Set(['InProgress', 'Stopping']);
/** How long after its creation a job missing from DescribeTrainingJob counts as "not visible yet". */
const NOT_VISIBLE_GRACE_MS = 5 * 60 * 1000;

/**
 * The training job resource's isComplete: polls DescribeTrainingJob, logging each poll. Completed →
 * the model's location and final metrics as attributes (after the minimum-metric check);
 * Failed/Stopped → the deploy fails with why. On Delete: waits until a stopped job has stopped.
 */
export async function isComplete(event: TrainingJobEvent, deps: Dependencies): Promise<IsCompleteResponse> {
  const log = logOf(deps);
  const jobName = event.PhysicalResourceId ?? '';
  const props = propertiesOf(event);
  if (event.RequestType === 'Delete') return isStopped(jobName, props, deps);

  let job: DescribeTrainingJobCommandOutput | undefined;
  try {
    job = await describeJob(deps, jobName);
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
    if (created && nowOf(deps).getTime() - created.getTime() < NOT_VISIBLE_GRACE_MS) {
      log(`Training job ${jobName} is not visible yet; polling again`);
      return { IsComplete: false };
    }
    throw new Error(`Training job ${jobName} does not exist (was it deleted outside CloudFormation?)`);
  }
  logPoll(job, deps);

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
      throw new Error(jobFailedMessage(jobName, job.FailureReason, deps.region));
    case 'Stopped':
      throw new Error(jobStoppedMessage(jobName, job.SecondaryStatus, Boolean(props.Spot), deps.region));
    default:
      throw new Error(`Training job ${jobName} has unexpected status ${job.TrainingJobStatus}`);
  }
}

async function isStopped(jobName: string, props: TrainingJobProperties, deps: Dependencies): Promise<IsCompleteResponse> {
  const log = logOf(deps);
  if (!isJobNameFromPrefix(jobName, props.JobNamePrefix ?? '')) return { IsComplete: true };
  const job = await describeJob(deps, jobName);
  if (!job) return { IsComplete: true };
  if (RUNNING_STATUSES.has(job.TrainingJobStatus ?? '')) {
    log(`Delete: waiting for training job ${jobName} to stop (${job.TrainingJobStatus}/${job.SecondaryStatus})`);
    return { IsComplete: false };
  }
  log(`Delete: training job ${jobName} is ${job.TrainingJobStatus}`);
  return { IsComplete: true };
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
  const log = logOf(deps);
  const name = job.TrainingJobName ?? '?';
  const since = job.TrainingStartTime ?? job.CreationTime;
  const elapsed = since ? ` for ${formatDuration(nowOf(deps).getTime() - new Date(since).getTime())}` : '';
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
  const jobName = job.TrainingJobName ?? '';
  if (value === undefined) throw new Error(minimumMetricMissingMessage(jobName, name, minimum, region));
  if (value < minimum) throw new Error(belowMinimumMetricMessage(jobName, name, value, minimum, region));
}
