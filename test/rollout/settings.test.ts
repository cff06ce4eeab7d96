import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_SETTINGS, resolveSettings, SettingsError, settingsWarnings } from '../../lib/settings';
import { DEV_SETTINGS, mnistPipelineStages, MnistStage, PROD_SETTINGS } from '../../lib/mnist/mnist-stage';
import { projectContext } from '../stack/synth';

/** Settings as `cdk synth -c key=value` hands them over (strings). */
const fromCli = (context: Record<string, string>) => resolveSettings(new App({ context }).node);
const refused = (context: Record<string, string>) => {
  try {
    fromCli(context);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(context)}`);
};

describe('rollout settings', () => {
  test('default: all-at-once with a 5-minute bake; canary/linear sizes and waits parse from -c', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({ rollout: 'all-at-once', rolloutStepSize: '25%', rolloutWaitMinutes: 10, rolloutBakeMinutes: 5 });
    expect(fromCli({ rollout: 'linear', rolloutStepSize: '20%', rolloutWaitMinutes: '3', rolloutBakeMinutes: '0', realtimeInstanceCount: '5', realtimeMaxInstanceCount: '5' }))
      .toMatchObject({ rollout: 'linear', rolloutStepSize: '20%', rolloutWaitMinutes: 3, rolloutBakeMinutes: 0 });
  });

  test('an unknown strategy, a malformed size, a wait out of range', () => {
    expect(refused({ rollout: 'blue-green' })).toBe(
      'Invalid setting rollout=blue-green: expected one of all-at-once, canary, linear. Set it in cdk.json "context" or with -c rollout=<value>.');
    expect(refused({ rolloutStepSize: '25 percent' })).toMatch(/^Invalid setting rolloutStepSize=25 percent: expected a percentage such as 25% or a whole number of instances such as 1/);
    expect(refused({ rolloutWaitMinutes: '61' })).toMatch(/^Invalid setting rolloutWaitMinutes=61: expected a whole number from 0 to 60\./);
    expect(refused({ rolloutBakeMinutes: '-5' })).toMatch(/^Invalid setting rolloutBakeMinutes=-5: expected a whole number from 0 to 60\./);
  });

  test('a size no rollout takes is refused with the default all-at-once too (issue 17, item 4)', () => {
    expect(refused({ rolloutStepSize: '60%' })).toBe(
      'Invalid setting rolloutStepSize=60%: no rollout takes it (a canary is 1% to 50% of the fleet, a linear step 10% to 50%); use e.g. -c rolloutStepSize=25%.');
    expect(refused({ rolloutStepSize: '60%', realtimeEndpoint: 'false' })).toMatch(/^Invalid setting rolloutStepSize=60%: no rollout takes it/);
  });

  test('a canary above 50 % and a linear step outside 10–50 %', () => {
    const fleetOf4 = { realtimeInstanceCount: '4', realtimeMaxInstanceCount: '4' };
    expect(refused({ rollout: 'canary', rolloutStepSize: '60%', ...fleetOf4 })).toBe(
      'Invalid setting rolloutStepSize=60% for rollout=canary: a canary is 1% to 50% of the fleet; use -c rolloutStepSize=50% or -c rolloutStepSize=2.');
    expect(refused({ rollout: 'linear', rolloutStepSize: '5%', ...fleetOf4 })).toBe(
      'Invalid setting rolloutStepSize=5% for rollout=linear: a linear step is 10% to 50% of the fleet; use -c rolloutStepSize=25% or -c rolloutStepSize=1.');
  });

  test('a canary of the default 25 % on the default single instance (issue 16, defect 6): refused, with fixes that work', () => {
    const message = refused({ rollout: 'canary' });
    expect(message).toBe(
      'Invalid setting rolloutStepSize=25% for rollout=canary: 25% of realtimeInstanceCount=1 is less than one whole instance; ' +
      'on 1 instance no canary is both a whole instance and at most 50%: use -c realtimeInstanceCount=4 -c realtimeMaxInstanceCount=4, ' +
      'or -c realtimeInstanceCount=2 -c realtimeMaxInstanceCount=2 -c rolloutStepSize=50%, or -c rollout=all-at-once.');
    expect(fromCli({ rollout: 'canary', realtimeInstanceCount: '4', realtimeMaxInstanceCount: '4' }).rolloutStepSize).toBe('25%');
    expect(fromCli({ rollout: 'canary', realtimeInstanceCount: '2', realtimeMaxInstanceCount: '2', rolloutStepSize: '50%' }).rollout).toBe('canary');
  });

  test('rolloutStepSize=60 on canary: says what 60% would do, and suggests only what passes (issue 17, item 4)', () => {
    expect(refused({ rollout: 'canary', rolloutStepSize: '60' })).toBe(
      'Invalid setting rolloutStepSize=60 for rollout=canary: a canary is at most 50% of the fleet, and 60 instances are 6000% of realtimeInstanceCount=1 ' +
      '(a number without % counts instances; 60% would not do either: a canary is 1% to 50% of the fleet); on 1 instance no canary is both a whole instance and at most 50%: ' +
      'use -c realtimeInstanceCount=2 -c realtimeMaxInstanceCount=2 -c rolloutStepSize=50%, or -c rollout=all-at-once.');
    expect(refused({ rollout: 'canary', rolloutStepSize: '40', realtimeInstanceCount: '10', realtimeMaxInstanceCount: '10' })).toBe(
      'Invalid setting rolloutStepSize=40 for rollout=canary: a canary is at most 50% of the fleet, and 40 instances are 400% of realtimeInstanceCount=10 ' +
      '(a number without % counts instances); use -c rolloutStepSize=40% or -c rolloutStepSize=50%.');
  });

  test('an instance-count step must suit both realtimeInstanceCount and realtimeMaxInstanceCount (autoscaling keeps the live count)', () => {
    expect(refused({ rollout: 'canary', rolloutStepSize: '1', realtimeMaxInstanceCount: '4' })).toBe(
      'Invalid setting rolloutStepSize=1 for rollout=canary: a canary is at most 50% of the fleet, and 1 instance is 100% of realtimeInstanceCount=1; ' +
      'on 1 instance no canary is both a whole instance and at most 50%: use -c realtimeInstanceCount=2, or -c rollout=all-at-once.');
    expect(refused({ rollout: 'linear', rolloutStepSize: '1', realtimeInstanceCount: '2', realtimeMaxInstanceCount: '20' })).toBe(
      'Invalid setting rolloutStepSize=1 for rollout=linear: a linear step is at least 10% of the fleet, and 1 instance is 5% of realtimeMaxInstanceCount=20 ' +
      '(autoscaling keeps the live count); use -c rolloutStepSize=50%.');
    expect(refused({ rollout: 'linear', rolloutStepSize: '3', realtimeInstanceCount: '4', realtimeMaxInstanceCount: '4' })).toBe(
      'Invalid setting rolloutStepSize=3 for rollout=linear: a linear step is at most 50% of the fleet, and 3 instances are 75% of realtimeInstanceCount=4; ' +
      'use -c rolloutStepSize=2 or -c rolloutStepSize=50%.');
    // The pipeline's prod stage: 1 of 2 is 50 %, 1 of 4 is 25 %.
    expect(fromCli({ rollout: 'canary', rolloutStepSize: '1', realtimeInstanceCount: '2', realtimeMaxInstanceCount: '4' }).rollout).toBe('canary');
  });

  test('the serverless endpoint takes no rollout: an instance count is fine beside it, and without the real-time endpoint the fleet is not checked', () => {
    expect(fromCli({ rollout: 'canary', rolloutStepSize: '1', realtimeInstanceCount: '2', realtimeMaxInstanceCount: '2' }).rolloutStepSize).toBe('1');
    expect(fromCli({ rollout: 'canary', realtimeEndpoint: 'false' }).rollout).toBe('canary');
  });

  test("waits that do not fit SageMaker's 8-hour deployment limit", () => {
    expect(refused({ rollout: 'linear', rolloutStepSize: '10%', rolloutWaitMinutes: '60', rolloutBakeMinutes: '60', realtimeInstanceCount: '10', realtimeMaxInstanceCount: '10' })).toBe(
      'Settings rollout=linear, rolloutStepSize=10%, rolloutWaitMinutes=60 and rolloutBakeMinutes=60 make one endpoint update wait 600 minutes ' +
      "(9 waits between 10 steps, then the bake); with 30 minutes to provision the new fleet that exceeds SageMaker's maximum deployment time of 480 minutes. " +
      'Use a larger step, or shorter rolloutWaitMinutes/rolloutBakeMinutes.');
  });

  test('a step that suits no fleet of the settings passes with all-at-once, which ignores it', () => {
    expect(fromCli({ rolloutStepSize: '1' }).rollout).toBe('all-at-once');
    expect(fromCli({ rolloutStepSize: '50%' }).rollout).toBe('all-at-once');
  });
});

describe('settingsWarnings: valid rollout settings that have no effect (one line each; synth goes on)', () => {
  test('none for the defaults, for a canary that uses them, or for values equal to the defaults', () => {
    expect(settingsWarnings(fromCli({}))).toEqual([]);
    expect(settingsWarnings(fromCli({ rollout: 'canary', rolloutStepSize: '1', rolloutWaitMinutes: '3', realtimeInstanceCount: '2', realtimeMaxInstanceCount: '2' }))).toEqual([]);
    expect(settingsWarnings(fromCli({ rolloutStepSize: '25%', rolloutWaitMinutes: '10' }))).toEqual([]);
  });

  test('a step size or a wait with all-at-once', () => {
    expect(settingsWarnings(fromCli({ rolloutStepSize: '10%' }))).toEqual([
      'Setting rolloutStepSize=10% has no effect with rollout=all-at-once (it shapes canary and linear rollouts): set -c rollout=canary or -c rollout=linear, or leave it out.',
    ]);
    expect(settingsWarnings(fromCli({ rolloutStepSize: '1', rolloutWaitMinutes: '3' }))).toEqual([
      'Settings rolloutStepSize=1 and rolloutWaitMinutes=3 have no effect with rollout=all-at-once (they shape canary and linear rollouts): ' +
        'set -c rollout=canary or -c rollout=linear, or leave them out.',
    ]);
  });

  test('any rollout setting without the real-time endpoint', () => {
    expect(settingsWarnings(fromCli({ realtimeEndpoint: 'false', rollout: 'canary', rolloutBakeMinutes: '0' }))).toEqual([
      'Settings rollout=canary and rolloutBakeMinutes=0 have no effect: rollouts shape updates of the real-time endpoint, and realtimeEndpoint=false ' +
        '(a serverless endpoint switches to a new configuration at once).',
    ]);
  });
});

describe('the pipeline stages', () => {
  test('dev (one real-time instance and serverless) rolls out all at once; prod rolls out by a one-instance canary on a fleet of two', () => {
    expect(DEV_SETTINGS.rollout).toBeUndefined();
    expect(PROD_SETTINGS).toMatchObject({ rollout: 'canary', rolloutStepSize: '1', realtimeInstanceCount: 2, realtimeMaxInstanceCount: 4, rolloutWaitMinutes: 10, rolloutBakeMinutes: 10 });
    const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
    const [dev, prod] = mnistPipelineStages().map((definition) => definition.create(app, definition.id) as MnistStage);
    const routing = (stage: MnistStage) => Object.values(Template.fromStack(stage.stack).findResources('AWS::SageMaker::Endpoint'))
      .map((r) => r.Properties.DeploymentConfig?.BlueGreenUpdatePolicy.TrafficRoutingConfiguration);
    // A canary needs two instances; dev tests on one, so its real-time update is all at once. Serverless has no guardrails.
    expect(routing(dev)).toEqual([{ Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 }, undefined]);
    expect(routing(prod)).toEqual([{ Type: 'CANARY', WaitIntervalInSeconds: 600, CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 } }]);
    // Each stage's endpoints have names of their own: Dev and Prod may share an account.
    const names = [dev, prod].flatMap((stage) => Object.values(Template.fromStack(stage.stack).findResources('AWS::SageMaker::Endpoint')).map((r) => r.Properties.EndpointName as string));
    expect(names).toHaveLength(3);
    expect(names.slice(0, 2).every((name) => name.startsWith('Dev'))).toBe(true);
    expect(names[2]).toMatch(/^Prod/);
  });
});
