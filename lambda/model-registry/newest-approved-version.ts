import { ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { NO_APPROVED_VERSION } from './properties';

/**
 * The ARN of the group's newest Approved version, or NO_APPROVED_VERSION. ListModelPackages sorts
 * ascending by default: the newest needs SortBy CreationTime, SortOrder Descending. Asking the
 * registry (never trusting an event's own ARN) makes late, repeated or out-of-order events harmless,
 * and a rejection of the newest Approved version falls back to the one approved before it.
 */
export async function newestApprovedVersion(sagemaker: Pick<SageMakerClient, 'send'>, groupName: string): Promise<string> {
  const answer = await sagemaker.send(new ListModelPackagesCommand({
    ModelPackageGroupName: groupName,
    ModelApprovalStatus: 'Approved',
    SortBy: 'CreationTime',
    SortOrder: 'Descending',
    MaxResults: 1,
  }));
  return answer.ModelPackageSummaryList?.[0]?.ModelPackageArn ?? NO_APPROVED_VERSION;
}
