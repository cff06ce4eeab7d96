// The package entry (package.json main/types/exports): the public constructs, their props types and
// the few values a user needs to call them. Everything else under lib/ is internal: an app imports
// from here ('mnist-sagemaker-cdk', or '../../lib' inside this repository), never from lib/<file>.

// Training: the data channel, the job, the role it runs as, the image it runs.
export { TrainingData, type TrainingDataProps, type TrainingDataSource } from './training/training-data';
export { S3PrefixCopy, type S3PrefixCopyProps } from './training/s3-prefix-copy';
export { SageMakerTrainingJob, type SageMakerTrainingJobProps } from './training/training-job';
export type { HyperparameterValue } from '../lambda/training-job/hyperparameters';
export { SageMakerExecutionRole, type SageMakerExecutionRoleProps } from './training/execution-role';
export { DlcImage, type DlcImageProps } from './training/dlc-image';

// Serving: the model and its endpoints, and how a real-time endpoint rolls out an update.
export { grantArtifactRead, pytorchInferenceEnvironment, PyTorchModel, type PyTorchModelProps } from './endpoints/pytorch-model';
export { RegisteredModel, type RegisteredModelProps } from './endpoints/registered-model';
export { EndpointKind, type IServingEndpoint, type ServingEndpointAttributes } from './endpoints/serving-endpoint';
export { ServingEndpointBase } from './endpoints/serving-endpoint-base';
export { RealtimeEndpoint, type RealtimeEndpointProps, type DataCaptureOptions } from './endpoints/realtime-endpoint';
export { ServerlessEndpoint, type ServerlessEndpointProps, SERVERLESS_MEMORY_SIZES_MB } from './endpoints/serverless-endpoint';
export { type EndpointDeploymentOptions, type RollbackAlarms, type RolloutOptions, type RolloutStepSize, type RolloutStrategy } from './endpoints/rollout';

// The model registry: the group, a trained model's version, the pointer to the newest approved
// version, and the guard that serves only an approved one.
export {
  type IModelPackageGroup, ModelPackageGroup, type ModelPackageGroupAttributes, type ModelPackageGroupProps,
} from './registry/model-package-group';
export { type ModelQuality, type ModelQualityMetric, ModelPackageVersion, type ModelPackageVersionProps } from './registry/model-package-version';
export { PromotionPointer, type PromotionPointerProps, type PromotionPointerValueOptions } from './registry/promotion-pointer';
export { ApprovedModelPackage, type ApprovedModelPackageProps } from './registry/approved-model-package';

// Operating: alarms and dashboard, the smoke test and its cases, the quota check.
export {
  type EndpointAlarms, type EndpointAlarmThresholds, EndpointMonitoring, type EndpointMonitoringProps,
  type EndpointRollbackAlarms, type MonitoredEndpoint, type MonitoredTrainingJob,
} from './monitoring/endpoint-monitoring';
export { EndpointSmokeTest, type EndpointSmokeTestProps } from './smoke-test/endpoint-smoke-test';
export { type SmokeTestCase, SmokeTestCases } from './smoke-test/smoke-test-cases';
export { type QuotaFleet, type QuotaRequirement, ServiceQuotaCheck, type ServiceQuotaCheckProps } from './quotas/service-quota-check';

// Storage, key grants for a customer-managed key, and errors.
export { SecureBucket, type SecureBucketProps } from './common/secure-bucket';
export { grantOutputKey, grantVolumeKey, type VolumeKeyGrantOptions } from './common/key-grants';
export { PropValidationError } from './common/prop-validation-error';
export { SettingsError } from './settings/settings-error';

// The ready-made MNIST app: one stack (or a pipeline stage) and its settings.
export { MnistSageMakerStack, type MnistStackProps } from './mnist/mnist-stack';
export { MnistStage, type MnistStageProps, type MnistPipelineOptions } from './mnist/mnist-stage';
export type { PromotionOptions, RegistrySource } from './mnist/model-source';
export type { MnistSettings, MnistSettingsOverrides } from './settings';
