import { ArnFormat, CfnOutput, Duration, Stack, StackProps, Stage, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct, Node } from 'constructs';
import { ModelPackageGroup } from '../registry/model-package-group';
import { readBooleanContext } from '../settings';
import { SettingsError } from '../settings/settings-error';

/** Where the pipeline reads the repository: a CodeConnections (CodeStar Connections) source. */
export interface PipelineSourceSettings {
  /** `arn:aws:codeconnections:REGION:ACCOUNT:connection/ID` (or the older `codestar-connections`). */
  readonly connectionArn: string;
  /** `owner/name` as the connection's provider spells it (GitHub, GitLab, Bitbucket). */
  readonly repository: string;
  readonly branch: string;
}

/** A stage the pipeline can gate: it names the Lambda function that smoke-tests what it deployed. */
export interface SmokeTestedStage extends Stage {
  /** Stack output holding the smoke-test function's name (read by the post-deployment step). */
  readonly smokeTestFunctionNameOutput: CfnOutput;
  /**
   * Function-name prefix the post-deployment step may invoke (`<stack name>-`): CloudFormation
   * names the function `<stack name>-<logical id>-<suffix>`, so the grant covers only this stage's
   * functions, not the account's.
   */
  readonly smokeTestFunctionNamePrefix: string;
  /** Stack output with the registry version this stage serves (a stage that trains and registers). */
  readonly modelPackageArnOutput?: CfnOutput;
}

/** Promote the version an earlier stage tested before this stage deploys (scripts/promote-model.sh). */
export interface PromotionStepOptions {
  /** Id of the earlier stage whose `modelPackageArnOutput` names the tested version. */
  readonly fromStage: string;
  /** The promotion pointer this stage deploys from (in the pipeline's account and region). */
  readonly pointerParameterName: string;
  /** Its group: the step may approve only this group's versions. */
  readonly modelPackageGroupName: string;
  /**
   * This stage serves a pinned version (a rollback): the step then approves nothing and says so.
   * @default - not pinned: approve the tested version and wait until the pointer names it
   */
  readonly pinnedVersion?: number;
}

export interface PipelineStageDefinition {
  /** Stage id, e.g. `Dev`; becomes the pipeline stage name and the stacks' name prefix. */
  readonly id: string;
  /** A manual approval before this stage deploys. */
  readonly manualApproval?: boolean;
  /**
   * After the manual approval, approve in the model registry the version an earlier stage tested
   * and wait until the promotion pointer names it. @default - no promotion step
   */
  readonly promote?: PromotionStepOptions;
  readonly create: (scope: Construct, id: string) => SmokeTestedStage;
}

export interface PipelineStackProps extends StackProps {
  readonly source: PipelineSourceSettings;
  /** Stages in deploy order. */
  readonly stages: PipelineStageDefinition[];
  /**
   * Further context the pipeline's own `cdk synth` needs to rebuild this same app (for example
   * `alarmEmail`). The source settings and `pipeline=true` are always passed.
   */
  readonly synthContext?: Record<string, string>;
}

/** The context keys that select and configure the pipeline (`cdk synth -c pipeline=true -c ...`). */
export const PIPELINE_CONTEXT = {
  enabled: 'pipeline',
  connectionArn: 'connectionArn',
  repository: 'repository',
  branch: 'branch',
  devAccount: 'devAccount',
  prodAccount: 'prodAccount',
  prodModelVersion: 'prodModelVersion',
} as const;

/** Where the pipeline's stages deploy and which model prod serves, from context. */
export interface PipelineTargets {
  /** Dev's account (the registry's): it must be the pipeline's own. @default the pipeline's account */
  readonly devAccount?: string;
  /** @default the pipeline's account */
  readonly prodAccount?: string;
  /** Pin prod to this registry version (roll back without retraining). @default the newest Approved version */
  readonly prodModelVersion?: number;
}

/**
 * Reads -c devAccount, -c prodAccount and -c prodModelVersion; a bad one fails synth by name. Dev
 * holds the registry, which the pipeline's Promote step updates from the pipeline's account: dev
 * is that account.
 */
export function readPipelineTargets(node: Node, pipelineAccount?: string): PipelineTargets {
  const account = (key: 'devAccount' | 'prodAccount'): string | undefined => {
    const value: unknown = node.tryGetContext(PIPELINE_CONTEXT[key]);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' || !/^\d{12}$/.test(value)) {
      throw new SettingsError(`Pipeline context '${key}' is '${String(value)}', which is not valid: expected a 12-digit AWS account id such as 123456789012.`);
    }
    return value;
  };
  const devAccount = account('devAccount');
  const prodAccount = account('prodAccount');
  if (devAccount && pipelineAccount && !Token.isUnresolved(pipelineAccount) && devAccount !== pipelineAccount) {
    throw new SettingsError(
      `Pipeline context 'devAccount' is ${devAccount} but the pipeline deploys to ${pipelineAccount}: dev holds the model registry, ` +
        'which the pipeline\'s Promote step approves in, so dev is the pipeline\'s account. Deploy the pipeline with credentials of ' +
        `${devAccount} (or drop -c devAccount), and name the other account with -c prodAccount.`,
    );
  }
  const rawVersion: unknown = node.tryGetContext(PIPELINE_CONTEXT.prodModelVersion);
  let prodModelVersion: number | undefined;
  if (rawVersion !== undefined && rawVersion !== null && rawVersion !== '') {
    prodModelVersion = Number(rawVersion);
    if (!Number.isInteger(prodModelVersion) || prodModelVersion < 1) {
      throw new SettingsError(
        `Pipeline context 'prodModelVersion' is '${String(rawVersion)}', which is not valid: expected a registry version number such as 3 ` +
          '(aws sagemaker list-model-packages --model-package-group-name mnist-pipeline-models --model-approval-status Approved lists them), or leave it unset for the newest Approved version.',
      );
    }
  }
  return { devAccount, prodAccount, prodModelVersion };
}

const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9-]+$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
const BRANCH = /^[A-Za-z0-9._/-]+$/;
/** Context values end up in a shell command line: allow only characters that need no quoting. */
const SAFE_CONTEXT_VALUE = /^[A-Za-z0-9@._:/+=,-]+$/;

/** True when the app was asked for the pipeline (`-c pipeline=true`); `yes`, `1` and the like fail by name, as any true/false setting does. */
export function pipelineRequested(node: Node): boolean {
  return readBooleanContext(node, PIPELINE_CONTEXT.enabled);
}

/** Reads and validates the source settings from context; a missing or bad one fails synth by name. */
export function readPipelineSource(node: Node): PipelineSourceSettings {
  const example: Record<keyof PipelineSourceSettings, string> = {
    connectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/abcd1234-...',
    repository: 'my-org/mnist-sagemaker-cdk',
    branch: 'main',
  };
  const patterns: Record<keyof PipelineSourceSettings, RegExp> = { connectionArn: CONNECTION_ARN, repository: REPOSITORY, branch: BRANCH };
  const read = (key: keyof PipelineSourceSettings): string => {
    const value: unknown = node.tryGetContext(PIPELINE_CONTEXT[key]);
    if (value === undefined || value === null || value === '') {
      throw new SettingsError(
        `Pipeline context '${key}' is missing: with -c pipeline=true also pass -c ${key}=<value> ` +
          `(e.g. -c ${key}=${example[key]}) or set it under "context" in cdk.json.`,
      );
    }
    if (typeof value !== 'string' || !patterns[key].test(value)) {
      throw new SettingsError(`Pipeline context '${key}' is '${String(value)}', which is not valid: expected something like ${example[key]}.`);
    }
    return value;
  };
  return { connectionArn: read('connectionArn'), repository: read('repository'), branch: read('branch') };
}

/** The synth step's `cdk synth` command: the same app, in pipeline mode, with the same context. */
export function synthCommand(source: PipelineSourceSettings, extraContext: Record<string, string> = {}): string {
  const context: Record<string, string> = {
    [PIPELINE_CONTEXT.enabled]: 'true',
    [PIPELINE_CONTEXT.connectionArn]: source.connectionArn,
    [PIPELINE_CONTEXT.repository]: source.repository,
    [PIPELINE_CONTEXT.branch]: source.branch,
    ...extraContext,
  };
  const args = Object.entries(context).map(([key, value]) => {
    if (!SAFE_CONTEXT_VALUE.test(key) || !SAFE_CONTEXT_VALUE.test(value)) {
      throw new SettingsError(`Pipeline synth context ${key}=${value} contains characters a shell would interpret; use letters, digits and @._:/+=,- only.`);
    }
    return `-c ${key}=${value}`;
  });
  return ['npx cdk synth', ...args].join(' ');
}

/**
 * Runtimes the pipeline's CodeBuild projects select on `aws/codebuild/standard:7.0` (its
 * runtime-versions list has Node.js 18, 20, 22 and 24; Python 3.9 to 3.12). Node.js 20 reached end
 * of life on 2026-04-30; 22 is the oldest maintained LTS the image offers. Python runs the model
 * code's tests (scripts/python.sh installs torch into .venv with pip, as on a laptop).
 */
export const PIPELINE_RUNTIMES = { nodejs: '22', python: '3.12' } as const;

/**
 * The synth step's commands: install, the project's whole test suite (types, lint, jest, the
 * model code's Python tests), then `cdk synth`. A broken handler or model script stops the
 * pipeline here, before any stage deploys and pays for a training job.
 */
export function synthStepCommands(source: PipelineSourceSettings, extraContext: Record<string, string> = {}): string[] {
  return ['npm ci', 'npm test', synthCommand(source, extraContext)];
}

/** Environment variables of the promotion step (scripts/promote-model.sh reads them). */
export const PROMOTION_ENV = { modelPackageArn: 'MODEL_PACKAGE_ARN', pointerParameter: 'POINTER_PARAMETER' } as const;

/** The promotion step's commands: the repository's script, or (pinned) a line saying what is deployed instead. */
export function promotionCommands(options: PromotionStepOptions): string[] {
  if (options.pinnedVersion !== undefined) {
    return [
      `echo "Prod is pinned to version ${options.pinnedVersion} of ${options.modelPackageGroupName} (prodModelVersion): ` +
        `the version the earlier stage tested ($${PROMOTION_ENV.modelPackageArn}) is not approved by this run."`,
    ];
  }
  return ['sh scripts/promote-model.sh'];
}

/** Environment variable the post-deployment step reads the function name from. */
export const SMOKE_TEST_FUNCTION_ENV = 'SMOKE_TEST_FUNCTION_NAME';
/**
 * Set for a stage in another account than the pipeline's: `arn:…:lambda:<region>:<account>:function:`,
 * prefixed to the name, since a function of another account is invoked by its ARN.
 */
export const SMOKE_TEST_FUNCTION_ARN_PREFIX_ENV = 'SMOKE_TEST_FUNCTION_ARN_PREFIX';

/**
 * Shell commands (POSIX sh, as CodeBuild runs them) that invoke the smoke-test function once and
 * fail on a function error (the handler threw) or on a report whose `passed` is not true.
 */
export function smokeTestCommands(): string[] {
  const check = [
    "const fs = require('fs');",
    "const invoke = JSON.parse(fs.readFileSync('invoke-result.json', 'utf8'));",
    "const body = fs.readFileSync('smoke-report.json', 'utf8');",
    'let report; try { report = JSON.parse(body); } catch { report = undefined; }',
    "if (invoke.FunctionError) { console.error('Smoke test FAILED (' + invoke.FunctionError + '): ' + ((report && report.errorMessage) || body)); process.exit(1); }",
    "if (!report || report.passed !== true) { console.error('Smoke test FAILED: the report does not say passed=true: ' + body); process.exit(1); }",
    // A stage that serves no endpoint on purpose (its only endpoint paused) reports why instead of results.
    "if (report.skipped) { console.log('Smoke test skipped: ' + report.skipped); process.exit(0); }",
    "console.log('Smoke test passed');",
  ].join(' ');
  return [
    `echo "Invoking smoke test $\{${SMOKE_TEST_FUNCTION_ARN_PREFIX_ENV}:-}$${SMOKE_TEST_FUNCTION_ENV}"`,
    // One attempt and a long read timeout: a CLI retry would run the whole test a second time.
    `AWS_MAX_ATTEMPTS=1 aws lambda invoke --function-name "$\{${SMOKE_TEST_FUNCTION_ARN_PREFIX_ENV}:-}$${SMOKE_TEST_FUNCTION_ENV}" --cli-binary-format raw-in-base64-out ` +
      `--payload '{}' --cli-read-timeout 900 smoke-report.json > invoke-result.json`,
    'cat invoke-result.json smoke-report.json',
    `node -e "${check}"`,
  ];
}

/**
 * CDK Pipelines pipeline: source (CodeConnections) → synth → self-mutation → asset publishing →
 * one stage per definition, each followed by a smoke-test step, with optional manual approvals.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;
  /** The deployed stages, in order. */
  public readonly stages: SmokeTestedStage[] = [];

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    if (props.stages.length === 0) {
      throw new Error('PipelineStack: `stages` is empty — give at least one stage to deploy.');
    }
    const { connectionArn, repository, branch } = props.source;
    const source = pipelines.CodePipelineSource.connection(repository, branch, { connectionArn });
    const stages = props.stages.map((definition) => ({ definition, stage: definition.create(this, definition.id) }));
    const inOtherAccount = (stage: Stage) => stage.account !== undefined && !Token.isUnresolved(stage.account) && stage.account !== this.account;

    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineType: codepipeline.PipelineType.V2,
      // A stage in another account needs the artifact bucket's customer-managed key, which that
      // account may use (a customer key costs $1/month); a same-account pipeline does without.
      crossAccountKeys: stages.some(({ stage }) => inOtherAccount(stage)),
      synth: new pipelines.ShellStep('Synth', {
        input: source,
        commands: synthStepCommands(props.source, props.synthContext),
      }),
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.SMALL },
        partialBuildSpec: codebuild.BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: PIPELINE_RUNTIMES.nodejs } } } }),
      },
      synthCodeBuildDefaults: {
        // The tests train small models and run a moto server: 4 vCPUs / 7 GB rather than 2 / 3 GB.
        buildEnvironment: { computeType: codebuild.ComputeType.MEDIUM },
        partialBuildSpec: codebuild.BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { python: PIPELINE_RUNTIMES.python } } } }),
      },
    });

    for (const { definition, stage } of stages) {
      const promotion = definition.promote && this.promotionStep(definition.id, definition.promote, source);
      const smokeTest = new pipelines.CodeBuildStep(`${definition.id}SmokeTest`, {
        envFromCfnOutputs: { [SMOKE_TEST_FUNCTION_ENV]: stage.smokeTestFunctionNameOutput },
        env: inOtherAccount(stage)
          ? { [SMOKE_TEST_FUNCTION_ARN_PREFIX_ENV]: this.formatArn({ service: 'lambda', resource: 'function', resourceName: '', arnFormat: ArnFormat.COLON_RESOURCE_NAME, region: stage.region ?? this.region, account: stage.account }) }
          : undefined,
        commands: smokeTestCommands(),
        timeout: Duration.minutes(20),
        rolePolicyStatements: [
          new iam.PolicyStatement({
            sid: 'InvokeThisStagesSmokeTestOnly',
            actions: ['lambda:InvokeFunction'],
            resources: [
              this.formatArn({
                service: 'lambda',
                resource: 'function',
                resourceName: `${stage.smokeTestFunctionNamePrefix}*`,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                region: stage.region ?? this.region,
                account: stage.account ?? this.account,
              }),
            ],
          }),
        ],
      });
      const approval = definition.manualApproval
        ? new pipelines.ManualApprovalStep(`Approve${definition.id}`, {
          comment: definition.promote
            ? `Deploy to ${definition.id}? Approving also approves the model version ${definition.promote.fromStage} tested, in the model registry. Check ${definition.promote.fromStage}'s smoke test and dashboard first.`
            : `Deploy to ${definition.id}? Check the earlier stage's smoke test and dashboard first.`,
        })
        : undefined;
      // The registry approval happens only after the person's: the step runs once the approval passed.
      if (approval && promotion) promotion.addStepDependency(approval);
      this.pipeline.addStage(stage, {
        pre: [approval, promotion].filter((step): step is pipelines.Step => step !== undefined),
        post: [smokeTest],
      });
      this.stages.push(stage);
    }
  }

  /**
   * The step that approves the tested version in the registry and waits for the promotion pointer
   * (scripts/promote-model.sh, from the source), allowed to approve only that group's versions and
   * read only that pointer.
   */
  private promotionStep(stageId: string, options: PromotionStepOptions, source: pipelines.IFileSetProducer): pipelines.CodeBuildStep {
    const tested = this.stages.find((s) => s.node.id === options.fromStage);
    if (!tested?.modelPackageArnOutput) {
      throw new Error(`PipelineStack: stage ${stageId} promotes from '${options.fromStage}', which is not an earlier stage with a modelPackageArnOutput.`);
    }
    // The group's versions as the group construct writes them (SageMaker lower-cases names in ARNs).
    const versions = ModelPackageGroup.fromModelPackageGroupAttributes(this, `${stageId}PromotedGroup`, { modelPackageGroupName: options.modelPackageGroupName }).versionArnPattern;
    const pointer = this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: options.pointerParameterName.replace(/^\//, ''), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    return new pipelines.CodeBuildStep(`Promote${stageId}`, {
      input: source,
      envFromCfnOutputs: { [PROMOTION_ENV.modelPackageArn]: tested.modelPackageArnOutput },
      env: { [PROMOTION_ENV.pointerParameter]: options.pointerParameterName },
      commands: promotionCommands(options),
      timeout: Duration.minutes(10),
      rolePolicyStatements: options.pinnedVersion !== undefined ? [] : [
        new iam.PolicyStatement({ sid: 'ApproveTheTestedGroupsVersions', actions: ['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage'], resources: [versions] }),
        new iam.PolicyStatement({ sid: 'ReadThePromotionPointer', actions: ['ssm:GetParameter'], resources: [pointer] }),
      ],
    });
  }
}
