import type { ModelPackageVersionProperties } from './properties';

type ModelQuality = NonNullable<ModelPackageVersionProperties['ModelQuality']>;

/** A metric's value as recorded: Value × Scale, without binary noise (98.5 × 0.01 is 0.985, not 0.9850000000000001). */
export function scaledMetric(metric: { readonly Value: string; readonly Scale?: string }): number {
  const value = Number(metric.Value) * Number(metric.Scale ?? 1);
  return Number(value.toPrecision(12));
}

/**
 * The model-quality report SageMaker's model registry shows for a version (ModelMetrics.ModelQuality.Statistics):
 * `{ <ProblemType>: { <metric>: { value, standard_deviation: "NaN" } } }`, metrics in name order.
 */
export function qualityReport(quality: ModelQuality): Record<string, Record<string, { value: number; standard_deviation: string }>> {
  const metrics = Object.keys(quality.Metrics).sort().map((name) => [name, { value: scaledMetric(quality.Metrics[name]), standard_deviation: 'NaN' }] as const);
  return { [quality.ProblemType]: Object.fromEntries(metrics) };
}

/** Where a version's report lives: `<ReportS3Prefix><registration key>/model-quality.json`. */
export function reportLocation(reportS3Prefix: string, key: string): { s3Uri: string; bucket: string; objectKey: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(reportS3Prefix);
  if (!match) throw new Error(`ReportS3Prefix '${reportS3Prefix}' is not an s3://bucket/prefix/ URL`);
  const objectKey = `${match[2]}${key}/model-quality.json`;
  return { s3Uri: `s3://${match[1]}/${objectKey}`, bucket: match[1], objectKey };
}
