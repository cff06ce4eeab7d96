import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';

export interface RegisteredModelProps {
  /**
   * Execution role SageMaker uses to fetch the version's image and artifact. Read on the artifact
   * is the caller's grant (e.g. grantArtifactRead), as the artifact is the registry's.
   */
  readonly role: iam.IRole;
  /** ARN of a model package version (`…:model-package/<group>/<n>`), in this account or shared from another. */
  readonly modelPackageArn: string;
}

/**
 * A SageMaker model created from a model registry version (`Containers: [{ ModelPackageName }]`):
 * image, artifact and environment are the version's, so what an endpoint serves is named in the
 * registry. A different version replaces the model (and with it the endpoint configuration).
 */
export class RegisteredModel extends Construct {
  public readonly model: sagemaker.IModel;
  public readonly modelName: string;
  public readonly resource: CfnModel;
  /** The version it serves. */
  public readonly modelPackageArn: string;

  constructor(scope: Construct, id: string, props: RegisteredModelProps) {
    super(scope, id);
    this.modelPackageArn = props.modelPackageArn;
    this.resource = new CfnModel(this, 'Resource', {
      executionRoleArn: props.role.roleArn,
      primaryContainer: { modelPackageName: props.modelPackageArn },
    });
    // SageMaker checks the role when it creates the model: the role and its default policy first.
    this.resource.node.addDependency(props.role);
    this.modelName = this.resource.attrModelName;
    this.model = sagemaker.Model.fromModelName(this, 'Model', this.modelName);
  }
}
