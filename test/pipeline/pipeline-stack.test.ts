import { App, CfnOutput, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  PipelineStack, PipelineStageDefinition, SmokeTestedStage, readPipelineSource, pipelineRequested, synthCommand,
} from '../../lib/mnist/pipeline-stack';

const ENV = { account: '123456789012', region: 'us-east-1' };
const SOURCE = {
  connectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/0f1e2d3c-aaaa-bbbb-cccc-111122223333',
  repository: 'example-org/mnist-sagemaker-cdk',
  branch: 'main',
};

/** A minimal stage shaped like MnistStage: one stack with a function and its name as an output. */
class FakeStage extends Stage implements SmokeTestedStage {
  public readonly smokeTestFunctionNameOutput: CfnOutput;
  public readonly smokeTestFunctionNamePrefix: string;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = new Stack(this, 'Model');
    const fn = new lambda.Function(stack, 'SmokeTest', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ passed: true });'),
    });
    this.smokeTestFunctionNameOutput = new CfnOutput(stack, 'SmokeTestFunctionName', { value: fn.functionName });
    this.smokeTestFunctionNamePrefix = `${stack.stackName}-`;
  }
}

const STAGES: PipelineStageDefinition[] = [
  { id: 'Dev', create: (scope, id) => new FakeStage(scope, id) },
  { id: 'Prod', manualApproval: true, create: (scope, id) => new FakeStage(scope, id) },
];

function synthPipeline(synthContext?: Record<string, string>) {
  const app = new App();
  const stack = new PipelineStack(app, 'Pipeline', { env: ENV, source: SOURCE, stages: STAGES, synthContext });
  return { stack, template: Template.fromStack(stack) };
}

type Action = { Name: string; RunOrder: number; ActionTypeId: { Category: string; Provider: string }; Configuration: Record<string, unknown> };
type PipelineStage = { Name: string; Actions: Action[] };

function pipelineStages(template: Template): PipelineStage[] {
  const pipelines = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
  expect(pipelines).toHaveLength(1);
  return pipelines[0].Properties.Stages as PipelineStage[];
}

describe('PipelineStack', () => {
  const { stack, template } = synthPipeline({ alarmEmail: 'ops@example.com' });
  const stages = pipelineStages(template);
  const stage = (name: string) => {
    const found = stages.find((s) => s.Name === name);
    if (!found) throw new Error(`no pipeline stage ${name} in ${stages.map((s) => s.Name).join(', ')}`);
    return found;
  };

  test('source → build → self-update → dev → prod, in that order', () => {
    const names = stages.map((s) => s.Name);
    expect(names[0]).toBe('Source');
    expect(names[1]).toBe('Build');
    expect(names).toContain('UpdatePipeline');
    expect(names.slice(-2)).toEqual(['Dev', 'Prod']);
  });

  test('the source is the CodeConnections repository and branch from context', () => {
    const [source] = stage('Source').Actions;
    expect(source.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeStarSourceConnection' });
    expect(source.Configuration).toMatchObject({
      ConnectionArn: SOURCE.connectionArn, FullRepositoryId: SOURCE.repository, BranchName: SOURCE.branch,
    });
  });

  type BuildSpec = { phases: Record<string, { 'runtime-versions'?: Record<string, string>; commands?: string[] }> };
  const projects = Object.values(template.findResources('AWS::CodeBuild::Project'));
  const buildSpecs = projects.map((p) => JSON.parse(String(p.Properties.Source.BuildSpec)) as BuildSpec);
  const synthIndex = buildSpecs.findIndex((spec) => JSON.stringify(spec).includes('cdk synth'));
  const synthSpec = buildSpecs[synthIndex];

  test('the synth step installs, runs the whole test suite, then the pipeline-mode cdk synth with the same context', () => {
    expect(synthSpec.phases.build.commands).toEqual([
      'npm ci',
      'npm test',
      `npx cdk synth -c pipeline=true -c connectionArn=${SOURCE.connectionArn} -c repository=${SOURCE.repository} -c branch=main -c alarmEmail=ops@example.com`,
    ]);
  });

  test('the synth step selects Node.js 22 and Python 3.12 (the model tests) on a 4-vCPU standard:7.0 build', () => {
    expect(synthSpec.phases.install['runtime-versions']).toEqual({ nodejs: '22', python: '3.12' });
    expect(projects[synthIndex].Properties.Environment).toMatchObject({
      Image: 'aws/codebuild/standard:7.0', ComputeType: 'BUILD_GENERAL1_MEDIUM',
    });
  });

  test('every CodeBuild project (synth, self-update, assets, smoke tests) runs Node.js 22, none an end-of-life Node.js', () => {
    expect(projects.length).toBeGreaterThanOrEqual(4);
    for (const [i, spec] of buildSpecs.entries()) {
      expect(spec.phases.install['runtime-versions']).toMatchObject({ nodejs: '22' });
      expect(projects[i].Properties.Environment).toMatchObject({ Image: 'aws/codebuild/standard:7.0' });
    }
  });

  test('dev deploys without approval; prod waits for a manual approval before deploying', () => {
    const approvals = (name: string) => stage(name).Actions.filter((a) => a.ActionTypeId.Category === 'Approval');
    expect(approvals('Dev')).toHaveLength(0);
    const [approval] = approvals('Prod');
    expect(approval).toBeDefined();
    const deploys = stage('Prod').Actions.filter((a) => a.ActionTypeId.Provider === 'CloudFormation');
    expect(deploys.length).toBeGreaterThan(0);
    for (const deploy of deploys) expect(deploy.RunOrder).toBeGreaterThan(approval.RunOrder);
  });

  test.each(['Dev', 'Prod'])('%s ends with a smoke-test step fed by the stack output, after the deploy', (name) => {
    const actions = stage(name).Actions;
    const smoke = actions.find((a) => a.Name.includes('SmokeTest'));
    expect(smoke).toBeDefined();
    expect(smoke!.ActionTypeId).toMatchObject({ Category: 'Build', Provider: 'CodeBuild' });
    const lastDeploy = Math.max(...actions.filter((a) => a.ActionTypeId.Provider === 'CloudFormation').map((a) => a.RunOrder));
    expect(smoke!.RunOrder).toBeGreaterThan(lastDeploy);
    const env = JSON.parse(String(smoke!.Configuration.EnvironmentVariables)) as Array<{ name: string; value: string }>;
    expect(env).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'SMOKE_TEST_FUNCTION_NAME', value: expect.stringMatching(/^#\{.+\.SmokeTestFunctionName\}$/) }),
    ]));
  });

  test('the smoke-test steps run the invoke-and-check commands', () => {
    const specs = Object.values(template.findResources('AWS::CodeBuild::Project'))
      .map((p) => String(p.Properties.Source.BuildSpec))
      .filter((spec) => spec.includes('aws lambda invoke'));
    expect(specs).toHaveLength(2);
    for (const spec of specs) {
      expect(spec).toContain('--function-name \\"${SMOKE_TEST_FUNCTION_ARN_PREFIX:-}$SMOKE_TEST_FUNCTION_NAME\\"');
      expect(spec).toContain('report.passed !== true');
    }
  });

  test("each smoke-test role may invoke only its own stage's functions", () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const invokeStatements = Object.values(policies).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).filter((s) =>
        ([] as string[]).concat(s.Action).some((a) => a.startsWith('lambda:'))),
    );
    expect(invokeStatements).toHaveLength(2);
    const resources = invokeStatements.map((s) => JSON.stringify(s.Resource)).sort();
    expect(resources[0]).toContain(':lambda:us-east-1:123456789012:function:Dev-Model-*');
    expect(resources[1]).toContain(':lambda:us-east-1:123456789012:function:Prod-Model-*');
    for (const s of invokeStatements) expect(s.Action).toBe('lambda:InvokeFunction');
  });

  test('no role in the pipeline may invoke every Lambda function', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
    );
    for (const s of statements) {
      const actions = ([] as string[]).concat(s.Action);
      if (actions.some((a) => a === 'lambda:InvokeFunction' || a === 'lambda:*')) {
        expect(JSON.stringify(s.Resource)).not.toMatch(/"\*"/);
      }
    }
  });

  test('stages are exposed in deploy order', () => {
    expect(stack.stages.map((s) => s.stageName)).toEqual(['Dev', 'Prod']);
  });

  test('the pipeline is a V2 pipeline without a cross-account KMS key', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2' });
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { ArtifactStore: Match.objectLike({ Type: 'S3' }) });
  });
});

describe('pipeline context', () => {
  const withContext = (context: Record<string, unknown>) => new App({ context }).node;

  test('pipeline mode is off unless pipeline=true', () => {
    expect(pipelineRequested(withContext({}))).toBe(false);
    expect(pipelineRequested(withContext({ pipeline: 'false' }))).toBe(false);
    expect(pipelineRequested(withContext({ pipeline: 'true' }))).toBe(true);
    expect(pipelineRequested(withContext({ pipeline: true }))).toBe(true);
  });

  test('reads all three source settings', () => {
    expect(readPipelineSource(withContext({ ...SOURCE }))).toEqual(SOURCE);
  });

  test.each(['connectionArn', 'repository', 'branch'])('a missing %s fails synth by name', (key) => {
    const context: Record<string, string> = { ...SOURCE };
    delete context[key];
    expect(() => readPipelineSource(withContext(context))).toThrow(new RegExp(`Pipeline context '${key}' is missing: .* -c ${key}=`));
  });

  test.each([
    ['connectionArn', 'arn:aws:s3:::not-a-connection'],
    ['repository', 'no-owner'],
    ['branch', 'main; rm -rf /'],
  ])('a malformed %s fails synth by name', (key, value) => {
    expect(() => readPipelineSource(withContext({ ...SOURCE, [key]: value }))).toThrow(new RegExp(`Pipeline context '${key}' is '.*', which is not valid`));
  });

  test('synth context that a shell would interpret is refused', () => {
    expect(() => synthCommand(SOURCE, { alarmEmail: 'a@b.c; curl evil' })).toThrow(/characters a shell would interpret/);
  });
});
