import { ArnFormat, IResource, RemovalPolicy, Resource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { PropValidationError } from '../common/prop-validation-error';

/** SageMaker's rule for model package group names (CreateModelPackageGroup). */
export const MODEL_PACKAGE_GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** A model registry group: its versions are `model-package/<group>/<n>`. */
export interface IModelPackageGroup extends IResource {
  /** @attribute */
  readonly modelPackageGroupName: string;
  /** @attribute */
  readonly modelPackageGroupArn: string;
  /** The account and region the group lives in (the registry's). */
  readonly registryAccount: string;
  readonly registryRegion: string;
  /**
   * ARN pattern of the group's versions, `arn:…:model-package/<group lower-cased>/*` (SageMaker
   * lower-cases names in ARNs), for policies.
   */
  readonly versionArnPattern: string;
  /** Find and register versions (ListModelPackages, CreateModelPackage), as the registration handler does. */
  grantRegister(grantee: iam.IGrantable): iam.Grant;
}

export interface ModelPackageGroupAttributes {
  readonly modelPackageGroupName: string;
  /** @default this stack's account */
  readonly account?: string;
  /** @default this stack's region */
  readonly region?: string;
}

export interface ModelPackageGroupProps {
  /** Up to 63 letters, digits and hyphens, starting with a letter or digit. */
  readonly modelPackageGroupName: string;
  /** @default no description */
  readonly description?: string;
  /**
   * Accounts that may deploy this group's versions (read the group and its versions, and create a
   * SageMaker model from a version), through the group's resource policy. They cannot approve.
   * @default none (same-account use only)
   */
  readonly consumerAccounts?: string[];
  /**
   * What `cdk destroy` does with the group. RETAIN keeps it and its versions (history; a version
   * whose artifact is gone can no longer be deployed). A group that still has versions cannot be
   * deleted: DESTROY needs its versions deleted first (ModelPackageVersion's
   * `deleteVersionsWithStack`).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const READ_GROUP = ['sagemaker:DescribeModelPackageGroup'];
const READ_VERSIONS = ['sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages'];

abstract class ModelPackageGroupBase extends Resource implements IModelPackageGroup {
  public abstract readonly modelPackageGroupName: string;
  public abstract readonly modelPackageGroupArn: string;
  public abstract readonly registryAccount: string;
  public abstract readonly registryRegion: string;

  public get versionArnPattern(): string {
    return Stack.of(this).formatArn({
      service: 'sagemaker',
      resource: 'model-package',
      resourceName: `${this.modelPackageGroupName.toLowerCase()}/*`,
      account: this.registryAccount,
      region: this.registryRegion,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * The Service Authorization Reference scopes the version actions, ListModelPackages and
   * CreateModelPackage included, to model-package: the group's versions, `model-package/<group>/*`.
   */
  public grantRegister(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:ListModelPackages', 'sagemaker:CreateModelPackage'], resourceArns: [this.versionArnPattern] });
  }
}

/**
 * A SageMaker model registry group (`AWS::SageMaker::ModelPackageGroup`): every trained model
 * becomes one of its versions; endpoints serve a version; its approval status is the gate to prod.
 */
export class ModelPackageGroup extends ModelPackageGroupBase {
  /** A group defined elsewhere (another stack, or another account of the same region). */
  public static fromModelPackageGroupAttributes(scope: Construct, id: string, attrs: ModelPackageGroupAttributes): IModelPackageGroup {
    const stack = Stack.of(scope);
    const account = attrs.account ?? stack.account;
    const region = attrs.region ?? stack.region;
    class Imported extends ModelPackageGroupBase {
      public readonly modelPackageGroupName = attrs.modelPackageGroupName;
      public readonly registryAccount = account;
      public readonly registryRegion = region;
      public readonly modelPackageGroupArn = stack.formatArn({
        service: 'sagemaker', resource: 'model-package-group', resourceName: attrs.modelPackageGroupName.toLowerCase(), account, region,
      });
    }
    return new Imported(scope, id, { account, region });
  }

  public readonly modelPackageGroupName: string;
  public readonly modelPackageGroupArn: string;
  public readonly registryAccount: string;
  public readonly registryRegion: string;
  public readonly resource: sagemaker.CfnModelPackageGroup;

  constructor(scope: Construct, id: string, props: ModelPackageGroupProps) {
    super(scope, id, { physicalName: props.modelPackageGroupName });
    if (!MODEL_PACKAGE_GROUP_NAME.test(props.modelPackageGroupName)) {
      throw new PropValidationError(this, 'modelPackageGroupName',
        `must be 1 to 63 letters, digits and hyphens, starting with a letter or digit (e.g. mnist-models), got '${props.modelPackageGroupName}'`);
    }
    const stack = Stack.of(this);
    this.registryAccount = stack.account;
    this.registryRegion = stack.region;
    this.modelPackageGroupName = props.modelPackageGroupName;
    this.resource = new sagemaker.CfnModelPackageGroup(this, 'Resource', {
      modelPackageGroupName: props.modelPackageGroupName,
      modelPackageGroupDescription: props.description,
      modelPackageGroupPolicy: props.consumerAccounts && props.consumerAccounts.length > 0
        ? this.consumerPolicy(props.consumerAccounts)
        : undefined,
    });
    this.resource.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.modelPackageGroupArn = this.resource.attrModelPackageGroupArn;
  }

  /**
   * The resource policy AWS documents for deploying a version from another account: read the
   * group, read and list its versions, create a model from one. No UpdateModelPackage: approving
   * stays with the registry's account.
   */
  private consumerPolicy(accounts: string[]): Record<string, unknown> {
    const stack = Stack.of(this);
    const principal = { AWS: accounts.map((account) => `arn:${stack.partition}:iam::${account}:root`) };
    const groupArn = stack.formatArn({ service: 'sagemaker', resource: 'model-package-group', resourceName: this.modelPackageGroupName.toLowerCase() });
    return {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ConsumersReadTheGroup', Effect: 'Allow', Principal: principal, Action: READ_GROUP, Resource: groupArn },
        { Sid: 'ConsumersDeployVersions', Effect: 'Allow', Principal: principal, Action: [...READ_VERSIONS, 'sagemaker:CreateModel'], Resource: this.versionArnPattern },
      ],
    };
  }
}
