// Hyperparameters as the SageMaker Python SDK sends them (checked against Python's own json.dumps
// and against what the training toolkit makes of them), synth-time validation, and job names.
import { execFileSync } from 'child_process';
import * as path from 'path';
import {
  commandLineValue,
  encodeHyperparameters,
  HyperparameterValue,
  metricAttributeName,
  scriptModeHyperparameters,
  validateHyperparameters,
} from '../../lambda/training-job/hyperparameters';
import { isJobNameFromPrefix, JOB_NAME_PATTERN, jobNameTime, makeJobName, validateJobNamePrefix } from '../../lambda/training-job/job-name';

const PYTHON = path.join(__dirname, '..', '..', 'scripts', 'python.sh');

const VALUES: Record<string, HyperparameterValue> = {
  epochs: 1,
  'batch-size': 64,
  lr: 0.01,
  tiny: 0.00001,
  smaller: 1.5e-7,
  fixed: 0.0001,
  negative: -0.5,
  precise: 123456789012345.6,
  big: 9007199254740991, // 2^53 - 1
  backend: 'gloo',
  flag: true,
  off: false,
  uri: 's3://bucket/prefix/key.tar.gz',
  list: 'a,b=c:d/e+f@g%h-i_j.k',
};

test('every value is encoded exactly as Python\'s json.dumps does (the SDK\'s _json_encode_hyperparameters)', () => {
  // Python gets the values as the SDK user would have them: ints, floats, strs and bools.
  const script = 'import json,sys; print(json.dumps({k: json.dumps(v) for k, v in json.loads(sys.argv[1]).items()}))';
  const python = JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(VALUES)], { encoding: 'utf8' }));
  const ours = encodeHyperparameters(VALUES);
  expect(ours).toEqual(python);
  expect(ours).toMatchObject({ epochs: '1', backend: '"gloo"', tiny: '1e-05', smaller: '1.5e-07', flag: 'true' });
});

test('the toolkit\'s decoding (str(json.loads(value))) gives the command-line value we document', () => {
  const encoded = encodeHyperparameters(VALUES);
  const script = 'import json,sys; print(json.dumps({k: str(json.loads(v)) for k, v in json.loads(sys.argv[1]).items()}))';
  const toolkit = JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(encoded)], { encoding: 'utf8' }));
  const ours = Object.fromEntries(Object.entries(VALUES).map(([k, v]) => [k, commandLineValue(v)]));
  expect(ours).toEqual(toolkit);
  expect(toolkit).toMatchObject({ flag: 'True', tiny: '1e-05', backend: 'gloo' });
});

test('the SDK\'s script-mode hyperparameters', () => {
  expect(
    scriptModeHyperparameters({ submitDirectory: 's3://b/k.tar.gz', program: 'mnist.py', jobName: 'mnist-1', region: 'us-east-1' }),
  ).toEqual({
    sagemaker_submit_directory: '"s3://b/k.tar.gz"',
    sagemaker_program: '"mnist.py"',
    sagemaker_container_log_level: '20',
    sagemaker_job_name: '"mnist-1"',
    sagemaker_region: '"us-east-1"',
  });
});

describe('validation names the problem', () => {
  test.each<[string, Record<string, HyperparameterValue>, RegExp]>([
    ['a space', { backend: 'gloo nccl' }, /'backend' has value "gloo nccl", which contains a space, a shell character or is empty/],
    ['a command substitution', { backend: '$(reboot)' }, /'backend' has value "\$\(reboot\)"/],
    ['a semicolon', { name: 'a;b' }, /contains a space, a shell character/],
    ['a quote', { name: "it's" }, /contains a space, a shell character/],
    ['an empty string', { name: '' }, /or is empty/],
    ['a key with a space', { 'batch size': 1 }, /hyperparameter name 'batch size' is not allowed/],
    ['a key starting with a dash', { '-x': 1 }, /hyperparameter name '-x' is not allowed/],
    ['a reserved key', { sagemaker_program: 'x.py' }, /'sagemaker_program' is reserved/],
    ['NaN', { lr: NaN }, /'lr' is NaN; use a finite number/],
    ['Infinity', { lr: Infinity }, /'lr' is Infinity/],
    ['an integer JavaScript cannot hold', { seed: 12345678901234567890 }, /'seed' is 12345678901234567000, an integer beyond 2\^53.*pass it as a string/],
  ])('%s', (_what, values, message) => {
    expect(() => validateHyperparameters(values)).toThrow(message);
  });

  test('unresolved tokens are left for deploy time; good values pass', () => {
    expect(() => validateHyperparameters({ bucket: '${Token[TOKEN.12]}' }, (v) => v.startsWith('${Token'))).not.toThrow();
    expect(() => validateHyperparameters(VALUES)).not.toThrow();
  });
});

describe('job names', () => {
  test('≤ 63 characters, SageMaker\'s pattern, lower case, and recognised as ours', () => {
    const prefix = 'A'.repeat(30);
    const fingerprint = 'c0ffee'.repeat(10) + 'abcd';
    const name = makeJobName(prefix, fingerprint, new Date('2026-11-26T08:09:10Z'), () => 0.999);
    expect(name).toHaveLength(63);
    expect(name).toMatch(JOB_NAME_PATTERN);
    expect(name).toBe(`${'a'.repeat(30)}-c0ffeec0ffee-20261126080910-9999`);
    expect(isJobNameFromPrefix(name, prefix)).toBe(true);
    expect(isJobNameFromPrefix(name, 'A'.repeat(29))).toBe(false);
    expect(isJobNameFromPrefix('other-c0ffeec0ffee-20261126080910-9999', 'mnist')).toBe(false);
    // Names from before fingerprints (existing stacks' physical ids) are still ours, to stop on delete.
    expect(isJobNameFromPrefix('mnist-20261126080910-9999', 'mnist')).toBe(true);
    expect(isJobNameFromPrefix('mnist-c0ffee-20261126080910-9999', 'mnist')).toBe(false);
    expect(jobNameTime(name)).toEqual(new Date('2026-11-26T08:09:10Z'));
    expect(jobNameTime('someone-elses-job')).toBeUndefined();
  });

  test.each(['', '-mnist', 'mnist-', 'mnist_train', 'mnist train', 'x'.repeat(31)])('prefix %p is refused', (prefix) => {
    expect(() => validateJobNamePrefix(prefix)).toThrow(/jobNamePrefix '.*' is invalid: use 1-30 letters, digits and hyphens/);
  });

  test('metric attribute names avoid characters CloudFormation attribute names cannot carry', () => {
    expect(metricAttributeName('test:accuracy')).toBe('Metric.test_accuracy');
    expect(metricAttributeName('train/loss')).toBe('Metric.train_loss');
  });
});
