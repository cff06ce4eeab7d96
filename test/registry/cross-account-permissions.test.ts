// The cross-account grants of "train once, promote" (docs/model-registry.md, "Prod in its own
// account"), proven on the synthesized pipeline with @cloud-copilot/iam-simulate and AWS's Service
// Authorization Reference: for each grant, the call prod must make is allowed with both halves of
// the real policies (dev's resource policy and prod's identity policy), and the neighbouring calls
// (another key, another account, direct KMS use, approving) are denied. Each half is also checked
// on its own, with the other half standing in as "allow everything", so a mistake on either side
// fails a test. Every group of checks ends with its realistic mistakes applied to the real policies,
// each of which must change at least one verdict (the proof is not vacuous).
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App } from 'aws-cdk-lib';
import * as fs from 'fs';
import * as path from 'path';
import { mnistPipelineStages, PIPELINE_MODEL_PACKAGE_GROUP } from '../../lib/mnist/mnist-stage';
import { PipelineStack } from '../../lib/mnist/pipeline-stack';
import { CfnResolver, PolicyDocument, PolicyStatement, rolePolicies } from '../support/cfn-resolve';
import type { CfnTemplate } from '../support/synthesized-app';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = require(path.join(__dirname, '..', '..', 'cdk.json')).context as Record<string, unknown>;

const DEV = '111111111111';
const PROD = '222222222222';
const THIRD = '333333333333';
const REGION = 'eu-west-1';
const GROUP = PIPELINE_MODEL_PACKAGE_GROUP;
const VERSION_3 = `arn:aws:sagemaker:${REGION}:${DEV}:model-package/${GROUP}/3`;
const GROUP_ARN = `arn:aws:sagemaker:${REGION}:${DEV}:model-package-group/${GROUP}`;
const POINTER_NAME = `/model-registry/${GROUP}/approved-version`;
const POINTER_ARN = `arn:aws:ssm:${REGION}:${DEV}:parameter${POINTER_NAME}`;
// Each stack's Storage bucket has the same logical id: give each deployment its own bucket name.
const DEV_BUCKET = 'dev-mnist-artifacts';
const PROD_BUCKET = 'prod-mnist-artifacts';
const THIRD_BUCKET = 'third-party-artifacts';
const MODEL_KEY = 'mnist/output/mnist-train-0123456789ab/output/model.tar.gz';
// S3 adds these to every request it authorizes; the bucket policies deny requests without TLS 1.2+.
const S3_REQUEST = { 'aws:SecureTransport': 'true', 's3:TlsVersion': '1.3' };
const VIA_S3 = { 'kms:ViaService': `s3.${REGION}.amazonaws.com` };

type IdentityPolicy = { name: string; document: PolicyDocument };
interface Principal {
  readonly arn: string;
  readonly policies: IdentityPolicy[];
}
type Verdict = 'Allowed' | 'Denied';

const ADMIN: IdentityPolicy[] = [{ name: 'AdministratorAccess', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];
/** Prod's CloudFormation: the CDK bootstrap's cfn-exec role, AdministratorAccess (docs: `--cloudformation-execution-policies`). */
const PROD_CFN: Principal = { arn: `arn:aws:iam::${PROD}:role/cdk-hnb659fds-cfn-exec-role-${PROD}-${REGION}`, policies: ADMIN };
/** Anyone of a third account, however much its own account allows it. */
const THIRD_ADMIN: Principal = { arn: `arn:aws:iam::${THIRD}:role/admin`, policies: ADMIN };
/** Anyone of dev's account with AdministratorAccess: what prod's resources must not admit. */
const DEV_ADMIN: Principal = { arn: `arn:aws:iam::${DEV}:role/admin`, policies: ADMIN };

/** The resource's owner allows `principal` everything: isolates the identity half of a cross-account call. */
function allowAll(principal: Principal): unknown {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal.arn }, Action: '*', Resource: '*' }] };
}

interface Call {
  readonly principal: Principal;
  readonly action: string;
  readonly resource: string;
  /** The account that owns the resource (an S3 ARN does not name it). */
  readonly resourceAccount: string;
  /** The resource's own policy (group, bucket or key policy); none for a SageMaker model. */
  readonly resourcePolicy?: unknown;
  readonly context?: Record<string, string>;
}

async function decide(call: Call): Promise<Verdict> {
  const response = await runSimulation({
    request: {
      principal: call.principal.arn,
      action: call.action,
      resource: { resource: call.resource, accountId: call.resourceAccount },
      contextVariables: call.context ?? {},
    },
    identityPolicies: call.principal.policies.map((p) => ({ name: p.name, policy: p.document })),
    resourcePolicy: call.resourcePolicy,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }, {});
  if (response.resultType === 'error') {
    throw new Error(`iam-simulate rejected ${call.action} on ${call.resource}: ${JSON.stringify(response.errors)}`);
  }
  return response.overallResult === 'Allowed' ? 'Allowed' : 'Denied';
}

/** Named calls and the verdict each must get. */
type Expectations = Record<string, { call: Call; expected: Verdict }>;

async function verdicts(expectations: Expectations): Promise<Record<string, Verdict>> {
  const entries = await Promise.all(Object.entries(expectations).map(async ([name, { call }]) => [name, await decide(call)] as const));
  return Object.fromEntries(entries);
}

function expected(expectations: Expectations): Record<string, Verdict> {
  return Object.fromEntries(Object.entries(expectations).map(([name, e]) => [name, e.expected]));
}

/** The verdicts that differ from the expected ones once `expectations` are built on a mistaken policy. */
async function caught(expectations: Expectations): Promise<string[]> {
  const got = await verdicts(expectations);
  return Object.keys(expectations).filter((name) => got[name] !== expectations[name].expected);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function statementBySid(document: PolicyDocument, sid: string): PolicyStatement {
  const found = document.Statement.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${JSON.stringify(document)}`);
  return found;
}

/** A copy of `policies` with `edit` applied to the statement `sid`. */
function editStatement(policies: IdentityPolicy[], match: (s: PolicyStatement) => boolean, edit: (s: PolicyStatement) => void): IdentityPolicy[] {
  const copy = clone(policies);
  const statements = copy.flatMap((p) => p.document.Statement).filter(match);
  if (statements.length === 0) throw new Error('the mistake to apply matched no statement');
  statements.forEach(edit);
  return copy;
}

const actionsOf = (s: PolicyStatement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

// ---- the pipeline, synthesized once: dev in 111111111111 (the pipeline's account), prod in 222222222222

const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
const pipelineStack = new PipelineStack(app, 'MnistPipeline', {
  env: { account: DEV, region: REGION },
  source: {
    connectionArn: `arn:aws:codeconnections:${REGION}:${DEV}:connection/11111111-2222-3333-4444-555555555555`,
    repository: 'example-org/mnist-sagemaker-cdk',
    branch: 'main',
  },
  stages: mnistPipelineStages({ devAccount: DEV, prodAccount: PROD, region: REGION }),
});
const assembly = app.synth();
const templateOf = (stackName: string): CfnTemplate => {
  const stack = assembly.stacksRecursively.find((s) => s.stackName === stackName);
  if (!stack) throw new Error(`no stack ${stackName} in ${assembly.stacksRecursively.map((s) => s.stackName).join(', ')}`);
  return stack.template as CfnTemplate;
};
const devTemplate = templateOf('Dev-MnistSageMaker');
const prodTemplate = templateOf('Prod-MnistSageMaker');
const pipelineTemplate = templateOf(pipelineStack.stackName);

/** The one resource of `type` (whose logical id starts with `prefix`, when given). */
function only(template: CfnTemplate, type: string, prefix = ''): [string, NonNullable<CfnTemplate['Resources'][string]>] {
  const found = Object.entries(template.Resources).filter(([id, r]) => r.Type === type && id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${found.map(([id]) => id).join(', ') || 'none'}`);
  return found[0];
}

const [devBucketId] = only(devTemplate, 'AWS::S3::Bucket', 'StorageBucket');
const [devKeyId] = only(devTemplate, 'AWS::KMS::Key', 'StorageKey');
const [devGroupId] = only(devTemplate, 'AWS::SageMaker::ModelPackageGroup');
const [devPointerId] = only(devTemplate, 'AWS::SSM::Parameter');
const [prodBucketId] = only(prodTemplate, 'AWS::S3::Bucket', 'StorageBucket');
const devResolver = new CfnResolver(devTemplate, {
  account: DEV,
  region: REGION,
  values: {
    [devBucketId]: DEV_BUCKET,
    [`${devBucketId}.Arn`]: `arn:aws:s3:::${DEV_BUCKET}`,
    [`${devGroupId}.ModelPackageGroupArn`]: GROUP_ARN,
    // An SSM parameter's Ref is its name.
    [devPointerId]: String(devTemplate.Resources[devPointerId].Properties!.Name),
  },
});
const prodResolver = new CfnResolver(prodTemplate, {
  account: PROD,
  region: REGION,
  values: { [prodBucketId]: PROD_BUCKET, [`${prodBucketId}.Arn`]: `arn:aws:s3:::${PROD_BUCKET}` },
});
const pipelineResolver = new CfnResolver(pipelineTemplate, { account: DEV, region: REGION });

const DEV_KEY_ARN = devResolver.arnOf(devKeyId);
const groupPolicy = devResolver.resolve(only(devTemplate, 'AWS::SageMaker::ModelPackageGroup')[1].Properties!.ModelPackageGroupPolicy) as PolicyDocument;
const bucketPolicyOf = (template: CfnTemplate, resolver: CfnResolver, bucketId: string): PolicyDocument => {
  const policies = Object.values(template.Resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy' && (r.Properties!.Bucket as { Ref?: string }).Ref === bucketId);
  expect(policies).toHaveLength(1);
  return resolver.resolve(policies[0].Properties!.PolicyDocument) as PolicyDocument;
};
const devBucketPolicy = bucketPolicyOf(devTemplate, devResolver, devBucketId);
const prodBucketPolicy = bucketPolicyOf(prodTemplate, prodResolver, prodBucketId);
const devKeyPolicy = devResolver.resolve(devTemplate.Resources[devKeyId].Properties!.KeyPolicy) as PolicyDocument;

function rolePrincipal(template: CfnTemplate, resolver: CfnResolver, rolePrefix: string): Principal {
  const [roleId] = only(template, 'AWS::IAM::Role', rolePrefix);
  return { arn: resolver.arnOf(roleId), policies: rolePolicies(template, resolver, roleId) };
}
/** Prod's guard (Custom::ApprovedModelPackage's handler): reads the version's status in dev's registry. */
const prodGuard = rolePrincipal(prodTemplate, prodResolver, 'ApprovedVersionHandlerRole');
/** Prod's SageMaker execution role: what SageMaker reads the model artifact as. */
const prodExecution = rolePrincipal(prodTemplate, prodResolver, 'ExecutionRole');
/** Dev's (registry-side) roles. */
const devPointerHandler = rolePrincipal(devTemplate, devResolver, 'PromotionPointerHandlerRole');
const devRegistrationHandler = rolePrincipal(devTemplate, devResolver, 'ModelVersionHandlerRole');
/** The pipeline's PromoteProd CodeBuild step. */
const promoteStep = rolePrincipal(pipelineTemplate, pipelineResolver, 'PipelineProdPromoteProdRole');

const withPrincipal = (document: PolicyDocument, principal: unknown): PolicyDocument =>
  ({ ...document, Statement: document.Statement.map((s) => ('Principal' in s && s.Effect === 'Allow' ? { ...s, Principal: principal } : s)) });

describe('the registry\'s group resource policy (dev) and prod\'s principals', () => {
  const onGroup = (policy: PolicyDocument, guard: Principal = prodGuard): Expectations => ({
    'prod guard DescribeModelPackage v3': {
      call: { principal: guard, action: 'sagemaker:DescribeModelPackage', resource: VERSION_3, resourceAccount: DEV, resourcePolicy: policy }, expected: 'Allowed',
    },
    // Stand-in for CreateModel (see the test below): what prod's CloudFormation needs of the version.
    'prod CloudFormation DescribeModelPackage v3': {
      call: { principal: PROD_CFN, action: 'sagemaker:DescribeModelPackage', resource: VERSION_3, resourceAccount: DEV, resourcePolicy: policy }, expected: 'Allowed',
    },
    'prod CloudFormation DescribeModelPackageGroup': {
      call: { principal: PROD_CFN, action: 'sagemaker:DescribeModelPackageGroup', resource: GROUP_ARN, resourceAccount: DEV, resourcePolicy: policy }, expected: 'Allowed',
    },
    'prod may not approve (UpdateModelPackage v3)': {
      call: { principal: PROD_CFN, action: 'sagemaker:UpdateModelPackage', resource: VERSION_3, resourceAccount: DEV, resourcePolicy: policy }, expected: 'Denied',
    },
    'prod may not delete a version': {
      call: { principal: PROD_CFN, action: 'sagemaker:DeleteModelPackage', resource: VERSION_3, resourceAccount: DEV, resourcePolicy: policy }, expected: 'Denied',
    },
    'prod may not register a version': {
      call: { principal: PROD_CFN, action: 'sagemaker:CreateModelPackage', resource: VERSION_3, resourceAccount: DEV, resourcePolicy: policy }, expected: 'Denied',
    },
    'third account DescribeModelPackage v3': {
      call: { principal: THIRD_ADMIN, action: 'sagemaker:DescribeModelPackage', resource: VERSION_3, resourceAccount: DEV, resourcePolicy: policy }, expected: 'Denied',
    },
    'third account DescribeModelPackageGroup': {
      call: { principal: THIRD_ADMIN, action: 'sagemaker:DescribeModelPackageGroup', resource: GROUP_ARN, resourceAccount: DEV, resourcePolicy: policy }, expected: 'Denied',
    },
    'prod guard DescribeModelPackage of another group': {
      call: { principal: guard, action: 'sagemaker:DescribeModelPackage', resource: VERSION_3.replace(GROUP, 'other-models'), resourceAccount: DEV, resourcePolicy: allowAll(guard) }, expected: 'Denied',
    },
  });

  test('prod\'s guard and CloudFormation read the versions; a third account reads nothing; prod cannot approve, delete or register', async () => {
    const checks = onGroup(groupPolicy);
    expect(await verdicts(checks)).toEqual(expected(checks));
  });

  test('the policy names prod\'s account only, and CreateModel only on the group\'s versions', () => {
    const principals = new Set(groupPolicy.Statement.map((s) => JSON.stringify((s as unknown as { Principal: unknown }).Principal)));
    expect([...principals]).toEqual([JSON.stringify({ AWS: [`arn:aws:iam::${PROD}:root`] })]);
    const createModel = groupPolicy.Statement.filter((s) => actionsOf(s).includes('sagemaker:CreateModel'));
    expect(createModel.map((s) => s.Resource)).toEqual([`arn:aws:sagemaker:${REGION}:${DEV}:model-package/${GROUP}/*`]);
  });

  test('CreateModel: the Service Authorization Reference authorizes it on the model (prod\'s own), not on the model package', async () => {
    // CreateModel's only resource type is `model`, so a check of CreateModel on a version ARN is not
    // an authorization AWS documents: the simulator refuses it. The group policy still lists
    // CreateModel (as AWS's cross-account registry example does); the access it proves for a
    // consumer's CreateModel from a version is DescribeModelPackage on that version (above), and
    // what a real account must settle is listed in docs/model-registry.md. If this starts to pass,
    // iam-data gained the model-package resource for CreateModel: prove CreateModel itself above.
    await expect(decide({ principal: PROD_CFN, action: 'sagemaker:CreateModel', resource: VERSION_3, resourceAccount: DEV, resourcePolicy: groupPolicy }))
      .rejects.toThrow(/iam-simulate rejected sagemaker:CreateModel/);
    // Prod's CloudFormation creates the model in its own account.
    expect(await decide({ principal: PROD_CFN, action: 'sagemaker:CreateModel', resource: `arn:aws:sagemaker:${REGION}:${PROD}:model/model0301700e`, resourceAccount: PROD }))
      .toBe('Allowed');
  });

  test.each([
    ['the consumer statements name any principal (*)', () => onGroup(withPrincipal(groupPolicy, { AWS: '*' })), 'third account DescribeModelPackage v3'],
    ['the consumer statements name the third account too', () => onGroup(withPrincipal(groupPolicy, { AWS: [`arn:aws:iam::${PROD}:root`, `arn:aws:iam::${THIRD}:root`] })), 'third account DescribeModelPackage v3'],
    ['UpdateModelPackage granted to prod', () => {
      const policy = clone(groupPolicy);
      statementBySid(policy, 'ConsumersDeployVersions').Action = [...actionsOf(statementBySid(policy, 'ConsumersDeployVersions')), 'sagemaker:UpdateModelPackage'];
      return onGroup(policy);
    }, 'prod may not approve (UpdateModelPackage v3)'],
    ['sagemaker:* granted to prod', () => {
      const policy = clone(groupPolicy);
      statementBySid(policy, 'ConsumersDeployVersions').Action = 'sagemaker:*';
      return onGroup(policy);
    }, 'prod may not approve (UpdateModelPackage v3)'],
    ['no consumer statement for the versions', () => onGroup({ ...groupPolicy, Statement: groupPolicy.Statement.filter((s) => s.Sid !== 'ConsumersDeployVersions') }), 'prod guard DescribeModelPackage v3'],
    ['the guard may describe any version', () => onGroup(groupPolicy, {
      ...prodGuard,
      policies: editStatement(prodGuard.policies, (s) => s.Sid === 'ReadVersionStatus', (s) => { s.Resource = '*'; }),
    }), 'prod guard DescribeModelPackage of another group'],
  ])('a mistake is caught: %s', async (_, checks, flips) => {
    expect(await caught(checks())).toContain(flips);
  });
});

describe('dev\'s artifact bucket policy and prod\'s execution role (RegistryArtifactRead)', () => {
  const object = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
  const onBucket = (bucketPolicy: PolicyDocument, execution: Principal = prodExecution): Expectations => ({
    'prod execution role reads model.tar.gz': {
      call: { principal: execution, action: 's3:GetObject', resource: object(DEV_BUCKET, MODEL_KEY), resourceAccount: DEV, resourcePolicy: bucketPolicy, context: { ...S3_REQUEST, 's3:ResourceAccount': DEV } },
      expected: 'Allowed',
    },
    'prod execution role reads the training data': {
      call: { principal: execution, action: 's3:GetObject', resource: object(DEV_BUCKET, 'mnist/data/train-images-idx3-ubyte.gz'), resourceAccount: DEV, resourcePolicy: bucketPolicy, context: { ...S3_REQUEST, 's3:ResourceAccount': DEV } },
      expected: 'Denied',
    },
    // Each half on its own: dev's bucket policy admits prod at model.tar.gz keys only...
    'prod admin reads the training data (bucket policy alone)': {
      call: { principal: PROD_CFN, action: 's3:GetObject', resource: object(DEV_BUCKET, 'mnist/data/train-images-idx3-ubyte.gz'), resourceAccount: DEV, resourcePolicy: bucketPolicy, context: { ...S3_REQUEST, 's3:ResourceAccount': DEV } },
      expected: 'Denied',
    },
    'prod admin reads a quality report (bucket policy alone)': {
      call: { principal: PROD_CFN, action: 's3:GetObject', resource: object(DEV_BUCKET, 'mnist/registry/abc/model-quality.json'), resourceAccount: DEV, resourcePolicy: bucketPolicy, context: { ...S3_REQUEST, 's3:ResourceAccount': DEV } },
      expected: 'Denied',
    },
    'prod admin writes model.tar.gz (bucket policy alone)': {
      call: { principal: PROD_CFN, action: 's3:PutObject', resource: object(DEV_BUCKET, MODEL_KEY), resourceAccount: DEV, resourcePolicy: bucketPolicy, context: { ...S3_REQUEST, 's3:ResourceAccount': DEV } },
      expected: 'Denied',
    },
    // ...and prod's role reads model.tar.gz keys only, of buckets of dev's account only.
    'prod execution role reads the training data (identity policy alone)': {
      call: { principal: execution, action: 's3:GetObject', resource: object(DEV_BUCKET, 'mnist/data/train-images-idx3-ubyte.gz'), resourceAccount: DEV, resourcePolicy: allowAll(execution), context: { ...S3_REQUEST, 's3:ResourceAccount': DEV } },
      expected: 'Denied',
    },
    'prod execution role reads model.tar.gz of a third account\'s bucket': {
      call: { principal: execution, action: 's3:GetObject', resource: object(THIRD_BUCKET, MODEL_KEY), resourceAccount: THIRD, resourcePolicy: allowAll(execution), context: { ...S3_REQUEST, 's3:ResourceAccount': THIRD } },
      expected: 'Denied',
    },
    'third account reads model.tar.gz': {
      call: { principal: THIRD_ADMIN, action: 's3:GetObject', resource: object(DEV_BUCKET, MODEL_KEY), resourceAccount: DEV, resourcePolicy: bucketPolicy, context: { ...S3_REQUEST, 's3:ResourceAccount': DEV } },
      expected: 'Denied',
    },
    'without TLS nobody reads': {
      call: { principal: execution, action: 's3:GetObject', resource: object(DEV_BUCKET, MODEL_KEY), resourceAccount: DEV, resourcePolicy: bucketPolicy, context: { 'aws:SecureTransport': 'false', 's3:ResourceAccount': DEV } },
      expected: 'Denied',
    },
  });

  test('prod reads dev\'s model.tar.gz and nothing else; a third account reads nothing; prod reads no third account\'s bucket', async () => {
    const checks = onBucket(devBucketPolicy);
    expect(await verdicts(checks)).toEqual(expected(checks));
  });

  const consumerStatement = (s: PolicyStatement) => s.Sid === 'RegistryConsumersReadModelArtifacts';
  test.each([
    ['the bucket policy admits prod on mnist/*', () => {
      const policy = clone(devBucketPolicy);
      statementBySid(policy, 'RegistryConsumersReadModelArtifacts').Resource = `arn:aws:s3:::${DEV_BUCKET}/mnist/*`;
      return onBucket(policy);
    }, 'prod admin reads the training data (bucket policy alone)'],
    ['the bucket policy admits any principal', () => {
      const policy = clone(devBucketPolicy);
      (statementBySid(policy, 'RegistryConsumersReadModelArtifacts') as unknown as { Principal: unknown }).Principal = { AWS: '*' };
      return onBucket(policy);
    }, 'third account reads model.tar.gz'],
    ['the bucket policy admits s3:* for prod', () => {
      const policy = clone(devBucketPolicy);
      statementBySid(policy, 'RegistryConsumersReadModelArtifacts').Action = 's3:*';
      return onBucket(policy);
    }, 'prod admin writes model.tar.gz (bucket policy alone)'],
    ['no consumer statement in the bucket policy', () => onBucket({ ...devBucketPolicy, Statement: devBucketPolicy.Statement.filter((s) => !consumerStatement(s)) }), 'prod execution role reads model.tar.gz'],
    ['the role may read any key (*/*)', () => onBucket(devBucketPolicy, {
      ...prodExecution,
      policies: editStatement(prodExecution.policies, (s) => actionsOf(s).includes('s3:GetObject'), (s) => { s.Resource = 'arn:aws:s3:::*/*'; }),
    }), 'prod execution role reads the training data (identity policy alone)'],
    ['the role\'s read is not limited to dev\'s account (no s3:ResourceAccount)', () => onBucket(devBucketPolicy, {
      ...prodExecution,
      policies: editStatement(prodExecution.policies, (s) => actionsOf(s).includes('s3:GetObject'), (s) => { delete s.Condition; }),
    }), 'prod execution role reads model.tar.gz of a third account\'s bucket'],
  ])('a mistake is caught: %s', async (_, checks, flips) => {
    expect(await caught(checks())).toContain(flips);
  });
});

describe('dev\'s storage key policy and prod\'s execution role (kms:Decrypt through S3 only)', () => {
  const onKey = (keyPolicy: PolicyDocument, execution: Principal = prodExecution): Expectations => ({
    'prod execution role decrypts through S3': {
      call: { principal: execution, action: 'kms:Decrypt', resource: DEV_KEY_ARN, resourceAccount: DEV, resourcePolicy: keyPolicy, context: VIA_S3 }, expected: 'Allowed',
    },
    'prod execution role decrypts directly': {
      call: { principal: execution, action: 'kms:Decrypt', resource: DEV_KEY_ARN, resourceAccount: DEV, resourcePolicy: keyPolicy }, expected: 'Denied',
    },
    'prod execution role decrypts through S3 of another region': {
      call: { principal: execution, action: 'kms:Decrypt', resource: DEV_KEY_ARN, resourceAccount: DEV, resourcePolicy: keyPolicy, context: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } }, expected: 'Denied',
    },
    // Each half on its own: the key policy admits prod through S3 only...
    'prod admin decrypts directly (key policy alone)': {
      call: { principal: PROD_CFN, action: 'kms:Decrypt', resource: DEV_KEY_ARN, resourceAccount: DEV, resourcePolicy: keyPolicy }, expected: 'Denied',
    },
    'prod admin encrypts through S3 (key policy alone)': {
      call: { principal: PROD_CFN, action: 'kms:GenerateDataKey', resource: DEV_KEY_ARN, resourceAccount: DEV, resourcePolicy: keyPolicy, context: VIA_S3 }, expected: 'Denied',
    },
    // ...and prod's role asks for it through S3 only, on keys of dev's account only.
    'prod execution role decrypts directly (identity policy alone)': {
      call: { principal: execution, action: 'kms:Decrypt', resource: DEV_KEY_ARN, resourceAccount: DEV, resourcePolicy: allowAll(execution) }, expected: 'Denied',
    },
    'prod execution role decrypts with a third account\'s key through S3': {
      call: { principal: execution, action: 'kms:Decrypt', resource: `arn:aws:kms:${REGION}:${THIRD}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, resourceAccount: THIRD, resourcePolicy: allowAll(execution), context: VIA_S3 },
      expected: 'Denied',
    },
    'third account decrypts through S3': {
      call: { principal: THIRD_ADMIN, action: 'kms:Decrypt', resource: DEV_KEY_ARN, resourceAccount: DEV, resourcePolicy: keyPolicy, context: VIA_S3 }, expected: 'Denied',
    },
  });

  test('prod decrypts only through S3 of the region; directly, or from a third account, it is denied', async () => {
    const checks = onKey(devKeyPolicy);
    expect(await verdicts(checks)).toEqual(expected(checks));
  });

  test.each([
    ['the key policy has no kms:ViaService condition', () => {
      const policy = clone(devKeyPolicy);
      delete statementBySid(policy, 'RegistryConsumersDecryptModelArtifacts').Condition;
      return onKey(policy);
    }, 'prod admin decrypts directly (key policy alone)'],
    ['the key policy admits any principal', () => {
      const policy = clone(devKeyPolicy);
      (statementBySid(policy, 'RegistryConsumersDecryptModelArtifacts') as unknown as { Principal: unknown }).Principal = { AWS: '*' };
      return onKey(policy);
    }, 'third account decrypts through S3'],
    ['the key policy grants kms:* to prod', () => {
      const policy = clone(devKeyPolicy);
      statementBySid(policy, 'RegistryConsumersDecryptModelArtifacts').Action = 'kms:*';
      return onKey(policy);
    }, 'prod admin encrypts through S3 (key policy alone)'],
    ['the role\'s decrypt has no kms:ViaService condition', () => onKey(devKeyPolicy, {
      ...prodExecution,
      policies: editStatement(prodExecution.policies, (s) => actionsOf(s).includes('kms:Decrypt'), (s) => { delete s.Condition; }),
    }), 'prod execution role decrypts directly (identity policy alone)'],
    ['the role may decrypt with any account\'s keys', () => onKey(devKeyPolicy, {
      ...prodExecution,
      policies: editStatement(prodExecution.policies, (s) => actionsOf(s).includes('kms:Decrypt'), (s) => { s.Resource = '*'; }),
    }), 'prod execution role decrypts with a third account\'s key through S3'],
  ])('a mistake is caught: %s', async (_, checks, flips) => {
    expect(await caught(checks())).toContain(flips);
  });
});

describe('the promotion pointer: shared with prod through AWS RAM (templates; RAM is not IAM)', () => {
  test('the RAM share names only prod\'s account and only the pointer parameter', () => {
    const [, share] = only(devTemplate, 'AWS::RAM::ResourceShare');
    expect(share.Properties!.Principals).toEqual([PROD]);
    expect(devResolver.resolve(share.Properties!.ResourceArns)).toEqual([POINTER_ARN]);
    const [, parameter] = only(devTemplate, 'AWS::SSM::Parameter');
    expect(parameter.Properties).toMatchObject({ Name: POINTER_NAME, Tier: 'Advanced' }); // RAM shares advanced parameters only
    expect(share.Properties!.AllowExternalPrincipals).toBe(true); // prod need not be in dev's AWS Organization
  });

  test('prod reads the pointer by its ARN in dev\'s account: the SSM-typed parameter\'s default', () => {
    const parameters = (prodTemplate as CfnTemplate & { Parameters: Record<string, { Type: string; Default: string }> }).Parameters;
    const pointers = Object.entries(parameters).filter(([id]) => id !== 'BootstrapVersion');
    expect(pointers).toEqual([[expect.any(String), expect.objectContaining({ Type: 'AWS::SSM::Parameter::Value<String>', Default: POINTER_ARN })]]);
    // The guard checks what the parameter resolved to.
    const [, guard] = only(prodTemplate, 'Custom::ApprovedModelPackage');
    expect(guard.Properties!.ModelPackageArn).toEqual({ Ref: pointers[0][0] });
  });
});

describe('the reverse direction: the registry side cannot act in prod', () => {
  const PROD_MODEL = `arn:aws:sagemaker:${REGION}:${PROD}:model/model0301700e`;
  const onProd = (principal: Principal, bucketPolicy: PolicyDocument = prodBucketPolicy): Expectations => ({
    'CreateModel in prod': { call: { principal, action: 'sagemaker:CreateModel', resource: PROD_MODEL, resourceAccount: PROD }, expected: 'Denied' },
    'GetObject on prod\'s bucket': {
      call: { principal, action: 's3:GetObject', resource: `arn:aws:s3:::${PROD_BUCKET}/${MODEL_KEY}`, resourceAccount: PROD, resourcePolicy: bucketPolicy, context: { ...S3_REQUEST, 's3:ResourceAccount': PROD } },
      expected: 'Denied',
    },
    // The identity half alone: even a prod that admitted them would not make these roles able to.
    'CreateModel in prod (identity policy alone)': {
      call: { principal, action: 'sagemaker:CreateModel', resource: PROD_MODEL, resourceAccount: PROD, resourcePolicy: allowAll(principal) }, expected: 'Denied',
    },
    'GetObject on prod\'s bucket (identity policy alone)': {
      call: { principal, action: 's3:GetObject', resource: `arn:aws:s3:::${PROD_BUCKET}/${MODEL_KEY}`, resourceAccount: PROD, resourcePolicy: allowAll(principal), context: { ...S3_REQUEST, 's3:ResourceAccount': PROD } },
      expected: 'Denied',
    },
  });

  test.each([
    ['the promotion pointer\'s handler', devPointerHandler],
    ['the registration handler', devRegistrationHandler],
  ])('%s is denied CreateModel and s3:GetObject in prod', async (_, principal) => {
    const checks = onProd(principal);
    expect(await verdicts(checks)).toEqual(expected(checks));
  });

  test('prod\'s bucket policy admits nobody of dev\'s account', async () => {
    expect(await decide({
      principal: DEV_ADMIN, action: 's3:GetObject', resource: `arn:aws:s3:::${PROD_BUCKET}/${MODEL_KEY}`, resourceAccount: PROD, resourcePolicy: prodBucketPolicy, context: { ...S3_REQUEST, 's3:ResourceAccount': PROD },
    })).toBe('Denied');
  });

  /** The function's resource policy, as Lambda builds it from the stack's AWS::Lambda::Permission resources. */
  function functionPolicy(template: CfnTemplate, resolver: CfnResolver, functionId: string, functionArn: string): PolicyDocument | undefined {
    const statements = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Permission' && JSON.stringify(r.Properties!.FunctionName).includes(`"${functionId}"`))
      .map((r) => {
        const principal = resolver.resolveString(r.Properties!.Principal);
        const condition: Record<string, Record<string, string>> = {};
        if (r.Properties!.SourceArn !== undefined) condition.ArnLike = { 'aws:SourceArn': resolver.resolveString(r.Properties!.SourceArn) };
        if (r.Properties!.SourceAccount !== undefined) condition.StringEquals = { 'aws:SourceAccount': resolver.resolveString(r.Properties!.SourceAccount) };
        return {
          Effect: 'Allow',
          Principal: /^\d{12}$/.test(principal) ? { AWS: `arn:aws:iam::${principal}:root` } : principal.startsWith('arn:') ? { AWS: principal } : { Service: principal },
          Action: resolver.resolveString(r.Properties!.Action),
          Resource: functionArn,
          ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
        } as PolicyStatement;
      });
    return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
  }

  // The step runs in the pipeline's (dev's) account: invoking prod's function needs the function's
  // resource policy to admit that account too (smokeTestInvokerAccounts), and the step names it by ARN.
  test('the pipeline\'s ProdSmokeTest step may invoke prod\'s smoke-test function (cross-account)', async () => {
    const [smokeId] = only(prodTemplate, 'AWS::Lambda::Function', 'SmokeTestFunction');
    const functionArn = `arn:aws:lambda:${REGION}:${PROD}:function:Prod-MnistSageMaker-${smokeId}-AbC123`;
    const smokeStep = rolePrincipal(pipelineTemplate, pipelineResolver, 'PipelineProdProdSmokeTestRole');
    expect(await decide({
      principal: smokeStep, action: 'lambda:InvokeFunction', resource: functionArn, resourceAccount: PROD,
      resourcePolicy: functionPolicy(prodTemplate, prodResolver, smokeId, functionArn),
    })).toBe('Allowed');
    // A third account is not admitted by the function's policy.
    expect(await decide({
      principal: { ...smokeStep, arn: smokeStep.arn.replace(DEV, '333333333333') }, action: 'lambda:InvokeFunction', resource: functionArn, resourceAccount: PROD,
      resourcePolicy: functionPolicy(prodTemplate, prodResolver, smokeId, functionArn),
    })).toBe('Denied');
    // The step calls it by ARN: a bare name would look in the pipeline's own account.
    const [step] = Object.values(pipelineTemplate.Resources).filter((r) => r.Type === 'AWS::CodeBuild::Project' && JSON.stringify(r.Properties).includes('ProdSmokeTest'));
    expect(JSON.stringify(step ?? {})).toContain(`arn:aws:lambda:${REGION}:${PROD}:function:`);
  });

  const onRegistry = (principal: Principal): Expectations => ({
    'UpdateModelPackage of the pipeline group\'s version': {
      call: { principal, action: 'sagemaker:UpdateModelPackage', resource: VERSION_3, resourceAccount: DEV }, expected: 'Allowed',
    },
    'DescribeModelPackage of the pipeline group\'s version': {
      call: { principal, action: 'sagemaker:DescribeModelPackage', resource: VERSION_3, resourceAccount: DEV }, expected: 'Allowed',
    },
    'GetParameter of the pointer': { call: { principal, action: 'ssm:GetParameter', resource: POINTER_ARN, resourceAccount: DEV }, expected: 'Allowed' },
    'UpdateModelPackage of another group\'s version': {
      call: { principal, action: 'sagemaker:UpdateModelPackage', resource: VERSION_3.replace(GROUP, 'other-models'), resourceAccount: DEV }, expected: 'Denied',
    },
    'UpdateModelPackage of a group named like it (mnist-pipeline-models-old)': {
      call: { principal, action: 'sagemaker:UpdateModelPackage', resource: VERSION_3.replace(GROUP, `${GROUP}-old`), resourceAccount: DEV }, expected: 'Denied',
    },
    'DeleteModelPackage of the pipeline group\'s version': {
      call: { principal, action: 'sagemaker:DeleteModelPackage', resource: VERSION_3, resourceAccount: DEV }, expected: 'Denied',
    },
    'UpdateModelPackage in prod\'s account (identity policy alone)': {
      call: { principal, action: 'sagemaker:UpdateModelPackage', resource: VERSION_3.replace(DEV, PROD), resourceAccount: PROD, resourcePolicy: allowAll(principal) }, expected: 'Denied',
    },
    'GetParameter of another parameter': {
      call: { principal, action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${DEV}:parameter/model-registry/other-models/approved-version`, resourceAccount: DEV }, expected: 'Denied',
    },
    'PutParameter of the pointer (only its Lambda writes it)': {
      call: { principal, action: 'ssm:PutParameter', resource: POINTER_ARN, resourceAccount: DEV }, expected: 'Denied',
    },
  });

  test('the PromoteProd step approves only mnist-pipeline-models versions and reads only the pointer', async () => {
    const checks = onRegistry(promoteStep);
    expect(await verdicts(checks)).toEqual(expected(checks));
  });

  const promotion = (s: PolicyStatement) => s.Sid === 'ApproveTheTestedGroupsVersions';
  test.each([
    ['a dev handler may create models anywhere', () => onProd({
      ...devRegistrationHandler,
      policies: [...devRegistrationHandler.policies, { name: 'Mistake', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sagemaker:CreateModel', 's3:GetObject'], Resource: '*' }] } }],
    }), 'CreateModel in prod (identity policy alone)'],
    ['prod\'s bucket policy admits dev and a dev handler reads any bucket', () => onProd({
      ...devPointerHandler,
      policies: [...devPointerHandler.policies, { name: 'Mistake', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*/*' }] } }],
    }, {
      ...prodBucketPolicy,
      Statement: [...prodBucketPolicy.Statement, { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${DEV}:root` }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${PROD_BUCKET}/*` } as PolicyStatement],
    }), 'GetObject on prod\'s bucket'],
    ['the step may update any version', () => onRegistry({ ...promoteStep, policies: editStatement(promoteStep.policies, promotion, (s) => { s.Resource = '*'; }) }), 'UpdateModelPackage of another group\'s version'],
    ['the step\'s group pattern has no slash (mnist-pipeline-models*)', () => onRegistry({
      ...promoteStep,
      policies: editStatement(promoteStep.policies, promotion, (s) => { s.Resource = `arn:aws:sagemaker:${REGION}:${DEV}:model-package/${GROUP}*`; }),
    }), 'UpdateModelPackage of a group named like it (mnist-pipeline-models-old)'],
    ['the step may read any parameter', () => onRegistry({
      ...promoteStep,
      policies: editStatement(promoteStep.policies, (s) => s.Sid === 'ReadThePromotionPointer', (s) => { s.Resource = `arn:aws:ssm:${REGION}:${DEV}:parameter/*`; }),
    }), 'GetParameter of another parameter'],
    ['the step may use any SageMaker action on the versions', () => onRegistry({ ...promoteStep, policies: editStatement(promoteStep.policies, promotion, (s) => { s.Action = 'sagemaker:*'; }) }), 'DeleteModelPackage of the pipeline group\'s version'],
  ])('a mistake is caught: %s', async (_, checks, flips) => {
    expect(await caught(checks())).toContain(flips);
  });
});

describe("the documented one-time policy for prod's CDK deploy role (docs/model-registry.md)", () => {
  // The policy exactly as the docs print it, with the placeholders filled in.
  const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'model-registry.md'), 'utf-8');
  const printed = /--policy-document \\\n\s+'(\{.*\})'/.exec(docs)?.[1] ?? '';
  const deployRole: Principal = {
    arn: `arn:aws:iam::${PROD}:role/cdk-hnb659fds-deploy-role-${PROD}-${REGION}`,
    policies: [{ name: 'ReadModelRegistryPointer', document: JSON.parse(printed.replace(/<region>/g, REGION).replace(/<dev account>/g, DEV)) as PolicyDocument }],
  };

  test('lets it resolve the pointer prod reads (its CfnParameter default), and no other parameter', async () => {
    expect(printed).not.toBe('');
    const [pointerDefault] = Object.values(prodTemplate.Parameters ?? {})
      .filter((p) => p.Type === 'AWS::SSM::Parameter::Value<String>')
      .map((p) => p.Default ?? '')
      .filter((d) => d.includes('model-registry'));
    expect(pointerDefault).toBe(POINTER_ARN);
    // The RAM share is the resource side (not an IAM policy): an allow-all stands in for it, so the
    // verdict is the identity policy's.
    const shared = allowAll(deployRole);
    expect(await decide({ principal: deployRole, action: 'ssm:GetParameters', resource: pointerDefault, resourceAccount: DEV, resourcePolicy: shared })).toBe('Allowed');
    expect(await decide({ principal: deployRole, action: 'ssm:GetParameters', resource: `arn:aws:ssm:${REGION}:${DEV}:parameter/other/secret`, resourceAccount: DEV, resourcePolicy: shared })).toBe('Denied');
    expect(await decide({ principal: deployRole, action: 'ssm:PutParameter', resource: pointerDefault, resourceAccount: DEV, resourcePolicy: shared })).toBe('Denied');
    // Same account (prod in the pipeline's account): the same policy with both placeholders that account.
    const sameAccount: Principal = {
      arn: `arn:aws:iam::${DEV}:role/cdk-hnb659fds-deploy-role-${DEV}-${REGION}`,
      policies: [{ name: 'ReadModelRegistryPointer', document: JSON.parse(printed.replace(/<region>/g, REGION).replace(/<dev account>/g, DEV)) as PolicyDocument }],
    };
    expect(await decide({ principal: sameAccount, action: 'ssm:GetParameters', resource: POINTER_ARN, resourceAccount: DEV })).toBe('Allowed');
  });
});
