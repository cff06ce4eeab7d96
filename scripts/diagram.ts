/**
 * Writes docs/architecture.svg from the stack's synthesized template.
 *   npm run diagram            regenerate
 *   npm run diagram -- --check exit 1 if the committed picture no longer matches the stack
 */
import * as fs from 'fs';
import * as path from 'path';
import { DIAGRAM_FILE, REPO_ROOT, synthesizeDiagram } from './diagram/generate';
import { CommandIo, HELP_OPTION, parseCommandLine, runAsMain } from './lib/cli';

export const USAGE = `Usage: npm run diagram [-- --check]
Writes docs/architecture.svg from the stack's synthesized template.
  --check   write nothing; exit 1 if the committed picture no longer matches the stack
  --help    this text`;

const OPTIONS = { check: { type: 'boolean', default: false }, help: HELP_OPTION } as const;

export async function diagramCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandLine({ command: 'npm run diagram', options: OPTIONS }, argv);
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const { svg, model } = await synthesizeDiagram();
  const relative = path.relative(REPO_ROOT, DIAGRAM_FILE);
  if (values.check) {
    const current = fs.existsSync(DIAGRAM_FILE) ? fs.readFileSync(DIAGRAM_FILE, 'utf-8') : '';
    if (current !== svg) {
      io.err(`${relative} does not match what the stack declares: run npm run diagram and commit it.`);
      return 1;
    }
    io.out(`${relative} matches the stack (${model.nodes.length} constructs, ${model.edges.length} links).`);
  } else {
    fs.mkdirSync(path.dirname(DIAGRAM_FILE), { recursive: true });
    fs.writeFileSync(DIAGRAM_FILE, svg);
    io.out(`wrote ${relative}: ${model.nodes.length} constructs, ${model.edges.length} links, ${model.resourceCount} resources`);
  }
  return 0;
}

if (require.main === module) runAsMain('npm run diagram', diagramCommand);
