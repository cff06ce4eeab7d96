import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EndpointMonitoring, EndpointMonitoringProps, TRAINING_JOB_NAMESPACE } from '../../lib/monitoring/endpoint-monitoring';
import { awsSolutionsFindings } from './nag-findings';

const ENDPOINTS: EndpointMonitoringProps['endpoints'] = [
  { label: 'Realtime', endpointName: 'mnist-realtime', variantName: 'AllTraffic', serverless: false, deployedConfigName: 'mnist-realtime-config-2' },
  { label: 'Serverless', endpointName: 'mnist-serverless', variantName: 'AllTraffic', serverless: true },
];

function synth(overrides: Partial<EndpointMonitoringProps> = {}) {
  // CloudFormation's validation (slow) runs in the cdk-nag test below, on the variant with every part.
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Monitored', { env: { account: '123456789012', region: 'us-east-1' } });
  const monitoring = new EndpointMonitoring(stack, 'Monitoring', { endpoints: ENDPOINTS, ...overrides });
  return { stack, monitoring, template: Template.fromStack(stack) };
}

let defaults: ReturnType<typeof synth> | undefined;
/** The default props' synthesis, shared by the tests that only read it. */
const synthDefaults = () => (defaults ??= synth());

/** The dashboard body with its Fn::Join flattened, tokens rendered as JSON. */
function dashboardBody(template: Template): string {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0].Properties.DashboardBody;
  if (typeof body === 'string') return body;
  const [, parts] = body['Fn::Join'] as [string, unknown[]];
  return parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
}

describe('EndpointMonitoring', () => {
  test('rollback alarms: 5xx and model latency of the deployed configuration, for an endpoint that names one; never 4xx', () => {
    const { monitoring, stack } = synthDefaults();
    const realtime = monitoring.rollbackAlarms('Realtime');
    expect(realtime.namePrefix).toBe('mnist-realtime-rollback-');
    expect(realtime.alarms.map((alarm) => stack.resolve(alarm.alarmName))).toEqual([
      { Ref: expect.stringMatching(/^MonitoringRealtimeRollbackInvocation5XXErrorsAlarm/) },
      { Ref: expect.stringMatching(/^MonitoringRealtimeRollbackModelLatencyAlarm/) },
    ]);
    // Not the endpoint-wide ones: those watch both fleets.
    for (const alarm of realtime.alarms) expect(Object.values(monitoring.alarms)).not.toContain(alarm);
    expect(() => monitoring.rollbackAlarms('Serverless')).toThrow("EndpointMonitoring: endpoint 'Serverless' has no rollback alarms — give it a deployedConfigName.");
    expect(() => monitoring.rollbackAlarms('Batch')).toThrow("EndpointMonitoring: no endpoint labelled 'Batch' (labels: Realtime, Serverless)");
  });

  test('a rollback alarm watches the new fleet only (AWS: "Monitor model latency on the new fleet"), is named after its configuration and notifies no one', () => {
    const { template } = synthDefaults();
    const rollback = template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp('-rollback-') } });
    expect(Object.values(rollback).map((r) => r.Properties)).toEqual([
      {
        Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Statistic: 'Sum', Period: 300, Threshold: 1, EvaluationPeriods: 1, DatapointsToAlarm: 1,
        AlarmName: 'mnist-realtime-rollback-Invocation5XXErrors-mnist-realtime-config-2',
        Dimensions: [
          { Name: 'EndpointConfigName', Value: 'mnist-realtime-config-2' }, { Name: 'EndpointName', Value: 'mnist-realtime' }, { Name: 'VariantName', Value: 'AllTraffic' },
        ],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching', AlarmDescription: expect.stringContaining('SageMaker rolls an update to this configuration back'),
      },
      {
        Namespace: 'AWS/SageMaker', MetricName: 'ModelLatency', ExtendedStatistic: 'p90', Period: 300, Threshold: 1_000_000, EvaluationPeriods: 3, DatapointsToAlarm: 3,
        AlarmName: 'mnist-realtime-rollback-ModelLatency-mnist-realtime-config-2',
        Dimensions: [
          { Name: 'EndpointConfigName', Value: 'mnist-realtime-config-2' }, { Name: 'EndpointName', Value: 'mnist-realtime' }, { Name: 'VariantName', Value: 'AllTraffic' },
        ],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching', AlarmDescription: expect.any(String),
      },
    ]);
  });

  test('a serverless endpoint that names its configuration also rolls back on overhead latency', () => {
    const { monitoring, stack } = synth({ endpoints: [{ ...ENDPOINTS[1], deployedConfigName: 'mnist-serverless-config-1' }] });
    expect(monitoring.rollbackAlarms('Serverless').alarms.map((alarm) => (stack.resolve(alarm.alarmName) as { Ref: string }).Ref)).toEqual([
      expect.stringMatching(/RollbackInvocation5XXErrors/), expect.stringMatching(/RollbackModelLatency/), expect.stringMatching(/RollbackOverheadLatency/),
    ]);
  });

  test('alarms on 5xx, 4xx and model latency per endpoint, plus overhead latency for serverless only', () => {
    const { template, monitoring, stack } = synthDefaults();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7 + 2); // and the real-time endpoint's two rollback alarms
    expect(Object.keys(monitoring.alarms).sort()).toEqual([
      'Realtime/Invocation4XXErrors', 'Realtime/Invocation5XXErrors', 'Realtime/ModelLatency',
      'Serverless/Invocation4XXErrors', 'Serverless/Invocation5XXErrors', 'Serverless/ModelLatency', 'Serverless/OverheadLatency',
    ]);
    const dims = (endpoint: string) => Match.arrayWith([
      { Name: 'EndpointName', Value: endpoint }, { Name: 'VariantName', Value: 'AllTraffic' },
    ]);
    for (const endpoint of ['mnist-realtime', 'mnist-serverless']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Dimensions: dims(endpoint),
        Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Invocation4XXErrors', Dimensions: dims(endpoint), Statistic: 'Sum', Threshold: 5,
      });
      // SageMaker reports latency in microseconds: 1000 ms → 1,000,000.
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ModelLatency', Dimensions: dims(endpoint), ExtendedStatistic: 'p90', Threshold: 1_000_000, EvaluationPeriods: 3,
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OverheadLatency', Dimensions: dims('mnist-serverless'), ExtendedStatistic: 'p90', Threshold: 10_000_000,
    });
    const overhead = template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'OverheadLatency' } });
    expect(Object.keys(overhead)).toHaveLength(1);
    for (const alarm of Object.values(monitoring.alarms)) {
      const dimensions = stack.resolve((alarm.node.defaultChild as cloudwatch.CfnAlarm).dimensions) as Array<{ name: string }>;
      expect(dimensions.map((d) => d.name).sort()).toEqual(['EndpointName', 'VariantName']);
    }
  });

  test('every endpoint-wide alarm notifies the topic on ALARM and OK; the rollback alarms do not', () => {
    const { template, stack, monitoring } = synthDefaults();
    const topicRef = { Ref: stack.getLogicalId(monitoring.topic.node.defaultChild as never) };
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'));
    const rollback = new Set(monitoring.rollbackAlarms('Realtime').alarms.map((alarm) => stack.getLogicalId(alarm.node.defaultChild as never)));
    expect(alarms.filter(([id]) => !rollback.has(id))).toHaveLength(7);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual(rollback.has(id) ? undefined : [topicRef]);
      expect(alarm.Properties.OKActions).toEqual(rollback.has(id) ? undefined : [topicRef]);
    }
  });

  test('custom thresholds reach the alarms', () => {
    const { template } = synth({ thresholds: { modelLatencyMs: 250, overheadLatencyMs: 3000, invocation4xxErrors: 20 } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', Threshold: 250_000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OverheadLatency', Threshold: 3_000_000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocation4XXErrors', Threshold: 20 });
  });

  test('topic is KMS-encrypted with a rotating key CloudWatch may use, and TLS-only', () => {
    const { template } = synthDefaults();
    const keys = Object.keys(template.findResources('AWS::KMS::Key'));
    expect(keys).toEqual([expect.stringMatching(/^MonitoringAlarmTopicKey/)]);
    const [keyId] = keys;
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      PendingWindowInDays: 7,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      })]) },
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
      ]) },
    });
  });

  test('e-mail subscription only when an address is given', () => {
    synthDefaults().template.resourceCountIs('AWS::SNS::Subscription', 0);
    const { template, stack, monitoring } = synth({ alarmEmail: 'ops@example.com' });
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: stack.getLogicalId(monitoring.topic.node.defaultChild as never) },
    });
  });

  test('dashboard graphs invocations, errors and latency per endpoint, and the training result', () => {
    const { template } = synth({
      trainingJob: { jobName: 'mnist-train-1', finalMetrics: { 'test:accuracy': '97.8' }, metricNames: ['test:accuracy', 'test:loss'] },
    });
    const body = dashboardBody(template);
    for (const endpoint of ['mnist-realtime', 'mnist-serverless']) {
      for (const metric of ['Invocations', 'Invocation4XXErrors', 'Invocation5XXErrors', 'ModelLatency', 'OverheadLatency']) {
        expect(body).toContain(`["AWS/SageMaker","${metric}","EndpointName","${endpoint}","VariantName","AllTraffic"`);
      }
    }
    // Cold-start time exists only for serverless endpoints.
    expect(body).toContain('"ModelSetupTime","EndpointName","mnist-serverless"');
    expect(body).not.toContain('"ModelSetupTime","EndpointName","mnist-realtime"');
    expect(body).toContain('final `test:accuracy`: **97.8**');
    expect(body).toContain(`["${TRAINING_JOB_NAMESPACE}","test:accuracy","Host","mnist-train-1/algo-1"`);
    expect(body).toContain(`["${TRAINING_JOB_NAMESPACE}","test:loss","Host","mnist-train-1/algo-1"`);
  });

  test('cdk-nag AwsSolutions finds nothing to report, with no acknowledgements', () => {
    const findings = awsSolutionsFindings((app) => {
      const stack = new Stack(app, 'Monitored', { env: { account: '123456789012', region: 'us-east-1' } });
      new EndpointMonitoring(stack, 'Monitoring', { endpoints: ENDPOINTS, alarmEmail: 'ops@example.com' });
    });
    expect(findings).toEqual([]);
  });

  test('the nag helper does report a real finding (an unencrypted topic)', () => {
    const findings = awsSolutionsFindings((app) => {
      const stack = new Stack(app, 'Bad');
      new sns.Topic(stack, 'Plain');
    });
    expect(findings).toEqual(expect.arrayContaining(['AwsSolutions-SNS3 at Bad/Plain/Resource']));
  });

  test.each([
    [{ endpoints: [] }, /endpoints` is empty/],
    [{ endpoints: [{ ...ENDPOINTS[0], label: 'real-time' }] }, /label 'real-time' must be letters and digits/],
    [{ endpoints: [ENDPOINTS[0], ENDPOINTS[0]] }, /label 'Realtime' is used twice/],
    [{ alarmEmail: 'not-an-address' }, /alarmEmail 'not-an-address' is not an e-mail address/],
    [{ thresholds: { modelLatencyMs: 0 } }, /threshold modelLatencyMs must be a positive number/],
  ])('rejects bad props with a clear message (%#)', (overrides, message) => {
    expect(() => synth(overrides as Partial<EndpointMonitoringProps>)).toThrow(message);
  });
});
