import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { PromotionPointerProperties } from './properties';
import { PointerDependencies, syncPromotionPointer } from './sync-promotion-pointer';

/**
 * The promotion pointer's one handler, for two kinds of events:
 * - EventBridge "SageMaker Model Package State Change" of the group (a version registered,
 *   approved, rejected): the group and the parameter come from GROUP_NAME and PARAMETER_NAME;
 *   another group's event is logged and ignored.
 * - Provider-framework events of `Custom::PromotionPointerSync`: Create and Update sync (a new or
 *   renamed pointer starts at the registry's state, not at `none`); Delete does nothing.
 * Either way the value is recomputed from the registry, never taken from the event.
 */

/** The part of an EventBridge event from SageMaker this handler reads. */
export interface ModelPackageStateChange {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail?: {
    readonly ModelPackageGroupName?: string;
    readonly ModelPackageArn?: string;
    readonly ModelPackageVersion?: number;
    readonly ModelApprovalStatus?: string;
  };
}

export const STATE_CHANGE = 'SageMaker Model Package State Change';

export interface PointerEnvironment {
  readonly GROUP_NAME?: string;
  readonly PARAMETER_NAME?: string;
}

export interface SyncResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly ModelPackageArn: string };
}

export type PointerEvent = ModelPackageStateChange | (CloudFormationCustomResourceEvent & { PhysicalResourceId?: string });

function isCustomResourceEvent(event: PointerEvent): event is CloudFormationCustomResourceEvent {
  return typeof (event as { RequestType?: unknown }).RequestType === 'string';
}

function required(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`Promotion pointer: ${what} is missing`);
  return value;
}

/** Syncs on a state-change event of the group; logs and ignores any other event. */
export async function onStateChange(event: ModelPackageStateChange, deps: PointerDependencies, env: PointerEnvironment): Promise<void> {
  const log = deps.log ?? console.log;
  const groupName = required(env.GROUP_NAME, 'environment variable GROUP_NAME');
  const parameterName = required(env.PARAMETER_NAME, 'environment variable PARAMETER_NAME');
  const detail = event.detail ?? {};
  if (event.source !== 'aws.sagemaker' || event['detail-type'] !== STATE_CHANGE) {
    log(`Ignored an event of source ${event.source} and detail-type ${event['detail-type']}: this handler syncs on "${STATE_CHANGE}" only`);
    return;
  }
  if (detail.ModelPackageGroupName !== groupName) {
    log(`Ignored a state change of ${detail.ModelPackageArn ?? 'a version'} in group ${detail.ModelPackageGroupName ?? '(none)'}: this pointer follows group ${groupName}`);
    return;
  }
  const why = `on the state change of ${detail.ModelPackageArn ?? 'a version'} to ${detail.ModelApprovalStatus ?? 'an unknown status'}`;
  await syncPromotionPointer(deps, { groupName, parameterName }, why);
}

/** Provider-framework onEvent for Custom::PromotionPointerSync. */
export async function onSyncEvent(event: CloudFormationCustomResourceEvent & { PhysicalResourceId?: string }, deps: PointerDependencies): Promise<SyncResponse> {
  const props = (event.ResourceProperties ?? {}) as unknown as Partial<PromotionPointerProperties>;
  const parameterName = required(props.ParameterName, 'property ParameterName');
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? parameterName };
  const groupName = required(props.ModelPackageGroupName, 'property ModelPackageGroupName');
  const { current } = await syncPromotionPointer(deps, { groupName, parameterName }, `on the stack's ${event.RequestType} of ${event.LogicalResourceId}`);
  return { PhysicalResourceId: parameterName, Data: { ModelPackageArn: current } };
}

export async function onEvent(event: PointerEvent, deps: PointerDependencies, env: PointerEnvironment): Promise<SyncResponse | void> {
  if (isCustomResourceEvent(event)) return onSyncEvent(event, deps);
  return onStateChange(event, deps, env);
}
