import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { checkProperties } from './check-properties';
import { deleteAllVersions, groupGoesWithStack } from './delete-versions';
import { findVersion } from './find-version';
import type { ModelPackageVersionProperties } from './properties';
import { registerVersion } from './register-version';
import { registrationKey } from './registration-key';

/**
 * Custom::ModelPackageVersion (Provider framework onEvent):
 * - Create/Update: the version already registered for the same model (registration key in its
 *   description, newest first) is reused as it is, approval status included; otherwise the
 *   model-quality report is written and a new version created with InitialApprovalStatus. A
 *   rollback (the old properties again) therefore finds the old version and creates nothing.
 * - Delete: versions are history, nothing is deleted; except with DeleteVersionsWithStack 'true'
 *   while the stack is being deleted (or its first create rolled back), when every version of the
 *   group goes, so that CloudFormation can delete the group after this resource.
 */

export interface Dependencies {
  readonly sagemaker: Pick<SageMakerClient, 'send'>;
  readonly s3: Pick<S3Client, 'send'>;
  /** For Delete with DeleteVersionsWithStack: asks for the stack's status. @default none (deletes nothing) */
  readonly cloudFormation?: Pick<CloudFormationClient, 'send'>;
  /** The stack's id (env STACK_ID). @default none (deletes nothing) */
  readonly stackId?: string;
  readonly log?: (line: string) => void;
}

export interface VersionResponse {
  PhysicalResourceId: string;
  Data?: {
    ModelPackageArn: string;
    ModelPackageVersion: string;
    ModelPackageGroupName: string;
    ApprovalStatus: string;
    Registered: 'new' | 'existing';
  };
}

export async function onEvent(event: CloudFormationCustomResourceEvent, deps: Dependencies): Promise<VersionResponse> {
  const log = deps.log ?? console.log;
  const raw = event.ResourceProperties as unknown as Record<string, unknown>;
  if (event.RequestType === 'Delete') return onDelete(event.PhysicalResourceId, raw as unknown as Partial<ModelPackageVersionProperties>, deps, log);
  const props = checkProperties(raw);
  const key = registrationKey(props);
  const group = props.ModelPackageGroupName;
  const found = await findVersion(deps.sagemaker, group, key, log);
  if (found) log(`${props.ModelDataUrl} is registered as ${found.arn} (registration ${key}, ${found.approvalStatus}): reusing it`);
  const version = found ?? (await registerVersion(deps, props, key));
  if (!found) log(`Registered ${props.ModelDataUrl} as ${version.arn} (registration ${key}, ${version.approvalStatus})`);
  return {
    PhysicalResourceId: version.arn,
    Data: {
      ModelPackageArn: version.arn,
      ModelPackageVersion: String(version.version),
      ModelPackageGroupName: group,
      ApprovalStatus: version.approvalStatus,
      Registered: found ? 'existing' : 'new',
    },
  };
}

async function onDelete(physicalId: string, props: Partial<ModelPackageVersionProperties>, deps: Dependencies, log: (line: string) => void): Promise<VersionResponse> {
  if (props.DeleteVersionsWithStack !== 'true') {
    log(`Keeping ${physicalId}: model package versions are history`);
    return { PhysicalResourceId: physicalId };
  }
  const group = props.ModelPackageGroupName;
  if (!group) {
    log('DeleteVersionsWithStack is true but no ModelPackageGroupName was given: deleting no version');
    return { PhysicalResourceId: physicalId };
  }
  if (await groupGoesWithStack(deps.cloudFormation, deps.stackId, log)) {
    const deleted = await deleteAllVersions(deps.sagemaker, group, log);
    log(`Deleted the ${deleted.length} versions of ${group}, so that the group can be deleted with the stack`);
  }
  return { PhysicalResourceId: physicalId };
}
