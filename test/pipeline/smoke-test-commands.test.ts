import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SMOKE_TEST_FUNCTION_ARN_PREFIX_ENV, SMOKE_TEST_FUNCTION_ENV, smokeTestCommands } from '../../lib/mnist/pipeline-stack';

/**
 * Runs the post-deployment step's commands exactly as CodeBuild would (POSIX sh, stop at the
 * first failing command) with a stand-in `aws` on PATH that answers like `aws lambda invoke`.
 */
function runStep(invokeResult: object, functionResponse: string, extraEnv: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-step-'));
  try {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(dir, 'response.json'), functionResponse);
    // The real CLI writes the function's response to the last argument and prints the metadata.
    fs.writeFileSync(
      path.join(bin, 'aws'),
      [
        '#!/bin/sh',
        'echo "$AWS_MAX_ATTEMPTS $*" > "$STEP_DIR/aws-call.txt"',
        'for last in "$@"; do :; done',
        'cp "$STEP_DIR/response.json" "$last"',
        `echo '${JSON.stringify(invokeResult)}'`,
      ].join('\n'),
      { mode: 0o755 },
    );
    const script = ['set -e', ...smokeTestCommands()].join('\n');
    const result = spawnSync('sh', ['-c', script], {
      cwd: dir,
      encoding: 'utf-8',
      env: { PATH: `${bin}:${process.env.PATH}`, STEP_DIR: dir, [SMOKE_TEST_FUNCTION_ENV]: 'Dev-MnistSageMaker-SmokeTest-AbC123', ...extraEnv },
    });
    const awsCall = fs.existsSync(path.join(dir, 'aws-call.txt')) ? fs.readFileSync(path.join(dir, 'aws-call.txt'), 'utf-8') : '';
    return { status: result.status, output: result.stdout + result.stderr, awsCall };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const PASSED_REPORT = JSON.stringify({ passed: true, minAccuracy: 0.9, results: [{ endpointName: 'e', accuracy: 1 }] });

describe('smoke-test post-deployment step', () => {
  test('passes on a report with passed=true', () => {
    const { status, output, awsCall } = runStep({ StatusCode: 200, ExecutedVersion: '$LATEST' }, PASSED_REPORT);
    expect(output).toContain('Smoke test passed');
    expect(status).toBe(0);
    // One attempt only (a retry would re-run the test), the named function, a read timeout past Lambda's 15 minutes' worth.
    expect(awsCall).toMatch(/^1 lambda invoke --function-name Dev-MnistSageMaker-SmokeTest-AbC123 /);
    expect(awsCall).toContain('--cli-read-timeout 900');
  });

  test("a stage in another account: the function is invoked by its ARN (a bare name would be looked up in the pipeline's account)", () => {
    const { status, awsCall } = runStep({ StatusCode: 200 }, PASSED_REPORT, { [SMOKE_TEST_FUNCTION_ARN_PREFIX_ENV]: 'arn:aws:lambda:eu-west-1:222222222222:function:' });
    expect(status).toBe(0);
    expect(awsCall).toMatch(/^1 lambda invoke --function-name arn:aws:lambda:eu-west-1:222222222222:function:Dev-MnistSageMaker-SmokeTest-AbC123 /);
  });

  test('a stage that serves nothing on purpose (its only endpoint paused) passes and says it skipped, not passed', () => {
    const skipped = JSON.stringify({ passed: true, skipped: 'no endpoint to test: the real-time endpoint is paused', results: [] });
    const { status, output } = runStep({ StatusCode: 200, ExecutedVersion: '$LATEST' }, skipped);
    expect(status).toBe(0);
    expect(output).toContain('Smoke test skipped: no endpoint to test: the real-time endpoint is paused');
    expect(output).not.toContain('Smoke test passed');
  });

  test('fails when the function threw (FunctionError), quoting its message', () => {
    const { status, output } = runStep(
      { StatusCode: 200, FunctionError: 'Unhandled' },
      JSON.stringify({ errorType: 'Error', errorMessage: 'mnist-serverless: accuracy 0.40 < 0.90; wrong: 3→8, 5→6' }),
    );
    expect(status).not.toBe(0);
    expect(output).toContain('Smoke test FAILED (Unhandled): mnist-serverless: accuracy 0.40 < 0.90');
  });

  test('fails on a report that did not pass, even without a function error', () => {
    const { status, output } = runStep({ StatusCode: 200 }, JSON.stringify({ passed: false, results: [] }));
    expect(status).not.toBe(0);
    expect(output).toContain('the report does not say passed=true');
  });

  test('fails on a response that is not a report at all', () => {
    const { status, output } = runStep({ StatusCode: 200 }, 'null');
    expect(status).not.toBe(0);
    expect(output).toContain('Smoke test FAILED');
  });

  test('fails when the CLI itself fails (e.g. AccessDenied), before any check', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-step-'));
    try {
      fs.writeFileSync(path.join(dir, 'aws'), '#!/bin/sh\necho "An error occurred (AccessDeniedException)" >&2\nexit 254\n', { mode: 0o755 });
      const result = spawnSync('sh', ['-c', ['set -e', ...smokeTestCommands()].join('\n')], {
        cwd: dir, encoding: 'utf-8', env: { PATH: `${dir}:${process.env.PATH}`, [SMOKE_TEST_FUNCTION_ENV]: 'fn' },
      });
      expect(result.status).toBe(254);
      expect(result.stdout).not.toContain('Smoke test passed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
