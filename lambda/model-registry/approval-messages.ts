// The guard's failure messages: each names the version, where its ARN came from and the fix.
// CloudFormation shows them as the resource's status reason (at most 4 KiB): keep them one paragraph.
import { NO_APPROVED_VERSION } from './properties';

const APPROVE = (arn: string) =>
  `approve it (the pipeline's approval step, or \`aws sagemaker update-model-package --model-package-arn ${arn} --model-approval-status Approved\` in the registry's account)`;

export function noApprovedVersion(source: string): string {
  return `No approved model package version to deploy: ${source} is '${NO_APPROVED_VERSION}', the group has no Approved version yet. ` +
    `Register a version and ${APPROVE('<version arn>')}, then deploy again.`;
}

export function notAVersionArn(arn: string, source: string): string {
  return `'${arn}' from ${source} is not a model package version ARN (arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>): ` +
    'pin a version ARN, or leave the version to the promotion pointer.';
}

export function pendingVersion(arn: string, status: string, source: string): string {
  return `Model package version ${arn} from ${source} is ${status}, not Approved: only an Approved version may be deployed here. ` +
    `To deploy it, ${APPROVE(arn)} and deploy again.`;
}

export function rejectedVersion(arn: string, source: string): string {
  return `Model package version ${arn} from ${source} is Rejected: a rejected version can never be deployed here. ` +
    `Deploy an Approved version instead: approve a newer one (the promotion pointer then moves to it), or pin an Approved version's ARN.`;
}

export function unreadableVersion(arn: string, source: string, error: string): string {
  return `Could not read model package version ${arn} from ${source} (DescribeModelPackage: ${error}). ` +
    "Check that the version exists, and that the group's resource policy admits this account when the registry is in another account.";
}
