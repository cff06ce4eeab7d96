// "Train once, promote" (docs/model-registry.md) on the synthesized pipeline: one training resource
// (dev's), prod served from the registry through the approved-version guard, the Prod stage's
// order ApproveProd → PromoteProd → deploy → smoke test; then scripts/promote-model.sh against a
// stand-in `aws` CLI, and the pipeline targets' errors.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { mnistPipelineStages, MnistPipelineOptions, PIPELINE_MODEL_PACKAGE_GROUP } from '../../lib/mnist/mnist-stage';
import { PipelineStack, PROMOTION_ENV, readPipelineTargets } from '../../lib/mnist/pipeline-stack';
import { SettingsError } from '../../lib/settings/settings-error';
import { MnistSageMakerStack } from '../../lib/mnist/mnist-stack';
import { runCdkAppOnce } from '../support/run-cdk-app';

const ROOT = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = require(path.join(ROOT, 'cdk.json')).context as Record<string, unknown>;

const DEV = '111111111111';
const PROD = '222222222222';
const REGION = 'eu-west-1';
const GROUP = PIPELINE_MODEL_PACKAGE_GROUP;
const POINTER_NAME = `/model-registry/${GROUP}/approved-version`;
const versionArn = (n: number) => `arn:aws:sagemaker:${REGION}:${DEV}:model-package/${GROUP}/${n}`;
const SOURCE = {
  connectionArn: `arn:aws:codeconnections:${REGION}:${DEV}:connection/11111111-2222-3333-4444-555555555555`,
  repository: 'example-org/mnist-sagemaker-cdk',
  branch: 'main',
};

type Resource = { Type: string; Properties?: Record<string, unknown> };
interface Template {
  Resources: Record<string, Resource>;
  Parameters?: Record<string, { Type: string; Default?: string }>;
  Outputs?: Record<string, unknown>;
}
type Action = { Name: string; RunOrder: number; ActionTypeId: { Category: string; Provider: string }; Configuration: Record<string, unknown>; Namespace?: string };
type PipelineStage = { Name: string; Actions: Action[] };

interface Synthesized {
  readonly pipeline: Template;
  readonly dev: Template;
  readonly prod: Template;
}

/** The pipeline app as bin/app.ts builds it for these options, synthesized (templates only: no bundling). */
function synthesize(options: MnistPipelineOptions): Synthesized {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  new PipelineStack(app, 'MnistPipeline', { env: { account: DEV, region: REGION }, source: SOURCE, stages: mnistPipelineStages(options) });
  const assembly = app.synth();
  const template = (name: string) => {
    const stack = assembly.stacksRecursively.find((s) => s.stackName === name);
    if (!stack) throw new Error(`no stack ${name}`);
    return stack.template as Template;
  };
  expect(assembly.stacksRecursively.map((s) => s.stackName).sort()).toEqual(['Dev-MnistSageMaker', 'MnistPipeline', 'Prod-MnistSageMaker']);
  return { pipeline: template('MnistPipeline'), dev: template('Dev-MnistSageMaker'), prod: template('Prod-MnistSageMaker') };
}

const ofType = (template: Template, type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
function onlyOfType(template: Template, type: string): [string, Resource] {
  const found = ofType(template, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

function pipelineStages(template: Template): PipelineStage[] {
  const [, pipeline] = onlyOfType(template, 'AWS::CodePipeline::Pipeline');
  return pipeline.Properties!.Stages as PipelineStage[];
}
function stageNamed(template: Template, name: string): PipelineStage {
  const stage = pipelineStages(template).find((s) => s.Name === name);
  if (!stage) throw new Error(`no pipeline stage ${name}`);
  return stage;
}
function actionNamed(stage: PipelineStage, name: string): Action {
  const action = stage.Actions.find((a) => a.Name === name);
  if (!action) throw new Error(`no action ${name} in ${stage.Name}: ${stage.Actions.map((a) => a.Name).join(', ')}`);
  return action;
}
const envOf = (action: Action) => JSON.parse(String(action.Configuration.EnvironmentVariables ?? '[]')) as Array<{ name: string; type: string; value: string }>;

/** The CodeBuild project a pipeline action runs, its build commands and its role's statements. */
function project(template: Template, action: Action) {
  const projectId = (action.Configuration.ProjectName as { Ref: string }).Ref;
  const properties = template.Resources[projectId].Properties!;
  const buildSpec = JSON.parse(String((properties.Source as { BuildSpec: string }).BuildSpec)) as { phases: { build: { commands: string[] } } };
  const roleId = (properties.ServiceRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = ofType(template, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties!.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Array<{ Sid?: string; Action: string | string[] }> }).Statement);
  return { commands: buildSpec.phases.build.commands, environment: (properties.Environment as { EnvironmentVariables?: Array<{ Name: string; Value: string }> }).EnvironmentVariables ?? [], statements };
}

const variants: Array<[string, MnistPipelineOptions]> = [
  ['same account', {}],
  ['cross-account', { devAccount: DEV, prodAccount: PROD, region: REGION }],
];
const synthesized = new Map<string, Synthesized>(variants.map(([name, options]) => [name, synthesize(options)]));
const pinned = synthesize({ devAccount: DEV, prodAccount: PROD, region: REGION, prodModelVersion: 3 });

describe.each(variants)('the pipeline, %s', (name) => {
  const { pipeline, dev, prod } = synthesized.get(name)!;
  const cross = name === 'cross-account';

  test('one training job in the whole pipeline, in dev; prod trains, copies and registers nothing', () => {
    expect(ofType(dev, 'Custom::SageMakerTrainingJob')).toHaveLength(1);
    for (const type of ['Custom::SageMakerTrainingJob', 'Custom::S3PrefixCopy', 'AWS::SageMaker::ModelPackageGroup', 'Custom::ModelPackageVersion', 'Custom::PromotionPointerSync']) {
      expect([type, ofType(prod, type)]).toEqual([type, []]);
    }
    expect(ofType(pipeline, 'Custom::SageMakerTrainingJob')).toEqual([]);
    // Dev registers what it trained into the pipeline's group and keeps the promotion pointer.
    expect(onlyOfType(dev, 'AWS::SageMaker::ModelPackageGroup')[1].Properties!.ModelPackageGroupName).toBe(GROUP);
    expect(onlyOfType(dev, 'Custom::ModelPackageVersion')).toBeDefined();
    expect(onlyOfType(dev, 'AWS::SSM::Parameter')[1].Properties!.Name).toBe(POINTER_NAME);
  });

  test('prod\'s model is the version the guard approved, which is the SSM-typed parameter\'s (the promotion pointer)', () => {
    const [, model] = onlyOfType(prod, 'AWS::SageMaker::Model');
    const [guardId, guard] = onlyOfType(prod, 'Custom::ApprovedModelPackage');
    expect(model.Properties!.PrimaryContainer).toEqual({ ModelPackageName: { 'Fn::GetAtt': [guardId, 'ModelPackageArn'] } });
    const ref = (guard.Properties!.ModelPackageArn as { Ref: string }).Ref;
    expect(prod.Parameters![ref]).toMatchObject({
      Type: 'AWS::SSM::Parameter::Value<String>',
      // Another account's shared parameter is read by its full ARN.
      Default: cross ? `arn:aws:ssm:${REGION}:${DEV}:parameter${POINTER_NAME}` : POINTER_NAME,
    });
  });

  test('Prod: ApproveProd, then PromoteProd, then the deploy, then ProdSmokeTest', () => {
    const names = pipelineStages(pipeline).map((s) => s.Name);
    expect(names.slice(-2)).toEqual(['Dev', 'Prod']);
    const order = (action: string) => actionNamed(stageNamed(pipeline, 'Prod'), action).RunOrder;
    expect(order('ApproveProd')).toBeLessThan(order('PromoteProd'));
    expect(order('PromoteProd')).toBeLessThan(order('MnistSageMaker.Prepare'));
    expect(order('MnistSageMaker.Prepare')).toBeLessThan(order('MnistSageMaker.Deploy'));
    expect(order('MnistSageMaker.Deploy')).toBeLessThan(order('ProdSmokeTest'));
    // Dev has no approval and no promotion: it deploys, then tests.
    expect(stageNamed(pipeline, 'Dev').Actions.map((a) => a.Name).sort()).toEqual(['DevSmokeTest', 'MnistSageMaker.Deploy', 'MnistSageMaker.Prepare']);
  });

  test('PromoteProd promotes the version dev deployed (dev\'s ModelPackageArn output) and waits for the pointer', () => {
    const devDeploy = actionNamed(stageNamed(pipeline, 'Dev'), 'MnistSageMaker.Deploy');
    expect(dev.Outputs).toHaveProperty('ModelPackageArn');
    const promote = actionNamed(stageNamed(pipeline, 'Prod'), 'PromoteProd');
    expect(envOf(promote)).toEqual([{ name: PROMOTION_ENV.modelPackageArn, type: 'PLAINTEXT', value: `#{${devDeploy.Namespace}.ModelPackageArn}` }]);
    const { commands, environment, statements } = project(pipeline, promote);
    expect(commands).toEqual(['sh scripts/promote-model.sh']);
    expect(environment).toContainEqual(expect.objectContaining({ Name: PROMOTION_ENV.pointerParameter, Value: POINTER_NAME }));
    expect(statements.filter((s) => s.Sid).map((s) => s.Sid).sort()).toEqual(['ApproveTheTestedGroupsVersions', 'ReadThePromotionPointer']);
  });

  test(cross ? 'customer-managed keys: the pipeline\'s artifacts and dev\'s bucket' : 'no customer-managed key for the pipeline\'s artifacts or dev\'s bucket', () => {
    const [, codePipeline] = onlyOfType(pipeline, 'AWS::CodePipeline::Pipeline');
    const store = codePipeline.Properties!.ArtifactStore as { EncryptionKey?: unknown };
    expect(ofType(pipeline, 'AWS::KMS::Key')).toHaveLength(cross ? 1 : 0);
    expect(store.EncryptionKey !== undefined).toBe(cross);
    const storage = ofType(dev, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('StorageBucket'));
    expect(storage).toHaveLength(1);
    const [{ ServerSideEncryptionByDefault: encryption }] = (storage[0][1].Properties!.BucketEncryption as { ServerSideEncryptionConfiguration: Array<{ ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID?: unknown } }> })
      .ServerSideEncryptionConfiguration;
    if (cross) {
      expect(encryption).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^StorageKey/), 'Arn'] } });
    } else {
      expect(encryption).toEqual({ SSEAlgorithm: 'AES256' });
    }
    // Consumers are admitted only across accounts.
    expect(ofType(dev, 'AWS::RAM::ResourceShare')).toHaveLength(cross ? 1 : 0);
    expect(onlyOfType(dev, 'AWS::SageMaker::ModelPackageGroup')[1].Properties!.ModelPackageGroupPolicy === undefined).toBe(!cross);
  });
});

describe('the pipeline with prod pinned to version 3 (prodModelVersion=3, cross-account)', () => {
  test('prod serves exactly version 3 through the guard, and reads no pointer', () => {
    const [guardId, guard] = onlyOfType(pinned.prod, 'Custom::ApprovedModelPackage');
    expect(guard.Properties!.ModelPackageArn).toBe(versionArn(3));
    expect(onlyOfType(pinned.prod, 'AWS::SageMaker::Model')[1].Properties!.PrimaryContainer).toEqual({ ModelPackageName: { 'Fn::GetAtt': [guardId, 'ModelPackageArn'] } });
    expect(Object.keys(pinned.prod.Parameters ?? {})).toEqual(['BootstrapVersion']);
    expect(ofType(pinned.prod, 'Custom::SageMakerTrainingJob')).toEqual([]);
  });

  test('PromoteProd approves nothing: it says prod is pinned, and its role has no registry or pointer grant', () => {
    const promote = actionNamed(stageNamed(pinned.pipeline, 'Prod'), 'PromoteProd');
    const { commands, statements } = project(pinned.pipeline, promote);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatch(/^echo "Prod is pinned to version 3 of mnist-pipeline-models \(prodModelVersion\)/);
    expect(commands.join('\n')).not.toContain('promote-model.sh');
    const granted = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(granted.filter((a) => /^(sagemaker|ssm):/.test(a))).toEqual([]);
  });
});

// ---- scripts/promote-model.sh against a stand-in `aws`

const TESTED = versionArn(3);
const NEWER = versionArn(4);

interface RegistryState {
  /** The tested version's approval status. */
  status: string;
  /** What the pointer holds now. */
  pointer: string;
  /** After the update, the pointer names the approved version only after this many more reads (the Lambda's delay). */
  pointerLagReads?: number;
  /** A newer version is Approved: the pointer names it whatever happens to the tested one. */
  newerApproved?: string;
}

/**
 * The CLI as the script uses it: describe-model-package / update-model-package of the tested version
 * and ssm get-parameter of the pointer, answered from a JSON state file; every call is appended to
 * calls.jsonl. Anything else fails as the CLI does (exit 252/254, message on stderr).
 */
const STAND_IN = `#!/usr/bin/env node
const fs = require('fs');
const dir = process.env.STAND_IN_DIR;
const args = process.argv.slice(2);
fs.appendFileSync(dir + '/calls.jsonl', JSON.stringify(args) + '\\n');
const state = JSON.parse(fs.readFileSync(dir + '/state.json', 'utf8'));
const save = () => fs.writeFileSync(dir + '/state.json', JSON.stringify(state));
const opt = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
const fail = (code, message) => { process.stderr.write(message + '\\n'); process.exit(code); };
const [service, operation] = args;
// A value the script reads into a variable must come as text (the CLI's default output is JSON).
if (opt('--query') !== undefined && opt('--output') !== 'text') fail(252, 'the stand-in answers a --query with --output text only');
if (service === 'sagemaker' && operation === 'describe-model-package') {
  if (opt('--model-package-name') !== state.arn) fail(254, 'An error occurred (ValidationException) when calling the DescribeModelPackage operation: Model Package ' + opt('--model-package-name') + ' does not exist.');
  if (opt('--query') !== 'ModelApprovalStatus') fail(252, 'unexpected --query ' + opt('--query'));
  process.stdout.write(state.status + '\\n');
} else if (service === 'sagemaker' && operation === 'update-model-package') {
  if (opt('--model-package-arn') !== state.arn) fail(254, 'An error occurred (ValidationException): no such version');
  state.status = opt('--model-approval-status');
  if (state.status === 'Approved' && !state.newerApproved) state.pointerAfter = state.arn;
  save();
  process.stdout.write('{"ModelPackageArn": "' + state.arn + '"}\\n');
} else if (service === 'ssm' && operation === 'get-parameter') {
  if (opt('--name') !== state.pointerName) fail(254, 'An error occurred (ParameterNotFound) when calling the GetParameter operation: ');
  if (opt('--query') !== 'Parameter.Value') fail(252, 'unexpected --query ' + opt('--query'));
  if (state.newerApproved) state.pointer = state.newerApproved;
  else if (state.pointerAfter && (state.pointerLagReads || 0) > 0) state.pointerLagReads -= 1;
  else if (state.pointerAfter) state.pointer = state.pointerAfter;
  save();
  process.stdout.write(state.pointer + '\\n');
} else {
  fail(252, 'the stand-in does not answer ' + args.join(' '));
}
`;

interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly calls: string[][];
  readonly seconds: number;
}

/** Runs the script as the Promote step does (`sh scripts/promote-model.sh`), bounded by a timeout. */
async function promote(state: RegistryState, env: Record<string, string | undefined> = {}): Promise<ScriptRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promote-model-'));
  try {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'aws'), STAND_IN, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ ...state, arn: TESTED, pointerName: POINTER_NAME }));
    fs.writeFileSync(path.join(dir, 'calls.jsonl'), '');
    const started = Date.now();
    const child = spawn('sh', [path.join(ROOT, 'scripts', 'promote-model.sh')], {
      cwd: dir,
      env: Object.fromEntries(Object.entries({
        PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
        STAND_IN_DIR: dir,
        CODEBUILD_BUILD_ID: 'MnistPipeline-PromoteProd:0000',
        [PROMOTION_ENV.modelPackageArn]: TESTED,
        [PROMOTION_ENV.pointerParameter]: POINTER_NAME,
        PROMOTE_WAIT_SECONDS: '2',
        PROMOTE_POLL_SECONDS: '1',
        ...env,
      }).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const status = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(signal ? null : code));
    });
    const calls = fs.readFileSync(path.join(dir, 'calls.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as string[]);
    return { status, stdout, stderr, calls, seconds: (Date.now() - started) / 1000 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const operations = (run: ScriptRun) => run.calls.map((c) => `${c[0]} ${c[1]}`);

describe('scripts/promote-model.sh (the PromoteProd step)', () => {
  test('a pending version: approves it, then waits until the pointer names it', async () => {
    const run = await promote({ status: 'PendingManualApproval', pointer: versionArn(2), pointerLagReads: 1 });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const update = run.calls.find((c) => c[1] === 'update-model-package')!;
    expect(update).toEqual(expect.arrayContaining(['--model-package-arn', TESTED, '--model-approval-status', 'Approved']));
    expect(update[update.indexOf('--approval-description') + 1]).toContain('MnistPipeline-PromoteProd:0000');
    // Describe, approve, then read the pointer until it names the version (one read before the pointer's Lambda caught up).
    expect(operations(run)).toEqual(['sagemaker describe-model-package', 'sagemaker update-model-package', 'ssm get-parameter', 'ssm get-parameter']);
    expect(run.stdout).toContain(`promote: approved ${TESTED} (was PendingManualApproval)`);
    expect(run.stdout).toContain(`${POINTER_NAME} names ${TESTED}: the next stage deploys it`);
  }, 30_000);

  test('an Approved version: no update, and done once the pointer names it', async () => {
    const run = await promote({ status: 'Approved', pointer: TESTED });
    expect(run.status).toBe(0);
    expect(operations(run)).toEqual(['sagemaker describe-model-package', 'ssm get-parameter']);
    expect(run.stdout).toContain(`promote: ${TESTED} is already Approved`);
  }, 30_000);

  test('a Rejected version: exit 1 without an update; the message says it was rejected and how to roll back', async () => {
    const run = await promote({ status: 'Rejected', pointer: versionArn(2) });
    expect(run.status).toBe(1);
    expect(operations(run)).toEqual(['sagemaker describe-model-package']);
    expect(run.stderr).toContain(`${TESTED} is Rejected`);
    expect(run.stderr).toContain('-c prodModelVersion=<n>');
  }, 30_000);

  test('a newer Approved version in the pointer: exit 1 after the bounded wait, naming both versions', async () => {
    const run = await promote({ status: 'PendingManualApproval', pointer: versionArn(2), newerApproved: NEWER });
    expect(run.status).toBe(1);
    expect(operations(run).filter((o) => o === 'sagemaker update-model-package')).toHaveLength(1);
    // PROMOTE_WAIT_SECONDS=2, PROMOTE_POLL_SECONDS=1: reads at 0, 1 and 2 s, then it gives up.
    expect(operations(run).filter((o) => o === 'ssm get-parameter')).toHaveLength(3);
    expect(run.seconds).toBeLessThan(10);
    expect(run.stderr).toContain(`after 2 s ${POINTER_NAME} names ${NEWER}, not ${TESTED}`);
    expect(run.stderr).toMatch(/reject it/);
  }, 30_000);

  test.each([
    [PROMOTION_ENV.modelPackageArn, 'set MODEL_PACKAGE_ARN to the version to promote'],
    [PROMOTION_ENV.pointerParameter, 'set POINTER_PARAMETER to the promotion pointer'],
  ])('without %s: a clear error and no AWS call', async (variable, message) => {
    const run = await promote({ status: 'PendingManualApproval', pointer: 'none' }, { [variable]: undefined });
    expect(run.status).not.toBe(0);
    expect(run.status).not.toBeNull();
    expect(run.stderr).toContain(variable);
    expect(run.stderr).toContain(message);
    expect(run.calls).toEqual([]);
  }, 30_000);
});

// ---- the pipeline's targets from context

describe('readPipelineTargets', () => {
  const read = (context: Record<string, unknown>, pipelineAccount?: string) => readPipelineTargets(new App({ context }).node, pipelineAccount);

  test('reads the accounts and the pinned version', () => {
    expect(read({ devAccount: DEV, prodAccount: PROD, prodModelVersion: '3' }, DEV)).toEqual({ devAccount: DEV, prodAccount: PROD, prodModelVersion: 3 });
    expect(read({}, DEV)).toEqual({ devAccount: undefined, prodAccount: undefined, prodModelVersion: undefined });
    // Without credentials the pipeline's account is unknown: dev is taken as named.
    expect(read({ devAccount: DEV })).toEqual({ devAccount: DEV, prodAccount: undefined, prodModelVersion: undefined });
  });

  test.each([
    ['devAccount is not 12 digits', { devAccount: '12345' }, "Pipeline context 'devAccount' is '12345', which is not valid: expected a 12-digit AWS account id"],
    ['prodAccount is not an account', { prodAccount: 'prod' }, "Pipeline context 'prodAccount' is 'prod', which is not valid"],
    ['devAccount is not the pipeline\'s account', { devAccount: PROD }, `Pipeline context 'devAccount' is ${PROD} but the pipeline deploys to ${DEV}`],
    ['prodModelVersion 0', { prodModelVersion: '0' }, "Pipeline context 'prodModelVersion' is '0', which is not valid: expected a registry version number such as 3"],
    ['prodModelVersion x', { prodModelVersion: 'x' }, "Pipeline context 'prodModelVersion' is 'x', which is not valid"],
    ['prodModelVersion 1.5', { prodModelVersion: '1.5' }, "Pipeline context 'prodModelVersion' is '1.5', which is not valid"],
  ])('%s: a SettingsError naming it', (_, context, message) => {
    expect(() => read(context, DEV)).toThrow(SettingsError);
    expect(() => read(context, DEV)).toThrow(message);
  });

  test('mnistPipelineStages refuses prodAccount without devAccount', () => {
    expect(() => mnistPipelineStages({ prodAccount: PROD, region: REGION })).toThrow(SettingsError);
    expect(() => mnistPipelineStages({ prodAccount: PROD, region: REGION })).toThrow(/prodAccount 222222222222 is named but devAccount is not/);
  });
});

describe('the app (bin/app.ts) on a bad pipeline target', () => {
  test('-c prodModelVersion=x: its one-line message, exit 1, no template', () => {
    const run = runCdkAppOnce({
      context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], pipeline: 'true', ...SOURCE, prodModelVersion: 'x' },
      env: { CDK_DEFAULT_ACCOUNT: DEV, CDK_DEFAULT_REGION: REGION },
      timeoutMs: 120_000,
    });
    expect({ status: run.status, lines: run.stderr.trimEnd().split('\n') }).toEqual({
      status: 1,
      lines: [expect.stringMatching(/^Pipeline context 'prodModelVersion' is 'x', which is not valid: expected a registry version number such as 3 /)],
    });
    expect(run.files.filter((f) => f.endsWith('.template.json'))).toEqual([]);
  }, 150_000);
});

describe('registry settings a stack refuses at synth, naming the fix', () => {
  const context = { ...JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf-8')).context, 'aws:cdk:bundling-stacks': [] };

  test('a registry in another region: SageMaker creates a model only from a version of its own region', () => {
    const app = new App({ context });
    expect(() => new MnistSageMakerStack(app, 'Prod', {
      env: { account: PROD, region: REGION },
      servedFromRegistry: { modelPackageGroupName: PIPELINE_MODEL_PACKAGE_GROUP, account: DEV, region: 'us-east-1', pointerParameterName: '/model-registry/x/approved-version' },
    })).toThrow(new SettingsError(
      `The registry is in us-east-1 but this stack deploys to ${REGION}: SageMaker creates a model only from a version in its own region. ` +
        "Deploy the serving stack to the registry's region (or register the model in a registry of that region).",
    ));
  });

  test('consumer accounts with S3-managed keys: another account may use only a customer-managed key', () => {
    const app = new App({ context });
    expect(() => new MnistSageMakerStack(app, 'Dev', {
      env: { account: DEV, region: REGION },
      settings: { bucketEncryption: 's3-managed' },
      promotion: { consumerAccounts: [PROD] },
    })).toThrow(/needs the artifacts encrypted with a customer-managed key.*set -c bucketEncryption=kms/);
  });

  test('a pinned version that is not a whole number from 1', () => {
    const app = new App({ context });
    expect(() => new MnistSageMakerStack(app, 'Prod', {
      servedFromRegistry: { modelPackageGroupName: PIPELINE_MODEL_PACKAGE_GROUP, version: 0, pointerParameterName: '/model-registry/x/approved-version' },
    })).toThrow('Model version 0 is not valid: a registry version is a whole number from 1.');
  });
});
