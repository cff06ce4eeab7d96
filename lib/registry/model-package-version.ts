import { CfnDeletionPolicy, CustomResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MAX_METADATA_KEY_LENGTH, MAX_METADATA_VALUE_LENGTH, metadataProblem, metricKey, REGISTRATION_KEY } from '../../lambda/model-registry/customer-metadata';
import type { ModelApprovalStatus, ModelPackageVersionProperties } from '../../lambda/model-registry/properties';
import { MAX_OWN_DESCRIPTION_LENGTH } from '../../lambda/model-registry/registration-key';
import { bundledProvider } from '../common/bundled-provider';
import { grantStatements } from '../common/grant-statements';
import { acknowledgeWildcard } from '../common/nag-acknowledge';
import { PropValidationError } from '../common/prop-validation-error';
import { IModelPackageGroup, ModelPackageGroup } from './model-package-group';

/** A model-quality metric of the version. */
export interface ModelQualityMetric {
  /** The metric's value, e.g. a training job's metric attribute (a token). */
  readonly value: string;
  /**
   * Multiplies `value` in the report, e.g. 0.01 for an accuracy reported in percent.
   * @default 1
   */
  readonly scale?: number;
}

/** The model-quality report of the version (ModelMetrics.ModelQuality.Statistics). */
export interface ModelQuality {
  /** The report's section, e.g. `multiclass_classification_metrics`. */
  readonly problemType: string;
  /** Metrics by the name the report gives them, e.g. `accuracy`. */
  readonly metrics: Record<string, ModelQualityMetric>;
}

export interface ModelPackageVersionProps {
  /** The group the version is registered in. */
  readonly group: IModelPackageGroup;
  /** The inference image URI. */
  readonly imageUri: string;
  /** `s3://…/model.tar.gz`, e.g. a training job's model artifact (a token). */
  readonly modelDataUrl: string;
  /** The inference container's environment (SAGEMAKER_PROGRAM, …). */
  readonly environment: Record<string, string>;
  /** @default ['application/json'] */
  readonly contentTypes?: string[];
  /** @default ['application/json'] */
  readonly responseTypes?: string[];
  /**
   * The status a NEW version gets; a version found again keeps the status it has.
   * @default 'PendingManualApproval'
   */
  readonly initialApprovalStatus?: ModelApprovalStatus;
  /**
   * Recorded in the version's CustomerMetadataProperties (TrainingJobName, SourceCommit, …); empty
   * values are left out. Keys and values: letters, numbers, spaces and `_ . : / = + - @`.
   * @default none
   */
  readonly lineage?: Record<string, string>;
  /**
   * Written as the version's model-quality report under `reportPrefix`, and each metric as
   * `metric:<name>` in its CustomerMetadataProperties.
   * @default no report
   */
  readonly modelQuality?: ModelQuality;
  /** The bucket the model-quality reports are written to. */
  readonly reportBucket: s3.IBucket;
  /** The key prefix of the reports, '' or ending in '/': each is `<reportPrefix><registration key>/model-quality.json`. */
  readonly reportPrefix: string;
  /**
   * Encrypts the reports (SSE-KMS).
   * @default the bucket's default encryption
   */
  readonly reportKmsKey?: kms.IKey;
  /**
   * The version's description (the registration key is appended to it).
   * @default none
   */
  readonly description?: string;
  /**
   * Delete every version of the group when the stack is deleted (or its first create rolls back),
   * so that a group with `RemovalPolicy.DESTROY` can be deleted. Only for a group of this stack
   * whose removal policy is DESTROY: versions are otherwise kept as history.
   * @default false
   */
  readonly deleteVersionsWithStack?: boolean;
}

/**
 * A model registry version of one trained model (`Custom::ModelPackageVersion`). A deploy finds the
 * version already registered for the same model (image, artifact, environment, content types) or
 * registers it with `initialApprovalStatus`: an unchanged model or a rollback registers nothing and
 * leaves the version's approval status alone. Deleting the resource keeps the version.
 */
export class ModelPackageVersion extends Construct {
  /** The version's ARN (`…:model-package/<group>/<n>`). @attribute */
  public readonly modelPackageArn: string;
  /** The version number in its group. @attribute */
  public readonly modelPackageVersion: string;
  /** The version's approval status when the deploy registered or found it. @attribute */
  public readonly approvalStatus: string;
  public readonly resource: CustomResource;
  public readonly handler: lambda.IFunction;

  constructor(scope: Construct, id: string, props: ModelPackageVersionProps) {
    super(scope, id);
    this.validate(props);
    const stack = Stack.of(this);
    const deleteWithStack = props.deleteVersionsWithStack ?? false;

    // Listing and registering take seconds; deleting a group's versions one call each, up to minutes.
    const { role, handler, provider } = bundledProvider(this, { handler: 'model-package-version', timeout: Duration.minutes(5) });
    this.handler = handler;
    props.group.grantRegister(role);
    const reports = props.reportBucket.arnForObjects(`${props.reportPrefix}*/model-quality.json`);
    grantStatements(role, [new iam.PolicyStatement({ sid: 'WriteQualityReports', actions: ['s3:PutObject'], resources: [reports] })]);
    // S3 encrypts a single-part SSE-KMS upload with a data key it asks for as the caller: kms:GenerateDataKey only.
    const reportKey = props.reportKmsKey ?? props.reportBucket.encryptionKey;
    reportKey?.grant(role, 'kms:GenerateDataKey');
    if (deleteWithStack) {
      grantStatements(role, [
        new iam.PolicyStatement({ sid: 'DeleteGroupVersions', actions: ['sagemaker:DeleteModelPackage'], resources: [props.group.versionArnPattern] }),
        new iam.PolicyStatement({ sid: 'ReadOwnStackStatus', actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }),
      ]);
      (handler as lambda.Function).addEnvironment('STACK_ID', stack.stackId);
    }

    const properties: ModelPackageVersionProperties = {
      ModelPackageGroupName: props.group.modelPackageGroupName,
      ImageUri: props.imageUri,
      ModelDataUrl: props.modelDataUrl,
      Environment: props.environment,
      ContentTypes: props.contentTypes ?? ['application/json'],
      ResponseTypes: props.responseTypes ?? ['application/json'],
      InitialApprovalStatus: props.initialApprovalStatus ?? 'PendingManualApproval',
      Lineage: props.lineage ?? {},
      ModelQuality: props.modelQuality && {
        ProblemType: props.modelQuality.problemType,
        Metrics: Object.fromEntries(Object.entries(props.modelQuality.metrics).map(([name, m]) => [
          name, { Value: m.value, Scale: m.scale === undefined ? undefined : String(m.scale) },
        ])),
      },
      ReportS3Prefix: `s3://${props.reportBucket.bucketName}/${props.reportPrefix}`,
      ReportKmsKeyId: props.reportKmsKey?.keyArn,
      Description: props.description,
      DeleteVersionsWithStack: deleteWithStack ? 'true' : undefined,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ModelPackageVersion',
      properties: properties as unknown as Record<string, unknown>,
      serviceTimeout: Duration.minutes(10),
    });
    // Created after the group, deleted before it: with deleteVersionsWithStack the group is empty by then.
    this.resource.node.addDependency(props.group);
    this.modelPackageArn = this.resource.getAttString('ModelPackageArn');
    this.modelPackageVersion = this.resource.getAttString('ModelPackageVersion');
    this.approvalStatus = this.resource.getAttString('ApprovalStatus');

    acknowledgeWildcard(this, { resource: props.group.versionArnPattern },
      'SageMaker names a version <group>/<n> when it registers it: the handler lists, reads and registers (and, with deleteVersionsWithStack, deletes) the versions of this one group.');
    acknowledgeWildcard(this, { resource: reports },
      'One model-quality.json per registration key under this one prefix; the key is computed at deploy time.');
    acknowledgeWildcard(this, { resource: `${handler.functionArn}:*` },
      'The CDK Provider framework grants lambda:InvokeFunction on its handler function and that function\'s versions (<arn>:*), nothing else.');
  }

  private validate(props: ModelPackageVersionProps): void {
    const literal = (value: string | undefined): value is string => value !== undefined && !Token.isUnresolved(value);
    if (props.reportPrefix !== '' && (!props.reportPrefix.endsWith('/') || props.reportPrefix.startsWith('/'))) {
      throw new PropValidationError(this, 'reportPrefix', `must be '' or a key prefix ending in '/' (e.g. model-quality/), got '${props.reportPrefix}'`);
    }
    if (literal(props.modelDataUrl) && !/^s3:\/\/[^/]+\/\S+$/.test(props.modelDataUrl)) {
      throw new PropValidationError(this, 'modelDataUrl', `must be an s3://bucket/key URL of the model artifact (e.g. a training job's modelDataUrl), got '${props.modelDataUrl}'`);
    }
    if (literal(props.description) && props.description.length > MAX_OWN_DESCRIPTION_LENGTH) {
      throw new PropValidationError(this, 'description', `must be at most ${MAX_OWN_DESCRIPTION_LENGTH} characters (the registration key takes the rest of SageMaker's 1024), got ${props.description.length}`);
    }
    for (const [key, value] of Object.entries(props.lineage ?? {})) {
      const problem = key === REGISTRATION_KEY ? 'is the key the registration key is recorded under' : metadataProblem(key, MAX_METADATA_KEY_LENGTH);
      if (problem) throw new PropValidationError(this, `lineage['${key}']`, `key ${problem}`);
      const valueProblem = literal(value) && value !== '' ? metadataProblem(value, MAX_METADATA_VALUE_LENGTH) : undefined;
      if (valueProblem) throw new PropValidationError(this, `lineage['${key}']`, `value ${valueProblem}, got '${value}'`);
    }
    for (const name of Object.keys(props.modelQuality?.metrics ?? {})) {
      const problem = metadataProblem(metricKey(name), MAX_METADATA_KEY_LENGTH);
      if (problem) throw new PropValidationError(this, `modelQuality.metrics['${name}']`, `is recorded as '${metricKey(name)}', which ${problem}`);
    }
    if (props.deleteVersionsWithStack) {
      const group = props.group;
      if (!(group instanceof ModelPackageGroup) || Stack.of(group) !== Stack.of(this)) {
        throw new PropValidationError(this, 'deleteVersionsWithStack',
          'may only delete the versions of a ModelPackageGroup of this stack (it deletes every version of the group); leave it false for a group defined elsewhere');
      }
      // The removal policy may be set after this construct: checked at synthesis.
      this.node.addValidation({
        validate: () => group.resource.cfnOptions.deletionPolicy === CfnDeletionPolicy.DELETE ? [] : [
          `${this.node.path}: deleteVersionsWithStack deletes every version of ${group.node.path}, which the stack keeps (its removal policy is not DESTROY). Set the group's removalPolicy to RemovalPolicy.DESTROY, or leave deleteVersionsWithStack false`,
        ],
      });
    }
  }
}
