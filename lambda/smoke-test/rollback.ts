// The smoke test stays out of CloudFormation's rollbacks. A triggers.Trigger invokes the function on
// every Create and Update of the trigger, with no payload, and CloudFormation rolls a failed update
// back by sending the trigger an Update with its old properties: the function cannot tell from its
// event. Its stack can. While the stack is *_ROLLBACK_IN_PROGRESS the smoke test sends nothing and
// passes: a rollback restores what was deployed before (and tested then), and a failure now
// (throttling, a cold start, an endpoint not yet reverted) could only turn the rollback into
// UPDATE_ROLLBACK_FAILED, which takes a manual continue-update-rollback to leave.
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { readStackStatus } from '../shared/stack-status';

/** The environment variable the construct sets: the id (ARN) of the stack the function belongs to. */
export const STACK_ID_ENV = 'STACK_ID';

/** The longest the status question may take; on a timeout the smoke test runs, as on a forward deploy. */
const STATUS_TIMEOUT_MS = 30_000;

/** Reads STACK_ID; unset or empty means the function knows no stack and never skips. */
export function readStackId(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env[STACK_ID_ENV]?.trim();
  if (!raw) return undefined;
  if (!/^arn:[^:]+:cloudformation:[^:]+:\d{12}:stack\/[^/]+\/[^/]+$/.test(raw)) {
    throw new Error(
      `${STACK_ID_ENV}=${raw} is not valid: use the stack's id, arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid> ` +
        '(AWS::StackId, as the EndpointSmokeTest construct sets it), or leave it unset to test without asking whether the stack is rolling back.',
    );
  }
  return raw;
}

/**
 * Why the smoke test must not run now (the stack is rolling back), or undefined when it must. A
 * status it cannot read counts as "not rolling back": the check then runs as it always did, so a
 * forward deploy is never left untested because DescribeStacks failed.
 */
export async function rollbackSkipReason(
  client: Pick<CloudFormationClient, 'send'>,
  stackId: string,
  timeBudgetMs: number,
  log: (line: string) => void = console.log,
): Promise<string | undefined> {
  const stack = await readStackStatus(client, stackId, { abortSignal: AbortSignal.timeout(Math.max(1, Math.min(STATUS_TIMEOUT_MS, timeBudgetMs))) });
  if (!stack.known) {
    log(`Could not tell whether stack ${stackId} is rolling back (DescribeStacks: ${stack.error}); running the smoke test as on a forward deploy.`);
    return undefined;
  }
  if (!stack.rollingBack) return undefined;
  return `stack rolling back: stack ${stack.stackName} is ${stack.status}; the smoke test does not run during a rollback, so it cannot turn it into ` +
    `${stack.status.replace(/_IN_PROGRESS$/, '_FAILED')}. To test the endpoints anyway, invoke the function with {"endpointNames": [...]}.`;
}
