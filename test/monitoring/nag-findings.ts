import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Synthesizes `build(app)` with the cdk-nag AwsSolutions pack as a validation plugin and returns
 * every unacknowledged finding as `RuleId at construct/path` (empty when the app is clean).
 */
export function awsSolutionsFindings(build: (app: App) => void): string[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  try {
    const app = new App({ outdir });
    build(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
    } catch (error) {
      if (!fs.existsSync(path.join(outdir, 'validation-report.json'))) throw error;
    }
    const reportFile = path.join(outdir, 'validation-report.json');
    if (!fs.existsSync(reportFile)) return [];
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf-8')) as {
      pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
    };
    return report.pluginReports.flatMap((plugin) =>
      plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)),
    );
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
