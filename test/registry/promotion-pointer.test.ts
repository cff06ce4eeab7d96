// PromotionPointer's template: the parameter (standard unless shared, advanced and RAM-shared when
// consumer accounts are given), the handler's exact least-privilege statements, the EventBridge
// rule's pattern and target, the sync custom resource and its properties; and valueFor's
// CloudFormation parameter in the same-account and cross-account forms.
import { App, Aws, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { PromotionPointer, PromotionPointerProps } from '../../lib/registry/promotion-pointer';
import { awsSolutionsFindings } from '../monitoring/nag-findings';

const DEV = '111111111111';
const PROD = '222222222222';
const NAME = '/model-registry/mnist-models/approved-version';
const noBundling = () => new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });

/** The handlers' bundles change no finding: skip esbuild (the app has no children yet). */
function withoutBundling(app: App): App {
  app.node.setContext('aws:cdk:bundling-stacks', []);
  return app;
}

function synth(props: Partial<Omit<PromotionPointerProps, 'group'>> = {}, app = noBundling()) {
  const stack = new Stack(app, 'Dev', { env: { account: DEV, region: 'eu-west-1' } });
  const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'mnist-models' });
  const pointer = new PromotionPointer(stack, 'Pointer', { group, ...props });
  return { stack, pointer, template: Template.fromStack(stack) };
}

function handlerStatements(template: Template): unknown[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('PointerHandlerRole'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const arnOf = (ref: unknown) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:eu-west-1:${DEV}:parameter`, { Ref: ref }]] });
/** The parameter's ARN, for toEqual; in template assertions (Match), templateParameterArn. */
const parameterArn = arnOf(expect.stringMatching(/^PointerParameter/));
const templateParameterArn = arnOf(Match.stringLikeRegexp('^PointerParameter'));

test('the parameter: a String holding `none`, named after the group, standard tier, described as the Lambda\'s to maintain', () => {
  const { template, pointer, stack } = synth();
  template.hasResourceProperties('AWS::SSM::Parameter', {
    Name: NAME,
    Type: 'String',
    Value: 'none',
    Tier: Match.absent(),
    Description: Match.stringLikeRegexp('^Promotion pointer: the newest Approved version of model package group mnist-models \\(or none\\)\\. Maintained by a Lambda'),
  });
  template.resourceCountIs('AWS::RAM::ResourceShare', 0);
  expect(stack.resolve(pointer.parameterName)).toEqual({ Ref: expect.stringMatching(/^PointerParameter/) });
  expect(stack.resolve(pointer.parameterArn)).toEqual(parameterArn);
});

test('the handler may list the group\'s versions and read and write exactly its parameter, nothing else', () => {
  const { template } = synth();
  expect(handlerStatements(template)).toEqual([
    { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^PointerLogs/), 'Arn'] } },
    {
      Sid: 'ListApprovedVersions',
      Effect: 'Allow',
      Action: 'sagemaker:ListModelPackages',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sagemaker:eu-west-1:${DEV}:model-package/mnist-models/*`]] },
    },
    { Sid: 'ReadWritePointer', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: parameterArn },
  ]);
});

test('the rule sends the group\'s model package state changes (default bus) to the handler, and the handler knows group and parameter', () => {
  const { template } = synth();
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Package State Change'],
      detail: { ModelPackageGroupName: ['mnist-models'] },
    },
    EventBusName: Match.absent(),
    Targets: [{ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PointerHandler'), 'Arn'] }, Id: 'Target0' }],
  });
  template.hasResourceProperties('AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    Principal: 'events.amazonaws.com',
    FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PointerHandler'), 'Arn'] },
  });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: { GROUP_NAME: 'mnist-models', PARAMETER_NAME: { Ref: Match.stringLikeRegexp('^PointerParameter') } } },
  });
});

test('the sync runs after the parameter exists, with the group, the parameter and the parameter\'s settings (a CloudFormation update of them rewrites `none`)', () => {
  const { template } = synth();
  const [sync] = Object.values(template.findResources('Custom::PromotionPointerSync'));
  const { ServiceToken, ...properties } = sync.Properties;
  expect(ServiceToken).toBeDefined();
  expect(properties).toEqual({
    ServiceTimeout: '600',
    ModelPackageGroupName: 'mnist-models',
    ParameterName: { Ref: expect.stringMatching(/^PointerParameter/) },
    ParameterTier: 'Standard',
    ParameterDescription: expect.stringMatching(/^Promotion pointer: /),
  });
  expect(sync.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^PointerParameter/)]));
  // Its handler's permissions are in place before it runs.
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { GROUP_NAME: 'mnist-models' } } } }));
  expect(fn.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^PointerHandlerRoleDefaultPolicy/)]));
});

test('a given parameter name is used as is', () => {
  const { template } = synth({ parameterName: '/prod-candidates/mnist' });
  template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/prod-candidates/mnist' });
});

test('shared with consumer accounts: advanced tier (RAM shares only those) and one RAM share of exactly the parameter to them', () => {
  const { template } = synth({ consumerAccounts: [PROD] });
  template.hasResourceProperties('AWS::SSM::Parameter', { Tier: 'Advanced' });
  template.resourceCountIs('AWS::RAM::ResourceShare', 1);
  template.hasResourceProperties('AWS::RAM::ResourceShare', {
    ResourceArns: [templateParameterArn],
    Principals: [PROD],
    AllowExternalPrincipals: true,
    PermissionArns: Match.absent(),
  });
  template.hasResourceProperties('Custom::PromotionPointerSync', { ParameterTier: 'Advanced' });
});

test('props that cannot work fail at synth time', () => {
  expect(() => synth({ consumerAccounts: ['2222'] })).toThrow(/consumerAccounts must be 12-digit account ids, got '2222'/);
  expect(() => synth({ consumerAccounts: [DEV] })).toThrow(/consumerAccounts lists this stack's own account 111111111111/);
  expect(() => synth({ parameterName: 'has spaces' })).toThrow(/parameterName must be an SSM parameter name/);
  const app = noBundling();
  const stack = new Stack(app, 'Elsewhere', { env: { account: DEV, region: 'eu-west-1' } });
  const imported = ModelPackageGroup.fromModelPackageGroupAttributes(stack, 'Group', { modelPackageGroupName: 'mnist-models', account: PROD });
  expect(() => new PromotionPointer(stack, 'Pointer', { group: imported })).toThrow(/group must be in this stack's account \(111111111111\)/);
});

test('cdk-nag finds nothing unacknowledged (shared: every resource the unshared pointer has, and the share)', () => {
  expect(awsSolutionsFindings((app) => synth({ consumerAccounts: [PROD] }, withoutBundling(app)))).toEqual([]);
});

describe('PromotionPointer.valueFor', () => {
  function prod(env: { account?: string; region?: string } = { account: PROD, region: 'eu-west-1' }) {
    const stack = new Stack(noBundling(), 'Prod', { env });
    return stack;
  }

  test('same account: a parameter of type AWS::SSM::Parameter::Value<String> defaulting to the name, its value the token', () => {
    const stack = prod({ account: DEV, region: 'eu-west-1' });
    const value = PromotionPointer.valueFor(stack, 'ApprovedVersion', { parameterName: NAME });
    expect(stack.resolve(value)).toEqual({ Ref: 'ApprovedVersion' });
    expect(Template.fromStack(stack).toJSON().Parameters.ApprovedVersion).toEqual({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: NAME,
      Description: expect.stringMatching(/^The model package version to deploy: the promotion pointer \/model-registry\/mnist-models\/approved-version \(/),
    });
  });

  test('another account: the default is the shared parameter\'s full ARN (without the name\'s leading slash)', () => {
    const stack = prod();
    const value = PromotionPointer.valueFor(stack, 'ApprovedVersion', { parameterName: NAME, account: DEV });
    const parameters = Template.fromStack(stack).toJSON().Parameters;
    const [id] = Object.keys(parameters).filter((k) => k !== 'BootstrapVersion');
    expect(stack.resolve(value)).toEqual({ Ref: id });
    expect(parameters[id]).toEqual({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: `arn:aws:ssm:eu-west-1:${DEV}:parameter/model-registry/mnist-models/approved-version`,
      Description: expect.stringContaining(`of account ${DEV}`),
    });
  });

  test('another account in another partition: the ARN names that partition', () => {
    const stack = prod({ account: PROD, region: 'cn-north-1' });
    PromotionPointer.valueFor(stack, 'ApprovedVersion', { parameterName: NAME, account: DEV });
    expect(JSON.stringify(Template.fromStack(stack).toJSON().Parameters)).toContain(`"arn:aws-cn:ssm:cn-north-1:${DEV}:parameter/model-registry/`);
  });

  test('an environment-agnostic stack reading another account\'s pointer must name the region; a token name is refused', () => {
    expect(() => PromotionPointer.valueFor(prod({}), 'V', { parameterName: NAME, account: DEV })).toThrow(/region must be given/);
    const stack = prod({});
    PromotionPointer.valueFor(stack, 'V', { parameterName: NAME, account: DEV, region: 'eu-west-1' });
    expect(JSON.stringify(Template.fromStack(stack).toJSON().Parameters)).toContain(`arn:aws:ssm:eu-west-1:${DEV}:parameter/model-registry/`);
    expect(() => PromotionPointer.valueFor(prod(), 'W', { parameterName: `/pointers/${Aws.STACK_NAME}` })).toThrow(/must be a literal SSM parameter name/);
  });
});
