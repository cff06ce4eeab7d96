import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { RealtimeEndpoint } from '../../lib/endpoints/realtime-endpoint';
import { ServerlessEndpoint } from '../../lib/endpoints/serverless-endpoint';
import { EndpointKind, IServingEndpoint } from '../../lib/endpoints/serving-endpoint';
import { ServingEndpointBase } from '../../lib/endpoints/serving-endpoint-base';

// The interface both endpoints implement, and imports of deployed ones. CloudFormation's
// validation (slow) runs on the whole stack in test/stack.
function fixture() {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
  const model = sagemaker.Model.fromModelName(stack, 'Model', 'some-model');
  const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  return { stack, model, role };
}

/** The statements of the role's default policy, as synthesized. */
function callerStatements(stack: Stack): unknown[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  const caller = Object.entries(policies).find(([id]) => id.startsWith('CallerDefaultPolicy'));
  return caller ? caller[1].Properties.PolicyDocument.Statement : [];
}

const endpointLogicalId = (stack: Stack, endpoint: IServingEndpoint) =>
  Object.keys(Template.fromStack(stack).findResources('AWS::SageMaker::Endpoint')).find((id) => id.startsWith(endpoint.node.id))!;

describe('both endpoints are IServingEndpoints', () => {
  const kinds = [
    ['RealtimeEndpoint', EndpointKind.REALTIME, (s: Stack, model: sagemaker.IModel) => new RealtimeEndpoint(s, 'Realtime', { model, instanceType: 'ml.m5.large' })],
    ['ServerlessEndpoint', EndpointKind.SERVERLESS, (s: Stack, model: sagemaker.IModel) => new ServerlessEndpoint(s, 'Serverless', { model })],
  ] as const;

  test.each(kinds)('%s: grantInvoke allows InvokeEndpoint on exactly this endpoint', (_, __, create) => {
    const { stack, model, role } = fixture();
    const endpoint: IServingEndpoint = create(stack, model);
    const grant = endpoint.grantInvoke(role);
    expect(grant.success).toBe(true);
    expect(callerStatements(stack)).toEqual([
      { Effect: 'Allow', Action: 'sagemaker:InvokeEndpoint', Resource: { Ref: endpointLogicalId(stack, endpoint) } },
    ]);
  });

  test.each(kinds)('%s: metrics watch the variant by the literal endpoint name (no reference to wait for); the configuration it serves', (_, kind, create) => {
    const { stack, model } = fixture();
    const endpoint = create(stack, model);
    expect(endpoint.kind).toBe(kind);
    expect(endpoint.physicalEndpointName).toMatch(/^S-(Realtime|Serverless)-Endpoint-[0-9A-F]{8}$/);
    const metric = endpoint.metricInvocation5xxErrors();
    expect(metric.namespace).toBe('AWS/SageMaker');
    expect(metric.metricName).toBe('Invocation5XXErrors');
    expect(metric.dimensions).toEqual({ EndpointName: endpoint.physicalEndpointName, VariantName: 'AllTraffic' });
    // The same name the endpoint is created with.
    const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::SageMaker::Endpoint'));
    expect(resource.Properties.EndpointName).toBe(endpoint.physicalEndpointName);
    // endpointConfigName: the configuration the endpoint is pointed at.
    expect(stack.resolve(endpoint.endpointConfigName)).toEqual(resource.Properties.EndpointConfigName);
  });
});

describe('metrics', () => {
  const endpoint = () => ServingEndpointBase.fromEndpointAttributes(fixture().stack, 'E', { endpointName: 'mnist', variantName: 'Blue' });

  test.each([
    ['metricInvocations', 'Invocations', 'Sum'],
    ['metricInvocation5xxErrors', 'Invocation5XXErrors', 'Sum'],
    ['metricInvocation4xxErrors', 'Invocation4XXErrors', 'Sum'],
    ['metricModelLatency', 'ModelLatency', 'Average'],
    ['metricOverheadLatency', 'OverheadLatency', 'Average'],
  ] as const)('%s: %s, %s over 5 minutes by default', (method, metricName, statistic) => {
    const metric = endpoint()[method]();
    expect({ namespace: metric.namespace, metricName: metric.metricName, statistic: metric.statistic, period: metric.period.toMinutes(), dimensions: metric.dimensions })
      .toEqual({ namespace: 'AWS/SageMaker', metricName, statistic, period: 5, dimensions: { EndpointName: 'mnist', VariantName: 'Blue' } });
  });

  test('props override the statistic and add dimensions (e.g. one configuration\'s fleet)', () => {
    const metric = endpoint().metricModelLatency({ statistic: 'p90', dimensionsMap: { EndpointConfigName: 'mnist-config-2' } });
    expect(metric.statistic).toBe('p90');
    expect(metric.dimensions).toEqual({ EndpointName: 'mnist', VariantName: 'Blue', EndpointConfigName: 'mnist-config-2' });
  });
});

describe('fromEndpointAttributes', () => {
  test('by name: the ARN in this stack\'s account and region, variant AllTraffic, real-time, no configuration', () => {
    const { stack, role } = fixture();
    const endpoint = ServingEndpointBase.fromEndpointAttributes(stack, 'E', { endpointName: 'deployed-elsewhere' });
    expect(stack.resolve(endpoint.endpointArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:111122223333:endpoint/deployed-elsewhere']] });
    expect([endpoint.endpointName, endpoint.physicalEndpointName, endpoint.variantName, endpoint.kind, endpoint.endpointConfigName])
      .toEqual(['deployed-elsewhere', 'deployed-elsewhere', 'AllTraffic', EndpointKind.REALTIME, undefined]);
    endpoint.grantInvoke(role);
    expect(callerStatements(stack)).toEqual([{ Effect: 'Allow', Action: 'sagemaker:InvokeEndpoint', Resource: stack.resolve(endpoint.endpointArn) }]);
  });

  test('every attribute given', () => {
    const { stack } = fixture();
    const arn = 'arn:aws:sagemaker:us-east-1:444455556666:endpoint/other';
    const endpoint = ServingEndpointBase.fromEndpointAttributes(stack, 'E', {
      endpointName: 'other', endpointArn: arn, variantName: 'Blue', kind: EndpointKind.SERVERLESS, endpointConfigName: 'other-config',
    });
    expect([endpoint.endpointArn, endpoint.variantName, endpoint.kind, endpoint.endpointConfigName]).toEqual([arn, 'Blue', EndpointKind.SERVERLESS, 'other-config']);
    expect(endpoint.env).toEqual({ account: '444455556666', region: 'us-east-1' });
  });

  test.each([
    [{ endpointName: 'has space' }, "fromEndpointAttributes(E): endpointName 'has space' is not a SageMaker name — use 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit."],
    [{ endpointName: 'x'.repeat(64) }, `fromEndpointAttributes(E): endpointName '${'x'.repeat(64)}' is not a SageMaker name`],
    [{ endpointName: 'ok', variantName: 'All_Traffic' }, "fromEndpointAttributes(E): variantName 'All_Traffic' is not a SageMaker name"],
  ])('refuses %o, naming the prop', (attrs, message) => {
    expect(() => ServingEndpointBase.fromEndpointAttributes(fixture().stack, 'E', attrs)).toThrow(message);
  });
});

test.each([
  ['RealtimeEndpoint', (s: Stack, model: sagemaker.IModel) => new RealtimeEndpoint(s, 'E', { model, instanceType: 'ml.m5.large', variantName: 'blue_green' })],
  ['ServerlessEndpoint', (s: Stack, model: sagemaker.IModel) => new ServerlessEndpoint(s, 'E', { model, variantName: 'blue_green' })],
])('%s refuses a variantName SageMaker would refuse, naming the prop', (name, create) => {
  const { stack, model } = fixture();
  expect(() => create(stack, model)).toThrow(`${name}: variantName 'blue_green' is not a SageMaker name`);
});
