// ApprovedModelPackage's template: the guard's properties, its handler's exact statements
// (DescribeModelPackage on the registry's versions of the group, DescribeStacks on its own stack
// only) and environment, and the attributes it hands on.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApprovedModelPackage } from '../../lib/registry/approved-model-package';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { PromotionPointer } from '../../lib/registry/promotion-pointer';
import { awsSolutionsFindings } from '../monitoring/nag-findings';

const DEV = '111111111111';
const PROD = '222222222222';
const SOURCE = 'the promotion pointer /model-registry/mnist-models/approved-version';

/** The handlers' bundles change no finding: skip esbuild (the app has no children yet). */
function withoutBundling(app: App): App {
  app.node.setContext('aws:cdk:bundling-stacks', []);
  return app;
}

function synth(app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false })) {
  const stack = new Stack(app, 'Prod', { env: { account: PROD, region: 'eu-west-1' } });
  const group = ModelPackageGroup.fromModelPackageGroupAttributes(stack, 'Registry', { modelPackageGroupName: 'mnist-models', account: DEV });
  const arn = PromotionPointer.valueFor(stack, 'ApprovedVersion', { parameterName: '/model-registry/mnist-models/approved-version', account: DEV });
  const guard = new ApprovedModelPackage(stack, 'Approved', { group, modelPackageArn: arn, source: SOURCE });
  return { stack, guard, arn, template: Template.fromStack(stack) };
}

test('the guard gets the version ARN (the pointer\'s CloudFormation parameter) and the source', () => {
  const { template, stack, arn } = synth();
  const [resource] = Object.values(template.findResources('Custom::ApprovedModelPackage'));
  const { ServiceToken, ...properties } = resource.Properties;
  expect(ServiceToken).toBeDefined();
  expect(properties).toEqual({ ServiceTimeout: '600', ModelPackageArn: stack.resolve(arn), Source: SOURCE });
});

test('the handler may describe the registry account\'s versions of the group and its own stack, nothing else', () => {
  const { template } = synth();
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('ApprovedHandlerRole'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
  expect(statements).toEqual([
    { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ApprovedLogs/), 'Arn'] } },
    {
      Sid: 'ReadVersionStatus',
      Effect: 'Allow',
      Action: 'sagemaker:DescribeModelPackage',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sagemaker:eu-west-1:${DEV}:model-package/mnist-models/*`]] },
    },
    { Sid: 'ReadOwnStackStatus', Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } },
  ]);
  template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { STACK_ID: { Ref: 'AWS::StackId' } } } });
});

test('its attributes are the custom resource\'s answers (known only once the check passed)', () => {
  const { stack, guard } = synth();
  const id = stack.getLogicalId(guard.resource.node.defaultChild as never);
  expect(stack.resolve(guard.modelPackageArn)).toEqual({ 'Fn::GetAtt': [id, 'ModelPackageArn'] });
  expect(stack.resolve(guard.modelPackageVersion)).toEqual({ 'Fn::GetAtt': [id, 'ModelPackageVersion'] });
  expect(Template.fromStack(stack).toJSON().Resources[id].Type).toBe('Custom::ApprovedModelPackage');
});

test('cdk-nag finds nothing unacknowledged', () => {
  expect(awsSolutionsFindings((app) => synth(withoutBundling(app)))).toEqual([]);
});

test('the guard answers through its own Provider: no other custom resource, one handler function besides the framework\'s', () => {
  const { template } = synth();
  expect(Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { STACK_ID: Match.anyValue() } } } }))).toHaveLength(1);
});
