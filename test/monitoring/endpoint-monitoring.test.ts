import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EndpointKind, IServingEndpoint } from '../../lib/endpoints/serving-endpoint';
import { ServingEndpointBase } from '../../lib/endpoints/serving-endpoint-base';
import { EndpointMonitoring, EndpointMonitoringProps, MonitoredEndpoint, TRAINING_JOB_NAMESPACE } from '../../lib/monitoring/endpoint-monitoring';
import { awsSolutionsFindings } from './nag-findings';

/** Two deployed endpoints, imported by name: the real-time one with the configuration this deploy sets. */
function endpoints(scope: Construct): { realtime: IServingEndpoint; serverless: IServingEndpoint; monitored: MonitoredEndpoint[] } {
  const realtime = ServingEndpointBase.fromEndpointAttributes(scope, 'RealtimeImport', { endpointName: 'mnist-realtime', endpointConfigName: 'mnist-realtime-config-2' });
  const serverless = ServingEndpointBase.fromEndpointAttributes(scope, 'ServerlessImport', { endpointName: 'mnist-serverless', kind: EndpointKind.SERVERLESS });
  return { realtime, serverless, monitored: [{ endpoint: realtime, label: 'Realtime', rollbackAlarms: true }, { endpoint: serverless, label: 'Serverless' }] };
}

function synth(overrides: (monitored: MonitoredEndpoint[], scope: Construct) => Partial<EndpointMonitoringProps> = () => ({})) {
  // CloudFormation's validation (slow) runs in the cdk-nag test below, on the variant with every part.
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Monitored', { env: { account: '123456789012', region: 'us-east-1' } });
  const { realtime, serverless, monitored } = endpoints(stack);
  const monitoring = new EndpointMonitoring(stack, 'Monitoring', { endpoints: monitored, ...overrides(monitored, stack) });
  return { stack, monitoring, realtime, serverless, template: Template.fromStack(stack) };
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
    const { monitoring, stack, realtime: realtimeEndpoint, serverless } = synthDefaults();
    const realtime = monitoring.rollbackAlarmsFor(realtimeEndpoint);
    expect(monitoring.alarmsFor(realtimeEndpoint).rollback).toBe(realtime);
    expect(realtime.namePrefix).toBe('mnist-realtime-rollback-');
    expect(realtime.alarms.map((alarm) => stack.resolve(alarm.alarmName))).toEqual([
      { Ref: expect.stringMatching(/^MonitoringRealtimeRollbackInvocation5XXErrorsAlarm/) },
      { Ref: expect.stringMatching(/^MonitoringRealtimeRollbackModelLatencyAlarm/) },
    ]);
    // Not the endpoint-wide ones: those watch both fleets.
    for (const alarm of realtime.alarms) expect(monitoring.endpointAlarms).not.toContain(alarm);
    expect(monitoring.alarmsFor(serverless).rollback).toBeUndefined();
    expect(() => monitoring.rollbackAlarmsFor(serverless)).toThrow("EndpointMonitoring: endpoint 'Serverless' has no rollback alarms — give it rollbackAlarms: true.");
    const batch = ServingEndpointBase.fromEndpointAttributes(new Stack(), 'Batch', { endpointName: 'batch' });
    expect(() => monitoring.alarmsFor(batch)).toThrow('EndpointMonitoring: endpoint Default/Batch is not one of its endpoints (Realtime, Serverless) — add it to `endpoints`.');
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
    let serverless: IServingEndpoint | undefined;
    const { monitoring, stack } = synth((_, scope) => {
      serverless = ServingEndpointBase.fromEndpointAttributes(scope, 'Configured', { endpointName: 'mnist-serverless', kind: EndpointKind.SERVERLESS, endpointConfigName: 'mnist-serverless-config-1' });
      return { endpoints: [{ endpoint: serverless, label: 'Serverless', rollbackAlarms: true }] };
    });
    expect(monitoring.rollbackAlarmsFor(serverless!).alarms.map((alarm) => (stack.resolve(alarm.alarmName) as { Ref: string }).Ref)).toEqual([
      expect.stringMatching(/RollbackInvocation5XXErrors/), expect.stringMatching(/RollbackModelLatency/), expect.stringMatching(/RollbackOverheadLatency/),
    ]);
  });

  test('alarms on 5xx, 4xx and model latency per endpoint, plus overhead latency for serverless only', () => {
    const { template, monitoring, stack, realtime, serverless } = synthDefaults();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7 + 2); // and the real-time endpoint's two rollback alarms
    const metricOf = (alarm: cloudwatch.Alarm | undefined) => alarm && (alarm.node.defaultChild as cloudwatch.CfnAlarm).metricName;
    const typed = (endpoint: IServingEndpoint) => {
      const { invocation5xxErrors, invocation4xxErrors, modelLatency, overheadLatency } = monitoring.alarmsFor(endpoint);
      return [invocation5xxErrors, invocation4xxErrors, modelLatency, overheadLatency].map(metricOf);
    };
    expect(typed(realtime)).toEqual(['Invocation5XXErrors', 'Invocation4XXErrors', 'ModelLatency', undefined]);
    expect(typed(serverless)).toEqual(['Invocation5XXErrors', 'Invocation4XXErrors', 'ModelLatency', 'OverheadLatency']);
    // The alarms' construct ids (hence logical ids) come from the labels.
    expect(monitoring.alarmsFor(serverless).overheadLatency!.node.id).toBe('ServerlessOverheadLatencyAlarm');
    expect(monitoring.endpointAlarms).toHaveLength(7);
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
    for (const alarm of monitoring.endpointAlarms) {
      const dimensions = stack.resolve((alarm.node.defaultChild as cloudwatch.CfnAlarm).dimensions) as Array<{ name: string }>;
      expect(dimensions.map((d) => d.name).sort()).toEqual(['EndpointName', 'VariantName']);
    }
  });

  test('every endpoint-wide alarm notifies the topic on ALARM and OK; the rollback alarms do not', () => {
    const { template, stack, monitoring, realtime } = synthDefaults();
    const topicRef = { Ref: stack.getLogicalId(monitoring.topic.node.defaultChild as never) };
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'));
    const rollback = new Set(monitoring.rollbackAlarmsFor(realtime).alarms.map((alarm) => stack.getLogicalId(alarm.node.defaultChild as never)));
    expect(alarms.filter(([id]) => !rollback.has(id))).toHaveLength(7);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual(rollback.has(id) ? undefined : [topicRef]);
      expect(alarm.Properties.OKActions).toEqual(rollback.has(id) ? undefined : [topicRef]);
    }
  });

  test('custom thresholds reach the alarms', () => {
    const { template } = synth(() => ({ thresholds: { modelLatencyMs: 250, overheadLatencyMs: 3000, invocation4xxErrors: 20 } }));
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
    const { template, stack, monitoring } = synth(() => ({ alarmEmail: 'ops@example.com' }));
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: stack.getLogicalId(monitoring.topic.node.defaultChild as never) },
    });
  });

  test('dashboard graphs invocations, errors and latency per endpoint, and the training result', () => {
    const { template } = synth(() => ({
      trainingJob: { jobName: 'mnist-train-1', finalMetrics: { 'test:accuracy': '97.8' }, metricNames: ['test:accuracy', 'test:loss'] },
    }));
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
      new EndpointMonitoring(stack, 'Monitoring', { endpoints: endpoints(stack).monitored, alarmEmail: 'ops@example.com' });
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

  test.each<[string, (monitored: MonitoredEndpoint[]) => Partial<EndpointMonitoringProps>, string]>([
    ['nothing to watch', () => ({ endpoints: [] }), 'EndpointMonitoring: `endpoints` is empty and there is no `trainingJob`'],
    ['a label with a hyphen', ([realtime]) => ({ endpoints: [{ ...realtime, label: 'real-time' }] }), "EndpointMonitoring: endpoint label 'real-time' must be letters and digits"],
    ['a label twice', ([realtime]) => ({ endpoints: [realtime, realtime] }), "EndpointMonitoring: endpoint label 'Realtime' is used twice"],
    ['rollback alarms without a configuration', ([, serverless]) => ({ endpoints: [{ ...serverless, rollbackAlarms: true }] }),
      "EndpointMonitoring: endpoint 'Serverless' has rollbackAlarms: true but no endpointConfigName to watch"],
    ['a bad address', () => ({ alarmEmail: 'not-an-address' }), "EndpointMonitoring: alarmEmail 'not-an-address' is not an e-mail address"],
    ['a zero threshold', () => ({ thresholds: { modelLatencyMs: 0 } }), 'EndpointMonitoring: threshold modelLatencyMs must be a positive number'],
  ])('rejects %s with a clear message', (_, overrides, message) => {
    expect(() => synth(overrides)).toThrow(message);
  });

  test('the label defaults to the endpoint\'s construct id', () => {
    const { monitoring, serverless } = synth(([, s]) => ({ endpoints: [{ endpoint: s.endpoint }] }));
    expect(monitoring.alarmsFor(serverless).modelLatency.node.id).toBe('ServerlessImportModelLatencyAlarm');
  });
});
