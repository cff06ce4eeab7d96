#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { MnistSageMakerStack } from '../lib/mnist-stack';

const app = new App();
// No env: one region-agnostic template, deployable to whichever region the CLI profile points at.
new MnistSageMakerStack(app, 'MnistSageMaker');
