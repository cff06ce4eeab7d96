// The second model (examples/tabular-mlp) synthesized as its app does: built from the package entry
// alone, it trains its own script on its own data, registers the trained model as a version of its
// own registry group, serves that version serverless and smoke-tests it with its own cases; nothing
// of MNIST is left in it.
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as tar from 'tar';
import { TABULAR_MLP, TabularMlpStack } from '../../examples/tabular-mlp/tabular-mlp-stack';
import { directDependencies, projectContext, resources, single } from '../stack/synth';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'tabular-mlp');
let template: Template;
let outdir: string;
let ids: Record<'bucket' | 'role' | 'training' | 'group' | 'version' | 'model' | 'artifactRead', string>;

beforeAll(() => {
  // cdk.json's context (feature flags), as `cdk synth --app "npx tsx examples/tabular-mlp/app.ts"` run here gets it.
  const app = new App({ context: projectContext() });
  const stack = new TabularMlpStack(app, 'TabularMlp', { env: { account: '123456789012', region: 'eu-west-1' } });
  template = Template.fromStack(stack);
  outdir = app.outdir;
  const id = (type: string, prefix: string) => single(template, type, prefix)[0];
  ids = {
    bucket: id('AWS::S3::Bucket', 'StorageBucket'),
    role: id('AWS::IAM::Role', 'ExecutionRole'),
    training: id('Custom::SageMakerTrainingJob', 'Training'),
    group: id('AWS::SageMaker::ModelPackageGroup', 'ModelRegistry'),
    version: id('Custom::ModelPackageVersion', 'ModelVersion'),
    model: id('AWS::SageMaker::Model', 'Model'),
    artifactRead: id('AWS::IAM::Policy', 'ModelArtifactRead'),
  };
});

const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });
/** The 64-hex asset hash of the training job's sourcedir.tar.gz, from its CodeS3Uri. */
const codeAssetHash = () => /\/([0-9a-f]{64})\.gz$/.exec(JSON.stringify(resources(template)[ids.training].Properties!.CodeS3Uri).replace(/"\]?\}?$/, ''))![1];

test('a training resource runs the example\'s entry point with its metric regexes, on its own code only', () => {
  const metrics = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'metrics.json'), 'utf8'));
  template.hasResourceProperties('Custom::SageMakerTrainingJob', {
    EntryPoint: 'classifier.py',
    HyperParameters: { 'epochs': '60', 'hidden-units': '32', 'learning-rate': '0.01' },
    MetricDefinitions: metrics.metricDefinitions.map((m: { name: string; regex: string }) => ({ Name: m.name, Regex: m.regex })),
    MinimumMetric: { Name: 'test:accuracy', Value: 90 },
    InputChannels: [{ Name: 'training', S3Uri: Match.anyValue() }],
  });
  const shipped: string[] = [];
  tar.t({ file: path.join(outdir, `asset.${codeAssetHash()}.tar.gz`), sync: true, onReadEntry: (entry) => shipped.push(entry.path) });
  expect(shipped).toEqual(['classifier.py']);
});

test('its data is the example\'s data folder, uploaded at deploy time', () => {
  template.resourceCountIs('Custom::CDKBucketDeployment', 1);
  const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
  const [assetHash] = JSON.stringify(deployment.Properties.SourceObjectKeys).match(/[0-9a-f]{64}/)!;
  const uploaded = path.join(outdir, `asset.${assetHash}`);
  expect(fs.readdirSync(uploaded).sort()).toEqual(['test.csv', 'train.csv']);
  expect(fs.readFileSync(path.join(uploaded, 'train.csv'), 'utf8')).toBe(fs.readFileSync(path.join(TABULAR_MLP.dataDirectory, 'train.csv'), 'utf8'));
});

test('the trained model is registered as a version: inference image, artifact, the toolkit serving code/classifier.py, the content types classifier.py takes', () => {
  template.hasResourceProperties('Custom::ModelPackageVersion', {
    ModelPackageGroupName: 'TabularMlp-models',
    ImageUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/pytorch-inference:2\\.6\\.0-cpu-py312-ubuntu22\\.04-sagemaker$')])] }),
    ModelDataUrl: getAtt(ids.training, 'ModelDataUrl'),
    Environment: {
      SAGEMAKER_PROGRAM: 'classifier.py',
      SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code',
      SAGEMAKER_REGION: 'eu-west-1',
      SAGEMAKER_CONTAINER_LOG_LEVEL: '20',
    },
    ContentTypes: ['text/csv', 'application/json'],
    ResponseTypes: ['text/csv', 'application/json'],
    InitialApprovalStatus: 'PendingManualApproval',
  });
  // What the smoke test sends and asks for, the version must say the model takes and answers.
  const cases = JSON.parse(fs.readFileSync(TABULAR_MLP.smokeTestCasesFile, 'utf8')) as Array<{ contentType: string; accept: string }>;
  const version = resources(template)[ids.version].Properties!;
  expect(cases.map((c) => c.contentType).filter((type) => !(version.ContentTypes as string[]).includes(type))).toEqual([]);
  expect(cases.map((c) => c.accept).filter((type) => !(version.ResponseTypes as string[]).includes(type))).toEqual([]);
});

test('the version carries its lineage (training job, data, code asset) and test accuracy as a fraction', () => {
  const version = resources(template)[ids.version].Properties!;
  expect(version.Lineage).toEqual({
    TrainingJobName: getAtt(ids.training, 'TrainingJobName'),
    TrainingJobArn: getAtt(ids.training, 'TrainingJobArn'),
    DataUri: expect.anything(),
    CodeAssetHash: codeAssetHash(),
  });
  // The training channel's URI, exactly (local data: the URI names the data's content hash).
  expect((version.Lineage as Record<string, unknown>).DataUri).toEqual((resources(template)[ids.training].Properties!.InputChannels as Array<{ S3Uri: unknown }>)[0].S3Uri);
  // test:accuracy is a percentage; the report's accuracy is a fraction.
  expect(version.ModelQuality).toEqual({
    ProblemType: 'multiclass_classification_metrics',
    Metrics: { accuracy: { Value: getAtt(ids.training, 'Metric.test_accuracy'), Scale: '0.01' } },
  });
  expect(version.ReportS3Prefix).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: ids.bucket }, '/tabular-mlp/registry/']] });
});

test('the group goes with the bucket that holds its artifacts: deleted with the stack, its versions first', () => {
  const all = resources(template);
  expect(all[ids.group].Properties!.ModelPackageGroupName).toBe('TabularMlp-models');
  expect(all[ids.bucket].DeletionPolicy).toBe('Delete');
  expect(all[ids.group].DeletionPolicy).toBe('Delete');
  // A group with versions cannot be deleted: the version resource deletes them, after the group exists and before it goes.
  expect(all[ids.version].Properties!.DeleteVersionsWithStack).toBe('true');
  expect(directDependencies(template, ids.version)).toContain(ids.group);
});

test('the model is created from that version, once the role may read the artifact, and one serverless endpoint serves it', () => {
  expect(resources(template)[ids.model].Properties).toEqual({
    ExecutionRoleArn: getAtt(ids.role, 'Arn'),
    PrimaryContainer: { ModelPackageName: getAtt(ids.version, 'ModelPackageArn') },
  });
  expect(directDependencies(template, ids.model)).toContain(ids.artifactRead);
  // Read on the trained artifact itself, not the bucket.
  expect(resources(template)[ids.artifactRead].Properties!.PolicyDocument).toEqual({
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [getAtt(ids.bucket, 'Arn'), '/', getAtt(ids.training, 'ModelDataKey')]] },
    }],
  });
  template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
  template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
    ProductionVariants: [Match.objectLike({ ModelName: getAtt(ids.model, 'ModelName'), ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 1 } })],
  });
});

test('outputs the version the endpoint serves', () => {
  expect(template.toJSON().Outputs.ModelPackageArn.Value).toEqual(getAtt(ids.version, 'ModelPackageArn'));
});

test('the smoke test sends the example\'s own cases, on deploy', () => {
  const cases = JSON.parse(fs.readFileSync(TABULAR_MLP.smokeTestCasesFile, 'utf8'));
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { SMOKE_TEST_CASES: Match.anyValue() } } } });
  const [smoke] = Object.values(functions);
  expect(JSON.parse(smoke.Properties.Environment.Variables.SMOKE_TEST_CASES)).toEqual(cases);
  expect(smoke.Properties.Environment.Variables.MIN_ACCURACY).toBe('0.9');
  template.resourceCountIs('Custom::Trigger', 1);
  // A new version (a retrain for any reason, hyperparameters included) publishes a new function version: the test runs again.
  template.hasResourceProperties('AWS::Lambda::Version', {
    Description: { 'Fn::Join': ['', ['Smoke test of ', getAtt(ids.version, 'ModelPackageArn')]] },
  });
});

test('nothing of MNIST is left: not in the template, the training source or the entry point', () => {
  expect(JSON.stringify(template.toJSON()).toLowerCase()).not.toContain('mnist');
  expect(fs.readFileSync(path.join(TABULAR_MLP.modelCodeDirectory, TABULAR_MLP.entryPoint), 'utf8').toLowerCase()).not.toContain('mnist');
});

test('the example imports the constructs from the package entry only', () => {
  for (const file of ['app.ts', 'tabular-mlp-stack.ts']) {
    const source = fs.readFileSync(path.join(EXAMPLE, file), 'utf8');
    const fromLib = [...source.matchAll(/from '(\.[^']*(?:lib|lambda)(?:\/[^']*)?)'/g)].map((m) => m[1]);
    expect({ file, fromLib: fromLib.filter((specifier) => specifier !== '../../lib') }).toEqual({ file, fromLib: [] });
  }
});
