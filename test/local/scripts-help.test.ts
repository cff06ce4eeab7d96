// Every script answers --help with its usage (exit 0) and a mistake with one line naming it (exit 1
// through runAsMain), the same way: scripts/lib/cli.ts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { benchmarkCommand, parseBenchmarkArguments } from '../../scripts/benchmark-serving';
import { diagramCommand } from '../../scripts/diagram';
import { CommandIo, parseCommandLine, UsageError, wholeNumber } from '../../scripts/lib/cli';
import { runPredict } from '../../scripts/lib/predict-cli';
import { loadClientCommand } from '../../scripts/local/load-client';
import { localCommand } from '../../scripts/local/local-command';
import { makeMnistIdxCommand } from '../../scripts/make-mnist-idx';
import { makeSmokeDigitsCommand } from '../../scripts/make-smoke-digits';

type Command = (argv: string[], io: CommandIo) => number | Promise<number>;
const COMMANDS: Array<[string, Command]> = [
  ['npm run local', localCommand],
  ['npm run predict', (argv, io) => runPredict(argv, io.out, io.err)],
  ['npm run benchmark:serving', benchmarkCommand],
  ['npm run make-mnist-idx', makeMnistIdxCommand],
  ['npm run diagram', diagramCommand],
  ['npx tsx scripts/make-smoke-digits.ts', makeSmokeDigitsCommand],
  ['npx tsx scripts/local/load-client.ts', loadClientCommand],
];

async function call(command: Command, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await Promise.resolve()
    .then(() => command(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }))
    .catch((error: Error) => {
      err.push(`${error.name}: ${error.message}`);
      return 1;
    });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test.each(COMMANDS)('%s -- --help prints its usage and exits 0', async (name, command) => {
  const { code, out, err } = await call(command, ['--help']);
  expect({ code, err }).toEqual({ code: 0, err: '' });
  expect(out.startsWith(`Usage: ${name}`)).toBe(true);
});

test.each(COMMANDS)('%s -- --bogus is one line naming the option and where the help is', async (name, command) => {
  const { code, out, err } = await call(command, ['--bogus']);
  expect({ code, out }).toEqual({ code: 1, out: '' });
  const help = `${name}${name.startsWith('npm run') ? ' --' : ''} --help`;
  expect([err.replace(/^(UsageError|predict): /, ''), err.startsWith(name.startsWith('npm run predict') ? 'predict: ' : 'UsageError: ')]).toEqual([
    `unknown option --bogus (${help} lists the options)`,
    true,
  ]);
});

test('benchmark:serving keeps its own flags and checks the rest as npm run local would, before any work', () => {
  expect(parseBenchmarkArguments(['--offline', '--requests', '5', '--hosts', '1', '--concurrency=2'])).toEqual({
    requests: 5, concurrency: 2, url: undefined, localArgs: ['--offline', '--hosts', '1'],
  });
  expect(parseBenchmarkArguments([])).toMatchObject({ requests: 200, concurrency: 4, localArgs: [] });
  expect(() => parseBenchmarkArguments(['--epochs', '-1'])).toThrow('--epochs -1 is not valid: use a whole number >= 1.');
  expect(() => parseBenchmarkArguments(['--requests', '-1'])).toThrow('--requests -1 is not valid: use a whole number >= 1.');
  expect(() => parseBenchmarkArguments(['--url', '127.0.0.1:8080'])).toThrow('--url 127.0.0.1:8080 is not a URL');
  expect(() => parseBenchmarkArguments(['--url', 'http://127.0.0.1:8080', '--offline'])).toThrow(/--url benchmarks a server already up/);
});

test('make-mnist-idx writes the digits asked for and refuses counts it does not have', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-cli-'));
  try {
    const ok = await call(makeMnistIdxCommand, ['--out', dir, '--train', '5', '--test', '3', '--no-gzip']);
    expect(ok).toEqual({ code: 0, out: `Wrote 5 training and 3 test digits to ${dir}`, err: '' });
    expect(fs.statSync(path.join(dir, 'train-images-idx3-ubyte')).size).toBe(16 + 5 * 784);
    expect((await call(makeMnistIdxCommand, ['--out', dir, '--train', '0'])).err).toBe('UsageError: --train 0 is not valid: use a whole number from 1 to 8004.');
    expect((await call(makeMnistIdxCommand, ['--train', '5'])).err).toBe('UsageError: Missing --out DIR: the folder to write the four IDX files into.');
    expect((await call(makeMnistIdxCommand, ['--out', dir, '--layout', 'nested'])).err).toBe('UsageError: --layout nested is not valid: use flat or mnist-raw.');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('parseCommandLine: a negative-looking value belongs to its flag; -- ends the options', () => {
  const spec = { command: 'x', options: { n: { type: 'string' }, on: { type: 'boolean' } }, allowPositionals: true } as const;
  expect(parseCommandLine(spec, ['--n', '-2']).values.n).toBe('-2');
  expect(parseCommandLine(spec, ['--n', '-.5']).values.n).toBe('-.5');
  expect(parseCommandLine(spec, ['--', '--n', '-2']).positionals).toEqual(['--n', '-2']);
  expect(() => parseCommandLine(spec, ['--n', '--on'])).toThrow(UsageError);
  expect(() => wholeNumber('--n', '', { min: 0 })).toThrow('--n  is not valid: use a whole number >= 0.');
  expect(() => wholeNumber('--n', '2.5', { min: 0 })).toThrow(UsageError);
  expect(wholeNumber('--n', '0', { min: 0 })).toBe(0);
});
