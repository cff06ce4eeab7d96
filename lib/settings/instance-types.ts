/** Facts about SageMaker ML instance types (`ml.<family>.<size>`): which exist, and what decides images and encryption. */
import * as fs from 'fs';
import { ProductionVariantInstanceType, TrainingInstanceType } from '@aws-sdk/client-sagemaker';
import { nearestName } from './did-you-mean';

/** The shape of a SageMaker instance type (`ml.m5.large`, `ml.p6-b200.48xlarge`); whether SageMaker lists it is {@link unlistedInstanceTypeProblem}. */
export const INSTANCE_TYPE_PATTERN = /^ml\.[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/** GPU instance families (ml.g4dn, ml.g5, ml.p3, ml.p4d, …) need the GPU image tags. */
export function isGpuInstanceType(instanceType: string): boolean {
  return /^ml\.[gp]\d+[a-z]*\./.test(instanceType);
}

/**
 * Families with local NVMe instance storage (the `d` families such as ml.m5d, ml.c6id, ml.g4dn,
 * ml.p4d, and ml.g5/g6/p5): their storage is encrypted by the hardware and SageMaker refuses a
 * volume KMS key for them (CreateTrainingJob's VolumeKmsKeyId, CreateEndpointConfig's KmsKeyId).
 */
export function hasInstanceStorage(instanceType: string): boolean {
  const family = instanceType.split('.')[1] ?? '';
  return /(d|dn|de)$/.test(family) || /^(g5|g6|g6e|gr6|p5|p5e|p5en)$/.test(family);
}

/** Inferentia and Trainium families (ml.inf*, ml.trn*) run Neuron images only. */
export function isNeuronInstanceType(instanceType: string): boolean {
  return /^ml\.(inf|trn)\d/.test(instanceType);
}

/** Burstable families (ml.t2, ml.t3, …), which SageMaker does not autoscale. */
export function isBurstableInstanceType(instanceType: string): boolean {
  return /^ml\.t\d/.test(instanceType);
}

export type InstanceTypeUse = 'training' | 'real-time endpoints';

/**
 * The instance types SageMaker has for each use, from its API model as the AWS SDK ships it (the
 * enums of CreateTrainingJob's ResourceConfig and CreateEndpointConfig's ProductionVariant): each
 * SDK release carries the types added since, so `npm update @aws-sdk/client-sagemaker` keeps it current.
 */
export const SAGEMAKER_INSTANCE_TYPES: Readonly<Record<InstanceTypeUse, readonly string[]>> = {
  'training': Object.values(TrainingInstanceType),
  'real-time endpoints': Object.values(ProductionVariantInstanceType),
};

/** Where {@link SAGEMAKER_INSTANCE_TYPES} comes from, with the version installed, for messages. */
export const INSTANCE_TYPE_LIST_SOURCE = `@aws-sdk/client-sagemaker ${sdkVersion()}`;

function sdkVersion(): string {
  const manifest = fs.readFileSync(require.resolve('@aws-sdk/client-sagemaker/package.json'), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

/**
 * Why SageMaker would refuse `instanceType` for `use`, with the nearest type it has (a typo, a
 * cut-off name, a type offered only for the other use), as a sentence; undefined when it is listed.
 */
export function unlistedInstanceTypeProblem(instanceType: string, use: InstanceTypeUse): string | undefined {
  const listed = SAGEMAKER_INSTANCE_TYPES[use];
  if (listed.includes(instanceType)) return undefined;
  const otherUse = (Object.keys(SAGEMAKER_INSTANCE_TYPES) as InstanceTypeUse[]).find((u) => u !== use && SAGEMAKER_INSTANCE_TYPES[u].includes(instanceType));
  const reason = otherUse ? `SageMaker offers it for ${otherUse}, not for ${use}` : `SageMaker has no such instance type for ${use}`;
  const near = nearestName(instanceType, listed) ?? nearestName(`ml.${instanceType}`, listed);
  if (near) return `${reason}; did you mean ${near}?`;
  const family = instanceType.split('.').slice(0, 2).join('.');
  const sameFamily = listed.filter((t) => t.startsWith(`${family}.`)).sort((a, b) => a.length - b.length || a.localeCompare(b));
  return sameFamily.length ? `${reason}; its ${family} types are ${sameFamily.join(', ')}.` : `${reason}.`;
}
