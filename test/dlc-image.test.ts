import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Fact, FactName, RegionInfo } from 'aws-cdk-lib/region-info';
import { DLC_ACCOUNTS_MISSING_FROM_REGION_INFO, DlcImage, dlcAccountForRegion } from '../lib/training/dlc-image';
import { evaluateInRegion, projectContext } from './stack/synth';

describe('dlcAccountForRegion', () => {
  test.each([
    ['us-east-1', '763104351884'],
    ['eu-west-1', '763104351884'],
    ['ap-east-1', '871362719292'],
    ['me-south-1', '217643126080'],
    ['eu-south-1', '692866216735'],
    ['cn-north-1', '727897471807'],
    ['af-south-1', '626614931356'],
    ['il-central-1', '780543022126'],
  ])('%s → %s', (region, account) => {
    expect(dlcAccountForRegion(region)).toBe(account);
  });

  test('unknown regions are undefined, not a guess', () => {
    expect(dlcAccountForRegion('xx-nowhere-1')).toBeUndefined();
  });

  test('the supplement only fills regions aws-cdk-lib does not know (region-info always wins)', () => {
    for (const region of Object.keys(DLC_ACCOUNTS_MISSING_FROM_REGION_INFO)) {
      const fromLib = Fact.find(region, FactName.DLC_REPOSITORY_ACCOUNT);
      // If a future aws-cdk-lib learns one of these, it must agree (else this table is stale).
      if (fromLib !== undefined) expect({ region, account: fromLib }).toEqual({ region, account: DLC_ACCOUNTS_MISSING_FROM_REGION_INFO[region] });
    }
  });
});

describe('DlcImage', () => {
  test('region-agnostic: one mapping, resolved per region at deploy time', () => {
    const partitions = projectContext()['@aws-cdk/core:target-partitions'];
    expect(partitions).toEqual(['aws', 'aws-cn']);
    // CloudFormation's validation (slow) is asserted on the whole stack in test/stack.
    const app = new App({ builtinCloudFormationValidation: false, context: { '@aws-cdk/core:target-partitions': partitions } });
    const stack = new Stack(app, 'S');
    const training = new DlcImage(stack, { repositoryName: 'pytorch-training', tag: 't1' });
    const inference = new DlcImage(stack, { repositoryName: 'pytorch-inference', tag: 't2' });
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    for (const s of DlcImage.pullStatements([training, inference])) role.addToPolicy(s);
    const template = Template.fromStack(stack);

    const mapping = template.toJSON().Mappings.DlcRepositoryAccounts as Record<string, { account: string }>;
    // Only the partitions cdk.json targets (aws, aws-cn), every one of their regions with a known account.
    const expected = RegionInfo.regions
      .filter((r) => ['aws', 'aws-cn'].includes(r.partition ?? '') && dlcAccountForRegion(r.name))
      .map((r) => r.name).sort();
    expect(Object.keys(mapping).sort()).toEqual(expected);
    expect(Object.keys(mapping)).not.toContain('us-gov-west-1');

    const uri = stack.resolve(training.imageUri);
    expect(evaluateInRegion(template, uri, 'us-west-2')).toBe('763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-training:t1');
    expect(evaluateInRegion(template, uri, 'ap-east-1')).toBe('871362719292.dkr.ecr.ap-east-1.amazonaws.com/pytorch-training:t1');
    expect(evaluateInRegion(template, uri, 'cn-northwest-1')).toBe('727897471807.dkr.ecr.cn-northwest-1.amazonaws.com.cn/pytorch-training:t1');
    expect(evaluateInRegion(template, stack.resolve(inference.repositoryArn), 'il-central-1'))
      .toBe('arn:aws:ecr:il-central-1:780543022126:repository/pytorch-inference');
  });

  test('concrete region: literal account; unknown region: a clear error naming the fix', () => {
    const app = new App();
    const known = new Stack(app, 'Known', { env: { region: 'me-south-1', account: '123456789012' } });
    const image = new DlcImage(known, { repositoryName: 'pytorch-inference', tag: 'x' });
    expect(known.resolve(image.imageUri)).toEqual({ 'Fn::Join': ['', ['217643126080.dkr.ecr.me-south-1.', { Ref: 'AWS::URLSuffix' }, '/pytorch-inference:x']] });

    const unknown = new Stack(app, 'Unknown', { env: { region: 'xx-nowhere-1', account: '123456789012' } });
    expect(() => new DlcImage(unknown, { repositoryName: 'pytorch-inference', tag: 'x' }))
      .toThrow(/No Deep Learning Containers account is known for region xx-nowhere-1: set -c dlcAccount=<12-digit account>/);
    const overridden = new DlcImage(unknown, { repositoryName: 'pytorch-inference', tag: 'x', account: '111122223333' });
    expect(unknown.resolve(overridden.imageUri)['Fn::Join'][1][0]).toBe('111122223333.dkr.ecr.xx-nowhere-1.');
  });

  test('pull rights: layer and manifest reads on the named repositories, token on *', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'eu-west-1', account: '123456789012' } });
    const image = new DlcImage(stack, { repositoryName: 'pytorch-training', tag: 't' });
    const [pull, token] = DlcImage.pullStatements([image]).map((s) => stack.resolve(s.toStatementJson()));
    expect(pull.Action).toEqual(['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']);
    expect(JSON.stringify(pull.Resource)).toContain(':ecr:eu-west-1:763104351884:repository/pytorch-training');
    expect(token).toMatchObject({ Action: 'ecr:GetAuthorizationToken', Resource: '*' });
  });
});
