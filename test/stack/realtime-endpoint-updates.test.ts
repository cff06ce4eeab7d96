import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { RealtimeEndpoint, RealtimeEndpointProps } from '../../lib/endpoints/realtime-endpoint';
import { newApp, synthMnist } from './synth';

// How a real-time endpoint behaves on the updates a user makes: a retrain (new model), an
// instance-type change, autoscaling on or off. CloudFormation updates a resource in place when
// its logical id stays and its properties change; a new logical id creates a new resource and
// deletes the old one after the update succeeded.

type Props = Omit<RealtimeEndpointProps, 'model'>;

// CloudFormation's validation (slow) is asserted on whole stacks in default-stack and options tests.
function synth(props: Props, modelName = 'model-a') {
  const stack = new Stack(newApp({ validate: false }), 'S');
  const model = sagemaker.Model.fromModelName(stack, 'Imported', modelName);
  new RealtimeEndpoint(stack, 'Realtime', { model, ...props });
  return Template.fromStack(stack);
}

function only(template: Template, type: string): [string, { Properties: Record<string, unknown> }] {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0] as [string, { Properties: Record<string, unknown> }];
}

const AUTOSCALED: Props = { instanceType: 'ml.m5.large', instanceCount: 1, maxInstanceCount: 4 };
const FIXED: Props = { instanceType: 'ml.m5.large', instanceCount: 2 };

describe('an autoscaled endpoint keeps its scale across updates', () => {
  test('RetainAllVariantProperties keeps the live instance count; only the weight comes from the new config', () => {
    const [, endpoint] = only(synth(AUTOSCALED), 'AWS::SageMaker::Endpoint');
    expect(endpoint.Properties).toEqual({
      EndpointName: expect.any(String),
      EndpointConfigName: expect.anything(),
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }],
    });
  });

  test('without autoscaling an update applies the configured count (nothing retained)', () => {
    const [, endpoint] = only(synth(FIXED), 'AWS::SageMaker::Endpoint');
    expect(endpoint.Properties).toEqual({ EndpointName: expect.any(String), EndpointConfigName: expect.anything() });
  });

  test('a retrain (new model) updates the same endpoint and scalable target in place', () => {
    const before = synth(AUTOSCALED, 'model-a');
    const after = synth(AUTOSCALED, 'model-b');
    expect(only(after, 'AWS::SageMaker::Endpoint')[0]).toBe(only(before, 'AWS::SageMaker::Endpoint')[0]);
    expect(only(after, 'AWS::SageMaker::Endpoint')[1].Properties.EndpointName).toBe(only(before, 'AWS::SageMaker::Endpoint')[1].Properties.EndpointName);
    expect(only(after, 'AWS::ApplicationAutoScaling::ScalableTarget')[0]).toBe(only(before, 'AWS::ApplicationAutoScaling::ScalableTarget')[0]);
    expect(only(after, 'AWS::SageMaker::EndpointConfig')[1].Properties.ProductionVariants).toEqual([
      expect.objectContaining({ ModelName: 'model-b', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }),
    ]);
  });
});

describe('an instance-type change of an autoscaled endpoint works in one deploy', () => {
  // SageMaker refuses to change the instance type of a registered scalable target, and an in-place
  // update would reach the endpoint while the old target is still registered.
  const before = synth(AUTOSCALED);
  const after = synth({ ...AUTOSCALED, instanceType: 'ml.c5.xlarge' });

  test('a new endpoint (new logical id) with its own scalable target replaces the old pair', () => {
    const [beforeEndpoint] = only(before, 'AWS::SageMaker::Endpoint');
    const [afterEndpoint] = only(after, 'AWS::SageMaker::Endpoint');
    expect(afterEndpoint).not.toBe(beforeEndpoint);
    const [beforeTarget] = only(before, 'AWS::ApplicationAutoScaling::ScalableTarget');
    const [afterTarget, target] = only(after, 'AWS::ApplicationAutoScaling::ScalableTarget');
    expect(afterTarget).not.toBe(beforeTarget);
    // The new target scales the new endpoint, by its CloudFormation-generated name.
    expect(JSON.stringify(target.Properties.ResourceId)).toContain(afterEndpoint);
    expect(target.Properties).toMatchObject({ MinCapacity: 1, MaxCapacity: 4, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' });
  });

  test('the replacement gets a name of its own (old and new coexist until the old one is deleted)', () => {
    // Names are fixed at synth (the rollback alarms watch the endpoint by name); the new id gives a new one.
    const name = (template: Template) => only(template, 'AWS::SageMaker::Endpoint')[1].Properties.EndpointName as string;
    expect(name(after)).not.toBe(name(before));
    expect(name(after)).toMatch(/^S-Realtime-AutoscaledEndpointMlC5Xlarge-[0-9A-F]{8}$/);
  });

  test('without autoscaling an instance-type change stays an in-place update of the same endpoint, same name', () => {
    const fixedBefore = synth(FIXED);
    const fixedAfter = synth({ ...FIXED, instanceType: 'ml.c5.xlarge' });
    expect(only(fixedAfter, 'AWS::SageMaker::Endpoint')[0]).toBe(only(fixedBefore, 'AWS::SageMaker::Endpoint')[0]);
    expect(only(fixedAfter, 'AWS::SageMaker::Endpoint')[1].Properties.EndpointName).toBe(only(fixedBefore, 'AWS::SageMaker::Endpoint')[1].Properties.EndpointName);
  });
});

describe('the MNIST stack with realtimeMaxInstanceCount above realtimeInstanceCount', () => {
  test('its endpoint retains the scaled instance count', () => {
    const { template } = synthMnist({ settings: { realtimeInstanceCount: 1, realtimeMaxInstanceCount: 3, serverlessEndpoint: false }, validate: false });
    const [, endpoint] = only(template, 'AWS::SageMaker::Endpoint');
    expect(endpoint.Properties).toMatchObject({
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }],
    });
  });
});
