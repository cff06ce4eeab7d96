import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DlcImage } from './dlc-image';
import { acknowledgeWildcard } from '../common/nag-acknowledge';

export interface SageMakerExecutionRoleProps {
  /** @default 'SageMaker execution role (training jobs and models)' */
  readonly description?: string;
  /** Container images SageMaker pulls with this role. @default - none */
  readonly images?: DlcImage[];
  /** CloudWatch namespaces the containers may publish to. @default ['/aws/sagemaker/*'] */
  readonly metricNamespaces?: string[];
}

/**
 * The role SageMaker assumes for training jobs and models, with no managed policy: it starts
 * with its own log groups, metrics and image pulls. It is `iam.IGrantable`: the resources it uses
 * grant it access (`trainingData.grantRead(role)`, `grantWritePrefix(bucket, prefix, role)`,
 * `grantVolumeKey(key, role)`).
 */
export class SageMakerExecutionRole extends Construct implements iam.IGrantable {
  public readonly role: iam.Role;
  /** The role: grants add to its default policy. */
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: SageMakerExecutionRoleProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: props.description ?? 'SageMaker execution role (training jobs and models)',
    });
    this.grantPrincipal = this.role;

    const sageMakerLogGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws/sagemaker/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteSageMakerLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      resources: [sageMakerLogGroups],
    }));
    acknowledgeWildcard(this.role, { resource: sageMakerLogGroups },
      'SageMaker names its log groups (/aws/sagemaker/TrainingJobs, /aws/sagemaker/Endpoints/<name>) and streams per job and instance at run time; the grant stays inside /aws/sagemaker/.');
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PublishSageMakerMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': props.metricNamespaces ?? ['/aws/sagemaker/*'] } },
    }));
    acknowledgeWildcard(this.role, { resource: '*' },
      'Only two actions use Resource *: ecr:GetAuthorizationToken, which has no resource-level permissions, and cloudwatch:PutMetricData, which has none either and is limited by the cloudwatch:namespace condition.');
    if (props.images && props.images.length > 0) DlcImage.grantPull(this, props.images);
  }
}
