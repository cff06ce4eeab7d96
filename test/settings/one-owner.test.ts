import { TrainingInstanceType } from '@aws-sdk/client-sagemaker';
import { Duration } from 'aws-cdk-lib';
import * as path from 'path';
import { SERVERLESS_MAX_CONCURRENCY, SERVERLESS_MEMORY_SIZES_MB } from '../../lib/endpoints/serverless-endpoint';
import { EMAIL_PATTERN } from '../../lib/monitoring/endpoint-monitoring';
import { INSTANCE_TYPE_PATTERN } from '../../lib/settings/instance-types';
import { SCHEMA } from '../../lib/settings/schema';
import { validateTrainingJobProps } from '../../lib/training/limits';

// Each limit has one owner, the construct it limits (or the module of SageMaker's facts); the
// settings schema takes the owner's constant, so the setting and the construct cannot drift apart.

test('the settings schema takes each limit from its owner, not a copy', () => {
  const schema = SCHEMA as unknown as Record<string, { oneOf?: unknown; max?: unknown; pattern?: unknown }>;
  // The very same objects (toBe): a copy, even an identical one today, is what drifts.
  expect(schema.serverlessMemoryMb.oneOf).toBe(SERVERLESS_MEMORY_SIZES_MB);
  expect(schema.serverlessMaxConcurrency.max).toBe(SERVERLESS_MAX_CONCURRENCY);
  expect(schema.serverlessProvisionedConcurrency.max).toBe(SERVERLESS_MAX_CONCURRENCY);
  expect(schema.alarmEmail.pattern).toBe(EMAIL_PATTERN);
  expect(schema.trainingInstanceType.pattern).toBe(INSTANCE_TYPE_PATTERN);
  expect(schema.realtimeInstanceType.pattern).toBe(INSTANCE_TYPE_PATTERN);
});

test('the training job takes every instance type SageMaker lists for training (ml.p6-b200.48xlarge has a hyphen)', () => {
  const props = {
    sourceDirectory: path.join(__dirname, '..', '..', 'model-code'),
    entryPoint: 'mnist.py',
    hyperparameters: {},
    instanceCount: 1,
    maxRuntime: Duration.minutes(30),
    inputChannels: [],
    metricDefinitions: [],
    jobNamePrefix: 'mnist',
  };
  const timing = { pollInterval: Duration.seconds(30), serviceTimeout: Duration.hours(1), totalTimeout: Duration.minutes(55) };
  const refused = Object.values(TrainingInstanceType).filter((instanceType) => {
    try {
      validateTrainingJobProps({ ...props, instanceType }, timing);
      return false;
    } catch {
      return true;
    }
  });
  expect(refused).toEqual([]);
});
