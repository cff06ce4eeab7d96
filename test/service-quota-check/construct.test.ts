// ServiceQuotaCheck's template (exact properties, read-only Service Quotas on Resource * with its
// acknowledged reason, cdk-nag clean, synth-time errors) and its wiring in the MNIST stack: the
// training job waits for it, and its requirements follow the settings.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { quotaAdvice } from '../../lib/config';
import { BLUE_GREEN_REASON, SERVERLESS_CONCURRENCY_QUOTA } from '../../lib/mnist-quotas';
import { QuotaRequirement, ServiceQuotaCheck } from '../../lib/service-quota-check';
import { awsSolutionsFindings } from '../monitoring/nag-findings';
import { synthMnist } from '../stack/synth';

const REQUIREMENTS: QuotaRequirement[] = [
  { quotaName: 'ml.c5.2xlarge for training job usage', needed: 2, neededBy: 'the training job', advice: 'fewer instances' },
  { quotaName: 'ml.m5.large for endpoint usage', needed: 1, neededOnUpdate: 2, neededOnUpdateReason: 'two fleets', neededBy: 'the endpoint' },
];

function synth(requirements = REQUIREMENTS, app = new App({ context: { 'aws:cdk:bundling-stacks': [] } })) {
  const stack = new Stack(app, 'QuotaStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const check = new ServiceQuotaCheck(stack, 'QuotaCheck', { serviceCode: 'sagemaker', requirements });
  return { stack, check, template: Template.fromStack(stack) };
}

function handlerStatements(template: Template): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('QuotaCheckHandlerRole'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

test('the custom resource carries the service code and each requirement, exactly', () => {
  const { template } = synth();
  const [resource] = Object.values(template.findResources('Custom::ServiceQuotaCheck'));
  const { ServiceToken, ...properties } = resource.Properties;
  expect(ServiceToken).toBeDefined();
  expect(properties).toEqual({
    ServiceCode: 'sagemaker',
    Requirements: [
      { QuotaName: 'ml.c5.2xlarge for training job usage', Needed: 2, NeededBy: 'the training job', Advice: 'fewer instances' },
      { QuotaName: 'ml.m5.large for endpoint usage', Needed: 1, NeededOnUpdate: 2, NeededOnUpdateReason: 'two fleets', NeededBy: 'the endpoint' },
    ],
    ServiceTimeout: '600',
  });
});

test('the handler may only write its log group, read quota values (Resource *: the actions have no resource types) and its own stack\'s status', () => {
  const { template } = synth();
  const statements = handlerStatements(template);
  expect(statements).toHaveLength(3);
  expect(statements[0]).toMatchObject({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow' });
  expect(statements[1]).toEqual({
    Sid: 'ReadQuotaValues',
    Action: ['servicequotas:ListServiceQuotas', 'servicequotas:ListAWSDefaultServiceQuotas'],
    Effect: 'Allow',
    Resource: '*',
  });
  expect(statements[2]).toEqual({ Sid: 'ReadOwnStackStatus', Action: 'cloudformation:DescribeStacks', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } });
  const runtime = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Handler === 'index.handler')!;
  expect(runtime.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 180 });
});

test('cdk-nag finds nothing unacknowledged', () => {
  expect(awsSolutionsFindings((app) => synth(REQUIREMENTS, app))).toEqual([]);
});

test.each<[string, QuotaRequirement[], string]>([
  ['no requirement', [], 'ServiceQuotaCheck requirements is empty: there is nothing to check'],
  ['a quota twice', [REQUIREMENTS[0], REQUIREMENTS[0]], "ServiceQuotaCheck: quota 'ml.c5.2xlarge for training job usage' is required twice; give it once with the sum of what both need"],
  ['needed 0', [{ ...REQUIREMENTS[0], needed: 0 }], "ServiceQuotaCheck: needed for 'ml.c5.2xlarge for training job usage' must be a whole number of at least 1, got 0"],
  ['less on update', [{ ...REQUIREMENTS[1], neededOnUpdate: 0 }], "ServiceQuotaCheck: neededOnUpdate for 'ml.m5.large for endpoint usage' must be a whole number of at least needed (1), got 0"],
])('%s is refused at synth time', (_, requirements, message) => {
  expect(() => synth(requirements)).toThrow(message);
});

describe('in the MNIST stack', () => {
  const mnistCheck = (settings = {}) => {
    const { template } = synthMnist({ settings, validate: false });
    const checks = template.findResources('Custom::ServiceQuotaCheck');
    expect(Object.keys(checks)).toHaveLength(1);
    const [[logicalId, check]] = Object.entries(checks);
    const training = Object.values(template.findResources('Custom::SageMakerTrainingJob'))[0];
    return { logicalId, properties: check.Properties, training };
  };

  test('default settings: training, real-time (2x on update) and serverless quotas; the training job waits for the check', () => {
    const { logicalId, properties, training } = mnistCheck();
    const advice = quotaAdvice(synthMnist({ validate: false }).stack.settings);
    expect(properties.Requirements).toEqual([
      { QuotaName: 'ml.c5.2xlarge for training job usage', Needed: 2, NeededBy: 'the training job (trainingInstanceCount=2 × ml.c5.2xlarge)', Advice: advice.training },
      {
        QuotaName: 'ml.m5.large for endpoint usage', Needed: 1, NeededOnUpdate: 2, NeededOnUpdateReason: BLUE_GREEN_REASON,
        NeededBy: 'the real-time endpoint (realtimeInstanceCount=1 × ml.m5.large)', Advice: advice.realtimeEndpoint,
      },
      {
        QuotaName: SERVERLESS_CONCURRENCY_QUOTA, Needed: 1, NeededBy: 'the serverless endpoint (serverlessMaxConcurrency=1)',
        Unit: 'concurrent invocations', Advice: advice.serverlessEndpoint,
      },
    ]);
    expect(training.DependsOn).toContain(logicalId);
    expect(training.Properties.QuotaAdvice).toBe(advice.training);
  });

  test('spot training needs the spot quota; a paused real-time endpoint needs none; serverless off needs no concurrency', () => {
    const { properties } = mnistCheck({ spotTraining: true, pauseRealtimeEndpoint: true, trainingInstanceCount: 1, trainingInstanceType: 'ml.m5.xlarge' });
    expect(properties.Requirements.map((r: { QuotaName: string; Needed: number }) => [r.QuotaName, r.Needed])).toEqual([
      ['ml.m5.xlarge for spot training job usage', 1],
      [SERVERLESS_CONCURRENCY_QUOTA, 1],
    ]);
    const realtimeOnly = mnistCheck({ serverlessEndpoint: false, realtimeInstanceCount: 3, realtimeMaxInstanceCount: 3 });
    expect(realtimeOnly.properties.Requirements.map((r: { QuotaName: string; Needed: number; NeededOnUpdate?: number }) => [r.QuotaName, r.Needed, r.NeededOnUpdate]))
      .toEqual([['ml.c5.2xlarge for training job usage', 2, undefined], ['ml.m5.large for endpoint usage', 3, 6]]);
  });
});
