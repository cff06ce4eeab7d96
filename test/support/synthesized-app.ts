// The app as `cdk synth` writes it: template, asset manifest and the esbuild bundles of the Lambda
// handlers. Synthesizing with bundling takes ~15 s of CPU, so the result is kept on disk, keyed by
// the content of everything that shapes it, and shared by every suite that needs it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { contentKey } from './content-key';
import { App } from 'aws-cdk-lib';
import { MnistSageMakerStack } from '../../lib/mnist/mnist-stack';
import { projectContext } from '../stack/synth';

/** bin/app.ts names the stack this and gives it no env: one region-agnostic template. */
export const STACK_NAME = 'MnistSageMaker';
const INPUTS = ['lib', 'lambda', 'model-code', 'bin', 'cdk.json', 'package-lock.json', 'test/support/synthesized-app.ts'];

export type CfnResource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Mappings?: Record<string, Record<string, Record<string, string>>>;
  Parameters?: Record<string, { Type: string; Default?: string; Description?: string }>;
}

export interface SynthesizedApp {
  /** The cloud assembly folder (what `cdk synth` writes to cdk.out). */
  readonly dir: string;
  readonly template: CfnTemplate;
  /** The stack the template and assets are of. @default STACK_NAME */
  readonly stackName?: string;
}


/** Removes cached assemblies of sources that changed more than `ageMs` ago. */
function pruneOlderThan(cache: string, ageMs: number): void {
  for (const entry of fs.readdirSync(cache)) {
    const full = path.join(cache, entry);
    if (Date.now() - fs.statSync(full).mtimeMs > ageMs) fs.rmSync(full, { recursive: true, force: true });
  }
}

/** Synthesizes the default app with bundling (as `cdk synth` does), or returns the cached assembly of the same sources. */
export function synthesizedApp(): SynthesizedApp {
  // model-code/tests never reaches the assembly (the source tarball leaves it out).
  const dir = path.join(os.tmpdir(), 'mnist-cdk-synth', contentKey(INPUTS, ['__pycache__', 'node_modules', '.pytest_cache', 'tests']));
  const ready = (): boolean => fs.existsSync(path.join(dir, 'manifest.json'));
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // Parallel jest workers: one synthesizes, the others wait for it (bounded) instead of doing it twice.
  const lock = `${dir}.lock`;
  let owner = false;
  try {
    fs.mkdirSync(lock);
    owner = true;
  } catch {
    const deadline = Date.now() + 180_000;
    while (!ready() && heldByAnother(lock) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
  }
  try {
    if (!ready()) synthesizeInto(dir);
  } finally {
    if (owner) fs.rmSync(lock, { recursive: true, force: true });
  }
  return { dir, template: JSON.parse(fs.readFileSync(path.join(dir, `${STACK_NAME}.template.json`), 'utf8')) as CfnTemplate };
}

function synthesizeInto(dir: string): void {
  const partial = `${dir}.${process.pid}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  // CloudFormation's template validation (test/stack asserts its report) changes neither the
  // template nor the bundles, and costs seconds of CPU: off here.
  const app = new App({ outdir: partial, context: projectContext(), builtinCloudFormationValidation: false });
  new MnistSageMakerStack(app, STACK_NAME);
  app.synth();
  try {
    fs.renameSync(partial, dir);
  } catch {
    // Another worker finished the same synthesis first: use its copy.
    fs.rmSync(partial, { recursive: true, force: true });
  }
  pruneOlderThan(path.dirname(dir), 24 * 3600 * 1000);
}

/** True while another worker holds `lock` and has not been at it for longer than a synthesis can take. */
function heldByAnother(lock: string): boolean {
  try {
    return Date.now() - fs.statSync(lock).mtimeMs < 300_000;
  } catch {
    return false;
  }
}

export function resourceOf(template: CfnTemplate, logicalId: string): CfnResource {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`the template has no resource ${logicalId}`);
  return resource;
}

/** The one resource of `type`, as [logicalId, resource]. */
export function onlyResource(template: CfnTemplate, type: string): [string, CfnResource] {
  const found = Object.entries(template.Resources).filter(([, r]) => r.Type === type);
  if (found.length !== 1) throw new Error(`expected one ${type} in the template, found ${found.length}`);
  return found[0];
}

function getAttTarget(value: unknown, what: string): string {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (!getAtt) throw new Error(`${what} is not an Fn::GetAtt: ${JSON.stringify(value)}`);
  return getAtt[0];
}

/** The user handlers behind a Provider-framework custom resource of `resourceType`. */
export function customResourceHandlers(template: CfnTemplate, resourceType: string): { onEvent: string; isComplete?: string } {
  const [, resource] = onlyResource(template, resourceType);
  const framework = resourceOf(template, getAttTarget(resource.Properties?.ServiceToken, `${resourceType} ServiceToken`));
  const variables = ((framework.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
  return {
    onEvent: getAttTarget(variables.USER_ON_EVENT_FUNCTION_ARN, 'USER_ON_EVENT_FUNCTION_ARN'),
    isComplete: variables.USER_IS_COMPLETE_FUNCTION_ARN ? getAttTarget(variables.USER_IS_COMPLETE_FUNCTION_ARN, 'USER_IS_COMPLETE_FUNCTION_ARN') : undefined,
  };
}

/** The function a triggers.Trigger runs (through the Lambda version it references). */
export function triggerFunction(template: CfnTemplate): string {
  const [, trigger] = onlyResource(template, 'Custom::Trigger');
  const version = resourceOf(template, (trigger.Properties?.HandlerArn as { Ref: string }).Ref);
  return (version.Properties?.FunctionName as { Ref: string }).Ref;
}

/** The logical id of the role a function runs as. */
export function functionRole(template: CfnTemplate, functionId: string): string {
  return getAttTarget(resourceOf(template, functionId).Properties?.Role, `${functionId} Role`);
}

/** The file of the bundle the function's code asset holds, and its exported handler name. */
export function functionBundle(app: SynthesizedApp, functionId: string): { file: string; exportName: string } {
  const props = resourceOf(app.template, functionId).Properties ?? {};
  const key = (props.Code as { S3Key?: string } | undefined)?.S3Key;
  if (!key) throw new Error(`${functionId} has no Code.S3Key (inline code?)`);
  const manifest = JSON.parse(fs.readFileSync(path.join(app.dir, `${app.stackName ?? STACK_NAME}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string } }>;
  };
  const asset = manifest.files[key.replace(/\.zip$/, '')];
  if (!asset) throw new Error(`no asset ${key} in the assembly's asset manifest`);
  const [module, exportName] = String(props.Handler).split('.');
  return { file: path.join(app.dir, asset.source.path, `${module}.js`), exportName };
}
