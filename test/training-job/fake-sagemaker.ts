// A stateful fake of SageMaker's training-job API on loopback (node:http, 127.0.0.1, random port),
// for the real @aws-sdk/client-sagemaker client to call. It speaks the service's wire shape
// (awsJson1_1: POST / with X-Amz-Target: SageMaker.<Operation>; errors as HTTP 400 + JSON
// {"__type", "Message"}) and keeps jobs as SageMaker does: names unique forever, a job moves
// InProgress/Starting → Downloading → Training → Uploading → Completed (or Failed/Stopped) one step
// per DescribeTrainingJob, StopTrainingJob only works InProgress and goes through Stopping.
// ListTrainingJobs filters by NameContains (case-insensitive, as SageMaker does), sorts and pages;
// ListTags answers the tags a job was created with. Account quotas, where a test sets them, are
// enforced as SageMaker does: CreateTrainingJob over '<type> for [spot ]training job usage' (the
// instances of running jobs plus the request) is refused with ResourceLimitExceeded and its text.
import * as http from 'http';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { sageMakerClient } from '../../lambda/shared/sagemaker-client';
import { fastRetries } from '../support/fast-retries';
import { LoopbackServer } from '../support/loopback-server';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

/** How a created job will end, and after how many describes. */
export interface JobPlan {
  readonly outcome: 'Completed' | 'Failed' | 'Stopped';
  /** DescribeTrainingJob calls that see it InProgress before the outcome. @default 3 */
  readonly describesInProgress?: number;
  readonly failureReason?: string;
  /** For Stopped: SageMaker's secondary status, e.g. MaxRuntimeExceeded. @default Stopped */
  readonly stoppedSecondaryStatus?: string;
  /** Final metrics (reported from the Training step on). */
  readonly metrics?: Record<string, number>;
}

interface Job {
  readonly name: string;
  readonly arn: string;
  readonly request: Record<string, unknown>;
  readonly plan: JobPlan;
  readonly created: number;
  status: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  secondary: string;
  transitions: Array<{ Status: string; StatusMessage: string; StartTime: number }>;
  describes: number;
  stoppingDescribes: number;
}

const PROGRESS: Array<[string, string]> = [
  ['Starting', 'Preparing the instances for training'],
  ['Downloading', 'Downloading the training image'],
  ['Training', 'Training image download completed. Training in progress.'],
  ['Uploading', 'Uploading generated training model'],
];

type Operation = 'CreateTrainingJob' | 'DescribeTrainingJob' | 'StopTrainingJob' | 'ListTrainingJobs' | 'ListTags';

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeSageMaker {
  readonly jobs = new Map<string, Job>();
  /** Every call, in order: operation and job name. */
  readonly calls: Array<{ operation: string; name: string }> = [];
  /** Account-level quotas by Service Quotas name (e.g. 'ml.c5.2xlarge for training job usage'); unset ones are unlimited. */
  readonly quotas = new Map<string, number>();
  private readonly plans: JobPlan[] = [];
  private readonly throttles = new Map<string, number>();
  private readonly failures = new Map<string, { type: string; message: string; count: number }>();
  private loseCreateResponse = false;
  private finishBeforeStop = false;
  /** Makes creation times strictly increasing, even within one millisecond. */
  private sequence = 0;
  private readonly server = new LoopbackServer((req, res) => this.handle(req, res));
  /**
   * Where a job's model.tar.gz goes when it completes (SageMaker's upload), e.g. a FakeS3's put.
   * @default - nowhere: the artifact does not exist
   */
  uploadArtifact?: (bucket: string, key: string, body: string) => void;

  async start(): Promise<void> {
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  get endpoint(): string {
    return this.server.url;
  }

  /** The handlers' SageMaker client (the SDK's retries, 1 ms apart; each retry reported to `log`) pointed at this fake. */
  client(log: (line: string) => void = () => undefined): SageMakerClient {
    return sageMakerClient({
      region: REGION,
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      ...fastRetries(),
    }, log);
  }

  /** The next created job follows `plan` (plans are used in order; default: Completed). */
  planNextJob(plan: JobPlan): void {
    this.plans.push(plan);
  }

  /** The next `count` calls of `operation` answer ThrottlingException. */
  throttle(operation: Operation, count: number): void {
    this.throttles.set(operation, count);
  }

  /** The next `count` calls of `operation` fail with `type` (e.g. AccessDeniedException, a missing IAM action; InternalFailure is HTTP 500). */
  failNext(operation: Operation, type: string, message: string, count = 1): void {
    this.failures.set(operation, { type, message, count });
  }

  /** The next CreateTrainingJob creates the job but answers InternalFailure (a lost response). */
  loseNextCreateResponse(): void {
    this.loseCreateResponse = true;
  }

  /** The job completes just before the next StopTrainingJob arrives (the race a delete can meet). */
  finishJobBeforeNextStop(): void {
    this.finishBeforeStop = true;
  }

  /** A job created by someone else, in a given state (for delete tests), with the tags given. */
  seedJob(name: string, status: Job['status'], tags: Array<{ Key: string; Value: string }> = []): void {
    const job = this.newJob(name, { Tags: tags }, { outcome: 'Completed' }, status);
    this.jobs.set(name, job);
    if (status === 'Completed') this.upload(job);
  }

  /** s3://…/<job>/output/model.tar.gz, as SageMaker names it under the job's S3OutputPath. */
  artifactUri(name: string): string {
    const output = this.jobs.get(name)?.request.OutputDataConfig as { S3OutputPath?: string } | undefined;
    return `${(output?.S3OutputPath ?? 's3://bucket/').replace(/\/?$/, '/')}${name}/output/model.tar.gz`;
  }

  private upload(job: Job): void {
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(this.artifactUri(job.name))!;
    this.uploadArtifact?.(bucket, key, `model of ${job.name}`);
  }

  /** Names of the jobs CreateTrainingJob started, in order. */
  get createdJobNames(): string[] {
    return this.calls.filter((c) => c.operation === 'CreateTrainingJob').map((c) => c.name);
  }

  private newJob(name: string, request: Record<string, unknown>, plan: JobPlan, status: Job['status'] = 'InProgress'): Job {
    const now = Date.now() / 1000 + this.sequence++ / 1000;
    return {
      name,
      arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/${name.toLowerCase()}`,
      request,
      plan,
      created: now,
      status,
      secondary: status === 'InProgress' ? 'Starting' : status,
      transitions: [{ Status: 'Starting', StatusMessage: PROGRESS[0][1], StartTime: now }],
      describes: 0,
      stoppingDescribes: 0,
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.replace(/^SageMaker\./, '');
      let status = 200;
      let body: unknown;
      try {
        if (req.method !== 'POST' || !target.startsWith('SageMaker.')) throw new ServiceError('UnknownOperationException', target);
        if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) throw new ServiceError('MissingAuthenticationTokenException', 'unsigned');
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        this.calls.push({ operation, name: String(input.TrainingJobName ?? '') });
        const throttled = this.throttles.get(operation) ?? 0;
        if (throttled > 0) {
          this.throttles.set(operation, throttled - 1);
          throw new ServiceError('ThrottlingException', 'Rate exceeded');
        }
        const failure = this.failures.get(operation);
        if (failure) {
          if (--failure.count <= 0) this.failures.delete(operation);
          throw new ServiceError(failure.type, failure.message);
        }
        body = this.dispatch(operation, input);
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        status = error.type === 'InternalFailure' ? 500 : 400;
        body = { __type: error.type, Message: error.message };
      }
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake' });
      res.end(JSON.stringify(body));
    });
  }

  private dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'CreateTrainingJob':
        return this.create(input);
      case 'DescribeTrainingJob':
        return this.describe(this.find(input));
      case 'StopTrainingJob':
        return this.stopJob(this.find(input));
      case 'ListTrainingJobs':
        return this.list(input);
      case 'ListTags':
        return this.listTags(input);
      default:
        throw new ServiceError('UnknownOperationException', operation);
    }
  }

  private find(input: Record<string, unknown>): Job {
    const job = this.jobs.get(String(input.TrainingJobName));
    if (!job) throw new ServiceError('ValidationException', 'Requested resource not found.');
    return job;
  }

  private create(input: Record<string, unknown>): unknown {
    const name = String(input.TrainingJobName ?? '');
    if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(name)) {
      throw new ServiceError('ValidationException', `1 validation error detected: Value '${name}' at 'trainingJobName' failed to satisfy constraint`);
    }
    if (this.jobs.has(name)) {
      throw new ServiceError('ResourceInUse', `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${this.jobs.get(name)!.arn})`);
    }
    for (const field of ['AlgorithmSpecification', 'RoleArn', 'OutputDataConfig', 'ResourceConfig', 'StoppingCondition']) {
      if (input[field] === undefined) throw new ServiceError('ValidationException', `${field} is required`);
    }
    for (const [key, value] of Object.entries((input.HyperParameters ?? {}) as Record<string, unknown>)) {
      if (typeof value !== 'string') throw new ServiceError('ValidationException', `HyperParameters.${key} must be a string`);
    }
    this.enforceQuota(input);
    const job = this.newJob(name, input, this.plans.shift() ?? { outcome: 'Completed' });
    this.jobs.set(name, job);
    if (this.loseCreateResponse) {
      this.loseCreateResponse = false;
      throw new ServiceError('InternalFailure', 'We encountered an internal error. Please try again.');
    }
    return { TrainingJobArn: job.arn };
  }

  /** SageMaker's ResourceLimitExceeded when the job's instances and those of running jobs exceed the quota. */
  private enforceQuota(input: Record<string, unknown>): void {
    const spot = input.EnableManagedSpotTraining === true;
    const { InstanceType: type, InstanceCount: count } = input.ResourceConfig as { InstanceType: string; InstanceCount: number };
    const quotaName = `${type} for ${spot ? 'spot training job' : 'training job'} usage`;
    const limit = this.quotas.get(quotaName);
    if (limit === undefined) return;
    const inUse = [...this.jobs.values()]
      .filter((job) => ['InProgress', 'Stopping'].includes(job.status) && (job.request.EnableManagedSpotTraining === true) === spot)
      .map((job) => job.request.ResourceConfig as { InstanceType?: string; InstanceCount?: number } | undefined)
      .filter((resources) => resources?.InstanceType === type)
      .reduce((sum, resources) => sum + (resources?.InstanceCount ?? 0), 0);
    if (inUse + count > limit) {
      throw new ServiceError(
        'ResourceLimitExceeded',
        `The account-level service limit '${quotaName}' is ${limit} Instances, with current utilization of ${inUse} Instances ` +
          `and a request delta of ${count} Instances. Please contact AWS support to request an increase for this limit.`,
      );
    }
  }

  private advance(job: Job): void {
    job.describes++;
    const now = Date.now() / 1000;
    if (job.status === 'Stopping') {
      // SageMaker takes a while to stop: one describe still sees Stopping.
      if (++job.stoppingDescribes < 2) return;
      job.status = 'Stopped';
      job.secondary = 'Stopped';
      job.transitions.push({ Status: 'Stopped', StatusMessage: 'Training job stopped', StartTime: now });
      return;
    }
    if (job.status !== 'InProgress') return;
    const inProgress = job.plan.describesInProgress ?? 3;
    if (job.describes <= inProgress) {
      const [secondary, message] = PROGRESS[Math.min(job.describes - 1, PROGRESS.length - 1)];
      if (secondary !== job.secondary) job.transitions.push({ Status: secondary, StatusMessage: message, StartTime: now });
      job.secondary = secondary;
      return;
    }
    job.status = job.plan.outcome;
    if (job.status === 'Completed') this.upload(job);
    job.secondary = job.plan.outcome === 'Stopped' ? (job.plan.stoppedSecondaryStatus ?? 'Stopped') : job.plan.outcome;
    job.transitions.push({ Status: job.secondary, StatusMessage: `Training job ${job.plan.outcome.toLowerCase()}`, StartTime: now });
  }

  private describe(job: Job): unknown {
    this.advance(job);
    const reachedTraining = job.status !== 'InProgress' || ['Training', 'Uploading'].includes(job.secondary);
    return {
      TrainingJobName: job.name,
      TrainingJobArn: job.arn,
      TrainingJobStatus: job.status,
      SecondaryStatus: job.secondary,
      SecondaryStatusTransitions: job.transitions,
      CreationTime: job.created,
      TrainingStartTime: job.created,
      ...(job.status === 'Failed' ? { FailureReason: job.plan.failureReason ?? 'AlgorithmError: unknown' } : {}),
      ...(job.status === 'Completed'
        ? {
            ModelArtifacts: { S3ModelArtifacts: this.artifactUri(job.name) },
            TrainingTimeInSeconds: 300,
            BillableTimeInSeconds: 300,
          }
        : {}),
      FinalMetricDataList:
        reachedTraining && job.plan.metrics
          ? Object.entries(job.plan.metrics).map(([MetricName, Value]) => ({ MetricName, Value, Timestamp: Date.now() / 1000 }))
          : undefined,
      AlgorithmSpecification: job.request.AlgorithmSpecification ?? { TrainingInputMode: 'File' },
      HyperParameters: job.request.HyperParameters,
      RoleArn: job.request.RoleArn,
      StoppingCondition: job.request.StoppingCondition ?? {},
    };
  }

  /** One page of at most MaxResults (default 10, as SageMaker) summaries; NextToken is the next index. */
  private list(input: Record<string, unknown>): unknown {
    const contains = String(input.NameContains ?? '').toLowerCase();
    const descending = input.SortOrder === 'Descending';
    const matching = [...this.jobs.values()]
      .filter((job) => job.name.toLowerCase().includes(contains))
      .filter((job) => input.StatusEquals === undefined || job.status === input.StatusEquals)
      .sort((a, b) => (descending ? b.created - a.created : a.created - b.created));
    const start = Number(input.NextToken ?? 0);
    const size = Number(input.MaxResults ?? 10);
    if (!Number.isInteger(size) || size < 1 || size > 100) throw new ServiceError('ValidationException', 'MaxResults must be 1-100');
    const page = matching.slice(start, start + size);
    return {
      TrainingJobSummaries: page.map((job) => ({
        TrainingJobName: job.name,
        TrainingJobArn: job.arn,
        CreationTime: job.created,
        TrainingJobStatus: job.status,
      })),
      ...(start + size < matching.length ? { NextToken: String(start + size) } : {}),
    };
  }

  private listTags(input: Record<string, unknown>): unknown {
    const job = [...this.jobs.values()].find((j) => j.arn === input.ResourceArn);
    if (!job) throw new ServiceError('ValidationException', `Resource ${String(input.ResourceArn)} not found.`);
    return { Tags: (job.request.Tags as unknown[] | undefined) ?? [] };
  }

  private stopJob(job: Job): unknown {
    if (this.finishBeforeStop && job.status === 'InProgress') {
      this.finishBeforeStop = false;
      job.status = 'Completed';
      job.secondary = 'Completed';
      this.upload(job);
    }
    if (job.status !== 'InProgress') {
      throw new ServiceError('ValidationException', `The request was rejected because the training job is in status ${job.status}.`);
    }
    job.status = 'Stopping';
    job.secondary = 'Stopping';
    job.transitions.push({ Status: 'Stopping', StatusMessage: 'Stopping the training job', StartTime: Date.now() / 1000 });
    return {};
  }
}
