import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { MnistSettingsOverrides } from '../lib/settings';
import { MnistSageMakerStack } from '../lib/mnist/mnist-stack';
import { newApp } from './stack/synth';

interface NagRun {
  /** `RuleId at construct/path` for every finding that was not acknowledged (errors and warnings). */
  readonly findings: string[];
  /** Every acknowledgement in the app: rule id, reason, where. */
  readonly acknowledgements: Array<{ id: string; reason: string; path: string }>;
}

/** Synthesize the stack with the AwsSolutions pack as a validation plugin. */
function runNag(settings: MnistSettingsOverrides): NagRun {
  const app: App = newApp();
  const stack = new MnistSageMakerStack(app, 'Mnist', { settings });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    if (!fs.existsSync(path.join(app.outdir, 'validation-report.json'))) throw error;
  }
  const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
  };
  const findings = report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)));
  return { findings, acknowledgements: acknowledgementsUnder(stack) };
}

function acknowledgementsUnder(root: IConstruct): NagRun['acknowledgements'] {
  return root.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    // recorded as { '<plugin>::<rule id>': reason }
    .flatMap((m) => Object.entries(m.data as Record<string, string>))
    .map(([id, reason]) => ({ id: id.replace(/^[^:]+::/, ''), reason, path: c.node.path })));
}

let dataDir: string;
let defaults: NagRun;
let everything: NagRun;
beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-nag-data-'));
  fs.writeFileSync(path.join(dataDir, 'train-images-idx3-ubyte.gz'), '');
  defaults = runNag({});
  everything = runNag({
    bucketEncryption: 'kms', destroyBucketOnDelete: true, dataSource: 'local', dataLocalPath: dataDir,
    spotTraining: true, spotMaxWaitMinutes: 45, interContainerTrafficEncryption: true,
    realtimeMaxInstanceCount: 3, dataCapturePercent: 10, serverlessProvisionedConcurrency: 1, alarmEmail: 'ops@example.com',
  });
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test('AwsSolutions: nothing unacknowledged with the default settings', () => {
  expect(defaults.findings).toEqual([]);
});

test('AwsSolutions: nothing unacknowledged with every option on (KMS, destroy, local data, spot, capture, autoscaling)', () => {
  expect(everything.findings).toEqual([]);
});

test('every acknowledgement is specific and gives a reason', () => {
  for (const a of [...defaults.acknowledgements, ...everything.acknowledgements]) {
    // A wildcard finding names the exact action or resource it accepts, never the whole rule.
    if (a.id.startsWith('AwsSolutions-IAM5') || a.id.startsWith('AwsSolutions-IAM4')) expect(a).toMatchObject({ id: expect.stringMatching(/\[(Action|Resource|Policy)::.+\]$/) });
    expect(a.reason.length).toBeGreaterThanOrEqual(60);
  }
  // The SageMaker execution role accepts only these wildcards: its log groups, the two actions
  // without resource-level permissions, and prefixes of its own bucket.
  const role = defaults.acknowledgements.filter((a) => a.path === 'Mnist/ExecutionRole/Role').map((a) => a.id).sort();
  expect(role).toEqual([
    'AwsSolutions-IAM5[Resource::*]',
    'AwsSolutions-IAM5[Resource::<StorageBucket5CB7C8EA.Arn>/mnist/data/*]',
    'AwsSolutions-IAM5[Resource::<StorageBucket5CB7C8EA.Arn>/mnist/output/*]',
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/*]',
  ]);
});

test('the nag run does catch a real finding (acknowledgements are not blanket)', () => {
  // An unacknowledged wildcard on the execution role must still be reported (cdk-nag's finding:
  // CloudFormation's validation, slow, is not the point here).
  const app = newApp({ validate: false });
  const stack = new MnistSageMakerStack(app, 'Mnist');
  stack.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::someone-else/*'] }));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).toThrow();
  const report = fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8');
  expect(report).toContain('AwsSolutions-IAM5');
  expect(report).toContain('Mnist/ExecutionRole/Role/DefaultPolicy/Resource');
});
