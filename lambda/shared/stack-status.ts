// Is the caller's own stack rolling back? CloudFormation rolls a custom resource (and a trigger) back
// by sending it an Update with the old properties, and nothing in the event or the invocation says
// so; DescribeStacks on the stack does: UPDATE_ROLLBACK_IN_PROGRESS, ROLLBACK_IN_PROGRESS,
// IMPORT_ROLLBACK_IN_PROGRESS. Callers grant cloudformation:DescribeStacks on exactly their stack's
// ARN (AWS::StackId) and ask by that id, which stays valid whatever the stack is named.
import { CloudFormationClient, CloudFormationClientConfig, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { errorName, logRetries, MAX_ATTEMPTS } from './retry';

/** Every status in which CloudFormation is undoing an operation: `*ROLLBACK_IN_PROGRESS`. */
const ROLLING_BACK = /ROLLBACK_IN_PROGRESS$/;

/** What DescribeStacks said about the stack, or why it could not say. */
export type StackStatus =
  | {
      readonly known: true;
      /** '' when DescribeStacks listed no stack. */
      readonly status: string;
      /** The stack's name, from the answer (or the id's ARN when the answer has none). */
      readonly stackName: string;
      readonly rollingBack: boolean;
    }
  | {
      readonly known: false;
      /** `<error name>: <message>` of the failed call. */
      readonly error: string;
    };

/** A CloudFormation client for the status question: the SDK's standard retries (MAX_ATTEMPTS tries), each retry logged. */
export function stackStatusClient(config: CloudFormationClientConfig = {}, log: (line: string) => void = console.log): CloudFormationClient {
  return logRetries(new CloudFormationClient({ maxAttempts: MAX_ATTEMPTS, ...config }), log);
}

/** The stack name inside a stack id (`arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>`). */
export function stackNameOf(stackId: string): string {
  return /:stack\/([^/]+)\//.exec(stackId)?.[1] ?? stackId;
}

/** Asks DescribeStacks about `stackId`. Never throws: a failed call comes back as `known: false`, for the caller to decide. */
export async function readStackStatus(
  client: Pick<CloudFormationClient, 'send'>,
  stackId: string,
  options: { readonly abortSignal?: AbortSignal } = {},
): Promise<StackStatus> {
  try {
    const answer = await client.send(new DescribeStacksCommand({ StackName: stackId }), options);
    const stack = answer.Stacks?.[0];
    const status = stack?.StackStatus ?? '';
    return { known: true, status, stackName: stack?.StackName ?? stackNameOf(stackId), rollingBack: ROLLING_BACK.test(status) };
  } catch (error) {
    return { known: false, error: `${errorName(error) || 'Error'}: ${(error as Error).message}` };
  }
}
