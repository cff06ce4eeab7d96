import { CfnOutput, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MnistSettingsOverrides } from '../settings';
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

/**
 * prod: the real-time endpoint on 2 to 4 instances (autoscaling on invocations per instance; two
 * also spread across Availability Zones). A retrained model reaches it by canary: one instance's
 * share of traffic for 10 minutes, then all of it, baked 10 minutes before the old fleet goes; the
 * 5xx or latency alarm rolls it back. A canary is at most half the fleet, hence 2 instances.
 */
export const PROD_SETTINGS: MnistSettingsOverrides = Object.freeze({
  realtimeEndpoint: true,
  realtimeInstanceCount: 2,
  realtimeMaxInstanceCount: 4,
  serverlessEndpoint: false,
  rollout: 'canary',
  rolloutStepSize: '1',
  rolloutWaitMinutes: 10,
  rolloutBakeMinutes: 10,
});

/** The pipeline's stages: dev, then prod behind a manual approval, both from {@link MnistStage}. */
export function mnistPipelineStages(): PipelineStageDefinition[] {
  return [
    { id: 'Dev', create: (scope, id) => new MnistStage(scope, id, { settings: DEV_SETTINGS }) },
    { id: 'Prod', manualApproval: true, create: (scope, id) => new MnistStage(scope, id, { settings: PROD_SETTINGS }) },
  ];
}
