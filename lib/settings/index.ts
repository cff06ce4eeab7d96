/** The app's settings: the type and defaults, the reader, the rules, and what the stack derives from them. */
export { checkContextKeys, readBooleanContext, resolveSettings } from './context-reader';
export { isGpuInstanceType } from './instance-types';
export { parseBooleanSetting, SettingSource } from './parse-value';
export { QuotaAdvice, quotaAdvice } from './quota-advice';
export { dataS3BucketRegion, partitionOf, SAMPLE_FILES_ONLY_IN_AWS, SAMPLE_FILES_PARTITION, validateSettingsForRegion } from './region-rules';
export { rolloutOptions } from './rollout-settings';
export { s3PrefixProblem } from './s3-prefix';
export { SETTING_NAMES, TRAINING_WAIT_LIMIT_MINUTES } from './schema';
export { SettingsError } from './settings-error';
export {
  BucketEncryptionSetting, DataSource, DEFAULT_HYPERPARAMETERS, DEFAULT_SETTINGS, deploysRealtimeEndpoint, HyperparameterValue, MnistSettings, MnistSettingsOverrides,
} from './settings';
export { settingsWarnings } from './warnings';
