import { ListModelPackagesCommand, ModelPackageSummary, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { keyInDescription } from './registration-key';

/** Versions per ListModelPackages page (SageMaker's maximum). */
export const PAGE_SIZE = 100;
/** Pages read, newest first, when looking for a registration: the 1,000 newest versions. */
export const MAX_FIND_PAGES = 10;

export interface FoundVersion {
  readonly arn: string;
  readonly version: number;
  readonly approvalStatus: string;
}

/**
 * The newest version of `group` registered under `key` (read off each summary's
 * ModelPackageDescription, so no DescribeModelPackage per version), looking at the `maxPages` ×
 * 100 newest versions (SortBy CreationTime, Descending: SageMaker's default order is ascending).
 */
export async function findVersion(
  sagemaker: Pick<SageMakerClient, 'send'>,
  group: string,
  key: string,
  log: (line: string) => void,
  maxPages = MAX_FIND_PAGES,
): Promise<FoundVersion | undefined> {
  let token: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const answer = await sagemaker.send(new ListModelPackagesCommand({
      ModelPackageGroupName: group, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: PAGE_SIZE, NextToken: token,
    }));
    const found = (answer.ModelPackageSummaryList ?? []).find((s) => keyInDescription(s.ModelPackageDescription) === key);
    if (found) return foundVersion(found);
    token = answer.NextToken;
    if (!token) return undefined;
  }
  log(`Looked at the ${maxPages * PAGE_SIZE} newest versions of ${group} for registration ${key} and stopped there: an older version of the same model, if any, is not reused`);
  return undefined;
}

function foundVersion(summary: ModelPackageSummary): FoundVersion {
  const arn = summary.ModelPackageArn!;
  return { arn, version: summary.ModelPackageVersion ?? versionInArn(arn), approvalStatus: summary.ModelApprovalStatus ?? 'PendingManualApproval' };
}

/** The version number at the end of a version ARN (`…:model-package/<group>/<n>`). */
export function versionInArn(arn: string): number {
  const match = /\/(\d+)$/.exec(arn);
  if (!match) throw new Error(`${arn} is not a model package version ARN (…:model-package/<group>/<version>)`);
  return Number(match[1]);
}
