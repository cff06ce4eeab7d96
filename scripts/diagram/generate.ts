/**
 * Synthesizes the app's default stack exactly as `cdk synth` would (cdk.json context) and draws
 * what its template declares.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { MnistSageMakerStack } from '../../lib/mnist-stack';
import { buildDiagramModel, CfnTemplate, DiagramModel } from './model';
import { renderSvg } from './render-svg';

export const REPO_ROOT = path.join(__dirname, '..', '..');
export const DIAGRAM_FILE = path.join(REPO_ROOT, 'docs', 'architecture.svg');

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
  readonly svg: string;
}

export function synthesizeDiagram(): Synthesized {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const context = require(path.join(REPO_ROOT, 'cdk.json')).context as Record<string, unknown>;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'diagram-'));
  try {
    // No esbuild bundling: the picture depends on the resources, not on the Lambda bundles.
    const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    const stack = new MnistSageMakerStack(app, 'MnistSageMaker');
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    const model = buildDiagramModel(template, componentsOf(stack));
    const svg = renderSvg(model, {
      title: 'mnist-sagemaker-cdk — what `cdk deploy` creates (default settings)',
      subtitle: `Drawn by scripts/diagram.ts (npm run diagram) from the synthesized template: ${model.resourceCount} resources, ${model.nodes.length} constructs.`,
    });
    return { template, model, svg };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
