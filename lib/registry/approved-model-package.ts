import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ApprovedModelPackageProperties } from '../../lambda/model-registry/properties';
import { bundledProvider } from '../common/bundled-provider';
import { acknowledgeWildcard } from '../common/nag-acknowledge';
import type { IModelPackageGroup } from './model-package-group';

export interface ApprovedModelPackageProps {
  /** The group the version belongs to; typically imported from the registry's account (ModelPackageGroup.fromModelPackageGroupAttributes). */
  readonly group: IModelPackageGroup;
  /** The version to deploy (a token: PromotionPointer.valueFor, or a pinned version ARN), or `none`. */
  readonly modelPackageArn: string;
  /** Where the ARN comes from, quoted in errors, e.g. `the promotion pointer /model-registry/mnist-models/approved-version`. */
  readonly source: string;
}

/**
 * The guard in front of a model served from the registry: at deploy time it fails the deploy unless
 * `modelPackageArn` is a version whose approval status is Approved (DescribeModelPackage), with a
 * message that names the version, its status, the source and the fix. `none` (the pointer of a group
 * with no Approved version) fails the same way. During a CloudFormation rollback it checks nothing
 * (it asks DescribeStacks on its own stack): the version being restored was deployed before, and
 * a rollback must never fail. Make what deploys the version (the model) use `modelPackageArn` from
 * here, so it is created only after the check.
 */
export class ApprovedModelPackage extends Construct {
  public readonly resource: CustomResource;
  public readonly handler: lambda.IFunction;
  /** The checked version's ARN (the same ARN as given, known only once the check passed). */
  public readonly modelPackageArn: string;
  /** The version number (the ARN's last segment). */
  public readonly modelPackageVersion: string;

  constructor(scope: Construct, id: string, props: ApprovedModelPackageProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // One DescribeStacks and one DescribeModelPackage, each retried by the SDK: seconds.
    const { role, handler, provider } = bundledProvider(this, { handler: 'approved-model-package', timeout: Duration.minutes(1) });
    this.handler = handler;
    handler.addEnvironment('STACK_ID', stack.stackId);
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadVersionStatus',
      actions: ['sagemaker:DescribeModelPackage'],
      resources: [props.group.versionArnPattern],
    }));
    // Before checking: is the stack rolling back? (A rollback must never fail here.)
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadOwnStackStatus',
      actions: ['cloudformation:DescribeStacks'],
      resources: [stack.stackId],
    }));

    const properties: ApprovedModelPackageProperties = { ModelPackageArn: props.modelPackageArn, Source: props.source };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ApprovedModelPackage',
      properties: properties as unknown as Record<string, unknown>,
      serviceTimeout: Duration.minutes(10),
    });
    this.modelPackageArn = this.resource.getAttString('ModelPackageArn');
    this.modelPackageVersion = this.resource.getAttString('ModelPackageVersion');

    acknowledgeWildcard(this, { resource: props.group.versionArnPattern },
      "sagemaker:DescribeModelPackage on the group's versions (model-package/<group>/*): the version to check is known only at deploy time.");
    acknowledgeWildcard(this, { resource: `${handler.functionArn}:*` },
      'The CDK Provider framework grants lambda:InvokeFunction on its handler function and that function\'s versions (<arn>:*), nothing else.');
  }
}
