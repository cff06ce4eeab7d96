// The package as a consumer gets it: `npm pack`, unpacked into a fresh project whose node_modules
// has aws-cdk-lib, constructs and the package's dependencies but no esbuild (nor Docker), and an app
// that imports only the package entry, type-checked against the shipped .d.ts and synthesized.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tar from 'tar';
import { App, Stack } from 'aws-cdk-lib';
import { SHIPPED_HANDLERS } from '../../lib/common/bundled-handler';
import { EndpointSmokeTest, ServiceQuotaCheck, ServiceQuotaCheckProps } from '../../lib';
import { packedPackage } from '../support/packed-package';

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE_NAME = 'mnist-sagemaker-cdk';
/** What the consumer app builds; the same props go to the constructs from the sources below. */
const QUOTA_PROPS: ServiceQuotaCheckProps = {
  serviceCode: 'sagemaker',
  requirements: [{ quotaName: 'ml.m5.large for endpoint usage', needed: 1, neededBy: 'the consumer\'s endpoint' }],
};
const NO_ENDPOINTS_REASON = 'the consumer deploys its endpoints later';

const CONSUMER_APP = `
import { App, Stack } from 'aws-cdk-lib';
import { EndpointSmokeTest, ServiceQuotaCheck, ServiceQuotaCheckProps } from '${PACKAGE_NAME}';

// CloudFormation's template validation (seconds of CPU) changes neither the template nor the assets: off.
const app = new App({ outdir: process.argv[2], builtinCloudFormationValidation: false });
const stack = new Stack(app, 'Consumer');
const quotas: ServiceQuotaCheckProps = ${JSON.stringify(QUOTA_PROPS)};
new ServiceQuotaCheck(stack, 'Quotas', quotas);
new EndpointSmokeTest(stack, 'SmokeTest', { endpoints: [], noEndpointsReason: ${JSON.stringify(NO_ENDPOINTS_REASON)} });
app.synth();
`;

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

let consumer: string;
let packageDir: string;
let outdir: string;
let packedFiles: string[];

/** Node resolves the links as they are (--preserve-symlinks): from aws-cdk-lib up to the consumer's node_modules, not the repo's. */
function linkRepoModulesExceptEsbuild(nodeModules: string): void {
  fs.mkdirSync(nodeModules, { recursive: true });
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (['.bin', 'esbuild', '@esbuild', PACKAGE_NAME].includes(entry) || entry.startsWith('.')) continue;
    fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(nodeModules, entry));
  }
}

/** The consumer's environment: no node_modules/.bin on PATH (no esbuild, no tsx) and a Docker that does not exist. */
function consumerEnv(): NodeJS.ProcessEnv {
  const PATH = (process.env.PATH ?? '').split(path.delimiter).filter((p) => !p.includes('node_modules')).join(path.delimiter);
  return { ...process.env, PATH, CDK_DOCKER: path.join(consumer, 'no-docker'), NODE_PATH: '' };
}

function run(args: string[], what: string): string {
  const result = spawnSync(process.execPath, args, { cwd: consumer, env: consumerEnv(), encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${what} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

beforeAll(() => {
  const tarball = packedPackage();
  consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'package-consumer-'));
  packedFiles = [];
  tar.t({ file: tarball, sync: true, onReadEntry: (entry) => packedFiles.push(entry.path.replace(/^package\//, '')) });

  // What `npm install <tarball>` puts in node_modules; the dependencies come from the repo's node_modules.
  linkRepoModulesExceptEsbuild(path.join(consumer, 'node_modules'));
  packageDir = path.join(consumer, 'node_modules', PACKAGE_NAME);
  fs.mkdirSync(packageDir);
  tar.x({ file: tarball, cwd: packageDir, strip: 1, sync: true });

  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  fs.writeFileSync(path.join(consumer, 'app.ts'), CONSUMER_APP);
  fs.writeFileSync(path.join(consumer, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, skipLibCheck: true,
      preserveSymlinks: true, types: ['node'], outDir: '.',
    },
    files: ['app.ts'],
  }));
  // The consumer's own tsc run: the package's .d.ts must type the app (through package.json exports).
  run([require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], 'tsc in the consumer project');
  outdir = path.join(consumer, 'cdk.out');
  run(['--preserve-symlinks', 'app.js', outdir], 'the consumer app');
}, 240_000);

afterAll(() => {
  if (consumer) fs.rmSync(consumer, { recursive: true, force: true });
});

function templateOf(dir: string, stack: string): Template {
  return JSON.parse(fs.readFileSync(path.join(dir, `${stack}.template.json`), 'utf8')) as Template;
}

/** Each bundled handler's code (the Provider framework's own functions aside): logical id → the asset folder's index.js. */
function functionCode(dir: string, template: Template): Record<string, Buffer> {
  const code: Record<string, Buffer> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    const key = (resource.Properties?.Code as { S3Key?: string } | undefined)?.S3Key;
    if (resource.Type !== 'AWS::Lambda::Function' || resource.Properties?.Handler !== 'index.handler' || typeof key !== 'string') continue;
    code[id] = fs.readFileSync(path.join(dir, `asset.${key.replace(/\.zip$/, '')}`, 'index.js'));
  }
  return code;
}

test('the tarball holds package.json, the README and dist/ only: compiled JS with .d.ts, and one prebuilt bundle per handler', () => {
  const outside = packedFiles.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md'].includes(f));
  expect(packedFiles.filter((f) => f.startsWith('dist/model-code/tests/') || f.includes('__pycache__'))).toEqual([]);
  expect(packedFiles).toContain('dist/model-code/metrics.json');
  expect(outside).toEqual([]);
  expect(packedFiles.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  expect(packedFiles.filter((f) => /(^|\/)test\/|\.test\./.test(f))).toEqual([]);
  for (const name of Object.keys(SHIPPED_HANDLERS)) expect(packedFiles).toContain(`dist/lambda-bundles/${name}/index.js`);
  for (const js of packedFiles.filter((f) => f.startsWith('dist/lib/') && f.endsWith('.js'))) {
    expect(packedFiles).toContain(js.replace(/\.js$/, '.d.ts'));
  }

  const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  expect([manifest.main, manifest.types]).toEqual(['dist/lib/index.js', 'dist/lib/index.d.ts']);
  expect(manifest.exports['.']).toEqual({ types: './dist/lib/index.d.ts', default: './dist/lib/index.js' });
  // One copy of the CDK in a consumer's app: the consumer's own.
  expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['@aws-cdk/aws-sagemaker-alpha', 'aws-cdk-lib', 'constructs']);
  expect(Object.keys(manifest.dependencies ?? {})).not.toEqual(expect.arrayContaining(['aws-cdk-lib']));
});

test('every prebuilt bundle loads on its own in the consumer (no node_modules needed) and exports handler', () => {
  for (const name of Object.keys(SHIPPED_HANDLERS)) {
    const bundle = path.join(packageDir, 'dist', 'lambda-bundles', name);
    const isolated = fs.mkdtempSync(path.join(os.tmpdir(), `bundle-${name}-`));
    try {
      fs.copyFileSync(path.join(bundle, 'index.js'), path.join(isolated, 'index.js'));
      const out = spawnSync(process.execPath, ['-e', 'process.stdout.write(typeof require("./index.js").handler)'], {
        cwd: isolated, env: { ...consumerEnv(), AWS_REGION: 'us-east-1' }, encoding: 'utf8', timeout: 30_000,
      });
      expect({ name, type: out.stdout, stderr: out.stderr }).toEqual({ name, type: 'function', stderr: '' });
    } finally {
      fs.rmSync(isolated, { recursive: true, force: true });
    }
  }
});

test('the consumer app synthesizes without esbuild: each function\'s code is the prebuilt bundle, byte for byte', () => {
  const esbuild = spawnSync(process.execPath, ['--preserve-symlinks', '-e', 'require.resolve("esbuild", { paths: [require.resolve("aws-cdk-lib")] })'], {
    cwd: consumer, env: consumerEnv(), encoding: 'utf8',
  });
  expect(esbuild.stderr).toContain('Cannot find module \'esbuild\'');

  const template = templateOf(outdir, 'Consumer');
  const code = functionCode(outdir, template);
  const bundle = (name: string): Buffer => fs.readFileSync(path.join(packageDir, 'dist', 'lambda-bundles', name, 'index.js'));
  const quotaHandler = Object.keys(code).find((id) => id.startsWith('QuotasHandler'));
  const smokeTest = Object.keys(code).find((id) => id.startsWith('SmokeTestFunction'));
  expect(Object.keys(code)).toEqual([quotaHandler, smokeTest]);
  expect([quotaHandler, smokeTest]).toEqual([expect.any(String), expect.any(String)]);
  expect(code[quotaHandler!].equals(bundle('service-quota-check'))).toBe(true);
  expect(code[smokeTest!].equals(bundle('smoke-test'))).toBe(true);
  expect(template.Resources[smokeTest!].Properties).toMatchObject({
    Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 512,
  });
});

test('the consumer\'s template is the one the same constructs synthesize from the sources (NodejsFunction bundling there)', () => {
  const fromSources = fs.mkdtempSync(path.join(os.tmpdir(), 'package-sources-'));
  try {
    const app = new App({ outdir: fromSources, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Consumer');
    new ServiceQuotaCheck(stack, 'Quotas', QUOTA_PROPS);
    new EndpointSmokeTest(stack, 'SmokeTest', { endpoints: [], noEndpointsReason: NO_ENDPOINTS_REASON });
    app.synth();
    const expected = templateOf(fromSources, 'Consumer');
    // Same bytes in the asset folders, hence the same asset hashes: the whole template is equal.
    expect(templateOf(outdir, 'Consumer')).toEqual(expected);
    expect(functionCode(outdir, expected)).toEqual(functionCode(fromSources, expected));
  } finally {
    fs.rmSync(fromSources, { recursive: true, force: true });
  }
});
