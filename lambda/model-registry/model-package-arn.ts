/** The parts of a model package version ARN, `arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>`. */
export interface VersionArnParts {
  /** The group as the ARN writes it (SageMaker lower-cases names in ARNs). */
  readonly groupName: string;
  /** The version number, as a string (the ARN's last segment). */
  readonly version: string;
}

const VERSION_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/([^/]+)\/(\d+)$/;

/** The group and version of a version ARN, or undefined when `arn` is not one. */
export function parseVersionArn(arn: string): VersionArnParts | undefined {
  const match = VERSION_ARN.exec(arn);
  return match ? { groupName: match[1], version: match[2] } : undefined;
}

/** The ARN's last segment (the version for a version ARN), for answers that must never fail. */
export function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
