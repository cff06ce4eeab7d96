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
import { ArnFormat, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnEndpoint } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledgeWildcard } from '../common/nag-acknowledge';

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

/** SageMaker's limits on a canary and a linear step, as shares of the variant's instances. */
const STEP_SHARES = {
  canary: { low: 1, high: 50, what: 'a canary' },
  linear: { low: 10, high: 50, what: 'a linear step' },
} as const;
/** The largest share any strategy takes: a larger percentage is invalid whatever the rollout. */
const MAX_STEP_PERCENT = 50;
/** The suggestion for a step size when no fleet is there to fit (valid for canary and linear). */
const EXAMPLE_STEP_PERCENT = 25;

/** The instance counts a real-time variant runs between: autoscaling may be anywhere in between. */
interface Fleet {
  readonly min: number;
  readonly max: number;
}

const percentOf = (part: number, whole: number) => `${Number(((100 * part) / whole).toFixed(1))}%`;

/**
 * Why `size` cannot be a `strategy` step on `fleet` (undefined: it can), naming the counts by
 * `names`. SageMaker rounds a share below one instance in an undocumented way, so a percentage
 * must be at least one whole instance of the smallest fleet; an instance count must be at most
 * the share of the smallest fleet and at least the share of the largest.
 */
function stepSizeProblem(strategy: 'canary' | 'linear', size: RolloutStepSize, fleet: Fleet | undefined, names: RolloutOptionNames): string | undefined {
  const { low, high, what } = STEP_SHARES[strategy];
  const k = size.value;
  if (size.type === 'CAPACITY_PERCENT') {
    if (k < low || k > high) return `${what} is ${low}% to ${high}% of the fleet`;
    if (fleet && k * fleet.min < 100) return `${k}% of ${names.instanceCount}=${fleet.min} is less than one whole instance`;
    return undefined;
  }
  if (!fleet) return 'a serverless endpoint has no instances to count';
  const instances = `${k} instance${k === 1 ? ' is' : 's are'}`;
  if (100 * k > high * fleet.min) return `${what} is at most ${high}% of the fleet, and ${instances} ${percentOf(k, fleet.min)} of ${names.instanceCount}=${fleet.min}`;
  if (100 * k < low * fleet.max) {
    const maxName = names.maxInstanceCount ?? `${names.instanceCount}'s maximum`;
    return `${what} is at least ${low}% of the fleet, and ${instances} ${percentOf(k, fleet.max)} of ${maxName}=${fleet.max} (autoscaling keeps the live count)`;
  }
  return undefined;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
const percent = (value: number): RolloutStepSize => ({ type: 'CAPACITY_PERCENT', value });
const instanceCount = (value: number): RolloutStepSize => ({ type: 'INSTANCE_COUNT', value });

/** A bare number larger than the fleet ever is cannot mean instances: the user most likely meant a share. */
function meantAsShare(size: RolloutStepSize, fleet: Fleet): boolean {
  return size.type === 'INSTANCE_COUNT' && size.value > fleet.max && size.value <= 100;
}

/**
 * Step sizes near `size` that `fleet` takes, each checked: the same number as a share (`60` →
 * `60%`), then the nearest of the same kind and the nearest of the other kind (the share first
 * where a bare number cannot mean instances).
 */
function nearbyStepSizes(strategy: 'canary' | 'linear', size: RolloutStepSize, fleet: Fleet, names: RolloutOptionNames): RolloutStepSize[] {
  const { low, high } = STEP_SHARES[strategy];
  const asPercent = size.type === 'CAPACITY_PERCENT' ? size.value : (100 * size.value) / fleet.min;
  const asInstances = size.type === 'INSTANCE_COUNT' ? size.value : (size.value * fleet.min) / 100;
  // At least one whole instance of the smallest fleet; instance counts within the shares of both ends.
  const nearestPercent = percent(clamp(Math.round(asPercent), Math.max(low, Math.ceil(100 / fleet.min)), high));
  const nearestCount = instanceCount(clamp(Math.round(asInstances), Math.max(1, Math.ceil((low * fleet.max) / 100)), Math.floor((high * fleet.min) / 100)));
  const shareFirst = size.type === 'CAPACITY_PERCENT' || meantAsShare(size, fleet);
  const candidates = [
    ...(size.type === 'INSTANCE_COUNT' ? [percent(size.value)] : []),
    ...(shareFirst ? [nearestPercent, nearestCount] : [nearestCount, nearestPercent]),
  ];
  const found: RolloutStepSize[] = [];
  for (const candidate of candidates) {
    const duplicate = found.some((f) => f.type === candidate.type && f.value === candidate.value);
    if (!duplicate && candidate.value >= 1 && stepSizeProblem(strategy, candidate, fleet, names) === undefined) found.push(candidate);
  }
  return found;
}

/**
 * Fixes for a step that fits no size on this fleet: the smallest fleet that takes `size` itself,
 * the smallest that takes any step (with the step), then all-at-once. Each as `-c` arguments.
 */
function fleetFixes(strategy: 'canary' | 'linear', size: RolloutStepSize, fleet: Fleet, names: RolloutOptionNames, limit: number): string[] {
  const withFleet = (min: number) => `-c ${names.instanceCount}=${min}${names.maxInstanceCount && fleet.max < min ? ` -c ${names.maxInstanceCount}=${min}` : ''}`;
  const grown = (min: number): Fleet => ({ min, max: Math.max(fleet.max, min) });
  const fixes: string[] = [];
  let smallest: number | undefined;
  for (let min = fleet.min + 1; min <= limit && smallest === undefined; min++) {
    if (stepSizeProblem(strategy, size, grown(min), names) === undefined) smallest = min;
  }
  if (smallest !== undefined) fixes.push(withFleet(smallest));
  for (let min = fleet.min + 1; min <= limit && min < (smallest ?? Infinity); min++) {
    const [step] = nearbyStepSizes(strategy, size, grown(min), names);
    if (step) {
      fixes.push(`${withFleet(min)} -c ${names.stepSize}=${formatStepSize(step)}`);
      break;
    }
  }
  // All-at-once ignores the size, but still refuses one that no rollout takes.
  const tooLarge = size.type === 'CAPACITY_PERCENT' && size.value > MAX_STEP_PERCENT;
  return [...fixes, `-c ${names.strategy}=all-at-once${tooLarge ? ` -c ${names.stepSize}=${EXAMPLE_STEP_PERCENT}%` : ''}`];
}

/** The largest fleet a fix suggests: more instances, each billed by the hour, is no fix for a step size. */
const MAX_SUGGESTED_INSTANCES = 10;

/**
 * The first problem of `options` for `target`, as one line naming the option (by `names`), the
 * value and fixes that pass this same check; undefined when SageMaker will accept them. A step
 * size no strategy takes is a problem even for all-at-once, which ignores the size.
 */
export function rolloutProblem(options: RolloutOptions, target: RolloutTarget, names: RolloutOptionNames): string | undefined {
  const { strategy, stepSize, waitMinutes, bakeMinutes } = options;
  const size = formatStepSize(stepSize);
  for (const [name, value] of [[names.waitMinutes, waitMinutes], [names.bakeMinutes, bakeMinutes]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_STEP_MINUTES) {
      return `Invalid setting ${name}=${value}: expected a whole number of minutes from 0 to ${MAX_STEP_MINUTES} (SageMaker waits at most 3600 s).`;
    }
  }
  if (strategy === 'all-at-once') {
    if (stepSize.type === 'CAPACITY_PERCENT' && stepSize.value > MAX_STEP_PERCENT) {
      return `Invalid setting ${names.stepSize}=${size}: no rollout takes it (a canary is 1% to 50% of the fleet, a linear step 10% to 50%); ` +
        `use e.g. -c ${names.stepSize}=${EXAMPLE_STEP_PERCENT}%.`;
    }
  } else {
    const fleet: Fleet | undefined = target.serverless
      ? undefined
      : { min: target.instanceCount ?? 1, max: Math.max(target.maxInstanceCount ?? 1, target.instanceCount ?? 1) };
    const reason = stepSizeProblem(strategy, stepSize, fleet, names);
    if (reason) {
      const prefix = `Invalid setting ${names.stepSize}=${size} for ${names.strategy}=${strategy}: ${reason}`;
      if (!fleet) return `${prefix}; use a percentage such as -c ${names.stepSize}=${EXAMPLE_STEP_PERCENT}%.`;
      // A bare number counts instances; where it cannot mean instances, say what the same number with % would do.
      const asShare = meantAsShare(stepSize, fleet) ? stepSizeProblem(strategy, percent(stepSize.value), fleet, names) : undefined;
      const note = !meantAsShare(stepSize, fleet) ? '' : asShare
        ? ` (a number without % counts instances; ${stepSize.value}% would not do either: ${asShare})`
        : ' (a number without % counts instances)';
      const nearby = nearbyStepSizes(strategy, stepSize, fleet, names).slice(0, 2).map((s) => `-c ${names.stepSize}=${formatStepSize(s)}`);
      if (nearby.length > 0) return `${prefix}${note}; use ${nearby.join(' or ')}.`;
      const { high, what } = STEP_SHARES[strategy];
      const none = `; on ${fleet.min} instance${fleet.min === 1 ? '' : 's'} no ${what.replace(/^a /, '')} is both a whole instance and at most ${high}%`;
      return `${prefix}${note}${none}: use ${fleetFixes(strategy, stepSize, fleet, names, MAX_SUGGESTED_INSTANCES).join(', or ')}.`;
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

/** SageMaker's pattern for endpoint and production variant names (API reference: CreateEndpoint, ProductionVariant). */
export const ENDPOINT_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * A fixed endpoint name, known at synth time: alarms watch the endpoint by name and the endpoint's
 * rollback configuration names the alarms, so one side must not wait for the other. The name
 * carries the stack's name and the construct path (with a hash of it): stacks and stages in one
 * account never share a name, and a construct with a new id gets a new name.
 */
export function fixedEndpointName(endpoint: Construct): string {
  const name = Names.uniqueResourceName(endpoint, { maxLength: 63, separator: '-' });
  if (!ENDPOINT_NAME_PATTERN.test(name)) throw new Error(`endpoint name ${name} does not match SageMaker's ${ENDPOINT_NAME_PATTERN}`);
  return name;
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
