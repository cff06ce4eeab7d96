// The project's Python interpreter for tests that run Python or a moto server: scripts/python.sh
// finds it (or sets up .venv on a machine's first run), asked once per test file.
import { execFileSync } from 'child_process';
import * as path from 'path';

const PYTHON_SH = path.join(__dirname, '..', '..', 'scripts', 'python.sh');

let interpreter: string | undefined;

export function projectPython(): string {
  interpreter ??= execFileSync(PYTHON_SH, ['--which'], { encoding: 'utf8' }).trim();
  return interpreter;
}
