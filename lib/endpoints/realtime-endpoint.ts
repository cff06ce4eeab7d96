import { Annotations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { CfnEndpoint, CfnEndpointConfig } from 'aws-cdk-lib/aws-sagemaker';
import { fixedEndpointName } from './endpoint-name';
import { applyDeployment, EndpointDeploymentOptions } from './rollout';
import { EndpointKind } from './serving-endpoint';
import { checkName, ServingEndpointBase } from './serving-endpoint-base';
import { hasInstanceStorage } from '../settings/instance-types';
import { Construct } from 'constructs';
import { PropValidationError } from '../common/prop-validation-error';

export interface DataCaptureOptions {
  /** 1..100 % of requests (inputs and outputs) written to `destinationS3Uri`. */
  readonly samplingPercentage: number;
  /** Where SageMaker writes the captured requests, e.g. `s3://bucket/datacapture/`. */
  readonly destinationS3Uri: string;
  /** Encrypts the captured data. @default the bucket's default encryption */
  readonly kmsKey?: kms.IKey;
}

export interface RealtimeEndpointProps {
  /** The model the variant serves. */
  readonly model: sagemaker.IModel;
  /** The instances' type, e.g. `ml.m5.large`. */
  readonly instanceType: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** Above `instanceCount`: target tracking on invocations per instance. @default no autoscaling */
  readonly maxInstanceCount?: number;
  /** Requests per second one instance handles; the target is 50 % of it (per minute). @default 20 */
  readonly maxRequestsPerSecond?: number;
  /** Writes a share of requests and answers to S3. @default no data capture */
  readonly dataCapture?: DataCaptureOptions;
  /** Encrypts the instances' ML storage volumes (left out for instances with NVMe storage). @default SageMaker's own key */
  readonly encryptionKey?: kms.IKey;
  /** @default AllTraffic */
  readonly variantName?: string;
}

/** A real-time (instance-backed) endpoint for one model, with optional autoscaling and data capture. */
export class RealtimeEndpoint extends ServingEndpointBase {
  /** The alpha module's endpoint this construct configures further (on its L1 resource). */
  public readonly endpoint: sagemaker.Endpoint;
  public readonly endpointConfig: sagemaker.EndpointConfig;
  public readonly endpointName: string;
  public readonly physicalEndpointName: string;
  public readonly endpointArn: string;
  public readonly variantName: string;
  public readonly kind = EndpointKind.REALTIME;
  public readonly endpointConfigName: string;
  public readonly instanceCount: number;

  constructor(scope: Construct, id: string, props: RealtimeEndpointProps) {
    super(scope, id);
    const count = props.instanceCount ?? 1;
    const max = props.maxInstanceCount ?? count;
    if (!Number.isInteger(count) || count < 1) throw new PropValidationError(this, 'instanceCount', `must be a whole number ≥ 1, got ${count}`);
    if (!Number.isInteger(max) || max < count) throw new PropValidationError(this, 'maxInstanceCount', `must be a whole number ≥ instanceCount (${count}), got ${max}`);
    const capture = props.dataCapture;
    if (capture && (!Number.isInteger(capture.samplingPercentage) || capture.samplingPercentage < 1 || capture.samplingPercentage > 100)) {
      throw new PropValidationError(this, 'dataCapture.samplingPercentage', `must be a whole number from 1 to 100, got ${capture.samplingPercentage}`);
    }
    this.variantName = props.variantName ?? 'AllTraffic';
    checkName('variantName', this.variantName, 'RealtimeEndpoint');
    this.instanceCount = count;

    // CreateEndpointConfig refuses KmsKeyId for Nitro instances with local NVMe storage; their
    // instance store is always encrypted by the hardware (AES-256), so the key is left out there.
    const volumeKey = hasInstanceStorage(props.instanceType) ? undefined : props.encryptionKey;
    if (props.encryptionKey && !volumeKey) {
      Annotations.of(this).addInfo(`${props.instanceType} has NVMe instance storage (hardware-encrypted); the endpoint's volume KMS key is not set.`);
    }
    this.endpointConfig = new sagemaker.EndpointConfig(this, 'Config', {
      encryptionKey: volumeKey,
      instanceProductionVariants: [{
        model: props.model,
        variantName: this.variantName,
        instanceType: sagemaker.InstanceType.of(props.instanceType),
        initialInstanceCount: count,
      }],
    });
    if (capture) {
      // The alpha EndpointConfig has no data capture property yet.
      const cfn = this.endpointConfig.node.findChild('EndpointConfig') as CfnEndpointConfig;
      cfn.dataCaptureConfig = {
        enableCapture: true,
        initialSamplingPercentage: capture.samplingPercentage,
        destinationS3Uri: capture.destinationS3Uri,
        kmsKeyId: capture.kmsKey?.keyArn,
        captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
        captureContentTypeHeader: { jsonContentTypes: ['application/json'], csvContentTypes: ['text/csv'] },
      };
    }

    const autoscaled = max > count;
    this.endpoint = new sagemaker.Endpoint(this, endpointId(props.instanceType, autoscaled), { endpointConfig: this.endpointConfig });
    this.physicalEndpointName = fixedEndpointName(this.endpoint);
    cfnEndpoint(this.endpoint).endpointName = this.physicalEndpointName;
    this.endpointName = this.endpoint.endpointName;
    this.endpointArn = this.endpoint.endpointArn;
    this.endpointConfigName = this.endpointConfig.endpointConfigName;

    if (autoscaled) {
      retainScaledInstanceCount(this.endpoint);
      this.endpoint.findInstanceProductionVariant(this.variantName)
        .autoScaleInstanceCount({ minCapacity: count, maxCapacity: max })
        .scaleOnInvocations('InvocationsPerInstance', { maxRequestsPerSecond: props.maxRequestsPerSecond ?? 20 });
    }
  }

  /**
   * Updates roll out blue/green with `options.rollout`'s traffic shifting and roll back when a
   * rollback alarm fires during the shift or the baking period. The alarms should watch the new
   * fleet only (dimension `EndpointConfigName` = `endpointConfig.endpointConfigName`): an alarm that
   * the old fleet trips stops the deployment. Every update keeps the variant name, as deployment
   * guardrails require.
   */
  configureDeployment(options: EndpointDeploymentOptions): void {
    applyDeployment(this, cfnEndpoint(this.endpoint), { serverless: false, instanceCount: this.instanceCount }, options);
  }
}

/** The alpha Endpoint's L1 resource, which it names 'Endpoint' (so node.defaultChild does not find it). */
function cfnEndpoint(endpoint: sagemaker.Endpoint): CfnEndpoint {
  return endpoint.node.findChild('Endpoint') as CfnEndpoint;
}

/**
 * The endpoint's construct id. SageMaker refuses an update that changes the instance type of a
 * variant registered as a scalable target ("Update endpoints that use auto scaling"), and
 * CloudFormation updates the endpoint before it removes the old scalable target. So an autoscaled
 * endpoint's id carries its instance type: a new type makes CloudFormation create a new endpoint
 * (new name) with its own scalable target, and delete the old pair once the update has succeeded.
 * Without autoscaling the id stays `Endpoint` and a type change is an in-place update (same name).
 */
function endpointId(instanceType: string, autoscaled: boolean): string {
  if (!autoscaled) return 'Endpoint';
  const pascal = instanceType.split(/[^A-Za-z0-9]+/).filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1)).join('');
  return `AutoscaledEndpoint${pascal}`;
}

/**
 * Every retrain points the endpoint at a new endpoint config; by default that update resets the
 * live instance count to the config's initial count, dropping a scaled-out endpoint to its minimum.
 * RetainAllVariantProperties keeps the count autoscaling has set. Only instance count and weight are
 * retainable variant properties (the instance type and model always come from the new config); the
 * weight is excluded from retention so the template stays the one source of the traffic split.
 */
function retainScaledInstanceCount(endpoint: sagemaker.Endpoint): void {
  // The alpha Endpoint has no property for it (aws-cdk issue 23151): set it on its L1 resource.
  const cfn = cfnEndpoint(endpoint);
  cfn.retainAllVariantProperties = true;
  cfn.excludeRetainedVariantProperties = [{ variantPropertyType: 'DesiredWeight' }];
}

