import type { CreateTrainingJobCommandInput } from '@aws-sdk/client-sagemaker';
import { FINGERPRINT_TAG } from './fingerprint';
import { CODE_CHANNEL_DIRECTORY, CODE_CHANNEL_NAME, scriptModeHyperparameters } from './hyperparameters';

/**
 * The custom resource's properties, as the construct writes them. CloudFormation delivers every
 * scalar in custom-resource properties as a string ("2", "true"), so the parsers accept both.
 */
export interface TrainingJobProperties {
  readonly JobNamePrefix: string;
  readonly TrainingImage: string;
  readonly RoleArn: string;
  readonly EntryPoint: string;
  /** s3:// URI of sourcedir.tar.gz. */
  readonly CodeS3Uri: string;
  /** User hyperparameters, already JSON-encoded (the handler adds the sagemaker_* ones). */
  readonly HyperParameters: Record<string, string>;
  readonly MetricDefinitions: Array<{ Name: string; Regex: string }>;
  readonly InstanceType: string;
  readonly InstanceCount: string | number;
  readonly VolumeSizeInGB: string | number;
  readonly MaxRuntimeInSeconds: string | number;
  /** Revision: what the data under S3Uri is (e.g. its copy's ETags); fingerprinted, never sent to SageMaker. */
  readonly InputChannels: Array<{ Name: string; S3Uri: string; Revision?: string }>;
  readonly OutputS3Uri: string;
  readonly OutputKmsKeyId?: string;
  readonly VolumeKmsKeyId?: string;
  /** CheckpointS3Uri is a base: each job checkpoints under `<base>/<training fingerprint>/`. */
  readonly Spot?: { MaxWaitTimeInSeconds: string | number; CheckpointS3Uri: string };
  readonly EnableNetworkIsolation?: string | boolean;
  readonly EnableInterContainerTrafficEncryption?: string | boolean;
  readonly MinimumMetric?: { Name: string; Value: string | number };
  /** Optional tag value naming the owner (stack/logical id). */
  readonly OwnerTag?: string;
  /**
   * Settings to try when SageMaker refuses the job with ResourceLimitExceeded (e.g. a smaller
   * instance type), quoted in the error. Not a training input: it never changes the fingerprint.
   */
  readonly QuotaAdvice?: string;
}

export function requireString(props: object, key: string): string {
  const value = (props as Record<string, unknown>)[key];
  if (typeof value !== 'string' || value === '') throw new Error(`Custom resource property ${key} is missing or empty`);
  return value;
}

export function parseInteger(value: unknown, what: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`${what} must be an integer, got ${JSON.stringify(value)}`);
  return n;
}

export function parseNumber(value: unknown, what: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new Error(`${what} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

export function parseBoolean(value: unknown, what: string): boolean {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`${what} must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * Where a job trained from `fingerprint` keeps its checkpoints: one prefix per fingerprint, so a
 * job never restores another configuration's state, while a new job with the very same inputs
 * (e.g. after a spot job ran out of MaxWaitTime, or a deploy that failed for another reason)
 * resumes from what the earlier one saved.
 */
export function checkpointS3Uri(base: string, fingerprint: string): string {
  return `${base.replace(/\/*$/, '/')}${fingerprint}/`;
}

/** The CreateTrainingJob request for `jobName`, built the way the SageMaker Python SDK builds it. */
export function buildCreateTrainingJobRequest(
  props: TrainingJobProperties,
  jobName: string,
  region: string,
  fingerprint: string,
): CreateTrainingJobCommandInput {
  const networkIsolation = parseBoolean(props.EnableNetworkIsolation, 'EnableNetworkIsolation');
  const codeS3Uri = requireString(props, 'CodeS3Uri');
  // With network isolation the container cannot reach S3: the code comes in as the `code` channel
  // and the toolkit extracts it from the local path (SDK: CONTAINER_CODE_CHANNEL_SOURCEDIR_PATH).
  const codeFileName = codeS3Uri.slice(codeS3Uri.lastIndexOf('/') + 1);
  const submitDirectory = networkIsolation ? `${CODE_CHANNEL_DIRECTORY}/${codeFileName}` : codeS3Uri;

  const channels = (props.InputChannels ?? []).map((channel) => ({
    ChannelName: channel.Name,
    DataSource: {
      S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: channel.S3Uri, S3DataDistributionType: 'FullyReplicated' as const },
    },
    InputMode: 'File' as const,
  }));
  if (networkIsolation) {
    if (channels.some((c) => c.ChannelName === CODE_CHANNEL_NAME)) {
      throw new Error(`Input channel name '${CODE_CHANNEL_NAME}' is reserved for the code when network isolation is on`);
    }
    channels.push({
      ChannelName: CODE_CHANNEL_NAME,
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: codeS3Uri, S3DataDistributionType: 'FullyReplicated' } },
      InputMode: 'File',
    });
  }

  const maxRuntime = parseInteger(props.MaxRuntimeInSeconds, 'MaxRuntimeInSeconds');
  const request: CreateTrainingJobCommandInput = {
    TrainingJobName: jobName,
    AlgorithmSpecification: {
      TrainingImage: requireString(props, 'TrainingImage'),
      TrainingInputMode: 'File',
      MetricDefinitions: (props.MetricDefinitions ?? []).map((m) => ({ Name: m.Name, Regex: m.Regex })),
      EnableSageMakerMetricsTimeSeries: true,
    },
    RoleArn: requireString(props, 'RoleArn'),
    HyperParameters: {
      ...props.HyperParameters,
      ...scriptModeHyperparameters({
        submitDirectory,
        program: requireString(props, 'EntryPoint'),
        jobName,
        region,
      }),
    },
    InputDataConfig: channels.length > 0 ? channels : undefined,
    OutputDataConfig: {
      S3OutputPath: requireString(props, 'OutputS3Uri'),
      ...(props.OutputKmsKeyId ? { KmsKeyId: props.OutputKmsKeyId } : {}),
    },
    ResourceConfig: {
      InstanceType: requireString(props, 'InstanceType') as NonNullable<CreateTrainingJobCommandInput['ResourceConfig']>['InstanceType'],
      InstanceCount: parseInteger(props.InstanceCount, 'InstanceCount'),
      VolumeSizeInGB: parseInteger(props.VolumeSizeInGB, 'VolumeSizeInGB'),
      ...(props.VolumeKmsKeyId ? { VolumeKmsKeyId: props.VolumeKmsKeyId } : {}),
    },
    StoppingCondition: { MaxRuntimeInSeconds: maxRuntime },
    EnableNetworkIsolation: networkIsolation,
    EnableInterContainerTrafficEncryption: parseBoolean(
      props.EnableInterContainerTrafficEncryption,
      'EnableInterContainerTrafficEncryption',
    ),
    // The fingerprint tag is how a later Create/Update recognises a job trained from the same inputs.
    Tags: [...(props.OwnerTag ? [{ Key: 'managed-by', Value: props.OwnerTag }] : []), { Key: FINGERPRINT_TAG, Value: fingerprint }],
  };
  if (props.Spot) {
    request.EnableManagedSpotTraining = true;
    request.StoppingCondition = {
      MaxRuntimeInSeconds: maxRuntime,
      MaxWaitTimeInSeconds: parseInteger(props.Spot.MaxWaitTimeInSeconds, 'Spot.MaxWaitTimeInSeconds'),
    };
    request.CheckpointConfig = { S3Uri: checkpointS3Uri(requireString(props.Spot, 'CheckpointS3Uri'), fingerprint), LocalPath: '/opt/ml/checkpoints' };
  }
  return request;
}
