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
  /**
   * The endpoint configuration this deploy points the endpoint at (a token is fine). Given, the
   * endpoint also gets rollback alarms ({@link EndpointMonitoring.rollbackAlarms}) on the metrics of
   * that configuration's fleet only.
   * @default no rollback alarms
   */
  readonly deployedConfigName?: string;
}

/** The alarms an endpoint update rolls back on, for its `DeploymentConfig`. */
export interface EndpointRollbackAlarms {
  /** This configuration's: 5xx and model latency (serverless: also overhead latency), never 4xx. */
  readonly alarms: cloudwatch.Alarm[];
  /**
   * The name every rollback alarm of this endpoint starts with, this configuration's and any
   * earlier one's (a CloudFormation rollback names the previous configuration's alarms again).
   */
  readonly namePrefix: string;
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
/** The metrics whose alarms mean a new model is failing. Not 4xx: bad requests are the clients' fault. */
const ROLLBACK_METRICS = ['Invocation5XXErrors', 'ModelLatency', 'OverheadLatency'];

/** Every rollback alarm of the endpoint named `endpointName` has a name that starts with this. */
export function rollbackAlarmNamePrefix(endpointName: string): string {
  return `${endpointName}-rollback-`;
}
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * CloudWatch alarms, an encrypted TLS-only SNS topic for them and a dashboard, for a list of
 * SageMaker endpoints (real-time or serverless). Reusable for any model: it only needs names.
 */
export class EndpointMonitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly topicKey: kms.Key;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every endpoint-wide alarm (they notify the topic), keyed `<label>/<metric>` (e.g. `Serverless/OverheadLatency`). */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};
  private readonly rollback: Record<string, EndpointRollbackAlarms> = {};

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
      const metric = (metricName: string, statistic: string, dimensions: Record<string, string> = {}) =>
        new cloudwatch.Metric({
          namespace: NAMESPACE,
          metricName,
          dimensionsMap: { EndpointName: endpoint.endpointName, VariantName: endpoint.variantName, ...dimensions },
          statistic,
          period,
        });
      const invocations = metric('Invocations', 'Sum');
      const errors5xx = metric('Invocation5XXErrors', 'Sum');
      const errors4xx = metric('Invocation4XXErrors', 'Sum');
      const modelLatency = metric('ModelLatency', 'p90');
      const overheadLatency = metric('OverheadLatency', 'p90');

      // One definition per metric, shared by the endpoint-wide alarm and the rollback alarm.
      const definitions = [
        { key: 'Invocation5XXErrors', statistic: 'Sum', threshold: thresholds.invocation5xxErrors, evaluationPeriods: 1,
          description: 'model container returned 5xx (server errors) — see its CloudWatch logs' },
        { key: 'Invocation4XXErrors', statistic: 'Sum', threshold: thresholds.invocation4xxErrors, evaluationPeriods: 1,
          description: 'clients sent bad requests (4xx) — wrong content type or payload shape' },
        { key: 'ModelLatency', statistic: 'p90', threshold: thresholds.modelLatencyMs * 1000, evaluationPeriods: 3,
          description: `p90 model latency >= ${thresholds.modelLatencyMs} ms for 3 periods` },
        ...(endpoint.serverless ? [{ key: 'OverheadLatency', statistic: 'p90', threshold: thresholds.overheadLatencyMs * 1000, evaluationPeriods: 3,
          description: `p90 overhead latency (cold starts) >= ${thresholds.overheadLatencyMs} ms for 3 periods` }] : []),
      ];
      const alarmProps = (d: typeof definitions[number]) => ({
        threshold: d.threshold,
        evaluationPeriods: d.evaluationPeriods,
        datapointsToAlarm: d.evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // An idle endpoint publishes nothing; silence is not an error.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      const endpointAlarms = definitions.map((d) => {
        const alarm = metric(d.key, d.statistic).createAlarm(this, `${endpoint.label}${d.key}Alarm`, {
          ...alarmProps(d),
          alarmDescription: `${endpoint.label} endpoint: ${d.description}`,
        });
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
        this.alarms[`${endpoint.label}/${d.key}`] = alarm;
        return alarm;
      });

      const configName = endpoint.deployedConfigName;
      if (configName !== undefined) {
        // Rollback alarms watch the new fleet only (dimension EndpointConfigName, AWS's "monitor the
        // new fleet" example): an alarm on both fleets would let the old fleet's errors stop a
        // deployment, and a CloudFormation rollback's deployment, whose old fleet is the failed model.
        // The alarm name carries the configuration name, so a new configuration gets NEW alarms (a new
        // name replaces an alarm; an updated alarm would keep its ALARM state), and the previous
        // configuration's alarms stay until the update succeeds, for CloudFormation's rollback to name.
        // No actions: the endpoint-wide alarm of the same metric already notifies.
        const namePrefix = rollbackAlarmNamePrefix(endpoint.endpointName);
        const alarms = definitions.filter((d) => ROLLBACK_METRICS.includes(d.key)).map((d) =>
          metric(d.key, d.statistic, { EndpointConfigName: configName }).createAlarm(this, `${endpoint.label}Rollback${d.key}Alarm`, {
            ...alarmProps(d),
            alarmName: `${namePrefix}${d.key}-${configName}`,
            alarmDescription: `${endpoint.label} endpoint, fleet of configuration ${configName} only: ${d.description}. ` +
              'SageMaker rolls an update to this configuration back when this fires (no notification: the endpoint-wide alarm sends it).',
          }));
        this.rollback[endpoint.label] = { alarms, namePrefix };
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
   * The alarms an update of the endpoint labelled `label` rolls back on (5xx, model latency and,
   * serverless, overhead latency, on the fleet of its `deployedConfigName` only), and the name
   * prefix all of that endpoint's rollback alarms share.
   */
  rollbackAlarms(label: string): EndpointRollbackAlarms {
    const found = this.rollback[label];
    if (!found) {
      const labels = [...new Set(Object.keys(this.alarms).map((k) => k.split('/')[0]))];
      throw new Error(labels.includes(label)
        ? `EndpointMonitoring: endpoint '${label}' has no rollback alarms — give it a deployedConfigName.`
        : `EndpointMonitoring: no endpoint labelled '${label}' (labels: ${labels.join(', ')})`);
    }
    return found;
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
