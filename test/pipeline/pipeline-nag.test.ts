import * as path from 'path';
import { mnistPipelineStages } from '../../lib/mnist/mnist-stage';
import { PipelineStack } from '../../lib/mnist/pipeline-stack';
import { awsSolutionsFindings } from '../monitoring/nag-findings';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = require(path.join(__dirname, '..', '..', 'cdk.json')).context as Record<string, unknown>;

/**
 * cdk-nag AwsSolutions findings the pipeline is known to have, each with the reason it is accepted.
 * All but the last come from what aws-cdk-lib's CDK Pipelines generates; the stage stacks
 * themselves must have none. A finding that matches no entry fails the test.
 */
const ACCEPTED: Array<{ rule: RegExp; at: RegExp; reason: string }> = [
  {
    rule: /^AwsSolutions-S1$/,
    at: /^MnistPipeline\/Pipeline\/Pipeline\/ArtifactsBucket\//,
    reason: 'The pipeline artifact bucket holds transient build artifacts only (encrypted, TLS-only, private); CloudTrail records API access. Access logs would add a second bucket to every pipeline.',
  },
  {
    rule: /^AwsSolutions-CB4$/,
    at: /^MnistPipeline\/Pipeline\/(Pipeline\/(Build\/Synth\/CdkBuildProject|(Dev|Prod)\/\w+SmokeTest\/\w+SmokeTest|Prod\/PromoteProd\/PromoteProd)|UpdatePipeline\/SelfMutation|Assets\/FileAsset\d+)\/Resource$/,
    reason: 'Same-account pipeline (crossAccountKeys: false): CodeBuild encrypts its artifacts with the AWS-managed S3 key. A customer key would add $1/month and a key policy without a cross-account need.',
  },
  {
    rule: /^AwsSolutions-IAM5\[(Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*|Resource::<PipelineArtifactsBucket[0-9A-F]{8}\.Arn>\/\*)\]$/,
    at: /^MnistPipeline\/Pipeline\//,
    reason: "CDK Pipelines' grants on its own artifact bucket: each action reads and writes the artifacts of this pipeline only.",
  },
  {
    rule: /^AwsSolutions-IAM5\[Resource::arn:aws:(logs:us-east-1:123456789012:log-group:\/aws\/codebuild\/<Pipeline\w+>:\*|codebuild:us-east-1:123456789012:report-group\/<Pipeline\w+>-\*)\]$/,
    at: /^MnistPipeline\/Pipeline\//,
    reason: "CodeBuild's standard grant on the project's own log group and report groups (named after the project).",
  },
  {
    rule: /^AwsSolutions-IAM5\[Resource::(\*|arn:aws:logs:us-east-1:123456789012:log-group:\/aws\/codebuild\/\*|arn:aws:codebuild:us-east-1:123456789012:report-group\/\*)\]$/,
    at: /^MnistPipeline\/Pipeline\/Assets\/FileRole\//,
    reason: 'The one asset-publishing role CDK Pipelines shares across the asset projects it generates: CodeBuild logs/reports under /aws/codebuild, Start/BatchGet/StopBuild, reading this pipeline\'s artifacts and assuming the bootstrap file-publishing role, as aws-cdk-lib writes it.',
  },
  {
    rule: /^AwsSolutions-IAM5\[Resource::(\*|arn:\*:iam::123456789012:role\/\*)\]$/,
    at: /^MnistPipeline\/Pipeline\/UpdatePipeline\/SelfMutation\/Role\//,
    reason: 'Self-mutation: sts:AssumeRole only on roles tagged aws-cdk:bootstrap-role (condition), plus cloudformation:DescribeStacks and s3:ListBucket, as aws-cdk-lib generates it.',
  },
  {
    rule: /^AwsSolutions-IAM5\[Resource::arn:aws:lambda:us-east-1:123456789012:function:(Dev|Prod)-MnistSageMaker-\*\]$/,
    at: /^MnistPipeline\/Pipeline\/Pipeline\/(Dev|Prod)\/\1SmokeTest\/\1SmokeTest\/Role\//,
    reason: "This project's choice: lambda:InvokeFunction on the functions of that stage's stack only. CloudFormation generates the name, so the prefix is the narrowest ARN known at synth time.",
  },
  {
    rule: /^AwsSolutions-IAM5\[Resource::arn:aws:sagemaker:us-east-1:123456789012:model-package\/mnist-pipeline-models\/\*\]$/,
    at: /^MnistPipeline\/Pipeline\/Pipeline\/Prod\/PromoteProd\/PromoteProd\/Role\//,
    reason: "This project's choice: the Promote step may describe and approve versions of the pipeline's own group only; the version dev tested is known only when dev has deployed, so the group's version pattern is the narrowest ARN known at synth time.",
  },
];

describe('cdk-nag AwsSolutions on the whole pipeline app', () => {
  const findings = awsSolutionsFindings((app) => {
    for (const [key, value] of Object.entries({ ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] })) app.node.setContext(key, value);
    new PipelineStack(app, 'MnistPipeline', {
      env: { account: '123456789012', region: 'us-east-1' },
      source: { connectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/abc-123', repository: 'example-org/mnist', branch: 'main' },
      stages: mnistPipelineStages(),
    });
  });
  const parsed = findings.map((f) => {
    const [rule, at] = f.split(' at ');
    return { rule, at };
  });

  test('the dev and prod stage stacks have no findings', () => {
    expect(parsed.filter((f) => /^MnistPipeline\/(Dev|Prod)\//.test(f.at)).map((f) => `${f.rule} at ${f.at}`)).toEqual([]);
  });

  test('every pipeline finding is a known, explained one', () => {
    const unexplained = parsed.filter((f) => !ACCEPTED.some((a) => a.rule.test(f.rule) && a.at.test(f.at)));
    expect(unexplained.map((f) => `${f.rule} at ${f.at}`)).toEqual([]);
  });

  test('in particular, nothing may invoke any Lambda function or read any bucket', () => {
    expect(findings.filter((f) => /Action::lambda:\*|Resource::arn:aws:lambda:[^\]]*function:\*\]|Action::s3:\*\]/.test(f))).toEqual([]);
  });
});
