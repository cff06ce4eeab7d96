import { CfnOutput, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MnistSettingsOverrides } from './config';
import { MnistSageMakerStack } from './mnist-stack';
import { PipelineStageDefinition, SmokeTestedStage } from './pipeline-stack';

export interface MnistStageProps extends StageProps {
  /** Per-stage settings; they win over cdk.json / `-c` context. */
  readonly settings?: MnistSettingsOverrides;
}

/** The MNIST stack as a deployable unit of a CDK Pipeline (one per environment: dev, prod, …). */
export class MnistStage extends Stage implements SmokeTestedStage {
  public readonly stack: MnistSageMakerStack;
  public readonly smokeTestFunctionNameOutput: CfnOutput;
  public readonly smokeTestFunctionNamePrefix: string;

  constructor(scope: Construct, id: string, props: MnistStageProps = {}) {
    super(scope, id, props);
    this.stack = new MnistSageMakerStack(this, 'MnistSageMaker', { settings: props.settings });
    this.smokeTestFunctionNameOutput = this.stack.smokeTestFunctionNameOutput;
    // CloudFormation names the function `<stack name>-<logical id>-<suffix>` (e.g. Dev-MnistSageMaker-SmokeTest…).
    this.smokeTestFunctionNamePrefix = `${this.stack.stackName}-`;
  }
}

/** dev: serverless only (pay per request); data capture needs the real-time endpoint, so it is off. */
export const DEV_SETTINGS: MnistSettingsOverrides = Object.freeze({
  realtimeEndpoint: false,
  serverlessEndpoint: true,
  dataCapturePercent: 0,
});

/** prod: the real-time endpoint, scaling from 1 to 4 instances on invocations per instance. */
export const PROD_SETTINGS: MnistSettingsOverrides = Object.freeze({
  realtimeEndpoint: true,
  realtimeInstanceCount: 1,
  realtimeMaxInstanceCount: 4,
  serverlessEndpoint: false,
});

/** The pipeline's stages: dev, then prod behind a manual approval, both from {@link MnistStage}. */
export function mnistPipelineStages(): PipelineStageDefinition[] {
  return [
    { id: 'Dev', create: (scope, id) => new MnistStage(scope, id, { settings: DEV_SETTINGS }) },
    { id: 'Prod', manualApproval: true, create: (scope, id) => new MnistStage(scope, id, { settings: PROD_SETTINGS }) },
  ];
}
