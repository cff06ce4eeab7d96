// ServiceQuotaCheck's template (exact properties, read-only Service Quotas on Resource * with its
// acknowledged reason, cdk-nag clean, synth-time errors) and its wiring in the MNIST stack: the
// training job waits for it, and its requirements follow the settings.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_SETTINGS, MnistSettingsOverrides, quotaAdvice } from '../../lib/settings';
import { AUTOSCALED_FLEET_REASON, BLUE_GREEN_REASON, SERVERLESS_CONCURRENCY_QUOTA } from '../../lib/mnist/mnist-quotas';
import { QuotaRequirement, ServiceQuotaCheck } from '../../lib/quotas/service-quota-check';
import { awsSolutionsFindings } from '../monitoring/nag-findings';
import { synthMnist } from '../stack/synth';

const REQUIREMENTS: QuotaRequirement[] = [
  { quotaName: 'ml.c5.2xlarge for training job usage', needed: 2, neededBy: 'the training job', advice: 'fewer instances' },
  { quotaName: 'ml.m5.large for endpoint usage', needed: 1, neededBy: 'the endpoint', fleet: { revision: 'r1', maximum: 3, replacementReason: 'two fleets' } },
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
      { QuotaName: 'ml.m5.large for endpoint usage', Needed: 1, FleetRevision: 'r1', FleetMaximum: 3, FleetReplacementReason: 'two fleets', NeededBy: 'the endpoint' },
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
  ['a fleet maximum below needed', [{ ...REQUIREMENTS[1], needed: 4 }], "ServiceQuotaCheck: fleet.maximum for 'ml.m5.large for endpoint usage' must be a whole number of at least needed (4), got 3"],
  ['a fleet without a revision', [{ ...REQUIREMENTS[1], fleet: { revision: ' ', replacementReason: 'two fleets' } }], "ServiceQuotaCheck: the fleet of 'ml.m5.large for endpoint usage' needs a revision and a replacementReason"],
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

  test('default settings: training, real-time (a fleet, by its revision) and serverless quotas; the training job waits for the check', () => {
    const { logicalId, properties, training } = mnistCheck();
    const advice = quotaAdvice(synthMnist({ validate: false }).stack.settings);
    expect(properties.Requirements).toEqual([
      { QuotaName: 'ml.c5.2xlarge for training job usage', Needed: 2, NeededBy: 'the training job (trainingInstanceCount=2 × ml.c5.2xlarge)', Advice: advice.training },
      {
        QuotaName: 'ml.m5.large for endpoint usage', Needed: 1,
        FleetRevision: { 'Fn::Join': ['-', [expect.stringMatching(/^[0-9a-f]{16}$/), { 'Fn::GetAtt': [expect.stringMatching(/Copy/), 'Revision'] }]] }, FleetMaximum: 1, FleetReplacementReason: BLUE_GREEN_REASON,
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

  test('spot training needs the spot quota; a paused real-time endpoint needs none; serverless off needs no concurrency; autoscaled counts at its maximum', () => {
    const { properties } = mnistCheck({ spotTraining: true, pauseRealtimeEndpoint: true, trainingInstanceCount: 1, trainingInstanceType: 'ml.m5.xlarge' });
    expect(properties.Requirements.map((r: { QuotaName: string; Needed: number }) => [r.QuotaName, r.Needed])).toEqual([
      ['ml.m5.xlarge for spot training job usage', 1],
      [SERVERLESS_CONCURRENCY_QUOTA, 1],
    ]);
    const realtimeOnly = mnistCheck({ serverlessEndpoint: false, realtimeInstanceCount: 2, realtimeMaxInstanceCount: 4 });
    expect(realtimeOnly.properties.Requirements.map((r: { QuotaName: string; Needed: number; FleetMaximum?: number }) => [r.QuotaName, r.Needed, r.FleetMaximum]))
      .toEqual([['ml.c5.2xlarge for training job usage', 2, undefined], ['ml.m5.large for endpoint usage', 2, 4]]);
    expect(realtimeOnly.properties.Requirements[1]).toMatchObject({
      NeededBy: 'the real-time endpoint (realtimeInstanceCount=2 × ml.m5.large, autoscaled up to realtimeMaxInstanceCount=4)',
      FleetReplacementReason: `${BLUE_GREEN_REASON}; ${AUTOSCALED_FLEET_REASON}`,
    });
  });

  // CloudFormation sends the check an Update only when its properties change: the fleet revision is
  // what makes a deploy that starts a new real-time fleet (a retrain on the same instance type) run it.
  describe('the real-time fleet revision changes exactly when a deploy starts a new fleet', () => {
    const folders: string[] = [];
    /** A local data folder whose training images end in `lastByte`. */
    const dataFolder = (lastByte: string) => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'quota-fleet-revision-'));
      folders.push(folder);
      fs.writeFileSync(path.join(folder, 'train-images-idx3-ubyte.gz'), `images${lastByte}`);
      fs.writeFileSync(path.join(folder, 'train-labels-idx1-ubyte.gz'), 'labels');
      return folder;
    };
    afterAll(() => folders.forEach((folder) => fs.rmSync(folder, { recursive: true, force: true })));

    const revision = (settings: MnistSettingsOverrides = {}): unknown =>
      mnistCheck(settings).properties.Requirements.find((r: { QuotaName: string }) => r.QuotaName.endsWith('for endpoint usage')).FleetRevision;
    const base = { realtimeMaxInstanceCount: 2 } satisfies MnistSettingsOverrides; // autoscaled, so that a new maximum alone can be tried
    let baseline: unknown;
    beforeAll(() => {
      baseline = revision(base);
    });

    test('the copied sample data\'s revision (known at deploy time) follows the synth-time part: the check waits for the copy', () => {
      const { template } = synthMnist({ settings: base, validate: false });
      const [copyId] = Object.keys(template.findResources('Custom::S3PrefixCopy'));
      expect(baseline).toEqual({ 'Fn::Join': ['-', [expect.stringMatching(/^[0-9a-f]{16}$/), { 'Fn::GetAtt': [copyId, 'Revision'] }]] });
    });

    test.each<[string, MnistSettingsOverrides]>([
      ['a retrain (other hyperparameters)', { hyperparameters: { ...DEFAULT_SETTINGS.hyperparameters, epochs: 2 } }],
      ['another inference image', { inferenceImageTag: '2.5.1-cpu-py311-ubuntu22.04-sagemaker' }],
      ['more instances', { realtimeInstanceCount: 2 }],
      ['data capture', { dataCapturePercent: 10 }],
      ['no autoscaling (another endpoint, beside the old one until cleanup)', { realtimeMaxInstanceCount: 1 }],
    ])('new fleet: %s', (_, settings) => {
      expect(revision({ ...base, ...settings })).not.toEqual(baseline);
    });

    test('new fleet: other local training data (one byte)', () => {
      const one = revision({ ...base, dataSource: 'local', dataLocalPath: dataFolder('1') });
      expect(one).toMatch(/^[0-9a-f]{16}$/);
      expect(revision({ ...base, dataSource: 'local', dataLocalPath: dataFolder('2') })).not.toEqual(one);
    });

    test.each<[string, MnistSettingsOverrides]>([
      ['the same settings', {}],
      ['an alarm e-mail', { alarmEmail: 'ops@example.com' }],
      ['the serverless endpoint', { serverlessMaxConcurrency: 5 }],
      ['another accuracy gate (re-checks the job, never retrains)', { minTestAccuracy: 0.5 }],
      ['another autoscaling maximum (the scalable target only)', { realtimeMaxInstanceCount: 4 }],
      ['another baking period (the endpoint\'s DeploymentConfig only)', { rolloutBakeMinutes: 20 }],
    ])('same fleet: %s', (_, settings) => {
      expect(revision({ ...base, ...settings })).toEqual(baseline);
    });
  });
});
