import {
  deploymentConfig, executionTimeoutMinutes, parseStepSize, PROVISIONING_ALLOWANCE_MINUTES, RolloutOptions, rolloutProblem,
  trafficSteps, waitingMinutes,
} from '../../lib/endpoint-rollout';

// The pure part of the rollout: options → DeploymentConfig and the minutes an update waits out.

const NAMES = { strategy: 'rollout', stepSize: 'size', waitMinutes: 'wait', bakeMinutes: 'bake', instanceCount: 'count' };
const percent = (value: number) => ({ type: 'CAPACITY_PERCENT' as const, value });
const instances = (value: number) => ({ type: 'INSTANCE_COUNT' as const, value });
const REALTIME_2 = { serverless: false, instanceCount: 2 };
const SERVERLESS = { serverless: true };

describe('step sizes', () => {
  test('25% is a share of capacity, 1 an instance count; other text is refused', () => {
    expect(parseStepSize('25%')).toEqual(percent(25));
    expect(parseStepSize('1')).toEqual(instances(1));
    for (const bad of ['0', '0%', '25 %', '%', '1.5', '-1', 'ten']) expect(parseStepSize(bad)).toBeUndefined();
  });
});

describe('time an update waits on purpose', () => {
  test.each([
    // strategy, size, wait, bake, instances, steps, waiting minutes
    ['all-at-once', percent(25), 10, 5, 1, 1, 5],
    ['canary', instances(1), 10, 10, 2, 2, 20],
    ['canary', percent(10), 10, 5, 1, 2, 15],
    ['linear', percent(25), 10, 5, 1, 4, 35],
    ['linear', percent(30), 10, 5, 1, 4, 35], // 30+30+30+10
    ['linear', instances(2), 7, 3, 5, 3, 17], // 2+2+1 of 5 instances
  ] as const)('%s %j, wait %i, bake %i on %i instance(s): %i steps, %i minutes', (strategy, stepSize, wait, bake, count, steps, minutes) => {
    const options: RolloutOptions = { strategy, stepSize, waitMinutes: wait, bakeMinutes: bake };
    const target = { serverless: false, instanceCount: count };
    expect(trafficSteps(options, target)).toBe(steps);
    expect(waitingMinutes(options, target)).toBe(minutes);
    expect(executionTimeoutMinutes(options, target)).toBe(minutes + PROVISIONING_ALLOWANCE_MINUTES);
  });

  test("the execution timeout never goes below SageMaker's 600 s", () => {
    expect(PROVISIONING_ALLOWANCE_MINUTES).toBeGreaterThanOrEqual(10);
    expect(executionTimeoutMinutes({ strategy: 'all-at-once', stepSize: percent(25), waitMinutes: 0, bakeMinutes: 0 }, REALTIME_2)).toBeGreaterThanOrEqual(10);
  });
});

describe('DeploymentConfig', () => {
  const alarms = ['five-xx', 'latency'];

  test('all-at-once: one step, the bake, rollback on the alarms', () => {
    expect(deploymentConfig({ strategy: 'all-at-once', stepSize: percent(25), waitMinutes: 10, bakeMinutes: 5 }, REALTIME_2, alarms)).toEqual({
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration: { type: 'ALL_AT_ONCE', waitIntervalInSeconds: 0, canarySize: undefined, linearStepSize: undefined },
        terminationWaitInSeconds: 300,
        maximumExecutionTimeoutInSeconds: 2100,
      },
      autoRollbackConfiguration: { alarms: [{ alarmName: 'five-xx' }, { alarmName: 'latency' }] },
    });
  });

  test('canary by instance count', () => {
    expect(deploymentConfig({ strategy: 'canary', stepSize: instances(1), waitMinutes: 10, bakeMinutes: 10 }, REALTIME_2, alarms).blueGreenUpdatePolicy).toEqual({
      trafficRoutingConfiguration: { type: 'CANARY', waitIntervalInSeconds: 600, canarySize: { type: 'INSTANCE_COUNT', value: 1 }, linearStepSize: undefined },
      terminationWaitInSeconds: 600,
      maximumExecutionTimeoutInSeconds: 3000,
    });
  });

  test('linear by percentage', () => {
    expect(deploymentConfig({ strategy: 'linear', stepSize: percent(25), waitMinutes: 10, bakeMinutes: 5 }, SERVERLESS, alarms).blueGreenUpdatePolicy).toEqual({
      trafficRoutingConfiguration: { type: 'LINEAR', waitIntervalInSeconds: 600, canarySize: undefined, linearStepSize: { type: 'CAPACITY_PERCENT', value: 25 } },
      terminationWaitInSeconds: 300,
      maximumExecutionTimeoutInSeconds: 3900,
    });
  });

  test('takes 1 to 10 alarms', () => {
    const options: RolloutOptions = { strategy: 'all-at-once', stepSize: percent(25), waitMinutes: 0, bakeMinutes: 0 };
    expect(() => deploymentConfig(options, REALTIME_2, [])).toThrow(/1 to 10 alarms/);
    expect(() => deploymentConfig(options, REALTIME_2, Array.from({ length: 11 }, (_, i) => `a${i}`))).toThrow(/1 to 10 alarms/);
  });
});

describe('problems SageMaker would refuse, named by the caller\'s option names', () => {
  const problem = (options: Partial<RolloutOptions>, target: { serverless: boolean; instanceCount?: number } = REALTIME_2) =>
    rolloutProblem({ strategy: 'canary', stepSize: percent(25), waitMinutes: 10, bakeMinutes: 5, ...options }, target, NAMES);

  test('valid options have none', () => {
    expect(problem({})).toBeUndefined();
    expect(problem({ stepSize: percent(50) })).toBeUndefined();
    expect(problem({ stepSize: percent(1) })).toBeUndefined();
    expect(problem({ strategy: 'linear', stepSize: percent(10), waitMinutes: 1 })).toBeUndefined();
    expect(problem({ stepSize: instances(1) })).toBeUndefined();
    expect(problem({ strategy: 'all-at-once', stepSize: instances(99) })).toBeUndefined(); // the size is ignored
  });

  test('a canary above 50 %', () => {
    expect(problem({ stepSize: percent(51) })).toBe('Invalid setting size=51% for rollout=canary: a canary is 1% to 50% of the fleet; use e.g. -c size=10%.');
  });

  test('a linear step outside 10–50 %', () => {
    expect(problem({ strategy: 'linear', stepSize: percent(9) })).toBe('Invalid setting size=9% for rollout=linear: a linear step is 10% to 50% of the fleet; use e.g. -c size=25%.');
    expect(problem({ strategy: 'linear', stepSize: percent(60) })).toMatch(/^Invalid setting size=60% for rollout=linear: a linear step is 10% to 50%/);
  });

  test('a canary of more than half the instances', () => {
    expect(problem({ stepSize: instances(2) })).toBe(
      'Invalid setting size=2 for rollout=canary: a canary must be 1% to 50% of the 2 instance(s) of count (2 is 100%); use -c size=1.');
    expect(problem({ stepSize: instances(1) }, { serverless: false, instanceCount: 1 })).toBe(
      'Invalid setting size=1 for rollout=canary: a canary must be 1% to 50% of the 1 instance(s) of count (1 is 100%); raise count to at least 2 or use a percentage.');
  });

  test('a linear step of instances outside 10–50 % of the fleet', () => {
    expect(problem({ strategy: 'linear', stepSize: instances(1) }, { serverless: false, instanceCount: 20 })).toBe(
      'Invalid setting size=1 for rollout=linear: a linear step must be 10% to 50% of the 20 instance(s) of count (1 is 5%); use -c size=2 (up to 10).');
  });

  test('an instance count for a serverless endpoint', () => {
    expect(problem({ stepSize: instances(1) }, SERVERLESS)).toBe(
      'Invalid setting size=1 for rollout=canary: a serverless endpoint has no instances to count; use a percentage such as -c size=25%.');
  });

  test('waits outside 0–60 minutes', () => {
    expect(problem({ waitMinutes: 61 })).toBe('Invalid setting wait=61: expected a whole number of minutes from 0 to 60 (SageMaker waits at most 3600 s).');
    expect(problem({ bakeMinutes: -1 })).toMatch(/^Invalid setting bake=-1: /);
  });

  test('waits that with provisioning exceed SageMaker\'s 8-hour deployment limit', () => {
    // linear 10 %: 10 steps, 9 waits of 50 minutes + 30 bake = 480, + 30 provisioning = 510 > 480
    expect(problem({ strategy: 'linear', stepSize: percent(10), waitMinutes: 50, bakeMinutes: 30 })).toBe(
      'Settings rollout=linear, size=10%, wait=50 and bake=30 make one endpoint update wait 480 minutes (9 waits between 10 steps, then the bake); ' +
      "with 30 minutes to provision the new fleet that exceeds SageMaker's maximum deployment time of 480 minutes. Use a larger step, or shorter wait/bake.");
    // the largest total that fits: 450 minutes of waits
    expect(problem({ strategy: 'linear', stepSize: percent(10), waitMinutes: 45, bakeMinutes: 45 })).toBeUndefined();
    expect(problem({ strategy: 'linear', stepSize: percent(10), waitMinutes: 45, bakeMinutes: 46 })).toMatch(/wait 451 minutes/);
  });
});
