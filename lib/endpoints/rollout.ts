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
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnEndpoint } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledgeWildcard } from '../common/nag-acknowledge';
import { rolloutProblem } from './rollout-problems';

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
  /** The variant's instance count, its initial and minimum (real-time only). */
  readonly instanceCount?: number;
  /**
   * The most instances autoscaling may run (real-time only): an update keeps the live count, so
   * a step must be valid for every count from `instanceCount` to this one.
   * @default instanceCount
   */
  readonly maxInstanceCount?: number;
}

/** The names the caller's users know the options by, for error messages. */
export interface RolloutOptionNames {
  readonly strategy: string;
  readonly stepSize: string;
  readonly waitMinutes: string;
  readonly bakeMinutes: string;
  readonly instanceCount: string;
  /**
   * The name of the target's maximum instance count.
   * @default `${instanceCount}` with "'s maximum"
   */
  readonly maxInstanceCount?: string;
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

/**
 * `25%` → 25 % of capacity; `1` → one instance; anything else (`0`, `25 %`, `1.5`, `025`)
 * undefined. A bare number is always an instance count: SageMaker's `CapacitySize` says which.
 */
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
      // An autoscaled fleet may be at its maximum when the update starts: the most steps.
      return options.stepSize.type === 'CAPACITY_PERCENT'
        ? Math.ceil(100 / options.stepSize.value)
        : Math.ceil((target.maxInstanceCount ?? target.instanceCount ?? 1) / options.stepSize.value);
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
 * auto-rollback alarms you specify"): a policy of its own, which the endpoint waits for, on the
 * alarms whose names start with `alarmNamePrefix` — the rollback alarms of this endpoint's every
 * configuration. Not a list of this deploy's alarms: each new configuration gets new alarms, and the
 * grant must not change with them — during a CloudFormation rollback the endpoint goes back to the
 * previous configuration's alarms whether or not this policy has been rolled back yet, and an
 * unchanged policy has nothing to propagate when an update starts.
 */
export function grantDescribeRollbackAlarms(scope: Construct, id: string, role: iam.IRole, alarmNamePrefix: string): iam.Policy {
  const alarms = Stack.of(scope).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${alarmNamePrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const policy = new iam.Policy(scope, id, {
    roles: [role],
    statements: [new iam.PolicyStatement({
      sid: 'DescribeRollbackAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: [alarms],
    })],
  });
  acknowledgeWildcard(policy, { resource: alarms },
    'The rollback alarms of this one endpoint: each endpoint configuration gets its own (their names end in the configuration name), and a CloudFormation rollback names the previous ones again; no other alarm starts with this name.');
  return policy;
}

/** The alarms an endpoint update rolls back on. */
export interface RollbackAlarms {
  /** Alarms on the NEW fleet's metrics (dimension `EndpointConfigName`); any one firing rolls back. */
  readonly alarms: cloudwatch.IAlarm[];
  /** The name every rollback alarm of the endpoint starts with, whichever configuration it watches. */
  readonly namePrefix: string;
}

/** What an endpoint needs to roll out updates with guardrails. */
export interface EndpointDeploymentOptions {
  readonly rollout: RolloutOptions;
  readonly rollbackAlarms: RollbackAlarms;
  /** The model's execution role: SageMaker reads the alarms with it. */
  readonly executionRole: iam.IRole;
}

/**
 * Sets `DeploymentConfig` on `endpoint` and grants the execution role DescribeAlarms, which the
 * endpoint waits for. Real-time (instance-backed) endpoints only: SageMaker documents deployment
 * guardrails for real-time and asynchronous endpoints, not serverless ones.
 */
export function applyDeployment(scope: Construct, endpoint: CfnEndpoint, target: RolloutTarget, options: EndpointDeploymentOptions): void {
  if (target.serverless) throw new Error('Deployment guardrails apply to real-time and asynchronous endpoints only; a serverless endpoint takes no DeploymentConfig.');
  const problem = rolloutProblem(options.rollout, target, {
    strategy: 'rollout.strategy', stepSize: 'rollout.stepSize', waitMinutes: 'rollout.waitMinutes', bakeMinutes: 'rollout.bakeMinutes', instanceCount: 'instanceCount',
  });
  if (problem) throw new Error(problem);
  endpoint.deploymentConfig = deploymentConfig(options.rollout, target, options.rollbackAlarms.alarms.map((alarm) => alarm.alarmName));
  const policy = grantDescribeRollbackAlarms(scope, 'DescribeRollbackAlarms', options.executionRole, options.rollbackAlarms.namePrefix);
  endpoint.node.addDependency(policy);
}
