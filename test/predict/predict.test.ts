// `npm run predict` against the loopback SageMaker runtime fake, through the real SDK client.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { MODEL_MAX_BATCH, runPredict } from '../../scripts/lib/predict-cli';
import { IDX_FILES, PIXELS, loadPackagedMnist, takeDigits, writeIdxDataset } from '../../scripts/lib/packaged-mnist';
import { FakeSageMakerRuntime } from '../smoke-test/fake-sagemaker-runtime';
import { grayPng, writePng } from './png-writer';

const { test: heldOut } = loadPackagedMnist();
const digit = (i: number) => heldOut.images.slice(i * PIXELS, (i + 1) * PIXELS);
let fake: FakeSageMakerRuntime;
let url: string;
let dir: string;

async function predict(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPredict(argv, (line) => out.push(line), (line) => err.push(line));
  return { code, out, err: err.join('\n') };
}

beforeAll(async () => {
  fake = new FakeSageMakerRuntime(Array.from({ length: heldOut.count }, (_, i) => ({ pixels: digit(i), label: heldOut.labels[i] })));
  fake.endpoint('mnist').endpoint('mnist-local').endpoint('flaky', { kind: 'wrong', indices: [1] }).endpoint('broken', { kind: 'error', error: 'ModelError', originalStatus: 400, message: 'Expected shape (N, 1, 28, 28)' })
    .endpoint('traceback', {
      kind: 'error', error: 'ModelError', originalStatus: 400,
      message: 'Batch of 1001 images is larger than 1000\nTraceback (most recent call last):\n  File "/opt/ml/model/code/mnist.py", line 499, in input_fn\nValueError',
    });
  url = await fake.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'predict-'));
});

afterAll(async () => {
  await fake.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('mnist:N sends held-out digits and prints label, probability and the true label', async () => {
  const { code, out } = await predict('--endpoint', 'mnist', '--local', url, 'mnist:3');
  expect(code).toBe(0);
  expect(out).toEqual([
    `mnist:test[0]  label ${heldOut.labels[0]}  p=0.9100  true ${heldOut.labels[0]} ok`,
    `mnist:test[1]  label ${heldOut.labels[1]}  p=0.9100  true ${heldOut.labels[1]} ok`,
    `mnist:test[2]  label ${heldOut.labels[2]}  p=0.9100  true ${heldOut.labels[2]} ok`,
    '3/3 correct (100.0%) of the images with known labels',
  ]);
  const last = fake.requestsTo('mnist').at(-1)!;
  expect(last).toMatchObject({ contentType: 'application/x-npy', accept: 'application/x-npy', images: 3, signed: true });
});

test('IDX images (gzipped) with their labels file, --count, JSON and batching', async () => {
  const folder = writeIdxDataset(path.join(dir, 'idx'), { train: takeDigits(heldOut, 1), test: takeDigits(heldOut, 20) });
  const before = fake.requestsTo('mnist').length;
  const { code, out } = await predict(
    '--endpoint', 'mnist', '--local', url, '--content-type', 'json', '--count', '5', '--batch-size', '2',
    path.join(folder, `${IDX_FILES.testImages}.gz`), path.join(folder, `${IDX_FILES.testLabels}.gz`),
  );
  expect(code).toBe(0);
  expect(out[0]).toBe(`${IDX_FILES.testImages}.gz[0]  label ${heldOut.labels[0]}  p=0.9100  true ${heldOut.labels[0]} ok`);
  expect(out.at(-1)).toBe('5/5 correct (100.0%) of the images with known labels');
  expect(fake.requestsTo('mnist').slice(before).map((r) => [r.contentType, r.images])).toEqual([
    ['application/json', 2], ['application/json', 2], ['application/json', 1],
  ]);
});

test('a dark-on-white RGB PNG is inverted to MNIST polarity (auto), not with --invert no', async () => {
  const original = digit(7);
  const inverted = original.map((v) => 255 - v);
  const rgb = Uint8Array.from({ length: PIXELS * 3 }, (_, i) => inverted[Math.floor(i / 3)]);
  const file = path.join(dir, 'drawn.png');
  fs.writeFileSync(file, writePng({ width: 28, height: 28, colorType: 2, samples: rgb }));
  const auto = await predict('--endpoint', 'mnist', '--local', url, file);
  expect(auto.out).toEqual([`${file}  label ${heldOut.labels[7]}  p=0.9100`]);
  const asIs = path.join(dir, 'as-is.png');
  fs.writeFileSync(asIs, grayPng(original));
  expect((await predict('--endpoint', 'mnist', '--local', url, asIs)).out).toEqual([`${asIs}  label ${heldOut.labels[7]}  p=0.9100`]);
  const interlaced = path.join(dir, 'interlaced.png');
  fs.writeFileSync(interlaced, writePng({ width: 28, height: 28, colorType: 0, samples: original, interlace: true }));
  expect((await predict('--endpoint', 'mnist', '--local', url, interlaced)).out).toEqual([`${interlaced}  label ${heldOut.labels[7]}  p=0.9100`]);
  // Not inverted, the fake sees an image it does not know (it answers 0 for those).
  const raw = await predict('--endpoint', 'mnist', '--local', url, '--invert', 'no', file);
  expect(raw.out).toEqual([`${file}  label 0  p=0.9100`]);
});

test('a wrong answer is marked WRONG and counted', async () => {
  const { code, out } = await predict('--endpoint', 'flaky', '--local', url, 'mnist:2');
  expect(code).toBe(0);
  expect(out[1]).toBe(`mnist:test[1]  label ${(heldOut.labels[1] + 3) % 10}  p=0.9100  true ${heldOut.labels[1]} WRONG`);
  expect(out[2]).toBe('1/2 correct (50.0%) of the images with known labels');
});

test('clear errors for bad input, bad options and endpoint errors', async () => {
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'hello, not an image');
  const small = path.join(dir, 'small.png');
  fs.writeFileSync(small, writePng({ width: 27, height: 28, colorType: 0, samples: new Uint8Array(27 * 28) }));
  const cut = path.join(dir, 'cut.png');
  fs.writeFileSync(cut, grayPng(digit(0)).subarray(0, 100));
  const cases: Array<[string[], RegExp]> = [
    [['mnist:2'], /^predict: Missing --endpoint NAME: the SageMaker endpoint to call \(or --local URL for a server started by npm run local -- --keep-serving\)\.$/],
    [['--endpoint', 'mnist', '--local', url, '--batch-size', '5000', 'mnist:2'], /^predict: --batch-size 5000 is not valid: use a whole number from 1 to 1000 \(the model refuses larger batches\)\.$/],
    [['--endpoint', 'mnist', '--local', url, '--batch-size', '-3', 'mnist:2'], /^predict: --batch-size -3 is not valid: use a whole number from 1 to 1000 \(the model refuses larger batches\)\.$/],
    [['--endpoint', 'mnist', '--bogus'], /^predict: unknown option --bogus \(npm run predict -- --help lists the options\)$/],
    [['--endpoint', 'mnist', '--local', url, '--invert', 'maybe', 'mnist:1'], /^predict: --invert maybe is not valid: use auto, yes or no\.$/],
    [['--endpoint', 'traceback', '--local', url, 'mnist:1'], /^predict: ModelError \(HTTP 424\): Received client error \(400\) from primary with message "Batch of 1001 images is larger than 1000 \(the endpoint's log has the traceback\)$/],
    [['--endpoint', 'mnist', '--local', url], /No input: give one or more PNG files, IDX image files or mnist:N/],
    [['--endpoint', 'mnist', '--local', url, text], /notes\.txt: not a PNG or an MNIST IDX file \(magic 0x68656c6c; expected 0x00000803/],
    [['--endpoint', 'mnist', '--local', url, small], /small\.png: the image is 27×28; the model takes 28×28 — resize it first/],
    [['--endpoint', 'mnist', '--local', url, cut], /cut\.png: truncated PNG: the file ends before its image data does\.$/],
    [['--endpoint', 'mnist', '--local', url, path.join(dir, 'missing.png')], /missing\.png: cannot read it \(ENOENT\); check the path/],
    [['--endpoint', 'mnist', '--local', url, 'mnist:0'], /mnist:0: use mnist:N with N a whole number from 1 to 1996/],
    [['--endpoint', 'mnist', '--local', url, '--content-type', 'csv', 'mnist:1'], /--content-type csv is not valid: use npy or json/],
    [['--endpoint', 'mnist', '--local', 'localhost:8080', 'mnist:1'], /--local localhost:8080 is not a URL: use e\.g\. --local http:\/\/127\.0\.0\.1:8080/],
    [['--endpoint', 'mnist', '--local', url, '--count', 'many', 'mnist:1'], /--count many is not valid/],
    [['--endpoint', 'broken', '--local', url, 'mnist:1'], /^predict: ModelError \(HTTP 424\): Received client error \(400\) from primary with message "Expected shape \(N, 1, 28, 28\)"/],
    [['--endpoint', 'nope', '--local', url, 'mnist:1'], /^predict: ValidationError \(HTTP 400\): Endpoint nope of account 123456789012 not found\./],
  ];
  for (const [argv, message] of cases) {
    const result = await predict(...argv);
    expect({ argv, code: result.code }).toEqual({ argv, code: 1 });
    expect(result.err).toMatch(message);
  }
  const labelsFirst = writeIdxDataset(path.join(dir, 'idx2'), { train: takeDigits(heldOut, 1), test: takeDigits(heldOut, 2) }, { gzip: false });
  const orphan = await predict('--endpoint', 'mnist', '--local', url, path.join(labelsFirst, IDX_FILES.testLabels));
  expect(orphan.err).toMatch(/an IDX label file must come right after the IDX images file it labels/);
});

test('nothing is sent for a refused option: --batch-size above the model limit stops before the first request', async () => {
  const before = fake.requestsTo('mnist').length;
  expect((await predict('--endpoint', 'mnist', '--local', url, '--batch-size', '1001', 'mnist:2')).code).toBe(1);
  expect(fake.requestsTo('mnist')).toHaveLength(before);
  expect((await predict('--endpoint', 'mnist', '--local', url, '--batch-size', String(MODEL_MAX_BATCH), 'mnist:2')).code).toBe(0);
});

test("the batch limit is the model's: MODEL_MAX_BATCH equals mnist.py's MAX_BATCH (mnist_lib/inference.py)", () => {
  const script = fs.readFileSync(path.join(__dirname, '..', '..', 'model-code', 'mnist_lib', 'inference.py'), 'utf8');
  expect(Number(/^MAX_BATCH = (\d+)$/m.exec(script)?.[1])).toBe(MODEL_MAX_BATCH);
});

test('without a region the error names --region and AWS_REGION', async () => {
  const saved = { ...process.env };
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[name];
  process.env.AWS_CONFIG_FILE = path.join(dir, 'no-aws-config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'no-aws-credentials');
  try {
    const { code, err } = await predict('--endpoint', 'mnist', 'mnist:1');
    expect({ code, err }).toEqual({ code: 1, err: 'predict: No AWS region: pass --region REGION (where the endpoint is, e.g. us-east-1) or set AWS_REGION.' });
  } finally {
    process.env = saved;
  }
});

test("with --local, --endpoint may be left out: the name npm run local serves by default", async () => {
  const before = fake.requestsTo('mnist-local').length;
  const { code, out } = await predict('--local', url, 'mnist:1');
  expect(code).toBe(0);
  expect(out).toEqual([`mnist:test[0]  label ${heldOut.labels[0]}  p=0.9100  true ${heldOut.labels[0]} ok`, '1/1 correct (100.0%) of the images with known labels']);
  expect(fake.requestsTo('mnist-local')).toHaveLength(before + 1);
});

test('the real command with a region but no credentials says how to get them, in one line, exit 1', async () => {
  // No AWS_* variables, empty config and credentials files, no instance metadata: the SDK's chain finds nothing, fast.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  Object.assign(env, {
    AWS_CONFIG_FILE: path.join(dir, 'empty-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'empty-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  fs.writeFileSync(env.AWS_CONFIG_FILE!, '');
  fs.writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE!, '');
  const root = path.join(__dirname, '..', '..');
  const failure = await promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), ['scripts/predict.ts', '--endpoint', 'mnist', '--region', 'us-east-1', 'mnist:1'], {
    cwd: root,
    env,
    timeout: 60_000,
  }).catch((e) => e);
  expect({ code: failure.code, stdout: failure.stdout, stderr: failure.stderr }).toEqual({
    code: 1,
    stdout: '',
    stderr: 'predict: No AWS credentials: run aws configure (access keys) or aws sso login (IAM Identity Center), or call a local server with --local URL.\n',
  });
}, 90_000);

test('--help prints the usage and exits 0', async () => {
  const { code, out } = await predict('--help');
  expect(code).toBe(0);
  expect(out.join('\n')).toMatch(/^Usage: npm run predict -- \(--endpoint NAME \| --local URL\)[\s\S]*--batch-size  images per request, 1 to 1000/);
});

test('the npm script runs end to end: exit 0 with output, exit 1 with the error on stderr', async () => {
  const root = path.join(__dirname, '..', '..');
  const run = promisify(execFile);
  // Without the switch jest sets: the command itself keeps the SDK's Node 20 warning out (Node 20 only).
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'));
  const ok = await run('npm', ['run', '-s', 'predict', '--', '--endpoint', 'mnist', '--local', url, 'mnist:2'], { cwd: root, env });
  expect(ok.stdout).toContain('2/2 correct (100.0%) of the images with known labels');
  expect(ok.stderr).toBe('');
  const failure = await run('npm', ['run', '-s', 'predict', '--', '--endpoint', 'broken', '--local', url, 'mnist:1'], { cwd: root, env }).catch((e) => e);
  expect(failure.code).toBe(1);
  expect(failure.stderr).toMatch(/^predict: ModelError \(HTTP 424\): [^\n]*\n$/);
});
