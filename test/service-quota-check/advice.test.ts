// quota-advice.ts (reading SageMaker's ResourceLimitExceeded text, the raise-it command) and the MNIST
// settings' advice: exact for the defaults, and "cheaper" claimed only where it is true.
import { DEFAULT_SETTINGS, MnistSettings, quotaAdvice } from '../../lib/settings';
import { describeQuotaName, increaseCommand, parseResourceLimitMessage, resourceLimitMessage } from '../../lambda/shared/quota-advice';

const settings = (overrides: Partial<MnistSettings> = {}): MnistSettings => ({ ...DEFAULT_SETTINGS, ...overrides });

describe('SageMaker\'s ResourceLimitExceeded text', () => {
  test('endpoint and training wording (as SageMaker writes it) give the quota and all three numbers', () => {
    expect(parseResourceLimitMessage(
      "The account-level service limit 'ml.m4.xlarge for endpoint usage' is 0 Instances, with current utilization of 0 Instances and a request delta of 1 Instances. Please contact AWS support to request an increase for this limit.",
    )).toEqual({ quotaName: 'ml.m4.xlarge for endpoint usage', value: 0, unit: 'Instances', inUse: 0, requested: 1 });
    expect(parseResourceLimitMessage(
      "An error occurred (ResourceLimitExceeded) when calling the CreateTrainingJob operation: The account-level service limit 'ml.p3.2xlarge for training job usage' is 2 Instances, with current utilization of 1 Instances and a request delta of 2 Instances.",
    )).toEqual({ quotaName: 'ml.p3.2xlarge for training job usage', value: 2, unit: 'Instances', inUse: 1, requested: 2 });
  });

  test('other wordings keep what they say; text naming no quota gives nothing', () => {
    expect(parseResourceLimitMessage("The account- service limit 'Total number of notebook instances' is 8 NotebookInstances, with current utilization of 16 NotebookInstances and a request delta of 1 NotebookInstances."))
      .toEqual({ quotaName: 'Total number of notebook instances', value: 8, unit: 'NotebookInstances', inUse: 16, requested: 1 });
    expect(parseResourceLimitMessage("The account-level service limit 'Number of instances across all training jobs' was reached")).toEqual({ quotaName: 'Number of instances across all training jobs' });
    expect(parseResourceLimitMessage('Request limit exceeded.')).toBeUndefined();
  });

  test('instance quota names give instance type and usage; others give neither', () => {
    expect(describeQuotaName('ml.c5.2xlarge for spot training job usage')).toEqual({ instanceType: 'ml.c5.2xlarge', usage: 'spot training job' });
    expect(describeQuotaName('ml.g5.12xlarge for endpoint usage')).toEqual({ instanceType: 'ml.g5.12xlarge', usage: 'endpoint' });
    expect(describeQuotaName('Maximum total concurrency that can be allocated across all serverless endpoints')).toEqual({});
  });

  test('a quota other than the instance type\'s (a total across jobs) is named as SageMaker names it, numbers from its text', () => {
    const message = resourceLimitMessage(
      "The account-level service limit 'Number of instances across all training jobs' is 4 Instances, with current utilization of 3 Instances and a request delta of 2 Instances.",
      'this job (2 × ml.c5.2xlarge)',
      { quotaName: 'ml.c5.2xlarge for training job usage', needed: 2, advice: '-c trainingInstanceCount=1' },
      { region: 'us-east-1', serviceCode: 'sagemaker' },
    );
    expect(message.startsWith("Service quota 'Number of instances across all training jobs' is 4 instances in us-east-1, 3 in use, and this job (2 × ml.c5.2xlarge) needs 2. To raise it to 5: ")).toBe(true);
  });

  test('the raise-it command looks the code up by name in the default list (which has every quota) and works in other partitions', () => {
    expect(increaseCommand('ml.m5.large for endpoint usage', 2, { region: 'cn-north-1', serviceCode: 'sagemaker' })).toBe(
      'aws service-quotas request-service-quota-increase --region cn-north-1 --service-code sagemaker --desired-value 2 --quota-code ' +
        '"$(aws service-quotas list-aws-default-service-quotas --region cn-north-1 --service-code sagemaker ' +
        '--query "Quotas[?QuotaName==\'ml.m5.large for endpoint usage\'].QuotaCode" --output text)"',
    );
  });
});

describe('MNIST quota advice', () => {
  test('default settings, exactly', () => {
    expect(quotaAdvice(settings())).toEqual({
      training:
        '-c trainingInstanceCount=1 (1 instance of this quota instead of 2; mnist.py trains on one host too, the epoch just takes longer); ' +
        "-c trainingInstanceType=ml.m5.xlarge (4 vCPUs instead of 8, cheaper per hour; its own quota 'ml.m5.xlarge for training job usage'); " +
        "-c spotTraining=true (managed spot training, up to 90% cheaper, may wait for spare capacity; its own quota 'ml.c5.2xlarge for spot training job usage').",
      realtimeEndpoint:
        '-c pauseRealtimeEndpoint=true (no real-time instances at all: the serverless endpoint serves alone, billed per request; set it back to false once the quota is raised); ' +
        "-c realtimeInstanceType=ml.t2.medium (2 vCPUs, 4 GiB, enough for MNIST, about half the hourly price of ml.m5.large; its own quota 'ml.t2.medium for endpoint usage').",
      serverlessEndpoint:
        '-c serverlessEndpoint=false (serve from the real-time endpoint only; not cheaper: its instances bill by the hour); ' +
        'every serverless endpoint in the region counts against this quota, so deleting unused ones frees some.',
    });
  });

  test('"cheaper" only where true: spot → on-demand is not, another training type is not claimed cheaper, no price claim off ml.m5.large', () => {
    const advice = quotaAdvice(settings({ spotTraining: true, trainingInstanceType: 'ml.g4dn.xlarge', trainingInstanceCount: 1, realtimeInstanceType: 'ml.c5.xlarge' }));
    expect(advice.training).toBe(
      "-c trainingInstanceType=ml.m5.xlarge (4 vCPUs, 16 GiB, enough for MNIST; its own quota 'ml.m5.xlarge for spot training job usage'); " +
        "-c spotTraining=false (on-demand, not cheaper; its own quota 'ml.g4dn.xlarge for training job usage').",
    );
    expect(advice.realtimeEndpoint).not.toMatch(/price/);
  });

  test('what the settings make necessary: serverless on with pause, autoscaling off for a burstable type, no self-suggestion', () => {
    const advice = quotaAdvice(settings({ serverlessEndpoint: false, realtimeInstanceCount: 2, realtimeMaxInstanceCount: 4, serverlessMaxConcurrency: 5 }));
    expect(advice.realtimeEndpoint).toContain('add -c serverlessEndpoint=true so that the serverless endpoint serves');
    expect(advice.realtimeEndpoint).toContain('-c realtimeInstanceType=ml.t2.medium -c realtimeMaxInstanceCount=2 (');
    expect(advice.realtimeEndpoint).toContain('-c realtimeInstanceCount=1 (1 instance of this quota instead of 2)');
    expect(quotaAdvice(settings({ realtimeInstanceType: 'ml.t2.medium' })).realtimeEndpoint).not.toContain('realtimeInstanceType');
    expect(quotaAdvice(settings({ trainingInstanceType: 'ml.m5.xlarge' })).training).not.toContain('trainingInstanceType');
    expect(quotaAdvice(settings({ serverlessMaxConcurrency: 5, pauseRealtimeEndpoint: true })).serverlessEndpoint).toBe(
      '-c serverlessMaxConcurrency=1 (1 of this quota instead of 5); every serverless endpoint in the region counts against this quota, so deleting unused ones frees some.',
    );
  });
});
