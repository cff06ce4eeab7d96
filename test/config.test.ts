import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import {
  checkContextKeys,
  DEFAULT_HYPERPARAMETERS,
  DEFAULT_SETTINGS,
  isGpuInstanceType,
  parseBooleanSetting,
  readBooleanContext,
  resolveSettings,
  s3PrefixProblem,
  SETTING_NAMES,
  SettingsError,
  TRAINING_WAIT_LIMIT_MINUTES,
} from '../lib/settings';
import { pipelineRequested } from '../lib/mnist/pipeline-stack';

/** Settings as the CDK CLI hands them over: `-c key=value` always arrives as a string. */
function fromCli(context: Record<string, string>) {
  return resolveSettings(new App({ context }).node);
}

describe('defaults', () => {
  test('match the article: 2 x ml.c5.2xlarge, 1 epoch with gloo, max concurrency 1', () => {
    const s = resolveSettings(undefined);
    expect(s.trainingInstanceType).toBe('ml.c5.2xlarge');
    expect(s.trainingInstanceCount).toBe(2);
    expect(s.hyperparameters).toEqual({ epochs: 1, backend: 'gloo' });
    expect(s.serverlessMaxConcurrency).toBe(1);
    expect(s.dataSource).toBe('sample-files');
    expect(s.destroyBucketOnDelete).toBe(false);
  });

  test('cdk.json context lists every setting with the same default as the code', () => {
    const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
    const userKeys = Object.keys(cdkJson.context).filter((k) => !k.startsWith('@'));
    expect(userKeys.sort()).toEqual([...SETTING_NAMES].sort());
    for (const name of SETTING_NAMES) {
      const inJson = cdkJson.context[name];
      const expected = DEFAULT_SETTINGS[name] ?? '';
      expect({ name, value: inJson }).toEqual({ name, value: expected });
    }
    // and resolving cdk.json's context gives exactly the defaults
    expect(resolveSettings(new App({ context: cdkJson.context }).node)).toEqual(resolveSettings(undefined));
  });
});

test('the configuration table (docs/configuration.md) documents every setting with its default', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'configuration.md'), 'utf8');
  for (const name of SETTING_NAMES) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    expect({ name, documented: row !== undefined }).toEqual({ name, documented: true });
    const value = DEFAULT_SETTINGS[name];
    if (value !== undefined && name !== 'hyperparameters') expect({ name, row }).toEqual({ name, row: expect.stringContaining(`\`${value}\``) });
  }
});

describe('values from -c arrive as strings and are parsed', () => {
  test('numbers, booleans, JSON hyperparameters', () => {
    const s = fromCli({
      trainingInstanceCount: '1',
      destroyBucketOnDelete: 'true',
      serverlessEndpoint: 'false',
      minTestAccuracy: '0.95',
      serverlessMemoryMb: '4096',
      hyperparameters: '{"epochs":3,"lr":0.02}',
    });
    expect(s.trainingInstanceCount).toBe(1);
    expect(s.destroyBucketOnDelete).toBe(true);
    expect(s.serverlessEndpoint).toBe(false);
    expect(s.minTestAccuracy).toBe(0.95);
    expect(s.serverlessMemoryMb).toBe(4096);
    // merged over the defaults, so backend=gloo stays
    expect(s.hyperparameters).toEqual({ epochs: 3, lr: 0.02, backend: 'gloo' });
  });

  test('code overrides win over context, context over defaults', () => {
    const app = new App({ context: { trainingInstanceCount: '3' } });
    expect(resolveSettings(app.node).trainingInstanceCount).toBe(3);
    expect(resolveSettings(app.node, { trainingInstanceCount: 1 }).trainingInstanceCount).toBe(1);
  });

  test('empty strings mean "not set"', () => {
    expect(fromCli({ dataS3Uri: '', dlcAccount: '' }).dlcAccount).toBeUndefined();
  });

  test('the defaults object is not mutated by resolving', () => {
    fromCli({ hyperparameters: '{"epochs":5}' });
    expect(DEFAULT_SETTINGS.hyperparameters).toEqual(DEFAULT_HYPERPARAMETERS);
  });
});

describe('a bad value fails with the setting name and the allowed values', () => {
  test.each([
    ['serverlessMemoryMb', '1500', /serverlessMemoryMb=1500: expected one of 1024, 2048, 3072, 4096, 5120, 6144/],
    ['serverlessMaxConcurrency', '201', /serverlessMaxConcurrency=201: expected a whole number from 1 to 200/],
    ['serverlessMaxConcurrency', '0', /from 1 to 200/],
    ['trainingInstanceCount', '1.5', /trainingInstanceCount=1.5: expected a whole number/],
    ['trainingInstanceCount', 'two', /trainingInstanceCount=two/],
    ['destroyBucketOnDelete', 'yes', /destroyBucketOnDelete=yes: expected true or false/],
    ['dataSource', 'http', /dataSource=http: expected one of sample-files, local, s3/],
    ['bucketEncryption', 'aes', /expected one of s3-managed, kms/],
    ['minTestAccuracy', '90', /minTestAccuracy=90: expected a number from 0 to 1/],
    ['trainingMaxRuntimeMinutes', '61', new RegExp(`trainingMaxRuntimeMinutes=61: expected a whole number from 1 to ${TRAINING_WAIT_LIMIT_MINUTES}\\.`)],
    ['realtimeInstanceType', 'm5.large', /realtimeInstanceType=m5.large: expected a SageMaker instance type/],
    ['dlcAccount', '1234', /dlcAccount=1234: expected a 12-digit AWS account id/],
    ['dataS3Uri', 's3://bucket/no-slash', /dataS3Uri=s3:\/\/bucket\/no-slash: a prefix names a folder and ends in \/ .*: use s3:\/\/bucket\/no-slash\/\. Set it/],
    ['trainingImageTag', 'bad tag', /trainingImageTag=bad tag/],
    ['hyperparameters', '{epochs:1}', /hyperparameters=\{epochs:1\}: expected a JSON object/],
    ['hyperparameters', '[1]', /expected a JSON object/],
    // Names and values inside the object: 'mnist.py's declared hyperparameters' below.
  ])('%s=%s', (name, value, message) => {
    expect(() => fromCli({ [name]: value })).toThrow(SettingsError);
    expect(() => fromCli({ [name]: value })).toThrow(message);
    // and the error tells how to set it
    expect(() => fromCli({ [name]: value })).toThrow(`-c ${name.split('.')[0]}=<value>`);
  });
});

describe('misspelt setting names fail instead of being ignored', () => {
  test.each([
    ['trainingInstanceCout', 'trainingInstanceCount'],
    ['serverlessmemorymb', 'serverlessMemoryMb'],
    ['realtimeEndpoints', 'realtimeEndpoint'],
  ])('%s → did you mean %s?', (typo, name) => {
    expect(() => fromCli({ [typo]: '1' })).toThrow(`Unknown setting ${typo}: did you mean ${name}?`);
    expect(() => resolveSettings(undefined, { [typo]: 1 } as never)).toThrow(`did you mean ${name}?`);
  });

  test('other context (feature flags, the pipeline app\'s keys) passes', () => {
    expect(() => fromCli({ pipeline: 'false', connectionArn: 'arn:x', repository: 'o/r', branch: 'main', '@aws-cdk/core:checkSecretUsage': 'true' })).not.toThrow();
  });
});

describe('a hyperparameter given as a setting fails with the spelling that works', () => {
  const suffix = ' instead (merged over the defaults {"epochs":1,"backend":"gloo"}; in cdk.json: "hyperparameters" under "context").';

  test('-c epochs=2 (typed as a number in the suggestion)', () => {
    expect(() => fromCli({ epochs: '2' })).toThrow(new SettingsError(`epochs=2 is a hyperparameter of mnist.py, not a setting: pass -c hyperparameters='{"epochs":2}'${suffix}`));
  });

  test("several at once, snake_case, kept together with the context's other hyperparameters", () => {
    const app = new App({ context: { hyperparameters: { epochs: 1, backend: 'gloo', lr: 0.01 }, batch_size: '64', optimizer: 'sgd', 'conv-dropout': '0.5' } });
    expect(() => resolveSettings(app.node)).toThrow(new SettingsError(
      `batch_size=64, optimizer=sgd, conv-dropout=0.5 are hyperparameters of mnist.py, not settings: pass -c hyperparameters='{"lr":0.01,"batch-size":64,"optimizer":"sgd","conv-dropout":0.5}'${suffix}`,
    ));
  });

  test.each(['epochs', 'batch-size', 'test-batch-size', 'lr', 'momentum', 'seed', 'log-interval', 'backend'])(
    "the article's %s is recognised (read from mnist.py's options)", (name) => {
      expect(() => fromCli({ [name]: '1' })).toThrow(`${name}=1 is a hyperparameter of mnist.py`);
    });
});

describe('checkContextKeys: what the app warns about', () => {
  const cdkOwn = {
    '@aws-cdk/core:checkSecretUsage': true, 'aws:cdk:bundling-stacks': [], 'availability-zones:account=1:region=r': ['a'],
    'acknowledged-issue-numbers': [1], 'cdk-something': 1,
  };

  test('unknown keys are returned; settings, the given other keys and the CDK\'s own keys are not', () => {
    expect(checkContextKeys({ ...cdkOwn, trainingInstanceCount: '1', pipeline: 'true', totallyUnrelatedKey: '1' }, ['pipeline'])).toEqual(['totallyUnrelatedKey']);
  });

  test('a near miss of one of the other keys fails too', () => {
    expect(() => checkContextKeys({ pipline: 'true' }, ['pipeline'])).toThrow(new SettingsError(
      'Unknown setting pipline: did you mean pipeline? (-c pipeline=<value>; all settings: docs/configuration.md)',
    ));
  });

  test('short names allow fewer edits (branch: one), so unrelated short keys are not taken for typos', () => {
    expect(() => checkContextKeys({ brnch: 'x' }, ['branch'])).toThrow('did you mean branch?');
    expect(checkContextKeys({ bench: 'x' }, ['branch'])).toEqual(['bench']);
  });
});

describe('settings checked together', () => {
  test('both endpoints off', () => {
    expect(() => fromCli({ realtimeEndpoint: 'false', serverlessEndpoint: 'false' })).toThrow(/enable at least one/);
  });

  test('provisioned concurrency above max concurrency', () => {
    expect(() => fromCli({ serverlessMaxConcurrency: '2', serverlessProvisionedConcurrency: '3' }))
      .toThrow(/serverlessProvisionedConcurrency=3: expected 0 \(off\) or at most serverlessMaxConcurrency \(2\)/);
    expect(fromCli({ serverlessMaxConcurrency: '2', serverlessProvisionedConcurrency: '2' }).serverlessProvisionedConcurrency).toBe(2);
  });

  test('autoscaling a burstable (ml.t*) real-time instance', () => {
    expect(() => fromCli({ realtimeInstanceType: 'ml.t2.medium', realtimeMaxInstanceCount: '3' })).toThrow(new SettingsError(
      'Settings realtimeInstanceType=ml.t2.medium and realtimeMaxInstanceCount=3 conflict: SageMaker does not autoscale burstable (ml.t*) instances. Use e.g. ml.m5.large, or -c realtimeMaxInstanceCount=1 (no autoscaling).',
    ));
    expect(fromCli({ realtimeInstanceType: 'ml.t2.medium' }).realtimeInstanceType).toBe('ml.t2.medium');
    expect(fromCli({ realtimeInstanceType: 'ml.t2.medium', realtimeMaxInstanceCount: '3', realtimeEndpoint: 'false' }).realtimeEndpoint).toBe(false);
  });

  test('autoscaling maximum below the initial count', () => {
    expect(() => fromCli({ realtimeInstanceCount: '3', realtimeMaxInstanceCount: '2' })).toThrow(/realtimeMaxInstanceCount=2: expected at least realtimeInstanceCount \(3\)/);
  });

  test('spot wait shorter than the runtime', () => {
    expect(() => fromCli({ spotTraining: 'true', trainingMaxRuntimeMinutes: '40', spotMaxWaitMinutes: '30' })).toThrow(/spotMaxWaitMinutes=30: expected at least trainingMaxRuntimeMinutes \(40\)/);
  });

  test('a GPU real-time instance with the (CPU-only) serverless endpoint', () => {
    expect(() => fromCli({ realtimeInstanceType: 'ml.g5.xlarge' })).toThrow(/serverless inference runs CPU images only/);
    expect(fromCli({ realtimeInstanceType: 'ml.g5.xlarge', serverlessEndpoint: 'false' }).realtimeInstanceType).toBe('ml.g5.xlarge');
  });

  test('Neuron instances are refused', () => {
    expect(() => fromCli({ trainingInstanceType: 'ml.trn1.2xlarge' })).toThrow(/trainingInstanceType=ml.trn1.2xlarge: Inferentia\/Trainium/);
  });

  test('data capture without the real-time endpoint', () => {
    expect(() => fromCli({ dataCapturePercent: '10', realtimeEndpoint: 'false' })).toThrow(/data capture needs the real-time endpoint/);
  });

  test('dataSource=s3 needs dataS3Uri', () => {
    expect(() => fromCli({ dataSource: 's3' })).toThrow(/dataSource=s3 needs dataS3Uri/);
    expect(fromCli({ dataSource: 's3', dataS3Uri: 's3://my-data/mnist/' }).dataS3Uri).toBe('s3://my-data/mnist/');
  });

  test('dataSource=local needs an existing folder with the MNIST files', () => {
    expect(() => fromCli({ dataSource: 'local' })).toThrow(/dataSource=local needs dataLocalPath/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-config-'));
    try {
      expect(() => fromCli({ dataSource: 'local', dataLocalPath: path.join(dir, 'missing') })).toThrow(/is not a folder/);
      expect(() => fromCli({ dataSource: 'local', dataLocalPath: dir })).toThrow(/no train-images-idx3-ubyte\(\.gz\) file/);
      fs.mkdirSync(path.join(dir, 'MNIST', 'raw'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'MNIST', 'raw', 'train-images-idx3-ubyte.gz'), '');
      expect(fromCli({ dataSource: 'local', dataLocalPath: dir }).dataLocalPath).toBe(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test.each([
  ['ml.g4dn.xlarge', true],
  ['ml.g5.2xlarge', true],
  ['ml.g6e.xlarge', true],
  ['ml.p3.2xlarge', true],
  ['ml.p4d.24xlarge', true],
  ['ml.c5.2xlarge', false],
  ['ml.m5.large', false],
  ['ml.m7i.large', false],
])('isGpuInstanceType(%s) = %s', (type, gpu) => {
  expect(isGpuInstanceType(type)).toBe(gpu);
});

describe("mnist.py's declared hyperparameters (model-code/hyperparameters.json) are checked at synth", () => {
  const setIt = (name: string) => `Set it in "hyperparameters" in cdk.json "context" or with -c hyperparameters='{"${name}":<value>}'.`;
  test.each([
    ['{"epoch":2}', 'Unknown hyperparameter epoch: did you mean epochs? (-c hyperparameters=\'{"epochs":2}\'; all hyperparameters: docs/model-code.md#hyperparameters)'],
    ['{"batch_size":64,"lr":0.01}', 'Unknown hyperparameter batch_size: did you mean batch-size? (-c hyperparameters=\'{"batch-size":64,"lr":0.01}\'; all hyperparameters: docs/model-code.md#hyperparameters)'],
    ['{"epochs":"two"}', `Invalid hyperparameter epochs="two": expected a whole number >= 1. ${setIt('epochs')}`],
    ['{"epochs":0}', `Invalid hyperparameter epochs=0: expected a whole number >= 1. ${setIt('epochs')}`],
    ['{"epochs":2.5}', `Invalid hyperparameter epochs=2.5: expected a whole number >= 1. ${setIt('epochs')}`],
    ['{"lr":"fast"}', `Invalid hyperparameter lr="fast": expected a number > 0. ${setIt('lr')}`],
    ['{"lr":true}', `Invalid hyperparameter lr=true: expected a number > 0. ${setIt('lr')}`],
    ['{"momentum":1}', `Invalid hyperparameter momentum=1: expected a number >= 0 and < 1. ${setIt('momentum')}`],
    ['{"augment-shift":5}', `Invalid hyperparameter augment-shift=5: expected a whole number from 0 to 4. ${setIt('augment-shift')}`],
    ['{"optimizer":"adamw"}', `Invalid hyperparameter optimizer="adamw": expected one of adam, sgd. ${setIt('optimizer')}`],
    ['{"optimizer":"sgd; rm -rf /"}', `Invalid hyperparameter optimizer="sgd; rm -rf /": expected one of adam, sgd. ${setIt('optimizer')}`],
    ['{"checkpoint-dir":"/ckpt; rm -rf /"}', 'Invalid hyperparameter checkpoint-dir="/ckpt; rm -rf /": expected a string of letters, digits and _ . , : / = + @ % -, ' +
      `at most 2498 long (the training toolkit passes values through a shell unquoted). ${setIt('checkpoint-dir')}`],
    ['{"batch-size":1}', `Invalid hyperparameter batch-size=1: it is split across the 2 training hosts, so it must be at least 2. ${setIt('batch-size')}`],
    ['{"sagemaker_program":"x.py"}', /^Unknown hyperparameter sagemaker_program: the training script has no --sagemaker_program \(it has batch-size, test-batch-size, epochs, .*\)\. Remove it; see docs\/model-code\.md#hyperparameters\.$/],
  ])('%s', (hyperparameters, message) => {
    expect(() => fromCli({ hyperparameters })).toThrow(SettingsError);
    expect(() => fromCli({ hyperparameters })).toThrow(message);
  });

  test('what the script takes passes, as the toolkit will pass it (strings that Python reads as numbers included)', () => {
    const valid = {
      'epochs': 3, 'batch-size': 64, 'test-batch-size': '500', 'lr': '1e-3', 'momentum': 0.5, 'seed': '1_000', 'log-interval': 10,
      'backend': 'nccl', 'optimizer': 'sgd', 'lr-schedule': 'constant', 'warmup': 0, 'conv-dropout': 0.5, 'fc-dropout': 0.5,
      'augment-shift': 0, 'dist-timeout': 600, 'checkpoint-dir': '/opt/ml/checkpoints',
    };
    expect(fromCli({ hyperparameters: JSON.stringify(valid) }).hyperparameters).toEqual(valid);
    expect(fromCli({ hyperparameters: '{"batch-size":1}', trainingInstanceCount: '1' }).hyperparameters['batch-size']).toBe(1);
  });
});

describe('instance types must exist in SageMaker for their use (the lists of @aws-sdk/client-sagemaker)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = `@aws-sdk/client-sagemaker ${require('@aws-sdk/client-sagemaker/package.json').version}`;
  const fix = (key: string) => `Set it with -c ${key}=<value>; for a type newer than ${sdk}, update it or add -c allowUnlistedInstanceTypes=true.`;
  test.each([
    [{ trainingInstanceType: 'ml.c5.2xl' }, `Invalid setting trainingInstanceType=ml.c5.2xl: SageMaker has no such instance type for training; did you mean ml.c5.2xlarge? ${fix('trainingInstanceType')}`],
    [{ trainingInstanceType: 'ml.t2.medium' }, `Invalid setting trainingInstanceType=ml.t2.medium: SageMaker offers it for real-time endpoints, not for training; did you mean ml.t3.medium? ${fix('trainingInstanceType')}`],
    [{ realtimeInstanceType: 'ml.m5.larg' }, `Invalid setting realtimeInstanceType=ml.m5.larg: SageMaker has no such instance type for real-time endpoints; did you mean ml.m5.large? ${fix('realtimeInstanceType')}`],
    [{ realtimeInstanceType: 'ml.c5n.xlarge' }, `Invalid setting realtimeInstanceType=ml.c5n.xlarge: SageMaker offers it for training, not for real-time endpoints; did you mean ml.c5d.xlarge? ${fix('realtimeInstanceType')}`],
    [{ trainingInstanceType: 'ml.zz9.large' }, `Invalid setting trainingInstanceType=ml.zz9.large: SageMaker has no such instance type for training. ${fix('trainingInstanceType')}`],
  ])('%j', (context, message) => {
    expect(() => fromCli(context)).toThrow(new SettingsError(message));
  });

  test('types SageMaker has pass; allowUnlistedInstanceTypes=true lets a type newer than the SDK through', () => {
    expect(fromCli({ trainingInstanceType: 'ml.g5.2xlarge', realtimeInstanceType: 'ml.g4dn.xlarge', serverlessEndpoint: 'false' }).trainingInstanceType).toBe('ml.g5.2xlarge');
    expect(fromCli({ trainingInstanceType: 'ml.m5.xlarge', realtimeInstanceType: 'ml.t2.medium' }).realtimeInstanceType).toBe('ml.t2.medium');
    const newer = fromCli({ trainingInstanceType: 'ml.c99.2xlarge', realtimeInstanceType: 'ml.m99.large', allowUnlistedInstanceTypes: 'true' });
    expect([newer.trainingInstanceType, newer.realtimeInstanceType]).toEqual(['ml.c99.2xlarge', 'ml.m99.large']);
  });
});

describe('true/false settings accept exactly true and false, as the docs say (issue 17, item 2)', () => {
  const booleanSettings = SETTING_NAMES.filter((name) => typeof DEFAULT_SETTINGS[name] === 'boolean');
  const refusal = (name: string, value: string) =>
    new SettingsError(`Invalid setting ${name}=${value}: expected true or false. Set it in cdk.json "context" or with -c ${name}=<value>.`);

  test.each(['yes', '1', 'True', 'no', '0', 'on'])('%s is refused by every true/false setting, by name', (value) => {
    expect(booleanSettings.length).toBeGreaterThan(5);
    for (const name of booleanSettings) expect(() => fromCli({ [name]: value })).toThrow(refusal(name, value));
  });

  test('true and false as text (-c) or as JSON (cdk.json)', () => {
    expect(parseBooleanSetting('x', 'true')).toBe(true);
    expect(parseBooleanSetting('x', false)).toBe(false);
    expect(resolveSettings(new App({ context: { spotTraining: true } }).node).spotTraining).toBe(true);
  });

  test('pipeline, read outside the settings, goes through the same parser: yes is an error, not the standalone stack', () => {
    const node = (context: Record<string, unknown>) => new App({ context }).node;
    for (const value of ['yes', '1', 'True']) expect(() => pipelineRequested(node({ pipeline: value }))).toThrow(refusal('pipeline', value));
    expect([{}, { pipeline: '' }, { pipeline: 'false' }, { pipeline: false }].map((c) => pipelineRequested(node(c)))).toEqual([false, false, false, false]);
    expect([{ pipeline: 'true' }, { pipeline: true }].map((c) => pipelineRequested(node(c)))).toEqual([true, true]);
    expect(readBooleanContext(node({}), 'other', true)).toBe(true);
  });
});

describe('dataS3Uri names the real problem (issue 17, item 5)', () => {
  test('s3://b/p/ ends in / but its bucket name is too short', () => {
    expect(() => fromCli({ dataSource: 's3', dataS3Uri: 's3://b/p/' })).toThrow(new SettingsError(
      'Invalid setting dataS3Uri=s3://b/p/: b is not a valid S3 bucket name: it is 1 character long (S3 bucket names are 3 to 63 lowercase letters, ' +
      'digits, dots and hyphens, starting and ending with a letter or digit); give the data\'s bucket and prefix, e.g. s3://my-bucket/mnist/. ' +
      'Set it in cdk.json "context" or with -c dataS3Uri=<value>.'));
  });

  test.each([
    ['s3://My-Bucket/mnist/', 'My-Bucket is not a valid S3 bucket name: it has upper-case letters'],
    ['s3://my_bucket/mnist/', 'my_bucket is not a valid S3 bucket name: it has "_" in it'],
    ['s3://my-bucket-/mnist/', 'my-bucket- is not a valid S3 bucket name: it starts or ends with a dot or a hyphen'],
    ['s3://my..bucket/mnist/', 'my..bucket is not a valid S3 bucket name: it has two dots in a row'],
    ['s3://192.168.5.4/mnist/', '192.168.5.4 is not a valid S3 bucket name: it is formatted as an IP address'],
    ['s3://xn--bucket/mnist/', 'xn--bucket is not a valid S3 bucket name: it starts with the reserved prefix xn--'],
    [`s3://${'a'.repeat(64)}/mnist/`, `${'a'.repeat(64)} is not a valid S3 bucket name: it is 64 characters long`],
  ])('%s: %s', (uri, problem) => {
    expect(s3PrefixProblem(uri)).toMatch(new RegExp(`^${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(S3 bucket names are 3 to 63`));
  });

  test('a prefix without the trailing /: the fix is the same URI with it', () => {
    expect(s3PrefixProblem('s3://my-bucket/mnist')).toBe('a prefix names a folder and ends in / (SageMaker reads every object under it): use s3://my-bucket/mnist/');
    expect(s3PrefixProblem('s3://my-bucket')).toMatch(/: use s3:\/\/my-bucket\/$/);
    expect(() => fromCli({ dataSource: 's3', dataS3Uri: 'https://my-bucket/mnist/' })).toThrow(/^Invalid setting dataS3Uri=https:\/\/my-bucket\/mnist\/: expected an S3 prefix such as s3:\/\/my-bucket\/mnist\/ \(ending in \/\)/);
  });

  test('valid prefixes pass: the bucket root, nested folders, dots, an access point alias, a directory bucket', () => {
    for (const uri of ['s3://abc/', 's3://my-bucket/mnist/', 's3://my.bucket-1/a/b/c/', 's3://my-ap-abcdefghijklmnopqrstuvwxyz0123-s3alias/mnist/', 's3://data--usw2-az1--x-s3/mnist/']) {
      expect({ uri, problem: s3PrefixProblem(uri) }).toEqual({ uri, problem: undefined });
    }
    expect(fromCli({ dataSource: 's3', dataS3Uri: 's3://my-bucket/mnist/' }).dataS3Uri).toBe('s3://my-bucket/mnist/');
  });
});
