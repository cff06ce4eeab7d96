// Where the training data can come from, as the MNIST stack's template says it: sample-files only
// in the aws partition (a CloudFormation Rule, since the default template has no region), a
// dataSource=s3 bucket only in its own region, and that bucket's KMS key for the execution role.
import { Template } from 'aws-cdk-lib/assertions';
import { SettingsError } from '../../lib/settings';
import { roleStatements, single, synthMnist, validationFindings } from '../stack/synth';

type Rules = Record<string, { Assertions: Array<{ Assert: unknown; AssertDescription: string }> }>;
const rulesOf = (template: Template): Rules => (template.toJSON().Rules ?? {}) as Rules;

/** A rule assertion as CloudFormation evaluates it (Fn::Equals over pseudo parameters, all this app uses). */
function holds(assert: unknown, pseudo: Record<string, string>): boolean {
  const value = (node: unknown): string => {
    if (typeof node === 'string') return node;
    const ref = (node as { Ref?: string }).Ref;
    if (ref && ref in pseudo) return pseudo[ref];
    throw new Error(`cannot evaluate ${JSON.stringify(node)}`);
  };
  const [left, right] = (assert as { 'Fn::Equals': [unknown, unknown] })['Fn::Equals'];
  return value(left) === value(right);
}

describe('dataSource=sample-files', () => {
  let rules: Rules;
  let findings: unknown[];
  beforeAll(() => {
    const { stack, template } = synthMnist();
    rules = rulesOf(template);
    findings = validationFindings(stack);
  });

  test('the region-agnostic template refuses, before creating anything, partitions without the sample-files bucket', () => {
    const partitionRules = Object.entries(rules).filter(([id]) => id.startsWith('TrainingDataSourcePartition'));
    expect(partitionRules).toHaveLength(1);
    const [assertion] = partitionRules[0][1].Assertions;
    expect(assertion.Assert).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws'] });
    expect(['aws', 'aws-cn', 'aws-us-gov'].filter((partition) => holds(assertion.Assert, { 'AWS::Partition': partition }))).toEqual(['aws']);
    expect(assertion.AssertDescription).toMatch(/sagemaker-sample-files bucket, which exists only in the aws partition/);
    expect(assertion.AssertDescription).toMatch(/Use -c dataSource=local .* or -c dataSource=s3 /);
  });

  test("CloudFormation's own validation (run by cdk synth) accepts the Rules section", () => {
    expect(findings).toEqual([]);
  });

  test.each(['cn-north-1', 'us-gov-west-1'])('a stack for %s fails at synth time, naming the setting', (region) => {
    expect(() => synthMnist({ env: { account: '123456789012', region } })).toThrow(SettingsError);
    expect(() => synthMnist({ env: { account: '123456789012', region } })).toThrow(/dataSource=sample-files cannot work in/);
  });
});

describe('dataSource=s3 with a customer-managed key', () => {
  const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  let template: Template;
  let findings: unknown[];
  beforeAll(() => {
    const synthesized = synthMnist({ settings: { dataSource: 's3', dataS3Uri: 's3://my-datasets/mnist/raw/', dataS3KmsKeyArn: KEY_ARN } });
    template = synthesized.template;
    findings = validationFindings(synthesized.stack);
  });

  test('the execution role may decrypt with that key, and only decrypt', () => {
    const [roleId] = single(template, 'AWS::IAM::Role', 'ExecutionRole');
    const onKey = roleStatements(template, roleId).filter((s) => JSON.stringify(s.Resource).includes(KEY_ARN));
    expect(onKey).toEqual([{ Sid: 'DecryptTrainingData', Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY_ARN }]);
  });

  test("the template deploys only to the key's (so the bucket's) region; no sample-files rule", () => {
    const rules = rulesOf(template);
    expect(Object.keys(rules).some((id) => id.startsWith('TrainingDataSourcePartition'))).toBe(false);
    const regionRules = Object.entries(rules).filter(([id]) => id.startsWith('TrainingDataDataRegion'));
    expect(regionRules).toHaveLength(1);
    const [assertion] = regionRules[0][1].Assertions;
    expect(['eu-west-1', 'us-east-1'].filter((region) => holds(assertion.Assert, { 'AWS::Region': region }))).toEqual(['eu-west-1']);
    expect(assertion.AssertDescription).toBe(
      'The training data s3://my-datasets/mnist/raw/ is in eu-west-1, and SageMaker reads training data only from its own region: deploy this stack to eu-west-1, or copy the data to a bucket in the region you deploy to.',
    );
    expect(findings).toEqual([]);
  });

  test('a stack for another known region fails at synth time', () => {
    expect(() => synthMnist({
      env: { account: '123456789012', region: 'us-east-1' },
      settings: { dataSource: 's3', dataS3Uri: 's3://my-datasets/mnist/raw/', dataS3KmsKeyArn: KEY_ARN },
    })).toThrow(/the bucket is in eu-west-1 .* but the stack deploys to us-east-1/);
  });
});

test('dataSource=s3 without a known bucket region adds no region rule, and no key grant', () => {
  const { template } = synthMnist({ settings: { dataSource: 's3', dataS3Uri: 's3://my-datasets/mnist/raw/' } });
  expect(Object.keys(rulesOf(template)).filter((id) => id.startsWith('TrainingData'))).toEqual([]);
  expect(JSON.stringify(template.toJSON())).not.toContain('DecryptTrainingData');
});
