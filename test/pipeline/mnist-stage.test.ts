import { App, CfnResource, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as path from 'path';
import { MnistStage, mnistPipelineStages } from '../../lib/mnist/mnist-stage';
import { PipelineStack } from '../../lib/mnist/pipeline-stack';

// The app's own cdk.json context (settings and feature flags), as `cdk synth` would see it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = require(path.join(__dirname, '..', '..', 'cdk.json')).context as Record<string, unknown>;

describe('the MNIST pipeline: dev and prod from one stage class', () => {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } }); // no esbuild: templates only
  const pipelineStack = new PipelineStack(app, 'MnistPipeline', {
    env: { account: '123456789012', region: 'eu-west-1' },
    source: {
      connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/11111111-2222-3333-4444-555555555555',
      repository: 'example-org/mnist-sagemaker-cdk',
      branch: 'main',
    },
    stages: mnistPipelineStages(),
  });
  const [dev, prod] = pipelineStack.stages as MnistStage[];
  const devTemplate = Template.fromStack(dev.stack);
  const prodTemplate = Template.fromStack(prod.stack);
  const pipelineTemplate = Template.fromStack(pipelineStack);

  test('both stages are MnistStage; their region-agnostic stacks deploy where the pipeline runs', () => {
    expect(dev).toBeInstanceOf(MnistStage);
    expect(prod).toBeInstanceOf(MnistStage);
    expect([dev.stack.stackName, prod.stack.stackName]).toEqual(['Dev-MnistSageMaker', 'Prod-MnistSageMaker']);
    expect(Token.isUnresolved(dev.stack.region)).toBe(true);
    const deploys = JSON.stringify(pipelineTemplate.findResources('AWS::CodePipeline::Pipeline'));
    expect(deploys).not.toMatch(/"Region":/); // no cross-region deploy actions
  });

  test("dev tests on prod's endpoint type: one real-time instance of prod's instance type, and the serverless endpoint", () => {
    expect(dev.stack.settings.realtimeEndpoint).toBe(true);
    expect(dev.stack.settings.realtimeInstanceType).toBe(prod.stack.settings.realtimeInstanceType);
    expect(dev.stack.endpointNames).toHaveLength(2);
    devTemplate.resourceCountIs('AWS::SageMaker::Endpoint', 2);
    devTemplate.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InitialInstanceCount: 1, InstanceType: prod.stack.settings.realtimeInstanceType })],
    });
    devTemplate.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ServerlessConfig: Match.anyValue() })],
    });
    devTemplate.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  test('dev trains and registers (PendingManualApproval); prod trains nothing and serves the approved version', () => {
    devTemplate.resourceCountIs('Custom::SageMakerTrainingJob', 1);
    devTemplate.hasResourceProperties('Custom::ModelPackageVersion', { ModelPackageGroupName: 'mnist-pipeline-models', InitialApprovalStatus: 'PendingManualApproval' });
    prodTemplate.resourceCountIs('Custom::SageMakerTrainingJob', 0);
    prodTemplate.resourceCountIs('Custom::ModelPackageVersion', 0);
    prodTemplate.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 0);
    expect(dev.modelPackageArnOutput).toBeDefined();
    expect(prod.modelPackageArnOutput).toBeUndefined();
  });

  test("a promotion changes prod's template nowhere but re-runs its smoke test: the published version's description names the served version", () => {
    const [guard] = Object.keys(prodTemplate.findResources('Custom::ApprovedModelPackage'));
    const versions = Object.values(prodTemplate.findResources('AWS::Lambda::Version'));
    expect(versions.map((v) => v.Properties.Description)).toEqual([
      { 'Fn::Join': ['', ['Smoke test of ', { 'Fn::GetAtt': [guard, 'ModelPackageArn'] }]] },
    ]);
    // The trigger runs the published version: a new description publishes a new one, and the trigger's HandlerArn changes.
    const [trigger] = Object.values(prodTemplate.findResources('Custom::Trigger'));
    expect(JSON.stringify(trigger.Properties.HandlerArn)).toMatch(/SmokeTestFunctionCurrentVersion/);
    // Dev's template changes when it trains, so its version needs no deploy-time description.
    expect(Object.values(devTemplate.findResources('AWS::Lambda::Version')).map((v) => v.Properties.Description)).toEqual([undefined]);
  });

  test('prod runs the real-time endpoint with autoscaling from 2 to 4 instances', () => {
    expect(prod.stack.settings.realtimeEndpoint).toBe(true);
    prodTemplate.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    prodTemplate.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InitialInstanceCount: 2, InstanceType: Match.stringLikeRegexp('^ml\\.') })],
    });
    prodTemplate.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2, MaxCapacity: 4, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    });
    // Each retrain updates the endpoint: it must keep the count autoscaling has reached.
    prodTemplate.hasResourceProperties('AWS::SageMaker::Endpoint', {
      RetainAllVariantProperties: true, ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }],
    });
  });

  test("each stage's smoke-test step reads that stage's SmokeTestFunctionName output", () => {
    const pipeline = Object.values(pipelineTemplate.findResources('AWS::CodePipeline::Pipeline'))[0];
    for (const name of ['Dev', 'Prod']) {
      const stage = (pipeline.Properties.Stages as Array<{ Name: string; Actions: Array<{ Name: string; Configuration: Record<string, string> }> }>)
        .find((s) => s.Name === name)!;
      const smoke = stage.Actions.find((a) => a.Name.includes('SmokeTest'))!;
      expect(smoke.Configuration.EnvironmentVariables).toMatch(new RegExp(`"#\\{MnistPipeline${name}MnistSageMaker[0-9A-F]{8}\\.SmokeTestFunctionName\\}"`));
    }
  });

  test('the output the step reads holds the smoke-test function name, matching the granted prefix', () => {
    for (const [stage, template] of [[dev, devTemplate], [prod, prodTemplate]] as const) {
      const outputId = stage.stack.resolve(stage.smokeTestFunctionNameOutput.logicalId);
      expect(outputId).toBe('SmokeTestFunctionName');
      const functionId = stage.stack.resolve((stage.stack.smokeTestFunction.node.defaultChild as CfnResource).logicalId);
      template.hasOutput('SmokeTestFunctionName', { Value: { Ref: functionId } });
      // No fixed FunctionName: CloudFormation generates `<stack name>-<logical id>-<suffix>`, which the grant's prefix covers.
      expect(template.toJSON().Resources[functionId].Properties.FunctionName).toBeUndefined();
      expect(stage.smokeTestFunctionNamePrefix).toBe(`${stage.stack.stackName}-`);
    }
  });

  test('cdk.json settings that only fit prod (data capture on the real-time endpoint) do not break dev', () => {
    const withCapture = new App({ context: { ...CDK_CONTEXT, dataCapturePercent: '10', 'aws:cdk:bundling-stacks': [] } });
    const stack = new PipelineStack(withCapture, 'MnistPipeline', {
      env: { account: '123456789012', region: 'eu-west-1' },
      source: { connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/abc', repository: 'o/r', branch: 'main' },
      stages: mnistPipelineStages(),
    });
    const [devStage, prodStage] = stack.stages as MnistStage[];
    expect(devStage.stack.settings.dataCapturePercent).toBe(0);
    expect(prodStage.stack.settings.dataCapturePercent).toBe(10);
  });
});
