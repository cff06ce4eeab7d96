import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_SETTINGS, resolveSettings, SettingsError } from '../../lib/config';
import { DEV_SETTINGS, mnistPipelineStages, MnistStage, PROD_SETTINGS } from '../../lib/mnist-stage';
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
    expect(fromCli({ rollout: 'linear', rolloutStepSize: '20%', rolloutWaitMinutes: '3', rolloutBakeMinutes: '0' }))
      .toMatchObject({ rollout: 'linear', rolloutStepSize: '20%', rolloutWaitMinutes: 3, rolloutBakeMinutes: 0 });
  });

  test('an unknown strategy, a malformed size, a wait out of range', () => {
    expect(refused({ rollout: 'blue-green' })).toBe(
      'Invalid setting rollout=blue-green: expected one of all-at-once, canary, linear. Set it in cdk.json "context" or with -c rollout=<value>.');
    expect(refused({ rolloutStepSize: '25 percent' })).toMatch(/^Invalid setting rolloutStepSize=25 percent: expected a percentage such as 25% or a whole number of instances such as 1/);
    expect(refused({ rolloutWaitMinutes: '61' })).toMatch(/^Invalid setting rolloutWaitMinutes=61: expected a whole number from 0 to 60\./);
    expect(refused({ rolloutBakeMinutes: '-5' })).toMatch(/^Invalid setting rolloutBakeMinutes=-5: expected a whole number from 0 to 60\./);
  });

  test('a canary above 50 % and a linear step outside 10–50 %', () => {
    expect(refused({ rollout: 'canary', rolloutStepSize: '60%' })).toBe(
      'Invalid setting rolloutStepSize=60% for rollout=canary: a canary is 1% to 50% of the fleet; use e.g. -c rolloutStepSize=10%.');
    expect(refused({ rollout: 'linear', rolloutStepSize: '5%' })).toBe(
      'Invalid setting rolloutStepSize=5% for rollout=linear: a linear step is 10% to 50% of the fleet; use e.g. -c rolloutStepSize=25%.');
  });

  test('an instance-count canary of more than half of realtimeInstanceCount', () => {
    expect(refused({ rollout: 'canary', rolloutStepSize: '1', serverlessEndpoint: 'false' })).toBe(
      'Invalid setting rolloutStepSize=1 for rollout=canary: a canary must be 1% to 50% of the 1 instance(s) of realtimeInstanceCount (1 is 100%); raise realtimeInstanceCount to at least 2 or use a percentage.');
    expect(fromCli({ rollout: 'canary', rolloutStepSize: '1', serverlessEndpoint: 'false', realtimeInstanceCount: '2', realtimeMaxInstanceCount: '2' }).rollout).toBe('canary');
  });

  test('an instance-count linear step outside 10–50 % of realtimeInstanceCount', () => {
    expect(refused({ rollout: 'linear', rolloutStepSize: '3', serverlessEndpoint: 'false', realtimeInstanceCount: '4', realtimeMaxInstanceCount: '4' })).toBe(
      'Invalid setting rolloutStepSize=3 for rollout=linear: a linear step must be 10% to 50% of the 4 instance(s) of realtimeInstanceCount (3 is 75%); use -c rolloutStepSize=1 (up to 2).');
  });

  test('an instance count with the serverless endpoint on', () => {
    expect(refused({ rollout: 'canary', rolloutStepSize: '1', realtimeInstanceCount: '2', realtimeMaxInstanceCount: '2' })).toBe(
      'Invalid setting rolloutStepSize=1 for rollout=canary: a serverless endpoint has no instances to count; use a percentage such as -c rolloutStepSize=25%. ' +
      '(The serverless endpoint, serverlessEndpoint=true, rolls out by the same settings as the real-time one.)');
    expect(refused({ rollout: 'canary', rolloutStepSize: '1', realtimeEndpoint: 'false' })).toBe(
      'Invalid setting rolloutStepSize=1 for rollout=canary: a serverless endpoint has no instances to count; use a percentage such as -c rolloutStepSize=25%.');
  });

  test("waits that do not fit SageMaker's 8-hour deployment limit", () => {
    expect(refused({ rollout: 'linear', rolloutStepSize: '10%', rolloutWaitMinutes: '60', rolloutBakeMinutes: '60' })).toBe(
      'Settings rollout=linear, rolloutStepSize=10%, rolloutWaitMinutes=60 and rolloutBakeMinutes=60 make one endpoint update wait 600 minutes ' +
      "(9 waits between 10 steps, then the bake); with 30 minutes to provision the new fleet that exceeds SageMaker's maximum deployment time of 480 minutes. " +
      'Use a larger step, or shorter rolloutWaitMinutes/rolloutBakeMinutes.');
  });

  test('a size that only matters for canary/linear is not checked for all-at-once', () => {
    expect(fromCli({ rolloutStepSize: '1' }).rollout).toBe('all-at-once');
  });
});

describe('the pipeline stages', () => {
  test('dev keeps all-at-once; prod rolls out by a one-instance canary on a fleet of two', () => {
    expect(DEV_SETTINGS.rollout).toBeUndefined();
    expect(PROD_SETTINGS).toMatchObject({ rollout: 'canary', rolloutStepSize: '1', realtimeInstanceCount: 2, realtimeMaxInstanceCount: 4, rolloutWaitMinutes: 10, rolloutBakeMinutes: 10 });
    const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
    const [dev, prod] = mnistPipelineStages().map((definition) => definition.create(app, definition.id) as MnistStage);
    const routing = (stage: MnistStage) => Object.values(Template.fromStack(stage.stack).findResources('AWS::SageMaker::Endpoint'))
      .map((r) => r.Properties.DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration);
    expect(routing(dev)).toEqual([{ Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 }]);
    expect(routing(prod)).toEqual([{ Type: 'CANARY', WaitIntervalInSeconds: 600, CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 } }]);
    // Each stage's endpoints have names of their own: Dev and Prod may share an account.
    const names = [dev, prod].flatMap((stage) => Object.values(Template.fromStack(stage.stack).findResources('AWS::SageMaker::Endpoint')).map((r) => r.Properties.EndpointName as string));
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^Dev/);
    expect(names[1]).toMatch(/^Prod/);
  });
});
