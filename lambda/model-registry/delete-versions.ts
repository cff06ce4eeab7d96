import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DeleteModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { readStackStatus } from '../shared/stack-status';
import { PAGE_SIZE } from './find-version';

/**
 * The stack statuses in which CloudFormation will delete the group after this resource: the stack
 * is being deleted, or its first create failed and is being rolled back (ROLLBACK_IN_PROGRESS; a
 * failed update's UPDATE_ROLLBACK_* keeps the stack, and its group).
 */
export const GROUP_GOES_WITH = ['DELETE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'];
/** Pages listed when deleting every version: 10,000 versions. */
export const MAX_DELETE_PAGES = 100;

/**
 * Whether a Delete with DeleteVersionsWithStack may delete the group's versions: only when the
 * stack's status (DescribeStacks on `stackId`) says the group goes too. Unknown status: no.
 */
export async function groupGoesWithStack(
  cloudFormation: Pick<CloudFormationClient, 'send'> | undefined,
  stackId: string | undefined,
  log: (line: string) => void,
): Promise<boolean> {
  if (!cloudFormation || !stackId) {
    log('DeleteVersionsWithStack is true but the handler has no STACK_ID to ask about: deleting no version');
    return false;
  }
  const stack = await readStackStatus(cloudFormation, stackId);
  if (!stack.known) {
    log(`DeleteVersionsWithStack is true but the stack's status could not be read (${stack.error}): deleting no version`);
    return false;
  }
  if (!GROUP_GOES_WITH.includes(stack.status)) {
    log(`Stack ${stack.stackName} is ${stack.status || 'not listed'}, not being deleted: its model package versions stay`);
    return false;
  }
  return true;
}

/** Deletes every version of `group`, whatever its approval status; returns their ARNs. */
export async function deleteAllVersions(sagemaker: Pick<SageMakerClient, 'send'>, group: string, log: (line: string) => void): Promise<string[]> {
  const arns: string[] = [];
  let token: string | undefined;
  for (let page = 0; ; page++) {
    if (page === MAX_DELETE_PAGES) {
      throw new Error(`${group} has more than ${MAX_DELETE_PAGES * PAGE_SIZE} versions; deleted none. Delete them with DeleteModelPackage, then retry the stack's deletion`);
    }
    const answer = await sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, MaxResults: PAGE_SIZE, NextToken: token }));
    arns.push(...(answer.ModelPackageSummaryList ?? []).map((s) => s.ModelPackageArn!));
    token = answer.NextToken;
    if (!token) break;
  }
  // Listed first, deleted after: deleting while paging could make SageMaker skip versions.
  for (const arn of arns) {
    await sagemaker.send(new DeleteModelPackageCommand({ ModelPackageName: arn }));
    log(`Deleted ${arn}`);
  }
  return arns;
}
