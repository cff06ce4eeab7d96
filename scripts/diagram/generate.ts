/**
 * Synthesizes the app's default stack exactly as `cdk synth` would (cdk.json context) and draws
 * what its template declares: our model and styling (model.ts, dot.ts), Graphviz's layout.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { MnistSageMakerStack } from '../../lib/mnist/mnist-stack';
import { buildDiagramModel, CfnTemplate, DiagramModel } from './model';
import { toDot } from './dot';

export const REPO_ROOT = path.join(__dirname, '..', '..');
export const DIAGRAM_FILE = path.join(REPO_ROOT, 'docs', 'architecture.svg');

/** What has to work, in order, for `cdk deploy` to succeed: drawn as the highlighted chain. */
export const CRITICAL_PATH: ReadonlyArray<readonly string[]> = [
  ['Storage'],
  ['TrainingData'],
  ['Training'],
  ['Model'],
  ['RealtimeEndpoint', 'ServerlessEndpoint'],
  ['SmokeTest'],
];

/**
 * The package is ESM-only. Node's own require loads ES modules (Node 20.19+, 22.12+); reached
 * through process.getBuiltinModule it also works under jest, whose module system cannot load them
 * (a dynamic import() would be compiled back to jest's require).
 */
function loadGraphvizPackage(): typeof import('@hpcc-js/wasm-graphviz') {
  const nodeRequire = process.getBuiltinModule?.('module').createRequire(__filename);
  try {
    if (nodeRequire) return nodeRequire('@hpcc-js/wasm-graphviz');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw error;
  }
  throw new Error(`drawing the diagram needs Node 20.19+ or 22.12+ (require of ES modules); this is Node ${process.version}: upgrade Node.`);
}

/** DOT → SVG with Graphviz compiled to WebAssembly: the wasm is inside the package's JavaScript, nothing is downloaded. */
export async function renderSvg(dot: string): Promise<string> {
  const graphviz = await loadGraphvizPackage().Graphviz.load();
  return graphviz.dot(dot, 'svg');
}

/** Logical id → the id of the stack's direct child that contains the resource. */
export function componentsOf(stack: Stack): Record<string, string> {
  const result: Record<string, string> = {};
  const depth = stack.node.scopes.length;
  for (const construct of stack.node.findAll()) {
    if (!CfnResource.isCfnResource(construct)) continue;
    const top = construct.node.scopes[depth];
    result[stack.resolve(construct.logicalId) as string] = top ? top.node.id : construct.node.id;
  }
  return result;
}

export interface Synthesized {
  readonly template: CfnTemplate;
  readonly model: DiagramModel;
  readonly dot: string;
  readonly svg: string;
}

export async function synthesizeDiagram(): Promise<Synthesized> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const context = require(path.join(REPO_ROOT, 'cdk.json')).context as Record<string, unknown>;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'diagram-'));
  try {
    // No esbuild bundling: the picture depends on the resources, not on the Lambda bundles.
    const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    const stack = new MnistSageMakerStack(app, 'MnistSageMaker');
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    const model = buildDiagramModel(template, componentsOf(stack));
    const dot = toDot(model, {
      title: 'mnist-sagemaker-cdk — what `cdk deploy` creates (default settings)',
      subtitle: `Drawn by scripts/diagram.ts (npm run diagram) from the synthesized template: ${model.resourceCount} resources, ${model.nodes.length} constructs.`,
      criticalPath: CRITICAL_PATH,
    });
    return { template, model, dot, svg: await renderSvg(dot) };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
