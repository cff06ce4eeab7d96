/**
 * What to tell a user whose deploy hit a SageMaker service quota (pure: no AWS calls).
 *
 * SageMaker refuses a request over an account-level quota with the error ResourceLimitExceeded and
 * a message such as: "The account-level service limit 'ml.m5.large for endpoint usage' is 0
 * Instances, with current utilization of 0 Instances and a request delta of 1 Instances. Please
 * contact AWS support to request an increase for this limit." The name between the quotes is the
 * quota's name in Service Quotas ('<instance type> for <usage> usage', usage being e.g.
 * 'training job', 'spot training job' or 'endpoint'), which is how a user finds it there without
 * knowing its L- code.
 */
import { consoleHost } from './console-links';

/** What SageMaker's ResourceLimitExceeded text says; fields it did not say are undefined. */
export interface ParsedLimit {
  readonly quotaName: string;
  readonly value?: number;
  readonly unit?: string;
  readonly inUse?: number;
  readonly requested?: number;
}

const NUMBER = '(\\d+(?:\\.\\d+)?)';
const FULL_LIMIT = new RegExp(
  `service limit '([^']+)' is ${NUMBER} (\\w+), with current utilization of ${NUMBER} \\w+ and a request delta of ${NUMBER} \\w+`,
);
const NAME_ONLY = /service limit '([^']+)'/;

/** The quota SageMaker's ResourceLimitExceeded message names, with its numbers when it gives them. */
export function parseResourceLimitMessage(text: string): ParsedLimit | undefined {
  const full = FULL_LIMIT.exec(text);
  if (full) {
    return { quotaName: full[1], value: Number(full[2]), unit: full[3], inUse: Number(full[4]), requested: Number(full[5]) };
  }
  const named = NAME_ONLY.exec(text);
  return named ? { quotaName: named[1] } : undefined;
}

/** `ml.m5.large for endpoint usage` → instance type and usage; other quota names → {}. */
export function describeQuotaName(quotaName: string): { instanceType?: string; usage?: string } {
  const match = /^(ml\.[a-z0-9-]+\.[a-z0-9]+) for (.+) usage$/.exec(quotaName);
  return match ? { instanceType: match[1], usage: match[2] } : {};
}

/** The Service Quotas quota name for an instance type and a usage: `ml.c5.2xlarge for training job usage`. */
export function instanceQuotaName(instanceType: string, usage: string): string {
  return `${instanceType} for ${usage} usage`;
}

export interface Where {
  readonly region: string;
  /** The Service Quotas service code, e.g. `sagemaker`. */
  readonly serviceCode: string;
}

/** The Service Quotas console page listing the service's quotas in the region. */
export function quotasConsoleUrl(where: Where): string {
  return `https://${consoleHost(where.region)}/servicequotas/home/services/${where.serviceCode}/quotas`;
}

/**
 * One shell command that asks for `desired` of the quota named `quotaName`, looking up its code by
 * name first. The default list has every quota of the service (ListServiceQuotas leaves out those
 * never applied to the account), and the CLI pages through it before the --query filters.
 */
export function increaseCommand(quotaName: string, desired: number, where: Where): string {
  const common = `--region ${where.region} --service-code ${where.serviceCode}`;
  const lookup = `aws service-quotas list-aws-default-service-quotas ${common} --query "Quotas[?QuotaName=='${quotaName}'].QuotaCode" --output text`;
  return `aws service-quotas request-service-quota-increase ${common} --desired-value ${desired} --quota-code "$(${lookup})"`;
}

/** How to raise a quota: where in the console, the command, and that it is not instant. */
export function howToRaise(quotaName: string, desired: number, where: Where): string {
  return (
    `To raise it to ${desired}: Service Quotas console ${quotasConsoleUrl(where)} (search '${quotaName}', Request increase), or run: ` +
    `${increaseCommand(quotaName, desired, where)} (AWS reviews increases; approval can take from minutes to days).`
  );
}

export interface QuotaShortfall {
  /** The Service Quotas name, e.g. `ml.m5.large for endpoint usage`. */
  readonly quotaName: string;
  /** What needs it, e.g. `training job mnist-…` or `the real-time endpoint (realtimeInstanceCount=1)`. */
  readonly neededBy: string;
  /** The quota's value, when known. */
  readonly value?: number;
  /** Already in use in the account and region, when known. */
  readonly inUse?: number;
  /** What the request adds (SageMaker's request delta) or what the deploy needs in all. */
  readonly needed?: number;
  /** Why `needed` is what it is, when that is not obvious (e.g. a blue/green update's two fleets). */
  readonly neededReason?: string;
  /** Unit of the numbers. @default 'instances' */
  readonly unit?: string;
  /** Cheaper or other settings that need less of this quota. */
  readonly advice?: string;
}

/** The value to ask for: what is in use plus what is needed, or what is needed. */
export function desiredValue(shortfall: QuotaShortfall): number | undefined {
  if (shortfall.needed === undefined) return undefined;
  return (shortfall.inUse ?? 0) + shortfall.needed;
}

/**
 * One paragraph on one quota: the quota (its Service Quotas name, instance type and usage), the
 * numbers known, how to raise it, and the settings to try instead.
 */
export function shortfallMessage(shortfall: QuotaShortfall, where: Where): string {
  const { instanceType, usage } = describeQuotaName(shortfall.quotaName);
  const unit = shortfall.unit ?? 'instances';
  const kind = instanceType ? ` (instance type ${instanceType}, usage: ${usage})` : '';
  const need = shortfall.needed !== undefined
    ? `${shortfall.neededBy} needs ${shortfall.needed}${shortfall.neededReason ? ` (${shortfall.neededReason})` : ''}`
    : undefined;
  const facts = shortfall.value !== undefined
    ? ` is ${shortfall.value} ${unit} in ${where.region}${shortfall.inUse !== undefined ? `, ${shortfall.inUse} in use` : ''}${need ? `, and ${need}` : ''}.`
    : ` is too low in ${where.region}: ${need ?? `${shortfall.neededBy} cannot start`}.`;
  const desired = desiredValue(shortfall);
  const raise = desired !== undefined
    ? howToRaise(shortfall.quotaName, desired, where)
    : `To raise it: Service Quotas console ${quotasConsoleUrl(where)} (search '${shortfall.quotaName}', Request increase).`;
  const instead = shortfall.advice ? ` Settings to try instead: ${shortfall.advice}` : '';
  return `Service quota '${shortfall.quotaName}'${kind}${facts} ${raise}${instead}`;
}

/**
 * The message for a ResourceLimitExceeded answer to a request for `neededBy`: parsed when SageMaker's
 * text names the quota, else built from what the caller knows (`fallback`), SageMaker's own text
 * kept at the end either way.
 */
export function resourceLimitMessage(
  original: string,
  neededBy: string,
  fallback: { quotaName: string; needed?: number; advice?: string },
  where: Where,
): string {
  const parsed = parseResourceLimitMessage(original);
  const shortfall: QuotaShortfall = parsed
    ? {
        quotaName: parsed.quotaName,
        neededBy,
        value: parsed.value,
        inUse: parsed.inUse,
        needed: parsed.requested ?? fallback.needed,
        unit: parsed.unit?.toLowerCase(),
        advice: fallback.advice,
      }
    : { ...fallback, neededBy, quotaName: fallback.quotaName };
  const guessed = parsed ? '' : ' (SageMaker\'s message did not name the quota; this is the one the request needs)';
  return `${shortfallMessage(shortfall, where)}${guessed} SageMaker said: ${original}`;
}
