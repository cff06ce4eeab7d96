// A user's own app that passes everything in code (no -c, no cdk.json), wrapped as bin/app.ts is:
// `tsx test/cli/code-props-app.ts <case>` builds the case's construct with one bad prop and synthesizes.
import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { RealtimeEndpoint } from '../../lib/endpoints/realtime-endpoint';
import { ServerlessEndpoint } from '../../lib/endpoints/serverless-endpoint';
import { MnistSageMakerStack } from '../../lib/mnist/mnist-stack';
import { exitOnSettingsError } from '../../lib/settings/settings-error';

function modelIn(stack: Stack): sagemaker.IModel {
  return sagemaker.Model.fromModelName(stack, 'Model', 'my-model');
}

const CASES: Record<string, (app: App) => void> = {
  'stack settings': (app) => new MnistSageMakerStack(app, 'X', { settings: { serverlessMemoryMb: 1500 } }),
  'settings that conflict': (app) => new MnistSageMakerStack(app, 'X', { settings: { realtimeEndpoint: false, serverlessEndpoint: false } }),
  'hyperparameter': (app) => new MnistSageMakerStack(app, 'X', { settings: { hyperparameters: { epochs: 0 } } }),
  'misspelt hyperparameter': (app) => new MnistSageMakerStack(app, 'X', { settings: { hyperparameters: { epoch: 2 } } }),
  'serverless memory': (app) => {
    const stack = new Stack(app, 'Y');
    new ServerlessEndpoint(stack, 'Serverless', { model: modelIn(stack), memorySizeInMb: 1500 });
  },
  'realtime instance count': (app) => {
    const stack = new Stack(app, 'Z');
    new RealtimeEndpoint(stack, 'Realtime', { model: modelIn(stack), instanceType: 'ml.m5.large', instanceCount: 0 });
  },
};

exitOnSettingsError(() => {
  const app = new App();
  const build = CASES[process.argv[2]];
  if (!build) throw new Error(`unknown case ${process.argv[2]}; cases: ${Object.keys(CASES).join(', ')}`);
  build(app);
  app.synth();
});
