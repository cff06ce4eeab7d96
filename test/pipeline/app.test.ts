import * as path from 'path';
import { runCdkApp } from '../support/run-cdk-app';

const ROOT = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_JSON_CONTEXT = require(path.join(ROOT, 'cdk.json')).context as Record<string, unknown>;

/** Runs bin/app.ts the way the cdk CLI does: cdk.json's context and the -c ones. */
function runApp(context: Record<string, unknown>) {
  return runCdkApp({ context: { ...CDK_JSON_CONTEXT, ...context }, env: { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'us-east-1' } });
}

const SOURCE = {
  connectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/0f1e2d3c-aaaa-bbbb-cccc-111122223333',
  repository: 'example-org/mnist-sagemaker-cdk',
  branch: 'main',
};

describe('bin/app.ts with -c pipeline=true', () => {
  test('a missing source setting stops synth with a message naming it', () => {
    const run = runApp({ pipeline: 'true', repository: SOURCE.repository, branch: SOURCE.branch });
    run.cleanup();
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^Pipeline context 'connectionArn' is missing: with -c pipeline=true also pass -c connectionArn=<value> .*\n$/);
  });

  test('synthesizes only the pipeline stack, with the dev and prod stages as nested assemblies', () => {
    // An unrelated context key may be someone else's: one line, and synth goes on.
    const run = runApp({ pipeline: 'true', ...SOURCE, alarmEmail: 'ops@example.com', totallyUnrelatedKey: '1' });
    try {
      expect(run.stderr).not.toMatch(/Error/);
      expect(run.stderr.split('\n').filter((line) => line.startsWith('Ignoring'))).toEqual([
        'Ignoring -c totallyUnrelatedKey: not a setting of this app (all settings: docs/configuration.md).',
      ]);
      expect(run.status).toBe(0);
      expect(run.files).toEqual(expect.arrayContaining(['MnistPipeline.template.json', 'assembly-MnistPipeline-Dev', 'assembly-MnistPipeline-Prod']));
      expect(run.files).not.toContain('MnistSageMaker.template.json');
      const template = JSON.stringify(run.read('MnistPipeline.template.json'));
      // The pipeline's own synth passes the ad-hoc alarmEmail on, so its stacks match this synth.
      expect(template).toContain('-c alarmEmail=ops@example.com');
      const devStack = run.read(path.join('assembly-MnistPipeline-Dev', 'MnistPipelineDevMnistSageMakerC0A9E3D0.template.json'));
      expect(JSON.stringify(devStack)).toContain('"Endpoint":"ops@example.com"');
    } finally {
      run.cleanup();
    }
  });
});
