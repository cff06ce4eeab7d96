import * as fs from 'fs';
import * as path from 'path';
import { Duration, Token } from 'aws-cdk-lib';
import { metricAttributeName, validateHyperparameters } from '../../lambda/training-job/hyperparameters';
import { validateJobNamePrefix } from '../../lambda/training-job/job-name';
import { INSTANCE_TYPE_PATTERN } from '../settings/instance-types';
import type { SageMakerTrainingJobProps } from './training-job';

/*
 * What SageMaker and CloudFormation allow a training job resource, and the synth-time check of a
 * SageMakerTrainingJob's props against it: each error names the prop, the value and the fix.
 * (Job-name and hyperparameter limits are shared with the handlers: lambda/training-job/.)
 */

/** The longest CloudFormation waits for a custom resource (its ServiceTimeout's maximum and default). */
export const MAX_SERVICE_TIMEOUT = Duration.hours(1);
/**
 * CloudFormation's clock starts before the Provider's waiter does and stops after it answers: the
 * onEvent call (Lambda timeout 2 min, typically seconds), the state machine's start, the time
 * every poll itself takes (about 110 short isComplete calls), the last poll (timeout 2 min) and the
 * answer to CloudFormation. The Provider's total wait stays this much below ServiceTimeout, so
 * the deploy ends with the handler's own message, not CloudFormation's generic timeout.
 */
export const PROVIDER_TIMEOUT_MARGIN = Duration.minutes(5);
/** The longest the Provider may wait for a job: ServiceTimeout's maximum less the margin (55 min). */
export const MAX_PROVIDER_TIMEOUT = MAX_SERVICE_TIMEOUT.minus(PROVIDER_TIMEOUT_MARGIN);
/** Characters the construct adds to jobNamePrefix: '-' + 8 hex of the stack name and construct path. */
export const JOB_NAME_SCOPE_LENGTH = 9;
/**
 * Time a job needs beyond MaxRuntimeInSeconds: instance provisioning and image download before,
 * model upload after, plus the Provider's own start. The provider must be able to wait this long.
 */
export const TRAINING_JOB_MARGIN = Duration.minutes(10);
/** A training input channel's name (CreateTrainingJob's ChannelName). */
export const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9\.\-_]{1,64}$/;
/** The input channel that carries the source code when the container has no network. */
export const CODE_CHANNEL_NAME = 'code';

/** The props {@link validateTrainingJobProps} checks: a part of SageMakerTrainingJobProps, so the two cannot drift. */
export type TrainingJobLimitsInput = Pick<SageMakerTrainingJobProps,
  'sourceDirectory' | 'excludeFromSource' | 'entryPoint' | 'hyperparameters' | 'instanceType' | 'instanceCount' | 'volumeSizeGb' |
  'maxRuntime' | 'inputChannels' | 'metricDefinitions' | 'jobNamePrefix' | 'spot' | 'networkIsolation' | 'minimumMetric'>;

/** The timing the construct resolved from pollInterval, serviceTimeout and totalTimeout (defaults applied). */
export interface TrainingJobTiming {
  readonly pollInterval: Duration;
  readonly serviceTimeout: Duration;
  readonly totalTimeout: Duration;
}

/** Throws one line naming the first prop that SageMaker or CloudFormation would refuse, or that cannot work. */
export function validateTrainingJobProps(props: TrainingJobLimitsInput, timing: TrainingJobTiming): void {
  validateJobNamePrefix(props.jobNamePrefix, JOB_NAME_SCOPE_LENGTH);
  validateHyperparameters(props.hyperparameters, (v) => Token.isUnresolved(v));
  validateSource(props);
  validateInstances(props);
  validateChannels(props);
  validateMetrics(props);
  validateTiming(props, timing);
}

function validateSource(props: TrainingJobLimitsInput): void {
  const shipsRequirements = !(props.excludeFromSource ?? []).includes('requirements.txt')
    && fs.existsSync(path.join(props.sourceDirectory, 'requirements.txt'));
  if (props.networkIsolation && shipsRequirements) {
    throw new Error(
      `sourceDirectory '${props.sourceDirectory}' has a requirements.txt, which makes the container run pip at start: ` +
        'with networkIsolation it cannot reach an index and the job fails. Put the packages in the image, leave the file out ' +
          "(excludeFromSource: ['requirements.txt']), or turn networkIsolation off",
    );
  }
  const entryPath = path.join(props.sourceDirectory, props.entryPoint);
  if (props.entryPoint.includes('/') || !fs.existsSync(entryPath)) {
    throw new Error(`entryPoint '${props.entryPoint}' must be a file at the root of sourceDirectory '${props.sourceDirectory}'`);
  }
}

function validateInstances(props: TrainingJobLimitsInput): void {
  if (!Number.isInteger(props.instanceCount) || props.instanceCount < 1) {
    throw new Error(`instanceCount must be a positive integer, got ${props.instanceCount}`);
  }
  if (props.volumeSizeGb !== undefined && (!Number.isInteger(props.volumeSizeGb) || props.volumeSizeGb < 1)) {
    throw new Error(`volumeSizeGb must be a positive integer, got ${props.volumeSizeGb}`);
  }
  if (!Token.isUnresolved(props.instanceType) && !INSTANCE_TYPE_PATTERN.test(props.instanceType)) {
    throw new Error(`instanceType '${props.instanceType}' is not a SageMaker instance type like 'ml.c5.2xlarge'`);
  }
}

function validateChannels(props: TrainingJobLimitsInput): void {
  const names = new Set<string>();
  for (const channel of props.inputChannels) {
    if (!CHANNEL_NAME_PATTERN.test(channel.name) || names.has(channel.name)) {
      throw new Error(`input channel name '${channel.name}' is invalid or repeated (1-64 letters, digits, '.', '-', '_')`);
    }
    if (props.networkIsolation && channel.name === CODE_CHANNEL_NAME) {
      throw new Error(`input channel name '${CODE_CHANNEL_NAME}' is reserved for the source code when networkIsolation is on`);
    }
    names.add(channel.name);
  }
}

function validateMetrics(props: TrainingJobLimitsInput): void {
  const metricKeys = new Set<string>();
  for (const metric of props.metricDefinitions) {
    const key = metricAttributeName(metric.name);
    if (metricKeys.has(key)) throw new Error(`metric definition '${metric.name}' repeats another metric's name`);
    metricKeys.add(key);
  }
  if (props.minimumMetric && !props.metricDefinitions.some((m) => m.name === props.minimumMetric!.name)) {
    throw new Error(`minimumMetric '${props.minimumMetric.name}' has no metric definition with that name`);
  }
}

function validateTiming(props: TrainingJobLimitsInput, timing: TrainingJobTiming): void {
  const service = timing.serviceTimeout.toSeconds();
  if (service < 1 || service > MAX_SERVICE_TIMEOUT.toSeconds()) {
    throw new Error(`serviceTimeout (${service} s) must be 1-${MAX_SERVICE_TIMEOUT.toSeconds()} s: CloudFormation waits for a custom resource at most one hour`);
  }
  const poll = timing.pollInterval.toSeconds();
  const total = timing.totalTimeout.toSeconds();
  const longestTotal = service - PROVIDER_TIMEOUT_MARGIN.toSeconds();
  if (poll < 1 || total < poll || total > longestTotal || total % poll !== 0) {
    throw new Error(
      `totalTimeout (${total} s) must be at most ${longestTotal} s (serviceTimeout ${service} s less ${PROVIDER_TIMEOUT_MARGIN.toSeconds()} s ` +
        'for the calls around the wait, so the deploy ends with the handler\'s message rather than CloudFormation\'s timeout) ' +
        `and a whole multiple of pollInterval (${poll} s)`,
    );
  }
  const runtime = props.maxRuntime.toSeconds();
  if (runtime < 1) throw new Error('maxRuntime must be at least 1 second');
  const longest = props.spot ? props.spot.maxWait.toSeconds() : runtime;
  if (props.spot && props.spot.maxWait.toSeconds() < runtime) {
    throw new Error(`spot.maxWait (${props.spot.maxWait.toSeconds()} s) must be at least maxRuntime (${runtime} s)`);
  }
  const margin = TRAINING_JOB_MARGIN.toSeconds();
  if (longest + margin > total) {
    throw new Error(
      `${props.spot ? 'spot.maxWait' : 'maxRuntime'} (${longest} s) plus ${margin} s for starting and uploading exceeds the ` +
        `provider's totalTimeout (${total} s), so CloudFormation would give up on a job that may still succeed: ` +
        `lower it to at most ${total - margin} s, or raise totalTimeout (at most ${longestTotal} s with serviceTimeout ${service} s)`,
    );
  }
}
