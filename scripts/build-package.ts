// npm run build:package (and npm pack, through prepack): the package's dist/ folder, which is all it ships
// besides README.md and package.json:
//   dist/lib/…, dist/lambda/…   lib/index.ts and what it imports (lib/ and the pure lambda/ modules), as .js and .d.ts
//   dist/lambda-bundles/<name>/ each shipped handler pre-bundled, which bundledHandler loads from the
//                               installed package (no esbuild or Docker needed where the consumer synthesizes)
//   dist/model-code/            the MNIST model code the entry's MnistSageMakerStack trains and serves (lib/mnist
//                               reads it beside the compiled lib/ as it does beside the sources), without its tests
// The bundles use the options NodejsFunction passes esbuild (HANDLER_BUNDLING, HANDLER_RUNTIME), so a
// bundle here has the same bytes as the one `cdk synth` makes in this repository.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as esbuild from 'esbuild';
import { HANDLER_BUNDLING, HANDLER_RUNTIME, SHIPPED_HANDLERS, ShippedHandler } from '../lib/common/bundled-handler';
import { listTarEntries } from '../lib/training/tarball';

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

/** esbuild's target for a Lambda runtime, as NodejsFunction derives it: nodejs24.x → node24. */
function esbuildTarget(runtimeName: string): string {
  const match = /^nodejs(\d+)\.x$/.exec(runtimeName);
  if (!match) throw new Error(`HANDLER_RUNTIME '${runtimeName}' is not a nodejsNN.x runtime`);
  return `node${match[1]}`;
}

function compile(): void {
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${result.status ?? result.signal})`);
}

async function bundle(name: ShippedHandler): Promise<void> {
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'lambda', SHIPPED_HANDLERS[name])],
    outfile: path.join(DIST, 'lambda-bundles', name, 'index.js'),
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: esbuildTarget(HANDLER_RUNTIME.name),
    external: [...HANDLER_BUNDLING.externalModules],
    minify: HANDLER_BUNDLING.minify,
    sourcemap: HANDLER_BUNDLING.sourceMap,
    logLevel: 'warning',
  });
}

/** What the training job's source tarball would take from model-code/ (no tests, no caches). */
function copyModelCode(): void {
  fs.mkdirSync(path.join(DIST, 'model-code'));
  for (const entry of listTarEntries(path.join(ROOT, 'model-code'))) {
    const target = path.join(DIST, 'model-code', entry.name);
    if (entry.type === 'directory') fs.mkdirSync(target, { recursive: true });
    else fs.copyFileSync(entry.source!, target);
  }
}

async function main(): Promise<void> {
  fs.rmSync(DIST, { recursive: true, force: true });
  compile();
  for (const name of Object.keys(SHIPPED_HANDLERS) as ShippedHandler[]) await bundle(name);
  copyModelCode();
  // stderr: `npm pack --json` runs this first (prepack) and its stdout must stay JSON.
  console.error(`dist/: compiled lib/index.ts, ${Object.keys(SHIPPED_HANDLERS).length} handler bundles and model-code/`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
