import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { CfnEndpoint, CfnEndpointConfig } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { fixedEndpointName } from './rollout';

export const SERVERLESS_MEMORY_SIZES_MB: readonly number[] = [1024, 2048, 3072, 4096, 5120, 6144];

export interface ServerlessEndpointProps {
  readonly model: sagemaker.IModel;
  /** One of 1024, 2048, …, 6144. @default 2048 */
  readonly memorySizeInMb?: number;
  /** 1..200 concurrent invocations. @default 1 */
  readonly maxConcurrency?: number;
  /** Warm capacity (≤ maxConcurrency), billed while it stands. @default none */
  readonly provisionedConcurrency?: number;
  /** @default AllTraffic */
  readonly variantName?: string;
}

/**
 * A serverless endpoint for one model (CPU images only; the alpha module has no serverless variant).
 * No `DeploymentConfig`: SageMaker documents deployment guardrails (traffic shifting, auto-rollback)
 * for real-time and asynchronous endpoints only. An update points the endpoint at the new
 * configuration the way a real-time update does, with a cold start on the new one; the smoke test's
 * served-configuration check and digits are this endpoint's guard.
 */
export class ServerlessEndpoint extends Construct {
  public readonly endpointConfig: CfnEndpointConfig;
  public readonly endpoint: CfnEndpoint;
  /** The endpoint's name as a reference to the endpoint (users of it wait for it). */
  public readonly endpointName: string;
  /** The same name as a literal fixed at synth time, for alarms (they need not wait for the endpoint). */
  public readonly physicalName: string;
  public readonly endpointArn: string;
  public readonly variantName: string;

  constructor(scope: Construct, id: string, props: ServerlessEndpointProps) {
    super(scope, id);
    const memory = props.memorySizeInMb ?? 2048;
    const maxConcurrency = props.maxConcurrency ?? 1;
    const provisioned = props.provisionedConcurrency;
    if (!SERVERLESS_MEMORY_SIZES_MB.includes(memory)) {
      throw new Error(`memorySizeInMb must be one of ${SERVERLESS_MEMORY_SIZES_MB.join(', ')}, got ${memory}`);
    }
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 200) {
      throw new Error(`maxConcurrency must be a whole number from 1 to 200, got ${maxConcurrency}`);
    }
    if (provisioned !== undefined && (!Number.isInteger(provisioned) || provisioned < 1 || provisioned > maxConcurrency)) {
      throw new Error(`provisionedConcurrency must be a whole number from 1 to maxConcurrency (${maxConcurrency}), got ${provisioned}`);
    }
    this.variantName = props.variantName ?? 'AllTraffic';

    this.endpointConfig = new CfnEndpointConfig(this, 'Config', {
      productionVariants: [{
        modelName: props.model.modelName,
        variantName: this.variantName,
        serverlessConfig: {
          memorySizeInMb: memory,
          maxConcurrency,
          provisionedConcurrency: provisioned,
        },
      }],
    });
    this.endpoint = new CfnEndpoint(this, 'Endpoint', { endpointConfigName: this.endpointConfig.attrEndpointConfigName });
    this.physicalName = fixedEndpointName(this.endpoint);
    this.endpoint.endpointName = this.physicalName;
    this.endpointName = this.endpoint.attrEndpointName;
    this.endpointArn = this.endpoint.ref;
  }
}
