// The package entry's public API (lib/index.ts): adding or removing an export is a decision, made
// here, not a side effect of moving a file.
import * as entry from '../lib';

test('lib/index.ts exports exactly the public constructs, values and errors', () => {
  expect(Object.keys(entry).sort()).toEqual([
    'ApprovedModelPackage', 'DlcImage', 'EndpointKind', 'EndpointMonitoring', 'EndpointSmokeTest', 'MnistSageMakerStack', 'MnistStage',
    'ModelPackageGroup', 'ModelPackageVersion', 'PromotionPointer', 'PropValidationError',
    'PyTorchModel', 'RealtimeEndpoint', 'RegisteredModel', 'S3PrefixCopy', 'SERVERLESS_MEMORY_SIZES_MB', 'SageMakerExecutionRole', 'SageMakerTrainingJob',
    'SecureBucket', 'ServerlessEndpoint', 'ServiceQuotaCheck', 'ServingEndpointBase', 'SettingsError', 'SmokeTestCases', 'TrainingData',
    'grantArtifactRead', 'grantOutputKey', 'grantVolumeKey', 'pytorchInferenceEnvironment',
  ]);
  // Each construct is the class itself, not undefined from a type-only re-export.
  for (const name of ['TrainingData', 'SageMakerTrainingJob', 'ServerlessEndpoint', 'EndpointSmokeTest', 'SmokeTestCases', 'ModelPackageGroup', 'ModelPackageVersion', 'RegisteredModel'] as const) {
    expect(typeof entry[name]).toBe('function');
  }
});
