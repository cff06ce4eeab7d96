import { CfnOutput, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MnistSettingsOverrides } from '../settings';
import { SettingsError } from '../settings/settings-error';
import { MnistSageMakerStack } from './mnist-stack';
import { defaultPointerParameterName } from '../registry/promotion-pointer';
import { PromotionOptions, RegistrySource } from './model-source';
import { PipelineStageDefinition, SmokeTestedStage } from './pipeline-stack';

export interface MnistStageProps extends StageProps {
  /** Per-stage settings; they win over cdk.json / `-c` context. */
  readonly settings?: MnistSettingsOverrides;
  /** Serve an approved registry version and train nothing. @default - train and register */
  readonly servedFromRegistry?: RegistrySource;
  /** Keep a promotion pointer and admit consumer accounts. @default - none */
  readonly promotion?: PromotionOptions;
  /** @default `<stack name>-models` */
  readonly modelPackageGroupName?: string;
  /** Accounts whose pipeline invokes the smoke test (a stage in another account). @default none */
  readonly smokeTestInvokerAccounts?: string[];
}

/** The MNIST stack as a deployable unit of a CDK Pipeline (one per environment: dev, prod, …). */
export class MnistStage extends Stage implements SmokeTestedStage {
  public readonly stack: MnistSageMakerStack;
  public readonly smokeTestFunctionNameOutput: CfnOutput;
  public readonly smokeTestFunctionNamePrefix: string;
  public readonly modelPackageArnOutput?: CfnOutput;

  constructor(scope: Construct, id: string, props: MnistStageProps = {}) {
    super(scope, id, props);
    this.stack = new MnistSageMakerStack(this, 'MnistSageMaker', {
      settings: props.settings,
      servedFromRegistry: props.servedFromRegistry,
      promotion: props.promotion,
      modelPackageGroupName: props.modelPackageGroupName,
      smokeTestInvokerAccounts: props.smokeTestInvokerAccounts,
    });
    this.smokeTestFunctionNameOutput = this.stack.smokeTestFunctionNameOutput;
    // CloudFormation names the function `<stack name>-<logical id>-<suffix>` (e.g. Dev-MnistSageMaker-SmokeTest…).
    this.smokeTestFunctionNamePrefix = `${this.stack.stackName}-`;
    // Only a stage that registers what it trained has a version for a later stage to promote.
    if (!props.servedFromRegistry) this.modelPackageArnOutput = this.stack.modelPackageArnOutput;
  }
}

/**
 * dev: trains and registers the model (PendingManualApproval), then serves and smoke-tests it on
 * the endpoint type prod serves it on: one real-time instance (prod's instance type), and the
 * serverless endpoint (pay per request). Data capture needs more traffic than a test: off.
 */
export const DEV_SETTINGS: MnistSettingsOverrides = Object.freeze({
  realtimeEndpoint: true,
  realtimeInstanceCount: 1,
  realtimeMaxInstanceCount: 1,
  serverlessEndpoint: true,
  dataCapturePercent: 0,
  modelApprovalStatus: 'PendingManualApproval',
});

/**
 * prod: the real-time endpoint on 2 to 4 instances (autoscaling on invocations per instance; two
 * also spread across Availability Zones), serving the registry's approved version. A newly
 * promoted version reaches it by canary: one instance's share of traffic for 10 minutes, then all
 * of it, baked 10 minutes before the old fleet goes; the 5xx or latency alarm rolls it back. A
 * canary is at most half the fleet, hence 2 instances.
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

/** The pipeline's model package group: dev registers into it, prod serves from it. */
export const PIPELINE_MODEL_PACKAGE_GROUP = 'mnist-pipeline-models';

/** Where the pipeline's stages deploy and what prod serves. */
export interface MnistPipelineOptions {
  /**
   * Dev's account: the pipeline's own, where the registry and its promotion pointer live.
   * @default the pipeline's account
   */
  readonly devAccount?: string;
  /** Prod's account. @default the pipeline's account */
  readonly prodAccount?: string;
  /** Serve this registry version in prod (roll back without retraining). @default the newest Approved one */
  readonly prodModelVersion?: number;
  /**
   * The region every stage deploys to (the pipeline's): needed when an account is named, since
   * prod then reads dev's promotion pointer by its ARN. @default - region-agnostic stacks
   */
  readonly region?: string;
}

/**
 * The pipeline's stages: dev trains once, registers and tests; after a manual approval, the
 * Promote step approves that version in the registry, and prod deploys the registry's newest
 * approved version (or the pinned one) without training.
 */
export function mnistPipelineStages(options: MnistPipelineOptions = {}): PipelineStageDefinition[] {
  if (options.prodAccount !== undefined && options.devAccount === undefined) {
    throw new SettingsError(`mnistPipelineStages: prodAccount ${options.prodAccount} is named but devAccount is not: name both (dev is the pipeline's account), so prod can read dev's registry by its account.`);
  }
  const crossAccount = options.prodAccount !== undefined && options.prodAccount !== options.devAccount;
  const pointerParameterName = defaultPointerParameterName(PIPELINE_MODEL_PACKAGE_GROUP);
  return [
    {
      id: 'Dev',
      create: (scope, id) => new MnistStage(scope, id, {
        env: options.devAccount ? { account: options.devAccount, region: options.region } : undefined,
        // Another account may read the artifacts only under a customer-managed key.
        settings: crossAccount ? { ...DEV_SETTINGS, bucketEncryption: 'kms' } : DEV_SETTINGS,
        modelPackageGroupName: PIPELINE_MODEL_PACKAGE_GROUP,
        promotion: { pointerParameterName, consumerAccounts: crossAccount ? [options.prodAccount!] : [] },
      }),
    },
    {
      id: 'Prod',
      manualApproval: true,
      promote: { fromStage: 'Dev', pointerParameterName, modelPackageGroupName: PIPELINE_MODEL_PACKAGE_GROUP, pinnedVersion: options.prodModelVersion },
      create: (scope, id) => new MnistStage(scope, id, {
        env: options.prodAccount ? { account: options.prodAccount, region: options.region } : undefined,
        settings: PROD_SETTINGS,
        // The pipeline (dev's account) runs ProdSmokeTest against prod's function.
        smokeTestInvokerAccounts: crossAccount ? [options.devAccount!] : undefined,
        servedFromRegistry: {
          modelPackageGroupName: PIPELINE_MODEL_PACKAGE_GROUP,
          account: options.devAccount,
          region: options.devAccount ? options.region : undefined,
          pointerParameterName,
          version: options.prodModelVersion,
        },
      }),
    },
  ];
}
