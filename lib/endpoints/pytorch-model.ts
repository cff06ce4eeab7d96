import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { Construct } from 'constructs';

export interface PyTorchModelProps {
  /** Execution role SageMaker uses to fetch the image and the artifact; read on the artifact is granted here. */
  readonly role: iam.IRole;
  /** PyTorch inference image URI (e.g. a DLC). */
  readonly imageUri: string;
  /** Where `model.tar.gz` is; it must hold the weights and `code/<entryPoint>`. */
  readonly modelDataBucket: s3.IBucket;
  readonly modelDataKey: string;
  /** Inference script inside the artifact's `code/` folder (`SAGEMAKER_PROGRAM`). */
  readonly entryPoint: string;
  /** Extra container environment. */
  readonly environment?: Record<string, string>;
}

/**
 * A SageMaker model served by the PyTorch inference toolkit from a self-contained
 * `model.tar.gz`: nothing is downloaded at serving time, the script comes from `/opt/ml/model/code`.
 */
export class PyTorchModel extends Construct {
  public readonly model: sagemaker.Model;
  public readonly modelName: string;
  /** s3://bucket/key of the artifact. */
  public readonly modelDataUrl: string;

  constructor(scope: Construct, id: string, props: PyTorchModelProps) {
    super(scope, id);
    this.modelDataUrl = props.modelDataBucket.s3UrlForObject(props.modelDataKey);
    const artifactRead = grantArtifactRead(this, props.role, props.modelDataBucket, props.modelDataKey);

    this.model = new sagemaker.Model(this, 'Model', {
      role: props.role,
      containers: [{
        image: new UriImage(props.imageUri),
        modelData: new S3ArtifactUrl(this.modelDataUrl),
        environment: pytorchInferenceEnvironment(this, props.entryPoint, props.environment),
      }],
    });
    this.model.node.addDependency(artifactRead);
    this.modelName = this.model.modelName;
  }
}

/**
 * The PyTorch inference toolkit's environment for a self-contained artifact: the script from
 * `/opt/ml/model/code`, INFO logs. A model package version keeps the same environment.
 */
export function pytorchInferenceEnvironment(scope: Construct, entryPoint: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SAGEMAKER_PROGRAM: entryPoint,
    SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code',
    SAGEMAKER_REGION: Stack.of(scope).region,
    SAGEMAKER_CONTAINER_LOG_LEVEL: '20',
    ...extra,
  };
}

/**
 * Read on exactly one artifact (ModelData.fromBucket would grant the whole bucket), and decrypt
 * with the bucket's key, in a policy of its own under `scope`: the artifact's key comes from the
 * training job, which needs the role's default policy first. Whatever SageMaker creates with the
 * role must depend on the returned policy.
 */
export function grantArtifactRead(scope: Construct, role: iam.IRole, bucket: s3.IBucket, key: string): iam.Policy {
  const statements = [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(key)] })];
  if (bucket.encryptionKey) {
    statements.push(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [bucket.encryptionKey.keyArn] }));
  }
  const policy = new iam.Policy(scope, 'ArtifactRead', { statements });
  role.attachInlinePolicy(policy);
  return policy;
}

/** An image URI used as is: pull rights are the role's business (see DlcImage.grantPull). */
class UriImage extends sagemaker.ContainerImage {
  constructor(private readonly uri: string) { super(); }
  bind(): sagemaker.ContainerImageConfig { return { imageName: this.uri }; }
}

/** An artifact URL used as is: read rights were granted on the one object above. */
class S3ArtifactUrl extends sagemaker.ModelData {
  constructor(private readonly uri: string) { super(); }
  bind(): sagemaker.ModelDataConfig { return { uri: this.uri }; }
}
