/** AWS console links for log lines and error messages (partition-aware). */

export function consoleHost(region: string): string {
  if (region.startsWith('cn-')) return 'console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'console.amazonaws-us-gov.com';
  return `${region}.console.aws.amazon.com`;
}

/** CloudWatch Logs console fragment encoding: path parts twice ('/' → '$252F'), the query once ('?' → '$3F'). */
function cloudWatchEscape(text: string, times: 1 | 2): string {
  const encoded = times === 2 ? encodeURIComponent(encodeURIComponent(text)) : encodeURIComponent(text);
  return encoded.replace(/%/g, '$');
}

export function trainingJobConsoleUrl(region: string, jobName: string): string {
  return `https://${consoleHost(region)}/sagemaker/home?region=${region}#/jobs/${jobName}`;
}

/** The job's log streams (`<job-name>/algo-N-<timestamp>`) in `/aws/sagemaker/TrainingJobs`. */
export function trainingJobLogsUrl(region: string, jobName: string): string {
  const group = cloudWatchEscape('/aws/sagemaker/TrainingJobs', 2);
  const query = cloudWatchEscape(`?logStreamNameFilter=${jobName}`, 1);
  return `https://${consoleHost(region)}/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${group}${query}`;
}
