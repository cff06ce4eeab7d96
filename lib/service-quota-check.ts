import * as path from 'path';
import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ServiceQuotaCheckProperties } from '../lambda/service-quota-check/handlers';
import { bundledProvider } from './bundled-provider';
import { acknowledgeWildcard } from './nag-acknowledge';

export interface QuotaRequirement {
  /** The quota's name in Service Quotas, e.g. `ml.m5.large for endpoint usage`. */
  readonly quotaName: string;
  /** What the stack needs when it is created (instances, concurrency, ...). */
  readonly needed: number;
  /** What an update needs, when more (e.g. a blue/green endpoint update runs two fleets). @default needed */
  readonly neededOnUpdate?: number;
  /** Why an update needs `neededOnUpdate`, quoted in the error. */
  readonly neededOnUpdateReason?: string;
  /** What needs the quota, quoted in the error, e.g. `the real-time endpoint (realtimeInstanceCount=1 × ml.m5.large)`. */
  readonly neededBy: string;
  /** Unit of the numbers in the error. @default 'instances' */
  readonly unit?: string;
  /** Settings that need less of this quota, quoted in the error. */
  readonly advice?: string;
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
 * deploy goes on. It runs on Create and whenever its requirements change; an Update fails only on
 * a requirement that grew, and never while the stack rolls back (it asks DescribeStacks on its own
 * stack). Make the expensive resources depend on it.
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
      entry: path.join(__dirname, '..', 'lambda', 'service-quota-check', 'index.ts'),
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
        NeededOnUpdate: r.neededOnUpdate,
        NeededOnUpdateReason: r.neededOnUpdateReason,
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
    if (r.neededOnUpdate !== undefined && (!Number.isSafeInteger(r.neededOnUpdate) || r.neededOnUpdate < r.needed)) {
      throw new Error(`ServiceQuotaCheck: neededOnUpdate for '${r.quotaName}' must be a whole number of at least needed (${r.needed}), got ${r.neededOnUpdate}`);
    }
  }
}
