// A green `npm test` prints the runners' summaries and little else, and a red one still shows what
// failed: jest.config.js's reporter and setup file, run by the real jest on two tiny test files.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

const ROOT = path.join(__dirname, '..');

test("a passing file's console output and CDK's bundling line are dropped; a failing file's console output is shown", async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const project = require(path.join(ROOT, 'jest.config.js')) as { setupFiles: string[]; reporters: string[] };
  const fromRoot = (entry: string) => entry.replace('<rootDir>', ROOT);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-output-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'passing.test.js'),
      "test('passes', () => { console.log('LOG OF A PASSING TEST'); process.stderr.write('Bundling asset Stack/Fn/Code/Stage...\\n'); process.stderr.write('any other stderr line\\n'); });\n",
    );
    fs.writeFileSync(path.join(dir, 'failing.test.js'), "test('fails', () => { console.log('LOG OF A FAILING TEST'); expect(1).toBe(2); });\n");
    const config = { rootDir: dir, testEnvironment: 'node', setupFiles: project.setupFiles.map(fromRoot), reporters: project.reporters.map(fromRoot) };
    const result = await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'jest'), ['--config', JSON.stringify(config), '--ci', '--maxWorkers=1'], {
      cwd: dir,
      timeout: 60_000,
    }).catch((e) => e);
    const output = `${result.stdout}${result.stderr}`;
    expect(result.code).toBe(1);
    expect(output).toContain('LOG OF A FAILING TEST');
    expect(output).toContain('Expected: 2');
    expect(output).toContain('any other stderr line');
    expect(output).not.toContain('LOG OF A PASSING TEST');
    expect(output).not.toContain('Bundling asset');
    expect(output).toMatch(/Tests: +1 failed, 1 passed, 2 total/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
