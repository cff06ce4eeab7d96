/** Where a stack's served model comes from: its own training job, or the registry's promoted version. */

/** Serve an approved version from a model registry instead of training (the pipeline's prod). */
export interface RegistrySource {
  /** The group the versions are in (the training stack's). */
  readonly modelPackageGroupName: string;
  /** The registry's account. @default this stack's account */
  readonly account?: string;
  /**
   * The registry's region: it must be this stack's (SageMaker creates a model only from a version
   * in its own region). @default this stack's region
   */
  readonly region?: string;
  /**
   * Serve exactly this version (an earlier approved one, to roll back without retraining).
   * @default the promotion pointer's version: the group's newest Approved one
   */
  readonly version?: number;
  /** The promotion pointer the training stack keeps (an SSM parameter in the registry's account). */
  readonly pointerParameterName: string;
}

/** A training stack's registry as the source of another stack's model (see PromotionPointer). */
export interface PromotionOptions {
  /**
   * Accounts that deploy this registry's versions: the group's resource policy, the bucket
   * policy, the KMS key policy and the pointer's share admit them. @default none (same account)
   */
  readonly consumerAccounts?: string[];
  /** @default `/model-registry/<group>/approved-version` */
  readonly pointerParameterName?: string;
}
