// The MNIST stack's training timings agree with CloudFormation's: the longest job the settings
// accept still ends (with the handler's own message) before the resource's ServiceTimeout.
import { TRAINING_WAIT_LIMIT_MINUTES } from '../../lib/settings';
import { PROVIDER_TIMEOUT_MARGIN, TRAINING_JOB_MARGIN } from '../../lib/training/training-job';
import { synthMnist } from '../stack/synth';

test('at the longest settings (spot, maxRuntime = maxWait = the settings\' limit) the job + margins < Provider wait < ServiceTimeout', () => {
  const { template } = synthMnist({
    settings: { spotTraining: true, trainingMaxRuntimeMinutes: TRAINING_WAIT_LIMIT_MINUTES, spotMaxWaitMinutes: TRAINING_WAIT_LIMIT_MINUTES },
  });
  const [training] = Object.values(template.findResources('Custom::SageMakerTrainingJob'));
  const serviceTimeout = Number(training.Properties.ServiceTimeout);
  const maxWait = Number(training.Properties.Spot.MaxWaitTimeInSeconds);
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))
    .filter((m) => JSON.stringify(m.Properties.DefinitionString).includes('framework-isComplete-task'));
  const [, interval, attempts] = /"IntervalSeconds\\":(\d+),\\"MaxAttempts\\":(\d+)/.exec(JSON.stringify(machine.Properties.DefinitionString))!;
  const providerWait = Number(interval) * Number(attempts);

  expect(serviceTimeout).toBe(3600);
  expect(maxWait).toBe(TRAINING_WAIT_LIMIT_MINUTES * 60);
  expect(maxWait + TRAINING_JOB_MARGIN.toSeconds()).toBeLessThanOrEqual(providerWait);
  expect(providerWait + PROVIDER_TIMEOUT_MARGIN.toSeconds()).toBeLessThanOrEqual(serviceTimeout);
});
