import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { createTar, gzipDeterministic } from './tarball';

export interface SourceBundleProps {
  /** Folder packed into `sourcedir.tar.gz` (`__pycache__`, `*.pyc`, `tests/` left out: see tarball.ts). */
  readonly sourceDirectory: string;
  /** Files at the root of `sourceDirectory` not to ship. @default - none */
  readonly excludeFromSource?: string[];
}

/**
 * The training code as the `sourcedir.tar.gz` asset SageMaker's framework containers download
 * (`sagemaker_submit_directory`), created in `scope` as `id`. Its hash is the sha256 of the
 * uncompressed tar, so a different zlib never changes the asset, and an unchanged folder never
 * retrains a model.
 */
export function sourceBundleAsset(scope: Construct, id: string, props: SourceBundleProps): s3assets.Asset {
  const tar = createTar(props.sourceDirectory, { excludeRootFiles: props.excludeFromSource });
  const contentHash = crypto.createHash('sha256').update(tar).digest('hex');
  // One folder per content hash, so repeated synths do not pile up temporary files.
  const tarball = path.join(os.tmpdir(), 'cdk-sagemaker-sourcedir', contentHash, 'sourcedir.tar.gz');
  if (!fs.existsSync(tarball)) {
    fs.mkdirSync(path.dirname(tarball), { recursive: true });
    const partial = `${tarball}.${process.pid}.tmp`;
    fs.writeFileSync(partial, gzipDeterministic(tar));
    fs.renameSync(partial, tarball);
  }
  return new s3assets.Asset(scope, id, { path: tarball, assetHash: contentHash });
}

export interface SourceBundleReadOptions {
  /**
   * The bundle comes in as an S3Prefix input channel (network isolation), for which SageMaker
   * lists the key before downloading it: s3:ListBucket on that key too. @default false
   */
  readonly asInputChannel?: boolean;
}

/**
 * Let `grantee` (the execution role) read the bundle: only this object, not the whole bootstrap
 * bucket (Asset.grantRead would grant s3:List* and s3:GetObject* on all of it).
 */
export function grantSourceBundleRead(asset: s3assets.Asset, grantee: iam.IGrantable, options: SourceBundleReadOptions = {}): iam.Grant {
  let grant = iam.Grant.addToPrincipal({
    grantee, actions: ['s3:GetObject'], resourceArns: [asset.bucket.arnForObjects(asset.s3ObjectKey)],
  });
  if (options.asInputChannel) {
    grant = grant.combine(iam.Grant.addToPrincipal({
      grantee, actions: ['s3:ListBucket'], resourceArns: [asset.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [asset.s3ObjectKey] } },
    }));
  }
  const decrypt = asset.bucket.encryptionKey?.grantDecrypt(grantee);
  return decrypt ? grant.combine(decrypt) : grant;
}
