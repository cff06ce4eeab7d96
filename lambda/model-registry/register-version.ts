import type { S3Client } from '@aws-sdk/client-s3';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateModelPackageCommand, CreateModelPackageInput, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { customerMetadata } from './customer-metadata';
import { FoundVersion, versionInArn } from './find-version';
import type { ModelPackageVersionProperties } from './properties';
import { qualityReport, reportLocation } from './quality-report';
import { describedWithKey } from './registration-key';

/** The CreateModelPackage request of a new version; `reportS3Uri` is where its model-quality report was written. */
export function createRequest(props: ModelPackageVersionProperties, key: string, reportS3Uri?: string): CreateModelPackageInput {
  return {
    ModelPackageGroupName: props.ModelPackageGroupName,
    ModelPackageDescription: describedWithKey(props.Description, key),
    InferenceSpecification: {
      Containers: [{ Image: props.ImageUri, ModelDataUrl: props.ModelDataUrl, Environment: props.Environment ?? {} }],
      SupportedContentTypes: props.ContentTypes,
      SupportedResponseMIMETypes: props.ResponseTypes,
    },
    ModelApprovalStatus: props.InitialApprovalStatus,
    CustomerMetadataProperties: customerMetadata(props, key),
    ModelMetrics: reportS3Uri ? { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: reportS3Uri } } } : undefined,
  };
}

/** Writes the model-quality report (SSE-KMS with ReportKmsKeyId when given); returns its s3:// URI. */
export async function writeQualityReport(s3: Pick<S3Client, 'send'>, props: ModelPackageVersionProperties, key: string): Promise<string> {
  const where = reportLocation(props.ReportS3Prefix, key);
  await s3.send(new PutObjectCommand({
    Bucket: where.bucket,
    Key: where.objectKey,
    Body: `${JSON.stringify(qualityReport(props.ModelQuality!), null, 2)}\n`,
    ContentType: 'application/json',
    ...(props.ReportKmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: props.ReportKmsKeyId } : {}),
  }));
  return where.s3Uri;
}

/** Registers a new version: the report first (the version points at it), then CreateModelPackage. */
export async function registerVersion(
  deps: { readonly sagemaker: Pick<SageMakerClient, 'send'>; readonly s3: Pick<S3Client, 'send'> },
  props: ModelPackageVersionProperties,
  key: string,
): Promise<FoundVersion> {
  const reportS3Uri = props.ModelQuality ? await writeQualityReport(deps.s3, props, key) : undefined;
  const answer = await deps.sagemaker.send(new CreateModelPackageCommand(createRequest(props, key, reportS3Uri)));
  const arn = answer.ModelPackageArn!;
  return { arn, version: versionInArn(arn), approvalStatus: props.InitialApprovalStatus };
}
