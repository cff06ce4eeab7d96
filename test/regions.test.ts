import { Template } from 'aws-cdk-lib/assertions';
import { evaluateInRegion, single, synthMnist, SynthOptions } from './stack/synth';

const TRAINING = 'pytorch-training:2.7.1-cpu-py312-ubuntu22.04-sagemaker';
const INFERENCE = 'pytorch-inference:2.6.0-cpu-py312-ubuntu22.04-sagemaker';

// Image URIs are the point here; CloudFormation's validation of the template is asserted in test/stack (slow).
const synth = (options: SynthOptions = {}) => synthMnist({ ...options, validate: false });

/** Regions with their DLC registry: the default account, opt-in regions with their own, and China. */
const REGIONS: Array<[string, string, string]> = [
  ['us-east-1', '763104351884', 'amazonaws.com'],
  ['eu-central-1', '763104351884', 'amazonaws.com'],
  ['ap-east-1', '871362719292', 'amazonaws.com'],
  ['me-south-1', '217643126080', 'amazonaws.com'],
  ['af-south-1', '626614931356', 'amazonaws.com'],
  ['il-central-1', '780543022126', 'amazonaws.com'],
  ['cn-north-1', '727897471807', 'amazonaws.com.cn'],
];

function imageUris(template: Template): { training: unknown; inference: unknown } {
  const [, job] = single(template, 'Custom::SageMakerTrainingJob');
  // The model is created from the registered version: the inference image is the version's.
  const [, version] = single(template, 'Custom::ModelPackageVersion');
  return { training: job.Properties!.TrainingImage, inference: version.Properties!.ImageUri };
}

describe('the region-agnostic template (what cdk deploy uses) resolves the right images in every region', () => {
  let template: Template;
  beforeAll(() => ({ template } = synth()));

  test.each(REGIONS)('%s → account %s', (region, account, suffix) => {
    const { training, inference } = imageUris(template);
    expect(evaluateInRegion(template, training, region)).toBe(`${account}.dkr.ecr.${region}.${suffix}/${TRAINING}`);
    expect(evaluateInRegion(template, inference, region)).toBe(`${account}.dkr.ecr.${region}.${suffix}/${INFERENCE}`);
  });
});

describe('synthesized for concrete regions (env set), the accounts are literals', () => {
  test.each(REGIONS.filter(([region]) => ['us-east-1', 'ap-east-1', 'af-south-1', 'cn-north-1'].includes(region)))(
    '%s → account %s',
    (region, account, suffix) => {
      // The sample-files bucket exists only in the aws partition: China reads its data from an S3 prefix.
      const context = region.startsWith('cn-') ? { dataSource: 's3', dataS3Uri: 's3://mnist-data/mnist/' } : {};
      const { template } = synth({ env: { account: '123456789012', region }, context });
      const { training, inference } = imageUris(template);
      expect(template.toJSON().Mappings?.DlcRepositoryAccounts).toBeUndefined();
      expect(JSON.stringify(training)).toContain(`"${account}.dkr.ecr.${region}."`);
      expect(evaluateInRegion(template, training, region)).toBe(`${account}.dkr.ecr.${region}.${suffix}/${TRAINING}`);
      expect(evaluateInRegion(template, inference, region)).toBe(`${account}.dkr.ecr.${region}.${suffix}/${INFERENCE}`);
      // the role may pull from exactly that registry
      const [policyId] = single(template, 'AWS::IAM::Policy', 'ExecutionRoleDefaultPolicy');
      const policy = JSON.stringify(template.toJSON().Resources[policyId]);
      expect(policy).toContain(`:ecr:${region}:${account}:repository/pytorch-training`);
      expect(policy).toContain(`:ecr:${region}:${account}:repository/pytorch-inference`);
    },
  );

  test('a region without a known DLC account fails synth with the fix; -c dlcAccount makes it work', () => {
    expect(() => synth({ env: { account: '123456789012', region: 'xx-nowhere-1' } })).toThrow(/set -c dlcAccount=<12-digit account>/);
    const { template } = synth({ env: { account: '123456789012', region: 'xx-nowhere-1' }, context: { dlcAccount: '111122223333' } });
    expect(JSON.stringify(imageUris(template).training)).toContain('111122223333.dkr.ecr.xx-nowhere-1.');
  });
});
