import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  ListAWSDefaultServiceQuotasCommand,
  ListServiceQuotasCommand,
  ServiceQuota,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { QuotaShortfall, shortfallMessage, Where } from '../shared/quota-advice';
import type { QuotaRequirementProperties, ServiceQuotaCheckProperties } from './properties';
import { errorName } from '../shared/retry';
import { readStackStatus } from '../shared/stack-status';

// The contract with the construct lives beside it, free of the SDK, so lib/ can import it.
export type { QuotaRequirementProperties, ServiceQuotaCheckProperties } from './properties';

/**
 * A pre-flight check of service quotas, as a custom resource: on Create and Update it reads the
 * account's quota values with Service Quotas and fails the deploy, in seconds, when one is below
 * what the stack is about to ask for, with a message that names the quota and says how to raise it
 * and which settings need less of it. Resources that depend on it (a training job) never start.
 *
 * - Values: ListServiceQuotas (the values applied to the account), paged until every quota asked
 *   about is found; quotas it does not list (never applied) come from ListAWSDefaultServiceQuotas.
 * - Best effort: when Service Quotas itself fails (access denied, not offered in the region,
 *   throttled past the SDK's retries) the check logs why and lets the deploy go on. A quota it
 *   cannot find is logged and not checked.
 * - Update: what runs at once, from the old properties and the new. A quota name new on this update
 *   (an endpoint created: unpaused, switched on, or on another instance type) needs only the new
 *   fleet's `Needed`. A fleet whose `FleetRevision` changed is replaced blue/green: the old fleet and
 *   the new one run side by side, each counted at its `FleetMaximum` (an autoscaled fleet may be at
 *   its maximum, and the new one starts with as many), so it needs the old maximum plus the new.
 *   Anything else needs `Needed`. Replacements and requirements that are new or grew can fail an
 *   Update; the others are logged as warnings. CloudFormation's rollback is an Update back to the
 *   old properties, which may need more again: before failing an Update the check asks
 *   (DescribeStacks on its own stack) whether the stack is rolling back, and then only warns, so it
 *   never turns a rollback into UPDATE_ROLLBACK_FAILED.
 * - Delete: nothing to do.
 */

export interface Dependencies {
  readonly serviceQuotas: Pick<ServiceQuotasClient, 'send'>;
  /** Asks for the stack's status before an Update fails (a rollback must not). */
  readonly cloudFormation: Pick<CloudFormationClient, 'send'>;
  readonly region: string;
  readonly log?: (line: string) => void;
}

export interface CheckResponse {
  PhysicalResourceId: string;
}

type Event = CloudFormationCustomResourceEvent & { PhysicalResourceId?: string };

/**
 * Pages (of up to 100 quotas) read from each list before giving up on the quotas not yet found:
 * SageMaker has thousands of quotas (instance types × usages); reading stops as soon as all are found.
 */
export const MAX_PAGES = 60;
/** Characters of the deploy's error given to the shortfalls' full text (CloudFormation takes at most 4 KiB in all). */
export const MESSAGE_BUDGET = 2800;

interface QuotaValue {
  readonly value: number;
  readonly source: 'applied' | 'AWS default';
}

interface Requirement {
  readonly quotaName: string;
  readonly needed: number;
  readonly reason?: string;
  readonly neededBy: string;
  readonly unit?: string;
  readonly advice?: string;
  /** False for an Update that starts no new fleet and asks no more than before: a shortfall is only logged. */
  readonly enforced: boolean;
}

function wholeNumber(value: unknown, what: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Custom::ServiceQuotaCheck: ${what} must be a whole number, got ${JSON.stringify(value)}`);
  return n;
}

function propertiesOf(raw: unknown): ServiceQuotaCheckProperties {
  const props = (raw ?? {}) as Partial<ServiceQuotaCheckProperties>;
  if (typeof props.ServiceCode !== 'string' || !props.ServiceCode) throw new Error('Custom::ServiceQuotaCheck: property ServiceCode is missing');
  if (!Array.isArray(props.Requirements)) throw new Error('Custom::ServiceQuotaCheck: property Requirements must be a list');
  for (const r of props.Requirements) {
    if (!r || typeof r.QuotaName !== 'string' || !r.QuotaName || typeof r.NeededBy !== 'string') {
      throw new Error(`Custom::ServiceQuotaCheck: each requirement needs QuotaName and NeededBy, got ${JSON.stringify(r)}`);
    }
  }
  return props as ServiceQuotaCheckProperties;
}

/** What one requirement's properties ask for. */
interface Need {
  readonly needed: number;
  readonly maximum: number;
  readonly revision?: string;
  readonly replacementReason?: string;
}

function needOf(r: QuotaRequirementProperties): Need {
  const needed = wholeNumber(r.Needed, `Needed of '${r.QuotaName}'`);
  const maximum = r.FleetMaximum === undefined ? needed : wholeNumber(r.FleetMaximum, `FleetMaximum of '${r.QuotaName}'`);
  const revision = typeof r.FleetRevision === 'string' && r.FleetRevision ? r.FleetRevision : undefined;
  return { needed, maximum: Math.max(needed, maximum), revision, replacementReason: r.FleetReplacementReason };
}

/**
 * What each requirement needs on this request, and whether a shortfall fails it. A Create (and a
 * quota new on an Update) starts only the new fleet; a changed fleet revision runs both fleets.
 */
function requirementsOf(event: Event, props: ServiceQuotaCheckProperties): Requirement[] {
  const before = new Map<string, Need>();
  if (event.RequestType === 'Update') {
    const old = (event.OldResourceProperties ?? {}) as Partial<ServiceQuotaCheckProperties>;
    for (const r of Array.isArray(old.Requirements) ? old.Requirements : []) {
      try {
        if (r && !before.has(r.QuotaName)) before.set(r.QuotaName, needOf(r));
      } catch {
        // an unreadable old requirement counts as absent: the new one is enforced
      }
    }
  }
  return props.Requirements.map((r) => {
    const now = needOf(r);
    const old = before.get(r.QuotaName);
    const described = { quotaName: r.QuotaName, neededBy: r.NeededBy, unit: r.Unit, advice: r.Advice };
    if (!old) return { ...described, needed: now.needed, enforced: true };
    if (now.revision !== undefined && now.revision !== old.revision) {
      const sides = `${old.maximum} for the old fleet + ${now.maximum} for the new one`;
      return {
        ...described,
        needed: old.maximum + now.maximum,
        reason: now.replacementReason ? `${sides}; ${now.replacementReason}` : sides,
        enforced: true,
      };
    }
    return { ...described, needed: now.needed, enforced: now.needed > old.needed };
  });
}

type ListCommand = typeof ListServiceQuotasCommand | typeof ListAWSDefaultServiceQuotasCommand;

/** Reads `command`'s pages until every name in `wanted` is in `found` (or the list or MAX_PAGES ends). */
async function collect(
  deps: Dependencies,
  Command: ListCommand,
  serviceCode: string,
  wanted: Set<string>,
  found: Map<string, QuotaValue>,
  source: QuotaValue['source'],
): Promise<number> {
  let token: string | undefined;
  let pages = 0;
  const missing = () => [...wanted].some((name) => !found.has(name));
  while (missing() && pages < MAX_PAGES) {
    const page: { Quotas?: ServiceQuota[]; NextToken?: string } = await deps.serviceQuotas.send(
      new Command({ ServiceCode: serviceCode, MaxResults: 100, NextToken: token }),
    );
    pages++;
    for (const quota of page.Quotas ?? []) {
      if (quota.QuotaName && wanted.has(quota.QuotaName) && !found.has(quota.QuotaName) && typeof quota.Value === 'number') {
        found.set(quota.QuotaName, { value: quota.Value, source });
      }
    }
    token = page.NextToken;
    if (!token) break;
  }
  return pages;
}

/** The values of the quotas named, applied ones first, AWS defaults for the rest. */
async function quotaValues(deps: Dependencies, serviceCode: string, names: Set<string>): Promise<{ values: Map<string, QuotaValue>; calls: number }> {
  const values = new Map<string, QuotaValue>();
  let calls = await collect(deps, ListServiceQuotasCommand, serviceCode, names, values, 'applied');
  if ([...names].some((name) => !values.has(name))) {
    calls += await collect(deps, ListAWSDefaultServiceQuotasCommand, serviceCode, names, values, 'AWS default');
  }
  return { values, calls };
}

/** The shortfalls' paragraphs in one message, the later ones shortened if CloudFormation's limit would cut them. */
export function checkFailureMessage(paragraphs: Array<{ full: string; short: string }>, region: string): string {
  const head =
    `Service quota check: ${paragraphs.length === 1 ? 'a quota is' : `${paragraphs.length} quotas are`} too low in ${region} for what this deploy ` +
    'would start, so it stops now, before it trains or changes an endpoint.';
  let used = head.length;
  const parts = paragraphs.map((p, i) => {
    const text = used + p.full.length + 4 <= MESSAGE_BUDGET ? p.full : `${p.short} (the handler's log has the steps)`;
    used += text.length + 4;
    return `(${i + 1}) ${text}`;
  });
  return [head, ...parts].join(' ');
}

/**
 * True when the stack is rolling back (so this Update restores properties that were deployed
 * before). Unknown (DescribeStacks failed) counts as not rolling back: the shortfall is real, and
 * a forward update would fail on it later anyway.
 */
async function isRollingBack(deps: Dependencies, stackId: string): Promise<boolean> {
  const log = deps.log ?? console.log;
  const stack = await readStackStatus(deps.cloudFormation, stackId);
  if (!stack.known) {
    log(`Could not tell whether the stack is rolling back (DescribeStacks: ${stack.error}); treating it as a forward update`);
    return false;
  }
  log(`Stack status: ${stack.status || 'unknown'}`);
  return stack.rollingBack;
}

export async function onEvent(event: Event, deps: Dependencies): Promise<CheckResponse> {
  const log = deps.log ?? console.log;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? 'service-quota-check' };
  const props = propertiesOf(event.ResourceProperties);
  const physicalId = `service-quota-check-${props.ServiceCode}`;
  const requirements = requirementsOf(event, props);
  if (requirements.length === 0) return { PhysicalResourceId: physicalId };

  const started = Date.now();
  let read: { values: Map<string, QuotaValue>; calls: number };
  try {
    read = await quotaValues(deps, props.ServiceCode, new Set(requirements.map((r) => r.quotaName)));
  } catch (error) {
    // Best effort: a check that cannot read quotas must never be what fails the deploy.
    log(
      `Service quota check skipped: Service Quotas answered ${errorName(error) || 'Error'}: ${(error as Error).message} ` +
        `(the role needs servicequotas:ListServiceQuotas and servicequotas:ListAWSDefaultServiceQuotas). The deploy goes on unchecked.`,
    );
    return { PhysicalResourceId: physicalId };
  }
  log(`Service quota check: read ${props.ServiceCode} quotas in ${read.calls} call(s), ${Date.now() - started} ms`);

  const where: Where = { region: deps.region, serviceCode: props.ServiceCode };
  const failures: Array<{ full: string; short: string }> = [];
  for (const r of requirements) {
    const found = read.values.get(r.quotaName);
    if (!found) {
      log(`Quota '${r.quotaName}' was not found among the ${props.ServiceCode} quotas in ${deps.region}; not checked`);
      continue;
    }
    if (found.value >= r.needed) {
      log(`Quota '${r.quotaName}' is ${found.value} (${found.source} value): enough for ${r.neededBy}, which needs ${r.needed}`);
      continue;
    }
    const shortfall: QuotaShortfall = {
      quotaName: r.quotaName, neededBy: r.neededBy, value: found.value, needed: r.needed, neededReason: r.reason, unit: r.unit, advice: r.advice,
    };
    const full = shortfallMessage(shortfall, where);
    if (!r.enforced) {
      log(`Warning (not failing an update that asks no more than before, e.g. a rollback): ${full}`);
      continue;
    }
    log(full);
    failures.push({
      full,
      short: `Service quota '${r.quotaName}' is ${found.value} ${r.unit ?? 'instances'} in ${deps.region}, and ${r.neededBy} needs ${r.needed}.`,
    });
  }
  if (failures.length > 0) {
    const message = checkFailureMessage(failures, deps.region);
    if (event.RequestType === 'Update' && (await isRollingBack(deps, event.StackId))) {
      log(`Warning only, the stack is rolling back (failing here would leave it UPDATE_ROLLBACK_FAILED): ${message}`);
      return { PhysicalResourceId: physicalId };
    }
    throw new Error(message);
  }
  return { PhysicalResourceId: physicalId };
}
