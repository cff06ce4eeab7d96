#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { mnistPipelineStages } from '../lib/mnist-stage';
import { MnistSageMakerStack } from '../lib/mnist-stack';
import { PipelineStack, pipelineRequested, readPipelineSource } from '../lib/pipeline-stack';

const app = new App();
if (pipelineRequested(app.node)) {
  // -c pipeline=true -c connectionArn=… -c repository=owner/name -c branch=main:
  // a CDK Pipeline that deploys dev (serverless only), then, after a manual approval, prod.
  const alarmEmail = app.node.tryGetContext('alarmEmail') as string | undefined;
  new PipelineStack(app, 'MnistPipeline', {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    source: readPipelineSource(app.node),
    // The pipeline re-synthesizes this app from the repository: pass on what is not in cdk.json.
    synthContext: alarmEmail ? { alarmEmail } : undefined,
    stages: mnistPipelineStages(),
  });
} else {
  // No env: one region-agnostic template, deployable to whichever region the CLI profile points at.
  new MnistSageMakerStack(app, 'MnistSageMaker');
}
