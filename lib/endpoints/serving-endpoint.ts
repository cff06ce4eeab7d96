import { IResource } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';

/** How an endpoint serves: on instances it keeps running, or serverless (per request). */
export enum EndpointKind {
  /** Instance-backed (real-time): deployment guardrails apply. */
  REALTIME = 'real-time',
  /** Serverless: billed per request; cold starts show in `OverheadLatency`. */
  SERVERLESS = 'serverless',
}

/**
 * A SageMaker endpoint with one production variant that serves a model: a {@link RealtimeEndpoint},
 * a {@link ServerlessEndpoint} or one imported with `fromEndpointAttributes`. Monitoring, the smoke
 * test and callers need only this.
 */
export interface IServingEndpoint extends IResource {
  /**
   * The endpoint's name. For an endpoint of this stack a reference to it: whatever uses it waits
   * for the endpoint.
   * @attribute
   */
  readonly endpointName: string;
  /** @attribute */
  readonly endpointArn: string;
  /**
   * The same name as a literal fixed at synth time. For alarms and metrics, which must not wait
   * for the endpoint: a real-time endpoint's rollback configuration names its alarms.
   */
  readonly physicalEndpointName: string;
  /** The production variant's name, e.g. `AllTraffic`. */
  readonly variantName: string;
  readonly kind: EndpointKind;
  /**
   * The endpoint configuration this deploy points the endpoint at (a token for an endpoint of this
   * stack); the smoke test checks it is the one served, rollback alarms watch its fleet.
   * @default undefined for an imported endpoint that was not given one
   */
  readonly endpointConfigName?: string;

  /** Allows `grantee` to invoke this endpoint (`sagemaker:InvokeEndpoint` on its ARN). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;

  /**
   * The named `AWS/SageMaker` metric of this endpoint's variant (dimensions `EndpointName` with the
   * literal name and `VariantName`; `props.dimensionsMap` adds to them).
   * @default sum over 5 minutes
   */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests sent to the variant. @default sum over 5 minutes */
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests the model container answered with 5xx. @default sum over 5 minutes */
  metricInvocation5xxErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests refused with 4xx (the client's fault). @default sum over 5 minutes */
  metricInvocation4xxErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Time the model container took to answer, in microseconds. @default average over 5 minutes */
  metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Time SageMaker added (cold starts, for serverless), in microseconds. @default average over 5 minutes */
  metricOverheadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** An endpoint defined outside this stack (or this app). */
export interface ServingEndpointAttributes {
  /** The endpoint's name, as deployed. */
  readonly endpointName: string;
  /** @default the ARN of `endpointName` in this stack's account and region */
  readonly endpointArn?: string;
  /** @default AllTraffic */
  readonly variantName?: string;
  /** @default EndpointKind.REALTIME */
  readonly kind?: EndpointKind;
  /** The configuration the endpoint serves. @default unknown: no served-configuration check, no rollback alarms */
  readonly endpointConfigName?: string;
}
