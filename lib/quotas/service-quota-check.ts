import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ServiceQuotaCheckProperties } from '../../lambda/service-quota-check/properties';
import { bundledProvider } from '../common/bundled-provider';
import { acknowledgeWildcard } from '../common/nag-acknowledge';

export interface QuotaRequirement {
  /** The quota's name in Service Quotas, e.g. `ml.m5.large for endpoint usage`. */
  readonly quotaName: string;
  /** What the stack starts when it is created (instances, concurrency, ...), and a fleet that starts on an update. */
  readonly needed: number;
  /** What needs the quota, quoted in the error, e.g. `the real-time endpoint (realtimeInstanceCount=1 × ml.m5.large)`. */
  readonly neededBy: string;
  /** Unit of the numbers in the error. @default 'instances' */
  readonly unit?: string;
  /** Settings that need less of this quota, quoted in the error. */
  readonly advice?: string;
  /**
   * Set when the quota is held by a fleet that a deploy replaces blue/green (an endpoint's instances).
   * @default - not a fleet: an update needs `needed`, as a create does
   */
  readonly fleet?: QuotaFleet;
}

/** A fleet that a deploy replaces blue/green: the old one runs until the new one has taken the traffic. */
export interface QuotaFleet {
  /**
   * Changes whenever a deploy starts a new fleet, and only then (e.g. a synth-time hash of the
   * endpoint configuration and what it is built from). An update that changes it needs the old
   * fleet's maximum plus this one's; one that does not needs `needed`.
   */
  readonly revision: string;
  /** The most instances the fleet runs (autoscaling's maximum); a replacement counts both fleets at it. @default needed */
  readonly maximum?: number;
  /** Why a replacement runs both fleets at once, quoted in the error. */
  readonly replacementReason: string;
}

export interface ServiceQuotaCheckProps {
  /** Service Quotas service code, e.g. `sagemaker`. */
  readonly serviceCode: string;
  readonly requirements: QuotaRequirement[];
}

/**
 * A pre-flight check of service quotas: at deploy time, before the resources that depend on it,
 * it reads the account's quota values (Service Quotas) and fails the deploy in seconds when one is
 * below a requirement, with a message naming the quota, how to raise it and the settings to try.
 * Best effort: if Service Quotas cannot be read (access, region, throttling) it logs why and the
 * deploy goes on. It runs on Create and whenever its requirements change, a fleet's revision
 * included. An Update needs what will run at once: a quota new to it only the new fleet, a fleet
 * whose revision changed both fleets at their maximum. It fails only on a replaced fleet or a
 * requirement that is new or grew, and never while the stack rolls back (it asks DescribeStacks on
 * its own stack). Make the expensive resources depend on it.
 */
export class ServiceQuotaCheck extends Construct {
  public readonly resource: CustomResource;
  public readonly handler: lambda.IFunction;

  constructor(scope: Construct, id: string, props: ServiceQuotaCheckProps) {
    super(scope, id);
    validate(props);

    // The handler may write its log group; the statements below add what it calls.
    // Two lists of up to 60 pages, each call retried by the SDK under throttling: seconds, a minute or two at worst.
    const { role, handler, provider } = bundledProvider(this, {
      handler: 'service-quota-check',
      timeout: Duration.minutes(3),
    });
    this.handler = handler;
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadQuotaValues',
      actions: ['servicequotas:ListServiceQuotas', 'servicequotas:ListAWSDefaultServiceQuotas'],
      resources: ['*'],
    }));
    // Before failing an Update: is the stack rolling back? (A rollback must never fail here.)
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadOwnStackStatus',
      actions: ['cloudformation:DescribeStacks'],
      resources: [Stack.of(this).stackId],
    }));


    const properties: ServiceQuotaCheckProperties = {
      ServiceCode: props.serviceCode,
      Requirements: props.requirements.map((r) => ({
        QuotaName: r.quotaName,
        Needed: r.needed,
        FleetRevision: r.fleet?.revision,
        FleetMaximum: r.fleet && (r.fleet.maximum ?? r.needed),
        FleetReplacementReason: r.fleet?.replacementReason,
        NeededBy: r.neededBy,
        Unit: r.unit,
        Advice: r.advice,
      })),
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ServiceQuotaCheck',
      properties: properties as unknown as Record<string, unknown>,
      // A check of seconds: a stuck one should not hold the deploy for CloudFormation's default hour.
      serviceTimeout: Duration.minutes(10),
    });

    acknowledgeWildcard(this, { resource: '*' },
      'servicequotas:ListServiceQuotas and servicequotas:ListAWSDefaultServiceQuotas have no resource-level permissions (Service Authorization Reference: no resource types), so they take Resource *; both only read quota values.');
    acknowledgeWildcard(this, { resource: `${handler.functionArn}:*` },
      'The CDK Provider framework grants lambda:InvokeFunction on its handler function and that function\'s versions (<arn>:*), nothing else.');
  }
}

function validate(props: ServiceQuotaCheckProps): void {
  if (!/^[a-z0-9-]+$/.test(props.serviceCode)) {
    throw new Error(`ServiceQuotaCheck serviceCode '${props.serviceCode}' is not a Service Quotas service code such as 'sagemaker'`);
  }
  if (props.requirements.length === 0) throw new Error('ServiceQuotaCheck requirements is empty: there is nothing to check');
  const names = new Set<string>();
  for (const r of props.requirements) {
    if (!r.quotaName.trim() || !r.neededBy.trim()) throw new Error('ServiceQuotaCheck: each requirement needs a quotaName and a neededBy');
    if (names.has(r.quotaName)) {
      throw new Error(`ServiceQuotaCheck: quota '${r.quotaName}' is required twice; give it once with the sum of what both need`);
    }
    names.add(r.quotaName);
    if (!Number.isSafeInteger(r.needed) || r.needed < 1) {
      throw new Error(`ServiceQuotaCheck: needed for '${r.quotaName}' must be a whole number of at least 1, got ${r.needed}`);
    }
    const fleet = r.fleet;
    if (!fleet) continue;
    if (!fleet.revision.trim() || !fleet.replacementReason.trim()) {
      throw new Error(`ServiceQuotaCheck: the fleet of '${r.quotaName}' needs a revision and a replacementReason`);
    }
    if (fleet.maximum !== undefined && (!Number.isSafeInteger(fleet.maximum) || fleet.maximum < r.needed)) {
      throw new Error(`ServiceQuotaCheck: fleet.maximum for '${r.quotaName}' must be a whole number of at least needed (${r.needed}), got ${fleet.maximum}`);
    }
  }
}
