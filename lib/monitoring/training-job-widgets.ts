import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** A training job whose result is shown on the dashboard. */
export interface MonitoredTrainingJob {
  /** The training job's name (a token is fine). */
  readonly jobName: string;
  /** Final metric values as recorded at deploy time, by metric name (tokens are fine). */
  readonly finalMetrics?: Record<string, string>;
  /** Metric-definition names to graph from CloudWatch (`/aws/sagemaker/TrainingJobs`). */
  readonly metricNames?: string[];
}

/** SageMaker publishes training metrics here, with `Host` = `<job name>/algo-<n>`. */
export const TRAINING_JOB_NAMESPACE = '/aws/sagemaker/TrainingJobs';
/** The dashboard's training row: the job, its final metrics as the deploy recorded them, and the per-epoch graph. */
export function trainingJobWidgets(job: MonitoredTrainingJob): cloudwatch.IWidget[] {
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
