// The registry custom resources' properties, as the constructs in lib/registry/ write them and the
// handlers in this folder read them. CloudFormation delivers every scalar as a string.

/** Approval statuses of a model package version (SageMaker's ModelApprovalStatus). */
export type ModelApprovalStatus = 'PendingManualApproval' | 'Approved' | 'Rejected';

/**
 * `Custom::ModelPackageVersion`: the registry version of one trained model. Create and Update find
 * the version already registered for the same model (same registration key: image, artifact,
 * environment, content types) or create it; a reused training job therefore reuses its version.
 * Delete removes nothing: versions are history.
 */
export interface ModelPackageVersionProperties {
  readonly ModelPackageGroupName: string;
  /** Inference image URI. */
  readonly ImageUri: string;
  /** s3://…/model.tar.gz */
  readonly ModelDataUrl: string;
  /** The inference container's environment (SAGEMAKER_PROGRAM, …), kept in the version. */
  readonly Environment: Record<string, string>;
  readonly ContentTypes: string[];
  readonly ResponseTypes: string[];
  /** Status a NEW version gets; a version found again keeps whatever status it has now. */
  readonly InitialApprovalStatus: ModelApprovalStatus;
  /** Lineage recorded as CustomerMetadataProperties (TrainingJobName, TrainingJobArn, DataRevision, CodeAssetHash, SourceCommit, …); empty values are left out. */
  readonly Lineage: Record<string, string>;
  /**
   * Written as a JSON model-quality report and referenced from the version's ModelMetrics:
   * `{ <ProblemType>: { <name>: { value: Number(Value) * Number(Scale ?? 1), standard_deviation: "NaN" } } }`.
   * Each metric is also recorded in CustomerMetadataProperties as `metric:<name>`.
   */
  readonly ModelQuality?: {
    readonly ProblemType: string;
    readonly Metrics: Record<string, { readonly Value: string; readonly Scale?: string }>;
  };
  /** s3://bucket/prefix/ under which the report is written as `<registration key>/model-quality.json`. */
  readonly ReportS3Prefix: string;
  /** SSE-KMS key for the report. @default the bucket's default encryption */
  readonly ReportKmsKeyId?: string;
  /** @default none */
  readonly Description?: string;
  /**
   * 'true': a Delete while the stack is DELETE_IN_PROGRESS or ROLLBACK_IN_PROGRESS (its first create
   * failed) deletes every version of the group, so that CloudFormation can delete the group after
   * it; in any other status (an update's cleanup or rollback included), or when the status cannot
   * be read, nothing is deleted. The handler asks about its stack by the STACK_ID variable.
   * @default 'false' (Delete removes nothing)
   */
  readonly DeleteVersionsWithStack?: 'true' | 'false';
}

/**
 * `Custom::ApprovedModelPackage`: the guard in front of a model served from the registry. A
 * forward Create/Update fails unless `ModelPackageArn` is a version whose status is Approved;
 * during a rollback (the stack's status ends in ROLLBACK_IN_PROGRESS) it checks nothing and
 * answers from the ARN. Delete does nothing.
 */
export interface ApprovedModelPackageProperties {
  /** A version ARN, or NO_APPROVED_VERSION when the promotion pointer has none yet. */
  readonly ModelPackageArn: string;
  /** Where the ARN came from, quoted in errors (e.g. "the promotion pointer /model-registry/x/approved"). */
  readonly Source: string;
}

/** The promotion pointer's value while the group has no Approved version. */
export const NO_APPROVED_VERSION = 'none';

/**
 * `Custom::PromotionPointerSync`: on Create and Update, sets the promotion pointer (an SSM
 * parameter) to the group's newest Approved version; Delete does nothing. The same handler gets the
 * group's "SageMaker Model Package State Change" events and does the same.
 */
export interface PromotionPointerProperties {
  readonly ModelPackageGroupName: string;
  readonly ParameterName: string;
}
