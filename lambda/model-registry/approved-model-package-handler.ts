import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { errorName } from '../shared/retry';
import { readStackStatus } from '../shared/stack-status';
import { noApprovedVersion, notAVersionArn, pendingVersion, rejectedVersion, unreadableVersion } from './approval-messages';
import { lastSegment, parseVersionArn } from './model-package-arn';
import { ApprovedModelPackageProperties, NO_APPROVED_VERSION } from './properties';

/**
 * `Custom::ApprovedModelPackage`, the guard in front of a model served from the registry:
 * - a forward Create or Update fails unless ModelPackageArn is a version whose ModelApprovalStatus
 *   is Approved (DescribeModelPackage), with a message naming the version, its status, where the
 *   ARN came from (Source) and the fix;
 * - during a rollback (DescribeStacks on STACK_ID says *ROLLBACK_IN_PROGRESS) it checks nothing
 *   and answers from the ARN: the version being restored was deployed before, and a rollback must
 *   never fail. When the stack's status cannot be read the check runs as on a forward update;
 * - Delete does nothing.
 * PhysicalResourceId is the ARN, so a new version is a new resource.
 */

export interface GuardDependencies {
  readonly sagemaker: Pick<SageMakerClient, 'send'>;
  readonly cloudFormation: Pick<CloudFormationClient, 'send'>;
  /** The stack's id (AWS::StackId), to ask whether it is rolling back; without it every update is forward. */
  readonly stackId?: string;
  readonly log?: (line: string) => void;
}

export interface GuardResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: {
    readonly ModelPackageArn: string;
    readonly ModelPackageVersion: string;
    /** As the ARN writes it (lower-case). */
    readonly ModelPackageGroupName: string;
    readonly ApprovalStatus: 'Approved' | 'unchecked (rollback)';
  };
}

type Event = CloudFormationCustomResourceEvent & { PhysicalResourceId?: string };

function propertiesOf(raw: unknown): ApprovedModelPackageProperties {
  const props = (raw ?? {}) as Partial<ApprovedModelPackageProperties>;
  if (typeof props.ModelPackageArn !== 'string' || !props.ModelPackageArn) throw new Error('Custom::ApprovedModelPackage: property ModelPackageArn is missing');
  if (typeof props.Source !== 'string' || !props.Source) throw new Error('Custom::ApprovedModelPackage: property Source is missing');
  return props as ApprovedModelPackageProperties;
}

function answer(arn: string, status: NonNullable<GuardResponse['Data']>['ApprovalStatus']): GuardResponse {
  const parts = parseVersionArn(arn);
  return {
    PhysicalResourceId: arn,
    Data: {
      ModelPackageArn: arn,
      ModelPackageVersion: parts?.version ?? lastSegment(arn),
      ModelPackageGroupName: parts?.groupName ?? '',
      ApprovalStatus: status,
    },
  };
}

async function isRollingBack(deps: GuardDependencies): Promise<boolean> {
  const log = deps.log ?? console.log;
  if (!deps.stackId) return false;
  const stack = await readStackStatus(deps.cloudFormation, deps.stackId);
  if (!stack.known) {
    log(`Could not tell whether the stack is rolling back (DescribeStacks: ${stack.error}); checking the version as on a forward update`);
    return false;
  }
  return stack.rollingBack;
}

/** Fails unless `arn` is an Approved version. */
async function checkApproved(arn: string, source: string, deps: GuardDependencies): Promise<void> {
  if (arn === NO_APPROVED_VERSION) throw new Error(noApprovedVersion(source));
  if (!parseVersionArn(arn)) throw new Error(notAVersionArn(arn, source));
  let status: string;
  try {
    const version = await deps.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    status = version.ModelApprovalStatus ?? 'without an approval status';
  } catch (error) {
    throw new Error(unreadableVersion(arn, source, `${errorName(error) || 'Error'}: ${(error as Error).message}`));
  }
  if (status === 'Rejected') throw new Error(rejectedVersion(arn, source));
  if (status !== 'Approved') throw new Error(pendingVersion(arn, status, source));
}

export async function onEvent(event: Event, deps: GuardDependencies): Promise<GuardResponse> {
  const log = deps.log ?? console.log;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? 'approved-model-package' };
  const { ModelPackageArn: arn, Source: source } = propertiesOf(event.ResourceProperties);
  if (await isRollingBack(deps)) {
    log(`The stack is rolling back: restoring ${arn} from ${source} unchecked (it was deployed before; a rollback must not fail)`);
    return answer(arn, 'unchecked (rollback)');
  }
  await checkApproved(arn, source, deps);
  log(`Model package version ${arn} from ${source} is Approved`);
  return answer(arn, 'Approved');
}
