// How local mode hands hyperparameters, config files and SM_* variables to the training script:
// the same transformations the SageMaker SDK and training toolkit apply.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeHyperparameters } from '../../lambda/training-job/hyperparameters';
import { decodeHyperparameters, toolkitArguments } from '../../scripts/local/hyperparameters';
import { offlineEpochs } from '../../scripts/local/run-local';
import { parseTestLine } from '../../scripts/local/train';
import { toolkitEnvironment, writeTrainingHost } from '../../scripts/local/training-tree';

describe('hyperparameters, stack encoding (as the SDK) → toolkit → script', () => {
  test('the toolkit passes sorted --key value pairs, formatted by Python str(), sagemaker_* dropped', () => {
    const encoded = {
      ...encodeHyperparameters({ epochs: 2, backend: 'gloo', lr: 0.00001, momentum: 0.5, 'batch-size': 64, amp: false, x: 3 }),
      big: '100000000000000000000', // an integer beyond 2^53 (the stack refuses to encode one)
      sagemaker_program: '"mnist.py"',
      sagemaker_submit_directory: '"s3://bucket/sourcedir.tar.gz"',
      raw: 'not-json',
    };
    expect(toolkitArguments(encoded)).toEqual([
      '--amp', 'False',
      '--backend', 'gloo',
      '--batch-size', '64',
      '--big', '100000000000000000000', // no exponent in the JSON, so Python reads an int
      '--epochs', '2',
      '--lr', '1e-05',
      '--momentum', '0.5',
      '--raw', 'not-json',
      '-x', '3',
    ]);
    expect(toolkitArguments({ lr: '1.0' })).toEqual(['--lr', '1.0']); // a JSON float stays a float in Python
    expect(toolkitArguments({ big: '1e16', small: '0.0001' })).toEqual(['--big', '1e+16', '--small', '0.0001']);
    expect(decodeHyperparameters(encoded)).toEqual({ epochs: 2, backend: 'gloo', lr: 0.00001, momentum: 0.5, 'batch-size': 64, amp: false, x: 3, big: 1e20, raw: 'not-json' });
    expect((encoded as Record<string, string>).lr).toBe('1e-05'); // the stack writes Python's repr, the toolkit reads it back
  });

  test('a value the unquoted command line would break is refused with the reason', () => {
    expect(() => toolkitArguments(encodeHyperparameters({ backend: 'gloo nccl' }))).toThrow(/backend="gloo nccl" would break .* without spaces or shell characters/);
    expect(() => toolkitArguments(encodeHyperparameters({ note: '$(rm -rf)' }))).toThrow(/would break/);
    // Names follow the stack's name rule, not the value rule ('=' and ',' are safe in a value only).
    expect(() => toolkitArguments({ 'lr=0.1': '1' })).toThrow('Hyperparameter name "lr=0.1" would break');
  });
});

describe('the /opt/ml-like tree and the toolkit environment', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opt-ml-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const encoded = { ...encodeHyperparameters({ epochs: 1, backend: 'gloo' }), sagemaker_program: '"mnist.py"' };
  const layout = writeTrainingHost({ root, hosts: ['algo-1', 'algo-2'], currentHost: 'algo-2', encodedHyperparameters: encoded, entryPoint: 'mnist.py' });

  test('writes the three config files SageMaker provides, and the channel and model folders', () => {
    const read = (name: string) => JSON.parse(fs.readFileSync(path.join(root, 'input', 'config', name), 'utf8'));
    expect(read('hyperparameters.json')).toEqual(encoded);
    expect(read('resourceconfig.json')).toMatchObject({ current_host: 'algo-2', hosts: ['algo-1', 'algo-2'] });
    expect(read('inputdataconfig.json')).toEqual({ training: expect.objectContaining({ TrainingInputMode: 'File' }) });
    for (const dir of ['input/data/training', 'model', 'code', 'output/data']) expect(fs.statSync(path.join(root, dir)).isDirectory()).toBe(true);
  });

  test('sets the SM_* variables as the toolkit does (JSON for lists and maps) and the master address', () => {
    const env = toolkitEnvironment({ layout, hosts: ['algo-1', 'algo-2'], encodedHyperparameters: encoded, entryPoint: 'mnist.py', masterAddress: '127.0.0.1', masterPort: 7777 });
    expect(env).toMatchObject({
      SM_HOSTS: '["algo-1","algo-2"]',
      SM_CURRENT_HOST: 'algo-2',
      SM_MODEL_DIR: path.join(root, 'model'),
      SM_CHANNEL_TRAINING: path.join(root, 'input', 'data', 'training'),
      SM_CHANNELS: '["training"]',
      SM_OUTPUT_DIR: path.join(root, 'output'),
      SM_OUTPUT_DATA_DIR: path.join(root, 'output', 'data'),
      SM_NUM_GPUS: '0',
      SM_HPS: '{"backend":"gloo","epochs":1}',
      SM_HP_EPOCHS: '1',
      SM_HP_BACKEND: 'gloo',
      SM_USER_ARGS: '["--backend","gloo","--epochs","1"]',
      SM_USER_ENTRY_POINT: 'mnist.py',
      SM_MODULE_NAME: 'mnist',
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: '7777',
    });
    expect(JSON.parse(env.SM_TRAINING_ENV)).toMatchObject({ current_host: 'algo-2', hps: { epochs: 1, backend: 'gloo' } });
    expect(Object.keys(env).some((key) => key.startsWith('SM_HP_SAGEMAKER'))).toBe(false);
  });
});

describe("reading mnist.py's per-epoch test line", () => {
  test('takes loss, counts, percent and epoch', () => {
    expect(parseTestLine('Test set: Average loss: 0.0523, Accuracy: 9839/10000 (98.39%), Epoch: 1', 9)).toEqual({
      loss: 0.0523, correct: 9839, total: 10000, accuracy: 98.39, epoch: 1,
    });
    expect(parseTestLine('Test set: Average loss: 0.1, Accuracy: 9/10 (90%)', 3)?.epoch).toBe(3);
    expect(parseTestLine('Train Epoch: 1 [640/2000] Loss: 0.5', 1)).toBeUndefined();
  });
});

describe('offline epochs', () => {
  test("the packaged set trains long enough to see as many examples as one MNIST epoch, unless the user chose", () => {
    expect(offlineEpochs('packaged', 8004, 1, {})).toBe(8);
    expect(offlineEpochs('packaged', 8004, 2, {})).toBe(15);
    expect(offlineEpochs('download', 60000, 1, {})).toBeUndefined();
    expect(offlineEpochs('packaged', 8004, 1, { hyperparameters: { epochs: 1 } })).toBeUndefined();
    expect(offlineEpochs('packaged', 2000, 1, { trainCount: 2000 })).toBeUndefined();
  });
});
