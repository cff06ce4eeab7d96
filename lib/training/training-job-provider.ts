import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { FINGERPRINT_TAG } from '../../lambda/training-job/fingerprint';
import { bundledHandler, ShippedHandler } from '../common/bundled-handler';
import { grantVolumeKey } from '../common/key-grants';
import { acknowledgeWildcard } from '../common/nag-acknowledge';

export interface TrainingJobProviderProps {
  /** The execution role the jobs run with: onEvent may pass it to SageMaker, and nothing else. */
  readonly executionRole: iam.IRole;
  /** The scoped job-name prefix: the handlers may manage `training-job/<prefix, lower case>-*` only. */
  readonly jobNamePrefix: string;
  /** Where the jobs write `<job>/output/model.tar.gz`: onEvent may HEAD its own jobs' artifacts there. */
  readonly outputS3Uri: string;
  /** The jobs' volume key: SageMaker creates the grant that encrypts volumes on onEvent's behalf. @default - none */
  readonly volumeKmsKey?: kms.IKey;
  /** How often isComplete polls. */
  readonly pollInterval: Duration;
  /** How long the Provider waits for a job. */
  readonly totalTimeout: Duration;
}

/** The backend of Custom::SageMakerTrainingJob: the two handlers, their log group and the Provider that runs them. */
export interface TrainingJobProvider {
  readonly provider: cr.Provider;
  readonly onEventFunction: lambda.IFunction;
  readonly isCompleteFunction: lambda.IFunction;
  readonly logGroup: logs.ILogGroup;
}

/**
 * The Provider framework around lambda/training-job/ (on-event.ts starts or reuses a job,
 * is-complete.ts polls it), created in `scope` under the ids Logs, OnEvent(Role), IsComplete(Role),
 * FrameworkOnEventRole, FrameworkCompleteRole and Provider. Each handler has its own role, scoped to
 * this construct's jobs; every framework role may only write the shared log group.
 */
export function trainingJobProvider(scope: Construct, props: TrainingJobProviderProps): TrainingJobProvider {
  const stack = Stack.of(scope);
  const jobArnPattern = stack.formatArn({
    service: 'sagemaker',
    resource: 'training-job',
    resourceName: `${props.jobNamePrefix.toLowerCase()}-*`,
  });

  const logGroup = new logs.LogGroup(scope, 'Logs', {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const onEvent = handlerFunction(scope, 'OnEvent', 'training-job-on-event', logGroup, Duration.minutes(2));
  const isComplete = handlerFunction(scope, 'IsComplete', 'training-job-is-complete', logGroup, Duration.minutes(2));

  onEvent.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ManageOwnTrainingJobs',
      actions: [
        'sagemaker:CreateTrainingJob',
        'sagemaker:DescribeTrainingJob',
        'sagemaker:StopTrainingJob',
        'sagemaker:AddTags',
        'sagemaker:ListTags',
      ],
      resources: [jobArnPattern],
    }),
  );
  onEvent.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'FindJobsWithSameInputs',
      actions: ['sagemaker:ListTrainingJobs'],
      resources: ['*'],
    }),
  );
  onEvent.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'PassExecutionRoleToSageMaker',
      actions: ['iam:PassRole'],
      resources: [props.executionRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }),
  );
  // Before reusing a finished job, onEvent confirms its model.tar.gz is still there (HeadObject:
  // GetObject). S3 answers a HEAD of a missing key with 403 unless the caller may list that key,
  // so ListBucket too, for exactly these keys. A HEAD reads metadata only: no KMS permission.
  const artifactKeys = modelArtifactKeyPattern(props.outputS3Uri, props.jobNamePrefix);
  const artifactObjects = `arn:${stack.partition}:s3:::${artifactKeys.bucketName}/${artifactKeys.keyPattern}`;
  onEvent.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ConfirmOwnModelArtifacts',
      actions: ['s3:GetObject'],
      resources: [artifactObjects],
    }),
  );
  onEvent.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'MissingArtifactIs404',
      actions: ['s3:ListBucket'],
      resources: [`arn:${stack.partition}:s3:::${artifactKeys.bucketName}`],
      conditions: { StringLike: { 's3:prefix': [artifactKeys.keyPattern] } },
    }),
  );
  if (props.volumeKmsKey) {
    // SageMaker creates the grant that encrypts the instance volumes on the caller's behalf.
    grantVolumeKey(props.volumeKmsKey, onEvent, { sids: { createGrant: 'GrantVolumeKeyToSageMaker', describeKey: 'DescribeVolumeKey' } });
  }
  isComplete.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'DescribeOwnTrainingJobs',
      actions: ['sagemaker:DescribeTrainingJob'],
      resources: [jobArnPattern],
    }),
  );

  const provider = new cr.Provider(scope, 'Provider', {
    onEventHandler: onEvent,
    isCompleteHandler: isComplete,
    queryInterval: props.pollInterval,
    totalTimeout: props.totalTimeout,
    logGroup,
    frameworkOnEventRole: frameworkRole(scope, 'FrameworkOnEventRole', logGroup),
    frameworkCompleteAndTimeoutRole: frameworkRole(scope, 'FrameworkCompleteRole', logGroup),
  });

  acknowledgeWildcard(scope, { resource: jobArnPattern },
    'Every create starts a job with a new timestamped name, so the handlers can only be scoped to training-job/<prefix>-<stack scope>-* (their own jobs, not another stack\'s).');
  acknowledgeWildcard(scope, { resource: artifactObjects },
    'onEvent reads (HEAD) only its own jobs\' model.tar.gz: job names are new on every create, so the key is scoped to <output prefix><prefix>-<stack scope>-*/output/model.tar.gz.');
  acknowledgeWildcard(scope, { resource: '*' },
    'sagemaker:ListTrainingJobs has no resource-level permissions (Service Authorization Reference), so it takes Resource *; ' +
      'it lists names and statuses only, and the handler reuses a job only after ListTags (scoped to its own jobs) confirms the ' +
      `${FINGERPRINT_TAG} tag.`);
  for (const fn of [onEvent, isComplete, frameworkFunction(provider, 'isComplete'), frameworkFunction(provider, 'onTimeout')]) {
    acknowledgeWildcard(scope, { resource: `${fn.functionArn}:*` },
      'The CDK Provider framework grants lambda:InvokeFunction on its own handler function and that function\'s versions (<arn>:*), nothing else.');
  }
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-SF1',
    reason: 'The Provider\'s waiter state machine only re-invokes isComplete on a timer; every poll is logged by the isComplete function.',
  });
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-SF2',
    reason: 'The Provider\'s waiter state machine is a timer loop around one Lambda function; X-Ray tracing would add cost and no insight.',
  });
  return { provider, onEventFunction: onEvent, isCompleteFunction: isComplete, logGroup };
}

/**
 * Where SageMaker writes the model of a job of this construct: `<output prefix>/<job name>/output/model.tar.gz`,
 * job names being `<prefix, lower case>-…` (SageMaker adds the `/` after a prefix that lacks it).
 */
export function modelArtifactKeyPattern(outputS3Uri: string, jobNamePrefix: string): { bucketName: string; keyPattern: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(outputS3Uri);
  if (!match) throw new Error(`outputS3Uri '${outputS3Uri}' is not an S3 URI like s3://bucket/prefix/`);
  const [, bucketName, prefix] = match;
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return { bucketName, keyPattern: `${base}${jobNamePrefix.toLowerCase()}-*/output/model.tar.gz` };
}

/** A bundled handler (AWS SDK v3 included) with its own role that can only write its log group. */
function handlerFunction(scope: Construct, id: string, handler: ShippedHandler, logGroup: logs.ILogGroup, timeout: Duration): lambda.Function {
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grantLogWrite(role, logGroup);
  return bundledHandler(scope, id, { handler, memorySize: 256, timeout, role, logGroup });
}

/** One of the Provider framework's own functions (`framework-onEvent`, `framework-isComplete`, `framework-onTimeout`). */
function frameworkFunction(provider: cr.Provider, entrypoint: string): lambda.IFunction {
  return provider.node.findChild(`framework-${entrypoint}`) as lambda.IFunction;
}

function frameworkRole(scope: Construct, id: string, logGroup: logs.ILogGroup): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grantLogWrite(role, logGroup);
  return role;
}

function grantLogWrite(role: iam.Role, logGroup: logs.ILogGroup): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
}
