/**
 * How a SageMaker endpoint update shifts traffic from the old fleet to the new one (deployment
 * guardrails: blue/green with all-at-once, canary or linear traffic shifting, a baking period and
 * auto-rollback on CloudWatch alarms). Pure computation: options in, `DeploymentConfig` and the
 * minutes the update waits out; nothing here knows about a particular model or app.
 *
 * Facts from the SageMaker API reference (TrafficRoutingConfig, CapacitySize, BlueGreenUpdatePolicy):
 * a canary is at most 50 % of the variant's instance count, a linear step 10–50 %; the wait
 * between steps and the termination wait (baking period) are 0–3600 s each; the deployment's
 * MaximumExecutionTimeoutInSeconds is 600–28800 s and must exceed the total waiting time.
 */
import { Names } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnEndpoint } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';

export type RolloutStrategy = 'all-at-once' | 'canary' | 'linear';
export const ROLLOUT_STRATEGIES: readonly RolloutStrategy[] = ['all-at-once', 'canary', 'linear'];

/** A canary's size or a linear step: a share of the fleet, or a number of instances. */
export interface RolloutStepSize {
  readonly type: 'CAPACITY_PERCENT' | 'INSTANCE_COUNT';
  readonly value: number;
}

export interface RolloutOptions {
  readonly strategy: RolloutStrategy;
  /** Canary size or linear step (ignored for all-at-once). */
  readonly stepSize: RolloutStepSize;
  /** Minutes between traffic steps (0–60; ignored for all-at-once). */
  readonly waitMinutes: number;
  /** Minutes all traffic stays on the new fleet, alarms watching, before the old fleet is terminated (0–60). */
  readonly bakeMinutes: number;
}

/** What the rollout is applied to. */
export interface RolloutTarget {
  /** Serverless endpoints have no instances: only percentage steps apply. */
  readonly serverless: boolean;
  /** The variant's instance count (real-time only). */
  readonly instanceCount?: number;
}

/** The names the caller's users know the options by, for error messages. */
export interface RolloutOptionNames {
  readonly strategy: string;
  readonly stepSize: string;
  readonly waitMinutes: string;
  readonly bakeMinutes: string;
  readonly instanceCount: string;
}

/** SageMaker's ceiling for MaximumExecutionTimeoutInSeconds (28800 s). */
export const MAX_EXECUTION_MINUTES = 480;
/** SageMaker's floor for MaximumExecutionTimeoutInSeconds (600 s). */
const MIN_EXECUTION_MINUTES = 10;
/**
 * Time the deployment needs besides its waits: launching the new fleet (instances, image pull,
 * model download, health check) and shifting traffic. A small CPU model's endpoint is InService in
 * about 5–10 minutes; 30 leaves room for a large image or a slow instance launch without letting a
 * stuck deployment hold the stack for hours.
 */
export const PROVISIONING_ALLOWANCE_MINUTES = 30;
export const MAX_STEP_MINUTES = 60;

/** `25%` → 25 % of capacity; `1` → one instance; anything else undefined. */
export function parseStepSize(text: string): RolloutStepSize | undefined {
  const match = /^([1-9][0-9]*)(%?)$/.exec(text.trim());
  if (!match) return undefined;
  return { type: match[2] ? 'CAPACITY_PERCENT' : 'INSTANCE_COUNT', value: Number(match[1]) };
}

/** `{ CAPACITY_PERCENT, 25 }` → `25%`; `{ INSTANCE_COUNT, 1 }` → `1`. */
export function formatStepSize(size: RolloutStepSize): string {
  return size.type === 'CAPACITY_PERCENT' ? `${size.value}%` : `${size.value}`;
}

/** Traffic steps of the shift: 1 (all at once), 2 (canary, then the rest) or ceil(fleet / step) (linear). */
export function trafficSteps(options: RolloutOptions, target: RolloutTarget): number {
  switch (options.strategy) {
    case 'all-at-once': return 1;
    case 'canary': return 2;
    case 'linear':
      return options.stepSize.type === 'CAPACITY_PERCENT'
        ? Math.ceil(100 / options.stepSize.value)
        : Math.ceil((target.instanceCount ?? 1) / options.stepSize.value);
  }
}

/** Minutes SageMaker waits on purpose during one update: a wait after every step but the last, then the baking period. */
export function waitingMinutes(options: RolloutOptions, target: RolloutTarget): number {
  return (trafficSteps(options, target) - 1) * options.waitMinutes + options.bakeMinutes;
}

/** The deployment's MaximumExecutionTimeoutInSeconds, in minutes: the waits plus the provisioning allowance. */
export function executionTimeoutMinutes(options: RolloutOptions, target: RolloutTarget): number {
  return Math.max(MIN_EXECUTION_MINUTES, waitingMinutes(options, target) + PROVISIONING_ALLOWANCE_MINUTES);
}

/**
 * The first problem of `options` for `target`, as a message naming the option (by `names`) and the
 * fix; undefined when SageMaker will accept them.
 */
export function rolloutProblem(options: RolloutOptions, target: RolloutTarget, names: RolloutOptionNames): string | undefined {
  const { strategy, stepSize, waitMinutes, bakeMinutes } = options;
  const size = formatStepSize(stepSize);
  for (const [name, value] of [[names.waitMinutes, waitMinutes], [names.bakeMinutes, bakeMinutes]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_STEP_MINUTES) {
      return `Invalid setting ${name}=${value}: expected a whole number of minutes from 0 to ${MAX_STEP_MINUTES} (SageMaker waits at most 3600 s).`;
    }
  }
  if (strategy !== 'all-at-once') {
    const [low, high] = strategy === 'canary' ? [1, 50] : [10, 50];
    const what = strategy === 'canary' ? 'a canary' : 'a linear step';
    if (stepSize.type === 'CAPACITY_PERCENT' && (stepSize.value < low || stepSize.value > high)) {
      return `Invalid setting ${names.stepSize}=${size} for ${names.strategy}=${strategy}: ${what} is ${low}% to ${high}% of the fleet; use e.g. -c ${names.stepSize}=${strategy === 'canary' ? '10%' : '25%'}.`;
    }
    if (stepSize.type === 'INSTANCE_COUNT') {
      if (target.serverless) {
        return `Invalid setting ${names.stepSize}=${size} for ${names.strategy}=${strategy}: a serverless endpoint has no instances to count; use a percentage such as -c ${names.stepSize}=25%.`;
      }
      const count = target.instanceCount ?? 1;
      const percent = (100 * stepSize.value) / count;
      if (percent < low || percent > high) {
        const fits = Array.from({ length: count }, (_, i) => i + 1).filter((k) => (100 * k) / count >= low && (100 * k) / count <= high);
        const fix = fits.length > 0
          ? `use -c ${names.stepSize}=${fits[0]}${fits.length > 1 ? ` (up to ${fits[fits.length - 1]})` : ''}`
          : `raise ${names.instanceCount} to at least ${2 * stepSize.value} or use a percentage`;
        return `Invalid setting ${names.stepSize}=${size} for ${names.strategy}=${strategy}: ${what} must be ${low}% to ${high}% of the ${count} instance(s) of ${names.instanceCount} (${stepSize.value} is ${Math.round(percent)}%); ${fix}.`;
      }
    }
  }
  const waits = waitingMinutes(options, target);
  if (waits + PROVISIONING_ALLOWANCE_MINUTES > MAX_EXECUTION_MINUTES) {
    const steps = trafficSteps(options, target);
    return `Settings ${names.strategy}=${strategy}, ${names.stepSize}=${size}, ${names.waitMinutes}=${waitMinutes} and ${names.bakeMinutes}=${bakeMinutes} ` +
      `make one endpoint update wait ${waits} minutes (${steps - 1} waits between ${steps} steps, then the bake); with ${PROVISIONING_ALLOWANCE_MINUTES} minutes to provision the new fleet ` +
      `that exceeds SageMaker's maximum deployment time of ${MAX_EXECUTION_MINUTES} minutes. Use a larger step, or shorter ${names.waitMinutes}/${names.bakeMinutes}.`;
  }
  return undefined;
}

/** The endpoint's `DeploymentConfig`: blue/green with the options' traffic shifting, rolling back on any of `alarmNames`. */
export function deploymentConfig(options: RolloutOptions, target: RolloutTarget, alarmNames: string[]): CfnEndpoint.DeploymentConfigProperty {
  if (alarmNames.length < 1 || alarmNames.length > 10) throw new Error(`AutoRollbackConfiguration takes 1 to 10 alarms, got ${alarmNames.length}`);
  const type = { 'all-at-once': 'ALL_AT_ONCE', 'canary': 'CANARY', 'linear': 'LINEAR' }[options.strategy];
  const size = { type: options.stepSize.type, value: options.stepSize.value };
  return {
    blueGreenUpdatePolicy: {
      trafficRoutingConfiguration: {
        type,
        // Required by the API; with one step there is nothing to wait between.
        waitIntervalInSeconds: options.strategy === 'all-at-once' ? 0 : options.waitMinutes * 60,
        canarySize: options.strategy === 'canary' ? size : undefined,
        linearStepSize: options.strategy === 'linear' ? size : undefined,
      },
      terminationWaitInSeconds: options.bakeMinutes * 60,
      maximumExecutionTimeoutInSeconds: executionTimeoutMinutes(options, target) * 60,
    },
    autoRollbackConfiguration: { alarms: alarmNames.map((alarmName) => ({ alarmName })) },
  };
}

/**
 * SageMaker reads the rollback alarms with the model's execution role ("Ensure that your IAM
 * execution role has permission to perform the cloudwatch:DescribeAlarms action on the
 * auto-rollback alarms you specify"): a policy of its own, on exactly those alarms, so that the
 * endpoint can wait for it and nothing else does.
 */
export function grantDescribeRollbackAlarms(scope: Construct, id: string, role: iam.IRole, alarms: cloudwatch.IAlarm[]): iam.Policy {
  return new iam.Policy(scope, id, {
    roles: [role],
    statements: [new iam.PolicyStatement({
      sid: 'DescribeRollbackAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: alarms.map((alarm) => alarm.alarmArn),
    })],
  });
}

const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * A fixed endpoint name, known at synth time: alarms watch the endpoint by name and the endpoint's
 * rollback configuration names the alarms, so one side must not wait for the other. The name
 * carries the stack's name and the construct path (with a hash of it): stacks and stages in one
 * account never share a name, and a construct with a new id gets a new name.
 */
export function fixedEndpointName(endpoint: Construct): string {
  const name = Names.uniqueResourceName(endpoint, { maxLength: 63, separator: '-' });
  if (!ENDPOINT_NAME.test(name)) throw new Error(`endpoint name ${name} does not match SageMaker's ${ENDPOINT_NAME}`);
  return name;
}

/** What an endpoint needs to roll out updates with guardrails. */
export interface EndpointDeploymentOptions {
  readonly rollout: RolloutOptions;
  /** Alarms on the endpoint's own metrics (by its name and variant, so both fleets count); any one firing rolls back. */
  readonly rollbackAlarms: cloudwatch.IAlarm[];
  /** The model's execution role: SageMaker reads the alarms with it. */
  readonly executionRole: iam.IRole;
}

/** Sets `DeploymentConfig` on `endpoint` and grants the execution role DescribeAlarms, which the endpoint waits for. */
export function applyDeployment(scope: Construct, endpoint: CfnEndpoint, target: RolloutTarget, options: EndpointDeploymentOptions): void {
  const problem = rolloutProblem(options.rollout, target, {
    strategy: 'rollout.strategy', stepSize: 'rollout.stepSize', waitMinutes: 'rollout.waitMinutes', bakeMinutes: 'rollout.bakeMinutes', instanceCount: 'instanceCount',
  });
  if (problem) throw new Error(problem);
  endpoint.deploymentConfig = deploymentConfig(options.rollout, target, options.rollbackAlarms.map((alarm) => alarm.alarmName));
  const policy = grantDescribeRollbackAlarms(scope, 'DescribeRollbackAlarms', options.executionRole, options.rollbackAlarms);
  endpoint.node.addDependency(policy);
}
