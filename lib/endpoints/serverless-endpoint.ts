import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { CfnEndpoint, CfnEndpointConfig } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { PropValidationError } from '../common/prop-validation-error';
import { fixedEndpointName } from './endpoint-name';
import { EndpointKind } from './serving-endpoint';
import { checkName, ServingEndpointBase } from './serving-endpoint-base';

export const SERVERLESS_MEMORY_SIZES_MB: readonly number[] = [1024, 2048, 3072, 4096, 5120, 6144];
/** The most concurrent invocations SageMaker allows one serverless endpoint (and the most provisioned). */
export const SERVERLESS_MAX_CONCURRENCY = 200;

export interface ServerlessEndpointProps {
  /** The model the variant serves (a CPU image: serverless has no GPUs). */
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
export class ServerlessEndpoint extends ServingEndpointBase {
  public readonly endpointConfig: CfnEndpointConfig;
  public readonly endpoint: CfnEndpoint;
  public readonly endpointName: string;
  public readonly physicalEndpointName: string;
  public readonly endpointArn: string;
  public readonly variantName: string;
  public readonly kind = EndpointKind.SERVERLESS;
  public readonly endpointConfigName: string;

  constructor(scope: Construct, id: string, props: ServerlessEndpointProps) {
    super(scope, id);
    const memory = props.memorySizeInMb ?? 2048;
    const maxConcurrency = props.maxConcurrency ?? 1;
    const provisioned = props.provisionedConcurrency;
    if (!SERVERLESS_MEMORY_SIZES_MB.includes(memory)) {
      throw new PropValidationError(this, 'memorySizeInMb', `must be one of ${SERVERLESS_MEMORY_SIZES_MB.join(', ')}, got ${memory}`);
    }
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > SERVERLESS_MAX_CONCURRENCY) {
      throw new PropValidationError(this, 'maxConcurrency', `must be a whole number from 1 to ${SERVERLESS_MAX_CONCURRENCY}, got ${maxConcurrency}`);
    }
    if (provisioned !== undefined && (!Number.isInteger(provisioned) || provisioned < 1 || provisioned > maxConcurrency)) {
      throw new PropValidationError(this, 'provisionedConcurrency', `must be a whole number from 1 to maxConcurrency (${maxConcurrency}), got ${provisioned}`);
    }
    this.variantName = props.variantName ?? 'AllTraffic';
    checkName('variantName', this.variantName, 'ServerlessEndpoint');

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
    this.physicalEndpointName = fixedEndpointName(this.endpoint);
    this.endpoint.endpointName = this.physicalEndpointName;
    this.endpointName = this.endpoint.attrEndpointName;
    this.endpointArn = this.endpoint.ref;
    this.endpointConfigName = this.endpointConfig.attrEndpointConfigName;
  }
}
