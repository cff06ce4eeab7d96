import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { errorName } from '../shared/retry';
import { newestApprovedVersion } from './newest-approved-version';

export interface PointerDependencies {
  readonly sagemaker: Pick<SageMakerClient, 'send'>;
  readonly ssm: Pick<SSMClient, 'send'>;
  readonly log?: (line: string) => void;
}

export interface PointerTarget {
  readonly groupName: string;
  readonly parameterName: string;
}

export interface SyncResult {
  /** The pointer's value before this sync. */
  readonly previous: string;
  /** Its value now: the group's newest Approved version ARN, or NO_APPROVED_VERSION. */
  readonly current: string;
  readonly changed: boolean;
}

/**
 * Writes after which the registry is read again: a sync that read the registry just before a
 * change, and wrote after a sync that saw it, reads the registry again after its own write and
 * corrects it. Each round is one list, one read and at most one write.
 */
export const MAX_ROUNDS = 3;

async function readPointer(ssm: PointerDependencies['ssm'], name: string): Promise<string> {
  try {
    const answer = await ssm.send(new GetParameterCommand({ Name: name }));
    return answer.Parameter?.Value ?? '';
  } catch (error) {
    if (errorName(error) === 'ParameterNotFound') {
      throw new Error(`Promotion pointer ${name} does not exist: the stack that declares it (PromotionPointer) creates it; deploy that stack, or fix PARAMETER_NAME`);
    }
    throw error;
  }
}

/**
 * Sets the promotion pointer `target.parameterName` to the newest Approved version of
 * `target.groupName`, writing (PutParameter, Overwrite) only when the value differs, and logs one
 * line saying what changed and `why`.
 */
export async function syncPromotionPointer(deps: PointerDependencies, target: PointerTarget, why: string): Promise<SyncResult> {
  const log = deps.log ?? console.log;
  const { groupName, parameterName } = target;
  let previous: string | undefined;
  let written: string | undefined;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const newest = await newestApprovedVersion(deps.sagemaker, groupName);
    if (written !== undefined && newest === written) return { previous: previous!, current: written, changed: previous !== written };
    const current = await readPointer(deps.ssm, parameterName);
    previous ??= current;
    if (current === newest) {
      if (written === undefined) log(`Promotion pointer ${parameterName} unchanged: ${current} is the newest Approved version of group ${groupName} (${why})`);
      return { previous, current, changed: previous !== current };
    }
    // No Type: the parameter exists (read above) and keeps its type and tier.
    await deps.ssm.send(new PutParameterCommand({ Name: parameterName, Value: newest, Overwrite: true }));
    log(`Promotion pointer ${parameterName}: ${current} → ${newest}, the newest Approved version of group ${groupName} (${why})` +
      (round > 1 ? `; the registry or the pointer changed during the sync, so it was written again (round ${round})` : ''));
    written = newest;
  }
  log(`Promotion pointer ${parameterName}: the registry kept changing for ${MAX_ROUNDS} rounds; left at ${written}, the next state-change event syncs it again`);
  return { previous: previous!, current: written!, changed: previous !== written };
}
