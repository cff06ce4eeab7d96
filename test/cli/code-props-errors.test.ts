import * as path from 'path';
import { runCdkAppOnce } from '../support/run-cdk-app';

// What a user sees when their own app passes a bad value in code: the real app file run as the CDK
// CLI runs it (tsx, no context at all), one line naming the prop, exit code 1, no stack trace.

function runCase(name: string) {
  const { status, stderr } = runCdkAppOnce({ app: path.join(__dirname, 'code-props-app.ts'), args: [name], context: { 'aws:cdk:bundling-stacks': [] } });
  return { status, stderr };
}

describe('a bad value passed in code: one line naming the prop, exit code 1', () => {
  test.each([
    [
      'stack settings',
      'Invalid setting serverlessMemoryMb=1500 (from props.settings): expected one of 1024, 2048, 3072, 4096, 5120, 6144.',
    ],
    [
      'settings that conflict',
      'Settings realtimeEndpoint=false and serverlessEndpoint=false leave nothing to deploy the model to: enable at least one (props.settings.realtimeEndpoint=true or props.settings.serverlessEndpoint=true).',
    ],
    ['hyperparameter', 'Invalid hyperparameter epochs=0: expected a whole number >= 1. Set it in props.settings.hyperparameters.'],
    [
      'misspelt hyperparameter',
      'Unknown hyperparameter epoch: did you mean epochs? (props.settings.hyperparameters={"epochs":2}; all hyperparameters: docs/model-code.md#hyperparameters)',
    ],
    ['serverless memory', 'Y/Serverless: memorySizeInMb must be one of 1024, 2048, 3072, 4096, 5120, 6144, got 1500'],
    ['realtime instance count', 'Z/Realtime: instanceCount must be a whole number ≥ 1, got 0'],
  ])('%s', (name, line) => {
    expect(runCase(name)).toEqual({ status: 1, stderr: `${line}\n` });
  });
});
