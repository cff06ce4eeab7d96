// What may import what (docs/development.md, "Layout") is enforced by ESLint's no-restricted-imports
// in eslint.config.mjs: lambda/ never imports lib/ (or scripts/, the CDK), lambda/shared/ nothing
// outside itself, lib/ never imports scripts/. Linted in a child Node process, because ESLint loads
// its .mjs config with import(), which jest's module sandbox does not support.
import { execFileSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

const CASES: Array<[file: string, source: string, allowed: boolean]> = [
  ['lambda/training-job/x.ts', "import { AppSettings } from '../../lib/config';", false],
  ['lambda/training-job/x.ts', "import { png } from '../../scripts/lib/png';", false],
  ['lambda/training-job/x.ts', "import { Duration } from 'aws-cdk-lib';", false],
  ['lambda/smoke-test/x.ts', "import { Construct } from 'constructs';", false],
  ['lambda/training-job/x.ts', "import { errorName } from '../shared/retry';", true],
  ['lambda/training-job/x.ts', "import { SageMakerClient } from '@aws-sdk/client-sagemaker';", true],
  ['lambda/shared/x.ts', "import { onEvent } from '../training-job/handlers';", false],
  ['lambda/shared/x.ts', "import { errorName } from './retry';", true],
  ['lib/x.ts', "import { decodePng } from '../scripts/lib/png';", false],
  ['lib/constructs/x.ts', "import { decodePng } from '../../scripts/lib/png';", false],
  ['bin/x.ts', "import { run } from '../scripts/local/cli';", false],
  ['lib/x.ts', "import { makeJobName } from '../lambda/training-job/job-name';", true],
  ['lib/x.ts', "import { Duration } from 'aws-cdk-lib';", true],
  ['scripts/x.ts', "import { AppSettings } from '../lib/config';", true],
  ['examples/tabular-mlp/x.ts', "import { TrainingData } from '../../lib/training/training-data';", false],
  ['examples/tabular-mlp/x.ts', "import { handler } from '../../lambda/smoke-test/index';", false],
  ['examples/tabular-mlp/x.ts', "import { TrainingData } from 'mnist-sagemaker-cdk/dist/lib/training/training-data';", false],
  ['examples/tabular-mlp/x.ts', "import { TrainingData } from '../../lib';", true],
  ['examples/tabular-mlp/x.ts', "import { TrainingData } from 'mnist-sagemaker-cdk';", true],
  ['examples/tabular-mlp/x.ts', "import { Stack } from 'aws-cdk-lib';", true],
];

/** For each case, the no-restricted-imports messages ESLint reports with the project's config. */
function lint(cases: typeof CASES): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const [file, source] of cases) {
        const [result] = await eslint.lintText(source + '\\nexport {};\\n', { filePath: require('path').join(process.cwd(), file) });
        out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(cases)], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }));
}

test('eslint refuses imports across the layout\'s boundaries and allows the rest', () => {
  const messages = lint(CASES);
  CASES.forEach(([file, source, allowed], i) => {
    expect({ file, source, refused: messages[i].length > 0 }).toEqual({ file, source, refused: !allowed });
  });
  // The message says what to do instead.
  expect(messages[0][0]).toMatch(/lambda\/ never imports lib\/.*Move the shared code into lambda\//);
  expect(messages[8][0]).toMatch(/never import scripts\/.*Move the code into lib\//);
  expect(messages[CASES.findIndex(([file]) => file.startsWith('examples/'))][0]).toMatch(/examples\/ import the constructs from the package entry.*export what is missing from lib\/index\.ts/);
});
