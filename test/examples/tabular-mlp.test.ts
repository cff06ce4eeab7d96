// The second model (examples/tabular-mlp) synthesized as its app does: built from the package entry
// alone, it trains its own script on its own data, serves it serverless and smoke-tests it with its
// own cases; nothing of MNIST is left in it.
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as tar from 'tar';
import { TABULAR_MLP, TabularMlpStack } from '../../examples/tabular-mlp/tabular-mlp-stack';
import { projectContext } from '../stack/synth';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'tabular-mlp');
let template: Template;
let outdir: string;

beforeAll(() => {
  // cdk.json's context (feature flags), as `cdk synth --app "npx tsx examples/tabular-mlp/app.ts"` run here gets it.
  const app = new App({ context: projectContext() });
  const stack = new TabularMlpStack(app, 'TabularMlp', { env: { account: '123456789012', region: 'eu-west-1' } });
  template = Template.fromStack(stack);
  outdir = app.outdir;
});

test('a training resource runs the example\'s entry point with its metric regexes, on its own code only', () => {
  const metrics = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'metrics.json'), 'utf8'));
  template.hasResourceProperties('Custom::SageMakerTrainingJob', {
    EntryPoint: 'classifier.py',
    HyperParameters: { 'epochs': '60', 'hidden-units': '32', 'learning-rate': '0.01' },
    MetricDefinitions: metrics.metricDefinitions.map((m: { name: string; regex: string }) => ({ Name: m.name, Regex: m.regex })),
    MinimumMetric: { Name: 'test:accuracy', Value: 90 },
    InputChannels: [{ Name: 'training', S3Uri: Match.anyValue() }],
  });
  const [job] = Object.values(template.findResources('Custom::SageMakerTrainingJob'));
  const codeHash = /\/([0-9a-f]{64})\.gz$/.exec(JSON.stringify(job.Properties.CodeS3Uri).replace(/"\]?\}?$/, ''))![1];
  const shipped: string[] = [];
  tar.t({ file: path.join(outdir, `asset.${codeHash}.tar.gz`), sync: true, onReadEntry: (entry) => shipped.push(entry.path) });
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

test('one serverless endpoint serves the model from the artifact\'s code/classifier.py', () => {
  template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
  template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
    ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 1 } })],
  });
  template.hasResourceProperties('AWS::SageMaker::Model', {
    PrimaryContainer: Match.objectLike({ Environment: Match.objectLike({ SAGEMAKER_PROGRAM: 'classifier.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code' }) }),
  });
});

test('the smoke test sends the example\'s own cases, on deploy', () => {
  const cases = JSON.parse(fs.readFileSync(TABULAR_MLP.smokeTestCasesFile, 'utf8'));
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { SMOKE_TEST_CASES: Match.anyValue() } } } });
  const [smoke] = Object.values(functions);
  expect(JSON.parse(smoke.Properties.Environment.Variables.SMOKE_TEST_CASES)).toEqual(cases);
  expect(smoke.Properties.Environment.Variables.MIN_ACCURACY).toBe('0.9');
  template.resourceCountIs('Custom::Trigger', 1);
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
