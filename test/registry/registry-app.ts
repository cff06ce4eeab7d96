// A small app around ModelPackageVersion, synthesized with bundling as `cdk synth` does (the exact
// handler bundle the moto test runs): a model package group, a report bucket and one version.
// Kept on disk, keyed by the content of what shapes it, like test/support/synthesized-app.ts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { ModelPackageVersion } from '../../lib/registry/model-package-version';
import { contentKey } from '../support/content-key';
import type { CfnTemplate, SynthesizedApp } from '../support/synthesized-app';

export const REGISTRY_STACK = 'RegistryMoto';
export const GROUP_NAME = 'mnist-models';
const INPUTS = ['lib/registry', 'lib/common', 'lambda/model-registry', 'lambda/shared', 'package-lock.json', 'test/registry/registry-app.ts'];

export function registryApp(): SynthesizedApp {
  const dir = path.join(os.tmpdir(), 'mnist-cdk-registry-synth', contentKey(INPUTS, ['node_modules']));
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) synthesizeInto(dir);
  const template = JSON.parse(fs.readFileSync(path.join(dir, `${REGISTRY_STACK}.template.json`), 'utf8')) as CfnTemplate;
  return { dir, template, stackName: REGISTRY_STACK };
}

function synthesizeInto(dir: string): void {
  const partial = `${dir}.${process.pid}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  const app = new App({ outdir: partial });
  const stack = new Stack(app, REGISTRY_STACK);
  const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: GROUP_NAME, removalPolicy: RemovalPolicy.DESTROY });
  new ModelPackageVersion(stack, 'Version', {
    group,
    imageUri: '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.5-cpu-py311',
    modelDataUrl: 's3://artifacts/mnist/output/job-1/output/model.tar.gz',
    environment: { SAGEMAKER_PROGRAM: 'mnist.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code' },
    lineage: { TrainingJobName: 'job-1', SourceCommit: '' },
    modelQuality: { problemType: 'multiclass_classification_metrics', metrics: { accuracy: { value: '98.5', scale: 0.01 } } },
    reportBucket: new s3.Bucket(stack, 'Reports'),
    reportPrefix: 'model-quality/',
    description: 'MNIST CNN',
  });
  app.synth();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.renameSync(partial, dir);
  } catch {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  // Syntheses of sources changed more than a day ago.
  for (const entry of fs.readdirSync(path.dirname(dir))) {
    const full = path.join(path.dirname(dir), entry);
    if (full !== dir && Date.now() - fs.statSync(full).mtimeMs > 24 * 3600 * 1000) fs.rmSync(full, { recursive: true, force: true });
  }
}
