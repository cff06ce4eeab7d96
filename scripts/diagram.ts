/**
 * Writes docs/architecture.svg from the stack's synthesized template.
 *   npm run diagram            regenerate
 *   npm run diagram -- --check exit 1 if the committed picture no longer matches the stack
 */
import * as fs from 'fs';
import * as path from 'path';
import { DIAGRAM_FILE, REPO_ROOT, synthesizeDiagram } from './diagram/generate';

const check = process.argv.includes('--check');
const { svg, model } = synthesizeDiagram();
const relative = path.relative(REPO_ROOT, DIAGRAM_FILE);
if (check) {
  const current = fs.existsSync(DIAGRAM_FILE) ? fs.readFileSync(DIAGRAM_FILE, 'utf-8') : '';
  if (current !== svg) {
    console.error(`${relative} does not match what the stack declares: run npm run diagram and commit it.`);
    process.exit(1);
  }
  console.log(`${relative} matches the stack (${model.nodes.length} constructs, ${model.edges.length} links).`);
} else {
  fs.mkdirSync(path.dirname(DIAGRAM_FILE), { recursive: true });
  fs.writeFileSync(DIAGRAM_FILE, svg);
  console.log(`wrote ${relative}: ${model.nodes.length} constructs, ${model.edges.length} links, ${model.resourceCount} resources`);
}
