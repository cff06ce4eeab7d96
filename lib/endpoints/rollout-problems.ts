/**
 * Whether SageMaker will accept a rollout for a variant, as one line naming the option, the value
 * and fixes that pass this same check. SageMaker's limits (API reference: TrafficRoutingConfig,
 * CapacitySize): a canary is at most 50 % of the variant's instances, a linear step 10–50 %; the
 * waits are 0–3600 s each; MaximumExecutionTimeoutInSeconds at most 28800 s.
 */
import {
  formatStepSize, MAX_EXECUTION_MINUTES, MAX_STEP_MINUTES, PROVISIONING_ALLOWANCE_MINUTES, RolloutOptionNames, RolloutOptions,
  RolloutStepSize, RolloutTarget, trafficSteps, waitingMinutes,
} from './rollout';

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
