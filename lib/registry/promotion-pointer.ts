import { CfnParameter, CustomResource, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ram from 'aws-cdk-lib/aws-ram';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { NO_APPROVED_VERSION, PromotionPointerProperties } from '../../lambda/model-registry/properties';
import { bundledProvider } from '../common/bundled-provider';
import { acknowledgeWildcard } from '../common/nag-acknowledge';
import { PropValidationError } from '../common/prop-validation-error';
import { partitionOf } from '../settings/region-rules';
import type { IModelPackageGroup } from './model-package-group';

export interface PromotionPointerProps {
  /** The group whose newest Approved version the pointer names; it must be in this stack's account and region. */
  readonly group: IModelPackageGroup;
  /** @default `/model-registry/<group name>/approved-version` */
  readonly parameterName?: string;
  /**
   * Accounts whose stacks read the pointer (PromotionPointer.valueFor with the registry's account):
   * the parameter is shared with them through AWS RAM, which shares only advanced-tier parameters.
   * Outside an AWS Organization with RAM sharing enabled, each consumer account must accept the
   * resource share's invitation (RAM console, or `aws ram accept-resource-share-invitation`) before
   * its stack can read the pointer.
   * @default none (the parameter stays a standard-tier parameter of this account)
   */
  readonly consumerAccounts?: string[];
}

export interface PromotionPointerValueOptions {
  /** The pointer's parameter name (PromotionPointer.parameterName), e.g. `/model-registry/mnist-models/approved-version`. */
  readonly parameterName: string;
  /** The registry's account, when it is not this stack's: the parameter is then read by its ARN (RAM-shared). @default this stack's account */
  readonly account?: string;
  /** The registry's region; CloudFormation reads parameters of the stack's own region only. @default this stack's region */
  readonly region?: string;
}

/** What the sync's properties carry besides the contract: the parameter's settings, see below. */
interface SyncProperties extends PromotionPointerProperties {
  readonly ParameterTier: string;
  readonly ParameterDescription: string;
}

/**
 * The promotion pointer: an SSM String parameter in the registry's account that holds the ARN of
 * the group's newest Approved version (or `none`). Dev trains and registers versions; Prod never
 * trains, it deploys the version the pointer names (PromotionPointer.valueFor), re-read on every
 * stack update.
 *
 * A Lambda keeps the parameter in step with the registry: it gets every "SageMaker Model Package
 * State Change" event of the group (EventBridge, default bus) and, through a custom resource, runs
 * once when the pointer is created or changed. Each run asks the registry for the newest Approved
 * version (never trusting the event's own ARN, so late, repeated and out-of-order events are
 * harmless, and rejecting the newest approved version moves the pointer back to the one before) and
 * writes the parameter only when it differs.
 */
/** The pointer's name unless told otherwise: `/model-registry/<group>/approved-version`. */
export function defaultPointerParameterName(modelPackageGroupName: string): string {
  return `/model-registry/${modelPackageGroupName}/approved-version`;
}

export class PromotionPointer extends Construct {
  /**
   * The pointer's value at deploy time, as a string token: a CloudFormation parameter of type
   * `AWS::SSM::Parameter::Value<String>`, which CloudFormation resolves on every stack create and
   * update (a rollback returns to the value resolved before). Its default is the parameter's name
   * in this stack's account, or its ARN in another account (a parameter shared through AWS RAM is
   * read by its full ARN). Create it once per stack and `id`.
   */
  public static valueFor(scope: Construct, id: string, options: PromotionPointerValueOptions): string {
    const stack = Stack.of(scope);
    const { parameterName } = options;
    if (Token.isUnresolved(parameterName) || !/^\/?[a-zA-Z0-9_.\-/]+$/.test(parameterName)) {
      throw new PropValidationError(scope, 'parameterName', `must be a literal SSM parameter name (a CloudFormation parameter's default cannot hold a token), got '${parameterName}'`);
    }
    const crossAccount = options.account !== undefined && (Token.isUnresolved(stack.account) || options.account !== stack.account);
    const description = `The model package version to deploy: the promotion pointer ${parameterName}` +
      (crossAccount ? ` of account ${options.account}` : '') + ' (the newest Approved version, or none), re-read on every deploy; pass a version ARN to pin one';
    if (!crossAccount) {
      return new CfnParameter(scope, id, { type: 'AWS::SSM::Parameter::Value<String>', default: parameterName, description }).valueAsString;
    }
    if (Token.isUnresolved(options.account!) || !/^\d{12}$/.test(options.account!)) {
      throw new PropValidationError(scope, 'account', `must be a literal 12-digit account id, got '${options.account}'`);
    }
    const region = options.region ?? stack.region;
    if (Token.isUnresolved(region)) {
      throw new PropValidationError(scope, 'region', "must be given (or the stack's env.region set): another account's parameter is read by its full ARN, which names the region");
    }
    const arn = `arn:${partitionOf(region)}:ssm:${region}:${options.account}:parameter/${parameterName.replace(/^\//, '')}`;
    // aws-cdk-lib's own import of a shared parameter: a CfnParameter `<id>.Parameter` defaulting to the ARN.
    const value = ssm.StringParameter.fromStringParameterArn(scope, id, arn).stringValue;
    (scope.node.findChild(`${id}.Parameter`) as CfnParameter).description = description;
    return value;
  }

  public readonly parameterName: string;
  public readonly parameterArn: string;
  public readonly parameter: ssm.StringParameter;
  public readonly handler: lambda.IFunction;
  public readonly rule: events.Rule;
  /** The RAM share of the parameter, when consumerAccounts were given. */
  public readonly share?: ram.CfnResourceShare;

  constructor(scope: Construct, id: string, props: PromotionPointerProps) {
    super(scope, id);
    const { group } = props;
    const consumers = props.consumerAccounts ?? [];
    validate(this, props, consumers);
    const shared = consumers.length > 0;

    const description = `Promotion pointer: the newest Approved version of model package group ${group.modelPackageGroupName} (or ${NO_APPROVED_VERSION}). ` +
      'Maintained by a Lambda on every approval change; do not edit it by hand.';
    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      parameterName: props.parameterName ?? defaultPointerParameterName(group.modelPackageGroupName),
      stringValue: NO_APPROVED_VERSION,
      description,
      // AWS RAM shares advanced-tier parameters only; a standard one costs nothing.
      tier: shared ? ssm.ParameterTier.ADVANCED : undefined,
    });
    this.parameterName = this.parameter.parameterName;
    this.parameterArn = this.parameter.parameterArn;

    if (shared) {
      this.share = new ram.CfnResourceShare(this, 'Share', {
        name: Names.uniqueResourceName(this, { maxLength: 100 }),
        resourceArns: [this.parameterArn],
        principals: consumers,
        // Accounts outside this account's AWS Organization (or without RAM sharing within it) get an invitation to accept.
        allowExternalPrincipals: true,
      });
    }

    // One list, one read and at most one write per round: seconds.
    const { role, handler, provider } = bundledProvider(this, { handler: 'promotion-pointer', timeout: Duration.minutes(1) });
    this.handler = handler;
    handler.addEnvironment('GROUP_NAME', group.modelPackageGroupName);
    handler.addEnvironment('PARAMETER_NAME', this.parameterName);
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ListApprovedVersions',
      actions: ['sagemaker:ListModelPackages'],
      resources: [group.versionArnPattern],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadWritePointer',
      actions: ['ssm:GetParameter', 'ssm:PutParameter'],
      resources: [this.parameterArn],
    }));

    this.rule = new events.Rule(this, 'ApprovalChanges', {
      description: `Every state change of a version in model package group ${group.modelPackageGroupName} (registered, approved, rejected) syncs the promotion pointer`,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: [group.modelPackageGroupName] },
      },
      targets: [new targets.LambdaFunction(handler)],
    });

    // The parameter's template value is `none`: CloudFormation writes it again whenever it updates
    // the parameter (its description or tier changed). Those settings are the sync's properties
    // too, so the same deploy syncs again after such an update.
    const properties: SyncProperties = {
      ModelPackageGroupName: group.modelPackageGroupName,
      ParameterName: this.parameterName,
      ParameterTier: shared ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
      ParameterDescription: description,
    };
    const sync = new CustomResource(this, 'Sync', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::PromotionPointerSync',
      properties: properties as unknown as Record<string, unknown>,
      serviceTimeout: Duration.minutes(10),
    });
    sync.node.addDependency(this.parameter);

    acknowledgeWildcard(this, { resource: group.versionArnPattern },
      "sagemaker:ListModelPackages is scoped to the group's versions (model-package/<group>/*, the Service Authorization Reference's resource type for it): the handler lists this group's Approved versions only.");
    acknowledgeWildcard(this, { resource: `${handler.functionArn}:*` },
      'The CDK Provider framework grants lambda:InvokeFunction on its handler function and that function\'s versions (<arn>:*), nothing else.');
  }
}

function validate(scope: Construct, props: PromotionPointerProps, consumers: string[]): void {
  const stack = Stack.of(scope);
  const { group } = props;
  for (const [what, registry, here] of [['account', group.registryAccount, stack.account], ['region', group.registryRegion, stack.region]] as const) {
    if (!Token.isUnresolved(registry) && !Token.isUnresolved(here) && registry !== here) {
      throw new PropValidationError(scope, 'group', `must be in this stack's ${what} (${here}): the pointer lives with the registry, whose approval events reach only its own account's default event bus; got a group in ${registry}`);
    }
  }
  if (props.parameterName !== undefined && !Token.isUnresolved(props.parameterName) && !/^\/?[a-zA-Z0-9_.\-/]{1,1011}$/.test(props.parameterName)) {
    throw new PropValidationError(scope, 'parameterName', `must be an SSM parameter name (letters, digits, _ . - /), got '${props.parameterName}'`);
  }
  for (const account of consumers) {
    if (!/^\d{12}$/.test(account)) throw new PropValidationError(scope, 'consumerAccounts', `must be 12-digit account ids, got '${account}'`);
    if (!Token.isUnresolved(stack.account) && account === stack.account) {
      throw new PropValidationError(scope, 'consumerAccounts', `lists this stack's own account ${account}: its stacks read the pointer by name, without a share`);
    }
  }
}
