/** Facts about SageMaker ML instance types (`ml.<family>.<size>`) that decide images and encryption. */

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
