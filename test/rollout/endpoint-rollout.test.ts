import {
  deploymentConfig, executionTimeoutMinutes, parseStepSize, PROVISIONING_ALLOWANCE_MINUTES, RolloutOptions,
  RolloutTarget, trafficSteps, waitingMinutes,
} from '../../lib/endpoints/rollout';
import { rolloutProblem } from '../../lib/endpoints/rollout-problems';

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
  const NAMED = { ...NAMES, maxInstanceCount: 'maxCount' };
  const fleet = (instanceCount: number, maxInstanceCount = instanceCount) => ({ serverless: false, instanceCount, maxInstanceCount });
  const problem = (options: Partial<RolloutOptions>, target: RolloutTarget = fleet(4)) =>
    rolloutProblem({ strategy: 'canary', stepSize: percent(25), waitMinutes: 10, bakeMinutes: 5, ...options }, target, NAMED);

  test('valid options have none', () => {
    expect(problem({})).toBeUndefined(); // 25 % of 4: one instance
    expect(problem({ stepSize: percent(50) })).toBeUndefined();
    expect(problem({ stepSize: percent(1) }, fleet(100))).toBeUndefined();
    expect(problem({ strategy: 'linear', stepSize: percent(10), waitMinutes: 1 }, fleet(10))).toBeUndefined();
    expect(problem({ stepSize: instances(1) })).toBeUndefined();
    expect(problem({ stepSize: instances(1) }, fleet(2, 4))).toBeUndefined(); // the pipeline's prod stage: 50 % of 2, 25 % of 4
    expect(problem({ strategy: 'linear', stepSize: instances(2) }, fleet(4, 20))).toBeUndefined(); // 50 % of 4, 10 % of 20
    expect(problem({ strategy: 'all-at-once', stepSize: instances(99) }, fleet(1))).toBeUndefined(); // the size is ignored
    expect(problem({ strategy: 'all-at-once', stepSize: percent(50) }, fleet(1))).toBeUndefined();
  });

  test('a percentage no rollout takes is refused even for all-at-once, which ignores it', () => {
    expect(problem({ strategy: 'all-at-once', stepSize: percent(60) })).toBe(
      'Invalid setting size=60%: no rollout takes it (a canary is 1% to 50% of the fleet, a linear step 10% to 50%); use e.g. -c size=25%.');
  });

  test('a canary above 50 %: the nearest share and instance count this fleet takes', () => {
    expect(problem({ stepSize: percent(51) })).toBe('Invalid setting size=51% for rollout=canary: a canary is 1% to 50% of the fleet; use -c size=50% or -c size=2.');
  });

  test('a linear step outside 10–50 %', () => {
    expect(problem({ strategy: 'linear', stepSize: percent(9) }, fleet(10))).toBe(
      'Invalid setting size=9% for rollout=linear: a linear step is 10% to 50% of the fleet; use -c size=10% or -c size=1.');
    expect(problem({ strategy: 'linear', stepSize: percent(60) })).toMatch(/^Invalid setting size=60% for rollout=linear: a linear step is 10% to 50% of the fleet; use -c size=50%/);
  });

  test('a percentage below one whole instance of the smallest fleet (how SageMaker rounds it is undocumented)', () => {
    expect(problem({}, fleet(2))).toBe('Invalid setting size=25% for rollout=canary: 25% of count=2 is less than one whole instance; use -c size=50% or -c size=1.');
    expect(problem({ stepSize: percent(30) }, fleet(3, 10))).toBe(
      'Invalid setting size=30% for rollout=canary: 30% of count=3 is less than one whole instance; use -c size=34% or -c size=1.');
  });

  test('one instance takes no canary or linear step: the fix is a larger fleet or all-at-once', () => {
    expect(problem({}, fleet(1))).toBe(
      'Invalid setting size=25% for rollout=canary: 25% of count=1 is less than one whole instance; on 1 instance no canary is both a whole instance and at most 50%: ' +
      'use -c count=4 -c maxCount=4, or -c count=2 -c maxCount=2 -c size=50%, or -c rollout=all-at-once.');
    expect(problem({ stepSize: instances(1) }, fleet(1, 4))).toBe(
      'Invalid setting size=1 for rollout=canary: a canary is at most 50% of the fleet, and 1 instance is 100% of count=1; on 1 instance no canary is both a whole instance and at most 50%: ' +
      'use -c count=2, or -c rollout=all-at-once.');
  });

  test('an instance count above the share of the smallest fleet', () => {
    expect(problem({ stepSize: instances(2) }, fleet(2))).toBe(
      'Invalid setting size=2 for rollout=canary: a canary is at most 50% of the fleet, and 2 instances are 100% of count=2; use -c size=1 or -c size=50%.');
    expect(problem({ strategy: 'linear', stepSize: instances(3) })).toBe(
      'Invalid setting size=3 for rollout=linear: a linear step is at most 50% of the fleet, and 3 instances are 75% of count=4; use -c size=2 or -c size=50%.');
  });

  test('an instance count below the linear share of the largest fleet: autoscaling keeps the live count', () => {
    expect(problem({ strategy: 'linear', stepSize: instances(1) }, fleet(20))).toBe(
      'Invalid setting size=1 for rollout=linear: a linear step is at least 10% of the fleet, and 1 instance is 5% of maxCount=20 (autoscaling keeps the live count); use -c size=2 or -c size=10%.');
    expect(problem({ strategy: 'linear', stepSize: instances(1) }, fleet(2, 20))).toBe(
      'Invalid setting size=1 for rollout=linear: a linear step is at least 10% of the fleet, and 1 instance is 5% of maxCount=20 (autoscaling keeps the live count); use -c size=50%.');
  });

  test('a bare number larger than the fleet is taken for instances, and the message says what the % form would do', () => {
    expect(problem({ stepSize: instances(40) }, fleet(10))).toBe(
      'Invalid setting size=40 for rollout=canary: a canary is at most 50% of the fleet, and 40 instances are 400% of count=10 (a number without % counts instances); use -c size=40% or -c size=50%.');
    expect(problem({ stepSize: instances(60) })).toBe(
      'Invalid setting size=60 for rollout=canary: a canary is at most 50% of the fleet, and 60 instances are 1500% of count=4 ' +
      '(a number without % counts instances; 60% would not do either: a canary is 1% to 50% of the fleet); use -c size=50% or -c size=2.');
  });

  test('every fix a message suggests is accepted: following it converges in one step', () => {
    const apply = (options: RolloutOptions, target: RolloutTarget, args: string): [RolloutOptions, RolloutTarget] => {
      let [o, t] = [options, target];
      for (const [, key, value] of args.matchAll(/-c (\w+)=(\S+)/g)) {
        if (key === 'size') o = { ...o, stepSize: parseStepSize(value)! };
        else if (key === 'rollout') o = { ...o, strategy: value as RolloutOptions['strategy'] };
        else if (key === 'count') t = { ...t, instanceCount: Number(value) };
        else if (key === 'maxCount') t = { ...t, maxInstanceCount: Number(value) };
        else throw new Error(`unknown option in a fix: ${key}`);
      }
      return [o, t];
    };
    let refused = 0;
    for (const strategy of ['all-at-once', 'canary', 'linear'] as const) {
      for (const stepSize of [1, 2, 3, 5, 9, 10, 25, 34, 40, 50, 51, 60, 100].flatMap((v) => [percent(v), instances(v)])) {
        for (const [min, max] of [[1, 1], [1, 4], [2, 2], [2, 4], [2, 20], [3, 3], [4, 4], [5, 8], [10, 10], [20, 40]]) {
          const options: RolloutOptions = { strategy, stepSize, waitMinutes: 1, bakeMinutes: 0 };
          const message = rolloutProblem(options, fleet(min, max), NAMED);
          if (!message) continue;
          refused++;
          const fixes = /[;:] use (.*)\.$/.exec(message)?.[1].replace(/^e\.g\. /, '').split(/,? or /) ?? [];
          expect({ message, fixes: fixes.length > 0 }).toEqual({ message, fixes: true });
          for (const fix of fixes) {
            const [fixed, target] = apply(options, fleet(min, max), fix);
            expect({ message, fix, after: rolloutProblem(fixed, target, NAMED) }).toEqual({ message, fix, after: undefined });
          }
        }
      }
    }
    expect(refused).toBeGreaterThan(100);
  });

  test('waits outside 0–60 minutes', () => {
    expect(problem({ waitMinutes: 61 })).toBe('Invalid setting wait=61: expected a whole number of minutes from 0 to 60 (SageMaker waits at most 3600 s).');
    expect(problem({ bakeMinutes: -1 })).toMatch(/^Invalid setting bake=-1: /);
  });

  test('waits that with provisioning exceed SageMaker\'s 8-hour deployment limit', () => {
    // linear 10 %: 10 steps, 9 waits of 50 minutes + 30 bake = 480, + 30 provisioning = 510 > 480
    expect(problem({ strategy: 'linear', stepSize: percent(10), waitMinutes: 50, bakeMinutes: 30 }, fleet(10))).toBe(
      'Settings rollout=linear, size=10%, wait=50 and bake=30 make one endpoint update wait 480 minutes (9 waits between 10 steps, then the bake); ' +
      "with 30 minutes to provision the new fleet that exceeds SageMaker's maximum deployment time of 480 minutes. Use a larger step, or shorter wait/bake.");
    // the largest total that fits: 450 minutes of waits
    expect(problem({ strategy: 'linear', stepSize: percent(10), waitMinutes: 45, bakeMinutes: 45 }, fleet(10))).toBeUndefined();
    expect(problem({ strategy: 'linear', stepSize: percent(10), waitMinutes: 45, bakeMinutes: 46 }, fleet(10))).toMatch(/wait 451 minutes/);
    // instance steps count at the largest fleet: 1 of up to 10 instances is 10 steps
    expect(problem({ strategy: 'linear', stepSize: instances(1), waitMinutes: 50, bakeMinutes: 30 }, fleet(2, 10))).toMatch(/wait 480 minutes \(9 waits between 10 steps/);
  });
});
