/**
 * A training script's SageMaker metric definitions as it declares them (model-code/metrics.json),
 * beside the format of the log line they read: the script prints that line from the same file, so
 * the line and its regexes are written once (model-code/tests/test_metrics.py and
 * test/metric-definitions.test.ts tie them).
 */
import * as fs from 'fs';

/** One SageMaker metric definition: the value is the regex's first group. */
export interface MetricDefinition {
  readonly name: string;
  readonly regex: string;
}

/** Reads `metricDefinitions` of a declaration file; a malformed one is the script author's bug, named with its file. */
export function readMetricDefinitions(file: string): MetricDefinition[] {
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  const definitions = (parsed as { metricDefinitions?: unknown })?.metricDefinitions;
  const wellFormed = (entry: unknown): entry is MetricDefinition =>
    typeof (entry as MetricDefinition)?.name === 'string' && typeof (entry as MetricDefinition)?.regex === 'string';
  if (!Array.isArray(definitions) || !definitions.every(wellFormed)) {
    throw new Error(`${file}: expected {"metricDefinitions": [{"name": …, "regex": …}, …]}`);
  }
  return definitions.map(({ name, regex }) => ({ name, regex }));
}
