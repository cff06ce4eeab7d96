import { Annotations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { CfnEndpointConfig } from 'aws-cdk-lib/aws-sagemaker';
import { hasInstanceStorage } from './instance-types';
import { Construct } from 'constructs';

export interface DataCaptureOptions {
  /** 1..100 % of requests (inputs and outputs) written to `destinationS3Uri`. */
  readonly samplingPercentage: number;
  readonly destinationS3Uri: string;
  readonly kmsKey?: kms.IKey;
}

export interface RealtimeEndpointProps {
  readonly model: sagemaker.IModel;
  readonly instanceType: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** Above `instanceCount`: target tracking on invocations per instance. @default no autoscaling */
  readonly maxInstanceCount?: number;
  /** Requests per second one instance handles; the target is 50 % of it (per minute). @default 20 */
  readonly maxRequestsPerSecond?: number;
  readonly dataCapture?: DataCaptureOptions;
  /** Encrypts the instances' ML storage volumes. */
  readonly encryptionKey?: kms.IKey;
  /** @default AllTraffic */
  readonly variantName?: string;
}

/** A real-time (instance-backed) endpoint for one model, with optional autoscaling and data capture. */
export class RealtimeEndpoint extends Construct {
  public readonly endpoint: sagemaker.Endpoint;
  public readonly endpointConfig: sagemaker.EndpointConfig;
  public readonly endpointName: string;
  public readonly endpointArn: string;
  public readonly variantName: string;

  constructor(scope: Construct, id: string, props: RealtimeEndpointProps) {
    super(scope, id);
    const count = props.instanceCount ?? 1;
    const max = props.maxInstanceCount ?? count;
    if (!Number.isInteger(count) || count < 1) throw new Error(`instanceCount must be a whole number ≥ 1, got ${count}`);
    if (!Number.isInteger(max) || max < count) throw new Error(`maxInstanceCount must be a whole number ≥ instanceCount (${count}), got ${max}`);
    const capture = props.dataCapture;
    if (capture && (!Number.isInteger(capture.samplingPercentage) || capture.samplingPercentage < 1 || capture.samplingPercentage > 100)) {
      throw new Error(`dataCapture.samplingPercentage must be a whole number from 1 to 100, got ${capture.samplingPercentage}`);
    }
    this.variantName = props.variantName ?? 'AllTraffic';

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

    this.endpoint = new sagemaker.Endpoint(this, 'Endpoint', { endpointConfig: this.endpointConfig });
    this.endpointName = this.endpoint.endpointName;
    this.endpointArn = this.endpoint.endpointArn;

    if (max > count) {
      this.endpoint.findInstanceProductionVariant(this.variantName)
        .autoScaleInstanceCount({ minCapacity: count, maxCapacity: max })
        .scaleOnInvocations('InvocationsPerInstance', { maxRequestsPerSecond: props.maxRequestsPerSecond ?? 20 });
    }
  }
}

