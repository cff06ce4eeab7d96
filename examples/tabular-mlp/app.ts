#!/usr/bin/env node
// npx cdk synth --app "npx tsx examples/tabular-mlp/app.ts"   (and cdk deploy, cdk destroy the same way)
import { App } from 'aws-cdk-lib';
import { TabularMlpStack } from './tabular-mlp-stack';

const app = new App();
new TabularMlpStack(app, 'TabularMlp', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
