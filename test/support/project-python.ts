// The project's Python interpreter for tests that run Python snippets. scripts/python.sh checks
// (by importing torch) that the interpreter works before every run, which costs seconds each time;
// asking it once per test file and calling the interpreter directly keeps many small snippets cheap.
import { execFileSync } from 'child_process';
import * as path from 'path';

const PYTHON_SH = path.join(__dirname, '..', '..', 'scripts', 'python.sh');

let interpreter: string | undefined;

export function projectPython(): string {
  interpreter ??= execFileSync(PYTHON_SH, ['--which'], { encoding: 'utf8' }).trim();
  return interpreter;
}
