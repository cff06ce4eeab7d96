import { Resource, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ENDPOINT_NAME_PATTERN } from './endpoint-name';
import { EndpointKind, IServingEndpoint, ServingEndpointAttributes } from './serving-endpoint';

/** What both endpoints share: the invoke grant and the metrics. */
export abstract class ServingEndpointBase extends Resource implements IServingEndpoint {
  /** An endpoint defined elsewhere, by its name (and optionally ARN, variant, kind, configuration). */
  public static fromEndpointAttributes(scope: Construct, id: string, attrs: ServingEndpointAttributes): IServingEndpoint {
    checkName('endpointName', attrs.endpointName, `fromEndpointAttributes(${id})`);
    const variantName = attrs.variantName ?? 'AllTraffic';
    checkName('variantName', variantName, `fromEndpointAttributes(${id})`);
    const endpointArn = attrs.endpointArn ?? Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: attrs.endpointName });
    class Import extends ServingEndpointBase {
      public readonly endpointName = attrs.endpointName;
      public readonly endpointArn = endpointArn;
      public readonly physicalEndpointName = attrs.endpointName;
      public readonly variantName = variantName;
      public readonly kind = attrs.kind ?? EndpointKind.REALTIME;
      public readonly endpointConfigName = attrs.endpointConfigName;
    }
    return new Import(scope, id, { environmentFromArn: attrs.endpointArn });
  }

  public abstract readonly endpointName: string;
  public abstract readonly endpointArn: string;
  public abstract readonly physicalEndpointName: string;
  public abstract readonly variantName: string;
  public abstract readonly kind: EndpointKind;
  public abstract readonly endpointConfigName?: string;

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn] });
  }

  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker',
      metricName,
      statistic: 'Sum',
      ...props,
      // The literal name: an alarm on a reference would wait for the endpoint (see physicalEndpointName).
      dimensionsMap: { EndpointName: this.physicalEndpointName, VariantName: this.variantName, ...props?.dimensionsMap },
    });
  }

  public metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', props);
  }

  public metricInvocation5xxErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', props);
  }

  public metricInvocation4xxErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', props);
  }

  public metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: 'Average', ...props });
  }

  public metricOverheadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('OverheadLatency', { statistic: 'Average', ...props });
  }
}

/** Refuses a literal `value` for the prop `prop` that SageMaker would refuse as an endpoint or variant name. */
export function checkName(prop: string, value: string, where: string): void {
  if (!Token.isUnresolved(value) && !ENDPOINT_NAME_PATTERN.test(value)) {
    throw new Error(`${where}: ${prop} '${value}' is not a SageMaker name — use 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit.`);
  }
}
