// cfn-lint (AWS's CloudFormation linter: resource schemas, intrinsic functions, property
// constraints) over every template of the pipeline app: the pipeline stack and each stage's stack,
// for a same-account and a cross-account pipeline, as `cdk synth` writes them. Any error fails, and
// so does any warning not explained below.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { mnistPipelineStages, MnistPipelineOptions } from '../../lib/mnist/mnist-stage';
import { PipelineStack } from '../../lib/mnist/pipeline-stack';
import { projectPython } from '../support/project-python';

const ROOT = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = require(path.join(ROOT, 'cdk.json')).context as Record<string, unknown>;
const DEV = '111111111111';
const PROD = '222222222222';
const REGION = 'eu-west-1';

interface Finding {
  readonly file: string;
  readonly rule: string;
  readonly message: string;
  readonly path: string;
  readonly line: number;
}

/**
 * Findings cfn-lint reports on every CDK template, and why they are no defect. Each names its rule
 * and what it matches; anything else fails the test.
 */
const EXPLAINED: Array<{ rule: string; matches: (f: Finding) => boolean; why: string }> = [
  {
    rule: 'W3005',
    // "'XRole' dependency already enforced by a 'GetAtt' at 'Resources/X/Properties/Role'"
    matches: (f) => /dependency already enforced by a '(GetAtt|Ref)'/.test(f.message) && /\/DependsOn\/\d+$/.test(f.path),
    why: 'aws-cdk-lib adds a DependsOn on a role (and its default policy) to each function or resource that uses the role, ' +
      'so the resource waits for the policy too; the role half of it repeats what the GetAtt/Ref already orders. Harmless.',
  },
  {
    rule: 'E3703',
    // cfn-lint 1.51's PipelineActionConfiguration validates Configuration.RoleArn and relabels every
    // finding of that validation as E3703, including the informational I1022 ("Prefer using Fn::Sub
    // over Fn::Join with an empty delimiter"). CDK Pipelines writes each deploy action's role as
    // Fn::Join ['', ['arn:', Ref AWS::Partition, ':iam::<account>:role/cdk-hnb659fds-…']], which is
    // valid CloudFormation; the test below checks that the flagged actions are exactly those.
    matches: (f) => f.message === 'Prefer using Fn::Sub over Fn::Join with an empty delimiter' && /^Resources\/Pipeline[0-9A-F]{8}\/Properties\/Stages\/\d+\/Actions\/\d+\/Configuration\/RoleArn$/.test(f.path),
    why: "an informational finding (I1022, Sub instead of Join) that cfn-lint's E3703 re-labels as an error when it checks a CloudFormation deploy action's RoleArn",
  },
];

/** A Python with cfn-lint: the project's (scripts/python.sh), else python3 on PATH; undefined if none. */
function lintPython(): { python?: string; tried: string[] } {
  const tried: string[] = [];
  const candidates: Array<() => string> = [() => projectPython(), () => 'python3'];
  for (const candidate of candidates) {
    let python: string;
    try {
      python = candidate();
    } catch {
      continue;
    }
    tried.push(python);
    const probe = spawnSync(python, ['-c', 'from cfnlint.api import lint_file'], { timeout: 60_000 });
    if (probe.status === 0) return { python, tried };
  }
  return { tried };
}

// The findings as JSON, one Python process for all of a variant's templates (cfn-lint loads its schemas once).
const LINT = `
import json, sys
from pathlib import Path
from cfnlint.api import lint_file, ManualArgs
findings = []
for name in sys.argv[2:]:
    for m in lint_file(Path(name), config=ManualArgs(regions=[sys.argv[1]])):
        findings.append({'file': name, 'rule': m.rule.id, 'message': m.message, 'path': '/'.join(str(p) for p in (m.path or [])), 'line': m.linenumber})
print(json.dumps(findings))
`;

function runLint(python: string, templates: string[]): Promise<Finding[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', LINT, REGION, ...templates], { timeout: 240_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) reject(new Error(`cfn-lint (${python}) exited ${code ?? signal}: ${stderr.slice(-2000)}`));
      else resolve((JSON.parse(stdout) as Finding[]).map((f) => ({ ...f, file: path.basename(f.file) })));
    });
  });
}

/** Synthesizes the pipeline app into `outdir` and returns its templates (the pipeline's and each stage's). */
function synthesize(outdir: string, options: MnistPipelineOptions): string[] {
  const app = new App({ outdir, context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  new PipelineStack(app, 'MnistPipeline', {
    env: { account: DEV, region: REGION },
    source: {
      connectionArn: `arn:aws:codeconnections:${REGION}:${DEV}:connection/11111111-2222-3333-4444-555555555555`,
      repository: 'example-org/mnist-sagemaker-cdk',
      branch: 'main',
    },
    stages: mnistPipelineStages(options),
  });
  const templates = app.synth().stacksRecursively.map((s) => s.templateFullPath);
  expect(templates).toHaveLength(3);
  return templates;
}

const format = (findings: Finding[]) => findings.map((f) => `${f.rule} ${f.file}:${f.line} ${f.path}: ${f.message}`).join('\n');

const variants: Array<[string, MnistPipelineOptions]> = [
  ['same account', {}],
  ['cross-account', { devAccount: DEV, prodAccount: PROD, region: REGION }],
];

const { python, tried } = lintPython();
const describeIfLint = python ? describe : describe.skip;
if (!python) {
  // Visible in the run's output: the test is skipped, not passed.
  process.stderr.write(`pipeline-templates-lint: skipped, no Python with cfn-lint (tried ${tried.join(', ') || 'none'}); pip install cfn-lint==1.51.0 to run it.\n`);
}

describeIfLint('cfn-lint over the pipeline app\'s templates', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-lint-'));
  const assemblies = variants.map(([name, options]) => {
    const dir = path.join(outdir, name.replace(/\W+/g, '-'));
    return { name, dir, templates: synthesize(dir, options) };
  });
  // Both variants' lint runs at once (cfn-lint takes seconds per template).
  const linted = Promise.all(assemblies.map((a) => runLint(python!, a.templates)));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test.each(variants.map(([name], i) => [name, i] as const))('%s: no errors, and only the explained warnings', async (_, index) => {
    const findings = (await linted)[index];
    const unexplained = findings.filter((f) => !EXPLAINED.some((e) => e.rule === f.rule && e.matches(f)));
    if (unexplained.length > 0) {
      throw new Error(`cfn-lint found ${unexplained.length} unexplained finding(s) in the ${variants[index][0]} pipeline's templates (cfn-lint of ${python}):\n${format(unexplained)}`);
    }
    // The stage templates are linted, not skipped: each contributes its explained warnings at least.
    expect(new Set(findings.map((f) => f.file)).size).toBeGreaterThanOrEqual(2);
  }, 300_000);

  test('the E3703 findings are the CloudFormation deploy actions\' RoleArn joins, nothing else', async () => {
    const all = await linted;
    for (const [index, findings] of all.entries()) {
      const e3703 = findings.filter((f) => f.rule === 'E3703');
      const template = JSON.parse(fs.readFileSync(assemblies[index].templates.find((t) => path.basename(t) === 'MnistPipeline.template.json')!, 'utf8')) as {
        Resources: Record<string, { Properties: { Stages: Array<{ Actions: Array<{ ActionTypeId: { Provider: string }; Configuration: { ActionMode?: string; RoleArn?: unknown } }> }> } }>;
      };
      // One per stage: the change-set action (Prepare) of dev and of prod.
      expect(e3703).toHaveLength(2);
      for (const finding of e3703) {
        const [, pipelineId, stage, action] = /^Resources\/([^/]+)\/Properties\/Stages\/(\d+)\/Actions\/(\d+)\/Configuration\/RoleArn$/.exec(finding.path)!;
        const flagged = template.Resources[pipelineId].Properties.Stages[Number(stage)].Actions[Number(action)];
        expect(flagged.ActionTypeId.Provider).toBe('CloudFormation');
        expect(flagged.Configuration.ActionMode).toBe('CHANGE_SET_REPLACE');
        // A valid role ARN once CloudFormation resolves the join (pseudo parameters of a region-agnostic stage shown as {…}).
        const [delimiter, parts] = (flagged.Configuration.RoleArn as { 'Fn::Join': [string, Array<string | { Ref: string }>] })['Fn::Join'];
        expect(delimiter).toBe('');
        const rendered = parts.map((p) => (typeof p === 'string' ? p : `{${p.Ref}}`)).join('');
        expect(rendered).toMatch(/^arn:\{AWS::Partition\}:iam::(\d{12}|\{AWS::AccountId\}):role\/cdk-hnb659fds-cfn-exec-role-(\d{12}|\{AWS::AccountId\})-(eu-west-1|\{AWS::Region\})$/);
      }
    }
  }, 300_000);
});
