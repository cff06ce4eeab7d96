// Measured figures of local mode (time, accuracy) have one home, docs/local-mode.md's "Measured
// runs": the README and `npm run local -- --help` point there instead of stating their own, which
// went stale (the help said 2.5 minutes, the README 98.25 % and the doc 98.4 % for one run).
import * as fs from 'fs';
import * as path from 'path';
import { USAGE } from '../../scripts/local/local-command';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
/** "98.25 %", "2.5 minutes", "28 s", "1½ minutes": what a measurement looks like. */
const MEASURED = /\d[\d.,½]*\s?(%|s\b|sec(ond)?s?\b|min(ute)?s?\b)/;

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

test('--help states no measured figure and its quick run is one that docs/local-mode.md measures', () => {
  expect(USAGE).not.toMatch(MEASURED);
  expect(USAGE).toContain('docs/local-mode.md, "Measured runs"');
  const quickRun = /^Quick run[^\n]*\n(?:[^\n]*\n)*? {2}(npm run local -- [^\n]+)$/m.exec(USAGE)?.[1];
  expect(quickRun).toBeDefined();
  const measured = section(read('docs/local-mode.md'), 'Measured runs');
  expect(measured.split('\n').find((line) => line.startsWith(`| \`${quickRun}\``))).toMatch(/\| \d+(\.\d+)? % \|/);
});

test("docs/local-mode.md states local runs' accuracy only in its Measured runs table", () => {
  const doc = read('docs/local-mode.md');
  const elsewhere = doc.replace(section(doc, 'Measured runs'), '');
  expect(elsewhere.match(/\d+\.\d+ ?%/g) ?? []).toEqual([]);
  expect(elsewhere).toContain('](#measured-runs)');
});

test("the README's local-mode paragraph points to the measured runs instead of stating figures", () => {
  const paragraph = /\n(`npm run local` then does[\s\S]*?)\n\n/.exec(read('README.md'))?.[1];
  expect(paragraph).toBeDefined();
  expect(paragraph).not.toMatch(MEASURED);
  expect(paragraph).toContain('(docs/local-mode.md#measured-runs)');
});
