// `npm run local`'s command line and exit code: every mistaken flag is one line and exit 1 before
// any work; the exit code follows the run's verdict; the verdict needs both the accuracy floor and
// the smoke test.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { formatHyperparameters, localCommand, parseLocalArguments } from '../../scripts/local/local-command';
import { checkLocalOptions, loadStackSettings, LocalRunResult, localRunVerdict, runLocal } from '../../scripts/local/run-local';

const ROOT = path.join(__dirname, '..', '..');

async function command(argv: string[], verdict?: Partial<LocalRunResult>) {
  const out: string[] = [];
  const err: string[] = [];
  const runs: unknown[] = [];
  const fakeRun = (async (options: unknown) => {
    runs.push(options);
    return {
      runDir: '/tmp/run', dataSource: 'test digits', trainCount: 10, testCount: 5,
      hyperparameters: { epochs: '2', backend: '"gloo"' }, hyperparameterValues: { epochs: 2, backend: 'gloo' },
      hosts: [{ host: 'algo-1', exitCode: 0, signal: null, epochs: [{ epoch: 1, loss: 0.1, correct: 5, total: 5, accuracy: 100 }] }],
      testAccuracy: 100, artifact: { archive: '/tmp/run/model.tar.gz', bytes: 1, files: ['model.pth'], servingDir: '/tmp/run/serving' },
      smoke: { passed: true, minAccuracy: 0.9, results: [] }, latency: [], passed: true, failures: [], secondsPerStep: {},
      ...verdict,
    } as unknown as LocalRunResult;
  }) as typeof runLocal;
  const code = await localCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, fakeRun).catch((error: Error) => {
    err.push(error.message);
    return 'threw';
  });
  return { code, out: out.join('\n'), err: err.join('\n'), runs };
}

describe('the exit code follows the verdict', () => {
  test('0 when the run passed, 1 when it did not (accuracy floor or smoke test)', async () => {
    expect((await command(['--offline'])).code).toBe(0);
    const failed = await command(['--offline'], { passed: false, failures: ['the smoke test failed'] });
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('FAILED: the smoke test failed');
  });

  test('the summary shows the hyperparameters as typed, not JSON-encoded twice', async () => {
    const { out } = await command(['--offline', '--epochs', '2']);
    expect(out).toContain('hyperparameters epochs=2 backend=gloo');
    expect(out).not.toContain('\\"');
    expect(formatHyperparameters({ lr: 0.02, backend: 'gloo', verbose: true })).toBe('lr=0.02 backend=gloo verbose=true');
  });

  test('--help prints the usage, exit 0, and runs nothing', async () => {
    const { code, out, runs } = await command(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: npm run local -- \[options\]/);
    expect(runs).toEqual([]);
  });
});

test("runLocal's verdict: both the accuracy floor and the smoke test count, the floor inclusive", () => {
  expect(localRunVerdict(95, 0.9, { passed: true })).toEqual({ passed: true, failures: [] });
  expect(localRunVerdict(90, 0.9, { passed: true })).toEqual({ passed: true, failures: [] }); // exactly at the floor passes
  expect(localRunVerdict(89.99, 0.9, { passed: true })).toEqual({
    passed: false,
    failures: ["test accuracy 89.99% is below the stack's minimum 90% (minTestAccuracy)"],
  });
  expect(localRunVerdict(95, 0.9, { passed: false })).toEqual({ passed: false, failures: ['the smoke test failed'] });
  expect(localRunVerdict(80, 0.9, { passed: false }).failures).toHaveLength(2);
  expect(localRunVerdict(Number.NaN, 0.9, { passed: true }).passed).toBe(false);
});

test.each([
  [['--epochs', '-1'], '--epochs -1 is not valid: use a whole number >= 1.'],
  [['--train-count', '-5'], '--train-count -5 is not valid: use a whole number >= 1.'],
  [['--test-count', '0'], '--test-count 0 is not valid: use a whole number >= 1.'],
  [['--master-port', '99999'], '--master-port 99999 is not valid: use a whole number from 1 to 65535.'],
  [['--latency-requests', 'x'], '--latency-requests x is not valid: use a whole number >= 0.'],
  [['--hosts', '9'], '--hosts 9 is not valid: use a whole number from 1 to 8.'],
  [['--min-accuracy', '1.5'], '--min-accuracy 1.5 is not valid: use a fraction from 0 to 1, e.g. 0.9.'],
  [['--hp', 'lr'], '--hp lr is not valid: use KEY=VALUE, e.g. --hp lr=0.02.'],
  [['--bogus'], 'unknown option --bogus (npm run local -- --help lists the options)'],
  [['--epochs'], '--epochs needs a value, e.g. --epochs VALUE (npm run local -- --help lists the options)'],
  [['--offline=yes'], '--offline takes no value (npm run local -- --help lists the options)'],
  [['stray'], 'unexpected argument stray: every value follows its --flag (npm run local -- --help lists the options)'],
])('npm run local -- %j: one line, exit 1, nothing runs', async (argv, message) => {
  const { code, err, runs } = await command(argv);
  expect({ code, err }).toEqual({ code: 'threw', err: message });
  expect(runs).toEqual([]);
});

test('values are kept: negative-looking values reach the checks, --hp types numbers and booleans', () => {
  expect(parseLocalArguments(['--hp', 'lr=0.02', '--hp', 'backend=gloo', '--hp', 'flag=true', '--epochs', '3', '--master-port', '7777'])).toMatchObject({
    hyperparameters: { lr: 0.02, backend: 'gloo', flag: true, epochs: 3 },
    masterPort: 7777,
  });
  expect(parseLocalArguments(['--latency-requests', '0'])).toMatchObject({ latencyRequests: 0 });
  expect(() => parseLocalArguments(['--min-accuracy', '-0.5'])).toThrow('--min-accuracy -0.5 is not valid: use a fraction from 0 to 1, e.g. 0.9.');
});

test('runLocal refuses bad options itself, before it touches data or Python', () => {
  expect(() => checkLocalOptions({ masterPort: 70000 }, 1)).toThrow('--master-port 70000 is not valid: use a whole number from 1 to 65535.');
  expect(() => checkLocalOptions({ latencyRequests: 1.5 }, 1)).toThrow('--latency-requests 1.5 is not valid');
  expect(() => checkLocalOptions({ hosts: 0 }, 0)).toThrow('--hosts 0 is not valid: use a whole number from 1 to 8.');
  expect(() => checkLocalOptions({ endpointName: 'my_endpoint' }, 1)).toThrow(/--endpoint-name my_endpoint is not valid: use up to 63 letters, digits and hyphens/);
  expect(() => checkLocalOptions({ dataDir: path.join(ROOT, 'no-such-folder') }, 1)).toThrow(/--data .*no-such-folder is not a folder/);
  expect(() => checkLocalOptions({ dataDir: ROOT, offline: true }, 1)).toThrow('--data and --offline exclude each other');
  expect(() => checkLocalOptions({ masterPort: 7777, latencyRequests: 0, minAccuracy: 1, endpointName: 'mnist-local', dataDir: ROOT }, 8)).not.toThrow();
});

test('a host count from cdk.json that local mode cannot run names the setting and where it came from, not --hosts', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-json-'));
  try {
    const cdkJson = path.join(folder, 'cdk.json');
    fs.writeFileSync(cdkJson, JSON.stringify({ context: { trainingInstanceCount: 12 } }));
    const runsDir = path.join(folder, 'runs');
    await expect(runLocal({ settings: loadStackSettings(cdkJson), runsDir, log: () => undefined })).rejects.toThrow(
      /^trainingInstanceCount=12 from cdk\.json \(used for --hosts\) is not valid: use a whole number from 1 to 8 \(one local process per host\), e\.g\. npm run local -- --hosts 2\.$/,
    );
    expect(fs.existsSync(runsDir)).toBe(false);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test('hyperparameters are checked as cdk synth checks them (mnist.py\'s declarations), in local mode\'s words, before any work', async () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-hp-'));
  fs.rmdirSync(runsDir);
  const refusal = (hyperparameters: Record<string, string | number>, hosts = 1) =>
    runLocal({ hyperparameters, hosts, runsDir, log: () => undefined }).then(() => 'accepted', (error: Error) => error.message);
  expect(await refusal({ epoch: 2 })).toBe('Unknown hyperparameter epoch: did you mean epochs? (--hp epochs=2; all hyperparameters: docs/model-code.md#hyperparameters)');
  expect(await refusal({ lr: 'abc' })).toBe('Invalid hyperparameter lr="abc": expected a number > 0. Set it with --hp lr=VALUE.');
  expect(await refusal({ epochs: 0 })).toBe('Invalid hyperparameter epochs=0: expected a whole number >= 1. Set it with --epochs N.');
  expect(await refusal({ backend: 'mpi' })).toBe('Invalid hyperparameter backend="mpi": expected one of gloo, nccl. Set it with --hp backend=VALUE.');
  expect(await refusal({ 'batch-size': 1 }, 2)).toBe(
    'Invalid hyperparameter batch-size=1: it is split across the 2 training hosts, so it must be at least 2. Set it with --hp batch-size=VALUE.',
  );
  expect(fs.existsSync(runsDir)).toBe(false);
});

test('the real command exits 1 with one line on stderr (no stack trace, no SDK warning)', async () => {
  const run = promisify(execFile);
  const failure = await run(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/local/cli.ts', '--epochs', '-1'], { cwd: ROOT }).catch((e) => e);
  expect({ code: failure.code, stderr: failure.stderr, stdout: failure.stdout }).toEqual({
    code: 1,
    stderr: 'npm run local: --epochs -1 is not valid: use a whole number >= 1.\n',
    stdout: '',
  });
}, 60_000);

test('the real command refuses a misspelt hyperparameter in one line, exit 1', async () => {
  const run = promisify(execFile);
  const failure = await run(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/local/cli.ts', '--hp', 'epoch=2'], { cwd: ROOT }).catch((e) => e);
  expect({ code: failure.code, stderr: failure.stderr, stdout: failure.stdout }).toEqual({
    code: 1,
    stderr: 'npm run local: Unknown hyperparameter epoch: did you mean epochs? (--hp epochs=2; all hyperparameters: docs/model-code.md#hyperparameters)\n',
    stdout: '',
  });
}, 60_000);
