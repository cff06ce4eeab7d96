import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** One SageMaker endpoint variant to watch. */
export interface MonitoredEndpoint {
  /** Short label for widget titles and construct ids, e.g. `Realtime` (letters and digits only). */
  readonly label: string;
  /**
   * The endpoint's name. A token is fine, but an endpoint whose rollback configuration names these
   * alarms needs its literal name here: a reference would make the alarms wait for the endpoint.
   */
  readonly endpointName: string;
  /** The production variant's name, e.g. `AllTraffic`. */
  readonly variantName: string;
  /** Serverless endpoints also get an `OverheadLatency` alarm (cold starts show up there). */
  readonly serverless: boolean;
}

/** Alarm thresholds; every one has a default that suits a small CPU model. */
export interface EndpointAlarmThresholds {
  /** Sum of 5xx errors in one period that raises the alarm. @default 1 */
  readonly invocation5xxErrors?: number;
  /** Sum of 4xx errors in one period that raises the alarm. @default 5 */
  readonly invocation4xxErrors?: number;
  /** p90 `ModelLatency` in milliseconds. @default 1000 */
  readonly modelLatencyMs?: number;
  /** p90 `OverheadLatency` in milliseconds (serverless only). @default 10000 */
  readonly overheadLatencyMs?: number;
}

/** A training job whose result is shown on the dashboard. */
export interface MonitoredTrainingJob {
  /** The training job's name (a token is fine). */
  readonly jobName: string;
  /** Final metric values as recorded at deploy time, by metric name (tokens are fine). */
  readonly finalMetrics?: Record<string, string>;
  /** Metric-definition names to graph from CloudWatch (`/aws/sagemaker/TrainingJobs`). */
  readonly metricNames?: string[];
}

export interface EndpointMonitoringProps {
  readonly endpoints: MonitoredEndpoint[];
  /** E-mail address subscribed to the alarm topic; the address must confirm the subscription. */
  readonly alarmEmail?: string;
  /** Dashboard name; omitted, CloudFormation generates one (safe for several stages in one account). */
  readonly dashboardName?: string;
  readonly thresholds?: EndpointAlarmThresholds;
  /** Period of every alarm and graph. @default 5 minutes */
  readonly period?: Duration;
  readonly trainingJob?: MonitoredTrainingJob;
}

const NAMESPACE = 'AWS/SageMaker';
/** SageMaker publishes training metrics here, with `Host` = `<job name>/algo-<n>`. */
export const TRAINING_JOB_NAMESPACE = '/aws/sagemaker/TrainingJobs';
const LABEL_PATTERN = /^[A-Za-z][A-Za-z0-9]*$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * CloudWatch alarms, an encrypted TLS-only SNS topic for them and a dashboard, for a list of
 * SageMaker endpoints (real-time or serverless). Reusable for any model: it only needs names.
 */
export class EndpointMonitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly topicKey: kms.Key;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm, keyed `<label>/<metric>` (e.g. `Serverless/OverheadLatency`). */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: EndpointMonitoringProps) {
    super(scope, id);
    validateProps(props);
    const period = props.period ?? Duration.minutes(5);
    const thresholds = {
      invocation5xxErrors: props.thresholds?.invocation5xxErrors ?? 1,
      invocation4xxErrors: props.thresholds?.invocation4xxErrors ?? 5,
      modelLatencyMs: props.thresholds?.modelLatencyMs ?? 1000,
      overheadLatencyMs: props.thresholds?.overheadLatencyMs ?? 10000,
    };

    // CloudWatch can only publish to an encrypted topic whose key it may use: AWS-managed
    // alias/aws/sns does not allow that, so the topic gets its own key.
    this.topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the endpoint alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const cloudwatchPrincipal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [cloudwatchPrincipal],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'SageMaker endpoint alarms',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudwatchPrincipal],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const action = new cwActions.SnsAction(this.topic);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    if (props.trainingJob) {
      this.dashboard.addWidgets(...trainingJobWidgets(props.trainingJob));
    }

    for (const endpoint of props.endpoints) {
      // Alarm metrics carry no label: a labelled metric renders as metric math in the alarm.
      const metric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: NAMESPACE,
          metricName,
          dimensionsMap: { EndpointName: endpoint.endpointName, VariantName: endpoint.variantName },
          statistic,
          period,
        });
      const invocations = metric('Invocations', 'Sum');
      const errors5xx = metric('Invocation5XXErrors', 'Sum');
      const errors4xx = metric('Invocation4XXErrors', 'Sum');
      const modelLatency = metric('ModelLatency', 'p90');
      const overheadLatency = metric('OverheadLatency', 'p90');

      const addAlarm = (key: string, m: cloudwatch.Metric, threshold: number, description: string, evaluationPeriods = 1) => {
        const alarm = m.createAlarm(this, `${endpoint.label}${key}Alarm`, {
          threshold,
          evaluationPeriods,
          datapointsToAlarm: evaluationPeriods,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // An idle endpoint publishes nothing; silence is not an error.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: description,
        });
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
        this.alarms[`${endpoint.label}/${key}`] = alarm;
        return alarm;
      };
      const endpointAlarms = [
        addAlarm('Invocation5XXErrors', errors5xx, thresholds.invocation5xxErrors,
          `${endpoint.label} endpoint: model container returned 5xx (server errors) — see its CloudWatch logs`),
        addAlarm('Invocation4XXErrors', errors4xx, thresholds.invocation4xxErrors,
          `${endpoint.label} endpoint: clients sent bad requests (4xx) — wrong content type or payload shape`),
        addAlarm('ModelLatency', modelLatency, thresholds.modelLatencyMs * 1000,
          `${endpoint.label} endpoint: p90 model latency >= ${thresholds.modelLatencyMs} ms for 3 periods`, 3),
      ];
      if (endpoint.serverless) {
        endpointAlarms.push(
          addAlarm('OverheadLatency', overheadLatency, thresholds.overheadLatencyMs * 1000,
            `${endpoint.label} endpoint: p90 overhead latency (cold starts) >= ${thresholds.overheadLatencyMs} ms for 3 periods`, 3),
        );
      }

      const latencyMetrics = [
        modelLatency.with({ label: 'ModelLatency p90' }),
        overheadLatency.with({ label: 'OverheadLatency p90' }),
      ];
      if (endpoint.serverless) {
        // Serverless only: time to start a fresh container, i.e. the cold start itself.
        latencyMetrics.push(metric('ModelSetupTime', 'Maximum').with({ label: 'ModelSetupTime max' }));
      }
      this.dashboard.addWidgets(
        new cloudwatch.TextWidget({
          markdown: `## ${endpoint.label} endpoint (${endpoint.serverless ? 'serverless' : 'real-time'})`,
          width: 24,
          height: 1,
        }),
      );
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: `${endpoint.label}: invocations`, left: [invocations.with({ label: 'Invocations' })], width: 6 }),
        new cloudwatch.GraphWidget({ title: `${endpoint.label}: errors`, left: [errors4xx.with({ label: '4xx' }), errors5xx.with({ label: '5xx' })], width: 6 }),
        new cloudwatch.GraphWidget({ title: `${endpoint.label}: latency (µs)`, left: latencyMetrics, width: 6 }),
        new cloudwatch.AlarmStatusWidget({ title: `${endpoint.label}: alarms`, alarms: endpointAlarms, width: 6 }),
      );
    }
  }

  /**
   * The alarms that mean a new model is failing, for an endpoint update's auto-rollback: server
   * errors (5xx), model latency and, serverless, overhead latency. Not 4xx: bad requests are the
   * clients' fault, not the new model's. They watch the endpoint's name and variant, which an
   * update keeps, so they cover the old and the new fleet alike.
   */
  rollbackAlarms(label: string): cloudwatch.Alarm[] {
    if (!this.alarms[`${label}/Invocation5XXErrors`]) {
      throw new Error(`EndpointMonitoring: no endpoint labelled '${label}' (labels: ${[...new Set(Object.keys(this.alarms).map((k) => k.split('/')[0]))].join(', ')})`);
    }
    // Only serverless endpoints have an OverheadLatency alarm.
    return ['Invocation5XXErrors', 'ModelLatency', 'OverheadLatency']
      .map((metric) => this.alarms[`${label}/${metric}`])
      .filter((alarm): alarm is cloudwatch.Alarm => alarm !== undefined);
  }
}

function trainingJobWidgets(job: MonitoredTrainingJob): cloudwatch.IWidget[] {
  const finals = Object.entries(job.finalMetrics ?? {})
    .map(([name, value]) => `- final \`${name}\`: **${value}**`)
    .join('\n');
  const widgets: cloudwatch.IWidget[] = [
    new cloudwatch.TextWidget({
      markdown: [
        '## Training job',
        `\`${job.jobName}\``,
        finals,
        'Final values as recorded when the deploy finished training. The graph shows the per-epoch values',
        'SageMaker published; widen the time range to the training run to see them.',
      ].filter((line) => line !== '').join('\n'),
      width: 12,
      height: 6,
    }),
  ];
  if (job.metricNames && job.metricNames.length > 0) {
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Training metrics (per epoch, algo-1)',
        width: 12,
        height: 6,
        left: job.metricNames.map(
          (metricName) =>
            new cloudwatch.Metric({
              namespace: TRAINING_JOB_NAMESPACE,
              metricName,
              dimensionsMap: { Host: `${job.jobName}/algo-1` },
              statistic: 'Average',
              period: Duration.minutes(1),
              label: metricName,
            }),
        ),
      }),
    );
  }
  return widgets;
}

function validateProps(props: EndpointMonitoringProps): void {
  if (props.endpoints.length === 0 && !props.trainingJob) {
    throw new Error('EndpointMonitoring: `endpoints` is empty and there is no `trainingJob` — pass something to watch (or do not create the construct).');
  }
  const seen = new Set<string>();
  for (const endpoint of props.endpoints) {
    if (!LABEL_PATTERN.test(endpoint.label)) {
      throw new Error(`EndpointMonitoring: endpoint label '${endpoint.label}' must be letters and digits, starting with a letter (e.g. 'Realtime').`);
    }
    if (seen.has(endpoint.label)) {
      throw new Error(`EndpointMonitoring: endpoint label '${endpoint.label}' is used twice — give each endpoint its own label.`);
    }
    seen.add(endpoint.label);
  }
  if (props.alarmEmail !== undefined && !Token.isUnresolved(props.alarmEmail) && !EMAIL_PATTERN.test(props.alarmEmail)) {
    throw new Error(`EndpointMonitoring: alarmEmail '${props.alarmEmail}' is not an e-mail address (expected name@example.com).`);
  }
  for (const [name, value] of Object.entries(props.thresholds ?? {})) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new Error(`EndpointMonitoring: threshold ${name} must be a positive number, got ${value}.`);
    }
  }
}
