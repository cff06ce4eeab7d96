import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ListTagsCommand, ListTrainingJobsCommand, TrainingJobSummary } from '@aws-sdk/client-sagemaker';
import { errorName } from '../shared/retry';
import { Dependencies, logOf, propertiesOf, TrainingJobEvent } from './dependencies';
import { describeJob } from './describe-job';
import { FINGERPRINT_TAG } from './fingerprint';
import { isJobNameFromPrefix, jobNameStem } from './job-name';
import { artifactCheckDeniedMessage, artifactCheckFailedMessage } from './messages';

/*
 * Training is idempotent by content: a job of this resource trained from the same inputs (the same
 * fingerprint) stands in for a new one, if a Completed one's model.tar.gz still exists.
 */

/** ListTrainingJobs pages read per lookup (100 jobs each) before giving up and training anew. */
const MAX_LOOKUP_PAGES = 20;
/** Statuses a job with the same fingerprint is reused in, in order of preference. */
const REUSABLE_STATUSES = ['Completed', 'InProgress'];

/** Thrown when confirming a model artifact fails in a way that must not turn into a silent retrain. */
export class ArtifactCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactCheckError';
  }
}

/**
 * A job of this resource trained from the same inputs that can stand in for a new one: ListTrainingJobs
 * on the name stem `<prefix>-<fingerprint 12 hex>-`, Completed before InProgress, newest first, each
 * confirmed by its full fingerprint tag, and a Completed one by its model artifact still existing.
 * Failed, Stopping and Stopped jobs are never reused.
 */
export async function findReusableJob(event: TrainingJobEvent, fingerprint: string, deps: Dependencies): Promise<TrainingJobSummary | undefined> {
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
    logOf(deps)(
      `${event.RequestType}: training job ${job.TrainingJobName} (Completed) was trained from the same inputs (fingerprint ${fingerprint}), ` +
        `but ${missing}: not reusing it`,
    );
  }
  return undefined;
}

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

/**
 * Whether a Completed job's model.tar.gz is still where SageMaker wrote it (someone may have
 * deleted it, or a lifecycle rule expired it): reusing the job would only fail minutes later, when
 * the endpoint cannot load the model. Returns why not, or undefined when it exists.
 */
async function missingArtifact(deps: Dependencies, jobName: string): Promise<string | undefined> {
  const job = await describeJob(deps, jobName);
  const uri = job?.ModelArtifacts?.S3ModelArtifacts;
  const match = uri ? /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) : null;
  if (!uri || !match) return `it reports no model artifact (S3ModelArtifacts=${uri})`;
  const [, bucket, key] = match;
  if (!deps.s3) throw new ArtifactCheckError('The onEvent handler was given no S3 client to confirm a model artifact with');
  try {
    await deps.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return undefined;
  } catch (error) {
    if (['NotFound', 'NoSuchKey'].includes(errorName(error)) || httpStatus(error) === 404) return `its model artifact ${uri} no longer exists`;
    if (httpStatus(error) === 403 || ['AccessDenied', 'Forbidden'].includes(errorName(error))) {
      throw new ArtifactCheckError(artifactCheckDeniedMessage(uri, jobName, bucket));
    }
    throw new ArtifactCheckError(artifactCheckFailedMessage(uri, jobName, error));
  }
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}
