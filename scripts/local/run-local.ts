// Local mode: the deployed stack's whole path on one machine, no AWS, no Docker.
// data → train (as a SageMaker training job) → model.tar.gz → serve (as an endpoint) → smoke test.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { RootConstruct } from 'constructs';
import { runSmokeTest, SmokeTestReport } from '../../lambda/smoke-test';
import { CONTENT_TYPES } from '../../lambda/smoke-test/payload';
import { encodeHyperparameters, scriptModeHyperparameters, validateHyperparameters } from '../../lambda/training-job/hyperparameters';
import { HyperparameterValue, MnistSettings, resolveSettings } from '../../lib/settings';
import { ENDPOINT_NAME_PATTERN } from '../../lib/endpoints/endpoint-name';
import { MNIST } from '../../lib/mnist/mnist-constants';
import { createTarGz } from '../../lib/training/tarball';
import { UsageError } from '../lib/cli';
import { writeIdxDataset } from '../lib/packaged-mnist';
import { checkLocalHyperparameters } from './check-hyperparameters';
import { resolveDataset } from './dataset';
import { LatencyResult, measureLatency } from './latency';
import { PackagedModel, packageModel } from './package-model';
import { createLocalRuntimeClient, DEFAULT_ENDPOINT_NAME } from './runtime-client';
import { LocalServer, startLocalServer } from './serving-process';
import { HostResult, trainHosts } from './train';
import { writeTrainingHost } from './training-tree';
import { extractTarGz } from './untar';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export { DEFAULT_ENDPOINT_NAME };

export interface LocalRunOptions {
  /** Where run folders go (default `<repo>/local-runs`, git-ignored). */
  readonly runsDir?: string;
  readonly runId?: string;
  readonly dataDir?: string;
  readonly offline?: boolean;
  readonly cacheDir?: string;
  readonly mirrors?: readonly string[];
  readonly downloadTimeoutMs?: number;
  readonly trainCount?: number;
  readonly testCount?: number;
  /** Training processes (default: the stack's trainingInstanceCount). */
  readonly hosts?: number;
  /** Merged over the stack's hyperparameters. */
  readonly hyperparameters?: Record<string, HyperparameterValue>;
  /** Default: a free port (the toolkit's 7777 may be taken on a laptop). */
  readonly masterPort?: number;
  /** Accuracy floor, fraction 0..1, for training and the smoke test (default: the stack's minTestAccuracy). */
  readonly minAccuracy?: number;
  readonly endpointName?: string;
  /** Timed requests per content type for the summary (default 30). */
  readonly latencyRequests?: number;
  /** Leave the server running and return it in the result. */
  readonly keepServing?: boolean;
  readonly python?: string;
  /** Settings as the stack resolves them (default: cdk.json context over the defaults). */
  readonly settings?: MnistSettings;
  readonly log?: (line: string) => void;
}

export interface LocalRunResult {
  readonly runDir: string;
  readonly dataSource: string;
  readonly trainCount: number;
  readonly testCount: number;
  /** JSON-encoded, as in hyperparameters.json. */
  readonly hyperparameters: Record<string, string>;
  /** The values as chosen (stack settings, then the user's), before the SDK's JSON encoding. */
  readonly hyperparameterValues: Record<string, HyperparameterValue>;
  readonly hosts: HostResult[];
  /** Last epoch's test accuracy on the first host, percent 0..100. */
  readonly testAccuracy: number;
  readonly artifact: PackagedModel;
  readonly smoke: SmokeTestReport;
  readonly latency: LatencyResult[];
  readonly passed: boolean;
  readonly failures: string[];
  readonly secondsPerStep: Record<string, number>;
  /** Present with keepServing. */
  readonly server?: LocalServer;
}

/** The stack's settings: cdk.json context over the defaults, validated the same way. */
export function loadStackSettings(cdkJsonPath = path.join(REPO_ROOT, 'cdk.json')): MnistSettings {
  const root = new RootConstruct();
  const context = (JSON.parse(fs.readFileSync(cdkJsonPath, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
  for (const [key, value] of Object.entries(context)) root.node.setContext(key, value);
  return resolveSettings(root.node);
}

export function findPython(): string {
  return execFileSync(path.join(REPO_ROOT, 'scripts', 'python.sh'), ['--which'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const FULL_MNIST_TRAIN_COUNT = 60_000;

/**
 * Offline, the full packaged set stands in for MNIST but is 7.5 times smaller: scale the stack's
 * epochs so training sees as many examples as on SageMaker. Not when the user chose epochs or a
 * reduced set.
 */
export function offlineEpochs(
  kind: 'user' | 'download' | 'packaged',
  trainCount: number,
  stackEpochs: HyperparameterValue | undefined,
  options: Pick<LocalRunOptions, 'hyperparameters' | 'trainCount'>,
): number | undefined {
  if (kind !== 'packaged' || options.trainCount !== undefined || options.hyperparameters?.epochs !== undefined) return undefined;
  if (typeof stackEpochs !== 'number' || !Number.isInteger(stackEpochs) || stackEpochs < 1) return undefined;
  return Math.ceil((FULL_MNIST_TRAIN_COUNT * stackEpochs) / trainCount);
}

/**
 * Every option checked before any work starts, each mistake one line naming the flag and what is
 * allowed (the hyperparameters are checked next, by the training script's own parser).
 */
export function checkLocalOptions(options: LocalRunOptions, hostCount: number): void {
  const whole = (flag: string, value: number | undefined, min: number, max?: number, source = `${flag} ${value}`, hint = '') => {
    if (value === undefined) return;
    if (!Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
      throw new UsageError(`${source} is not valid: use a whole number ${max === undefined ? `>= ${min}` : `from ${min} to ${max}`}${hint}.`);
    }
  };
  // Without --hosts the count is the stack's setting: name it, not a flag the user never typed.
  if (options.hosts === undefined) {
    whole('--hosts', hostCount, 1, 8, `trainingInstanceCount=${hostCount} from cdk.json (used for --hosts)`, ' (one local process per host), e.g. npm run local -- --hosts 2');
  } else {
    whole('--hosts', hostCount, 1, 8);
  }
  whole('--train-count', options.trainCount, 1);
  whole('--test-count', options.testCount, 1);
  whole('--master-port', options.masterPort, 1, 65535);
  whole('--latency-requests', options.latencyRequests, 0);
  if (options.minAccuracy !== undefined && !(options.minAccuracy >= 0 && options.minAccuracy <= 1)) {
    throw new UsageError(`--min-accuracy ${options.minAccuracy} is not valid: use a fraction from 0 to 1, e.g. 0.9.`);
  }
  if (options.endpointName !== undefined && !ENDPOINT_NAME_PATTERN.test(options.endpointName)) {
    throw new UsageError(
      `--endpoint-name ${options.endpointName} is not valid: use up to 63 letters, digits and hyphens, starting and ending with a letter or digit (SageMaker's rule).`,
    );
  }
  if (options.dataDir !== undefined && !fs.statSync(options.dataDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--data ${options.dataDir} is not a folder: give the folder that holds the four MNIST IDX files.`);
  }
  if (options.dataDir !== undefined && options.offline) {
    throw new UsageError('--data and --offline exclude each other: --data trains on your files, --offline on the packaged digits.');
  }
}

/** The run's verdict (and so the exit code): the training accuracy floor and the smoke test must both hold. */
export function localRunVerdict(
  testAccuracy: number,
  minAccuracy: number,
  smoke: Pick<SmokeTestReport, 'passed'>,
): Pick<LocalRunResult, 'passed' | 'failures'> {
  const failures: string[] = [];
  const floor = Math.round(minAccuracy * 100 * 1e6) / 1e6;
  if (!(testAccuracy >= floor)) failures.push(`test accuracy ${testAccuracy}% is below the stack's minimum ${floor}% (minTestAccuracy)`);
  if (!smoke.passed) failures.push('the smoke test failed');
  return { passed: failures.length === 0, failures };
}

function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export interface ServeAndCheckOptions {
  readonly python: string;
  readonly servingDir: string;
  readonly program: string;
  readonly endpointName: string;
  readonly minAccuracy: number;
  readonly latencyDigits?: Parameters<typeof measureLatency>[0]['digits'];
  readonly latencyRequests?: number;
  readonly log: (line: string) => void;
}

/** Steps 4 and 5: serve the unpacked artifact, run the deployed smoke test against it, time it. */
export async function serveAndCheck(options: ServeAndCheckOptions): Promise<{ server: LocalServer; smoke: SmokeTestReport; latency: LatencyResult[] }> {
  const server = await startLocalServer({
    python: options.python,
    modelDir: options.servingDir,
    program: options.program,
    endpointNames: [options.endpointName],
    onLine: (line) => options.log(`[serve] ${line}`),
  });
  try {
    options.log(`Endpoint "${options.endpointName}" serving at ${server.url}`);
    const smoke = await runSmokeTest({
      // Same settings as the Lambda's client (SDK retries off: runSmokeTest retries and counts).
      client: createLocalRuntimeClient(server.url),
      endpointNames: [options.endpointName],
      minAccuracy: options.minAccuracy,
      maxAttempts: 2,
      baseDelayMs: 200,
      requestTimeoutMs: 30_000,
      timeBudgetMs: 120_000,
      log: (line) => options.log(`[smoke] ${line}`),
    });
    const latency: LatencyResult[] = [];
    if (options.latencyDigits && (options.latencyRequests ?? 30) > 0) {
      const client = createLocalRuntimeClient(server.url);
      for (const contentType of CONTENT_TYPES) {
        latency.push(
          await measureLatency({
            client,
            endpointName: options.endpointName,
            contentType,
            digits: options.latencyDigits,
            batch: 1,
            requests: options.latencyRequests ?? 30,
          }),
        );
      }
    }
    return { server, smoke, latency };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export async function runLocal(options: LocalRunOptions = {}): Promise<LocalRunResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const settings = options.settings ?? loadStackSettings();
  const seconds: Record<string, number> = {};
  const timed = async <T>(step: string, work: () => Promise<T> | T): Promise<T> => {
    const started = Date.now();
    try {
      return await work();
    } finally {
      seconds[step] = (Date.now() - started) / 1000;
    }
  };
  const hostCount = options.hosts ?? settings.trainingInstanceCount;
  checkLocalOptions(options, hostCount);
  const hosts = Array.from({ length: hostCount }, (_, i) => `algo-${i + 1}`);
  const chosen = { ...settings.hyperparameters, ...options.hyperparameters };
  // Checked against the script's declarations as cdk synth checks them, then by the same code as
  // the training job's CreateTrainingJob request, all before any work starts.
  checkLocalHyperparameters(chosen, hostCount);
  validateHyperparameters(chosen);
  const python = options.python ?? findPython();
  const runDir = path.resolve(options.runsDir ?? path.join(REPO_ROOT, 'local-runs'), options.runId ?? newRunId());
  fs.mkdirSync(runDir, { recursive: true });

  log(`==> 1/5 Data`);
  const dataset = await timed('data', () =>
    resolveDataset({
      dataDir: options.dataDir,
      offline: options.offline,
      cacheDir: options.cacheDir,
      mirrors: options.mirrors,
      downloadTimeoutMs: options.downloadTimeoutMs,
      trainCount: options.trainCount,
      testCount: options.testCount,
      log,
    }),
  );
  const { train, test } = dataset.data;
  log(`Using ${dataset.source}: ${train.count} training and ${test.count} test digits.`);

  log(`==> 2/5 Train ${MNIST.entryPoint} on ${hostCount} host(s), as a SageMaker training job runs it`);
  const scaledEpochs = offlineEpochs(dataset.kind, train.count, chosen.epochs, options);
  if (scaledEpochs !== undefined) {
    log(
      `The packaged set has ${train.count} training digits, MNIST has ${FULL_MNIST_TRAIN_COUNT}: training ${scaledEpochs} epochs ` +
        `instead of the stack's ${chosen.epochs}, so the model sees about as many examples as the deployed job does ` +
        '(--epochs N overrides).',
    );
    chosen.epochs = scaledEpochs;
  }
  const hyperparameters = encodeHyperparameters(chosen);
  const encoded = {
    ...hyperparameters,
    ...scriptModeHyperparameters({
      submitDirectory: path.join(runDir, 'sourcedir.tar.gz'),
      program: MNIST.entryPoint,
      jobName: `${MNIST.jobNamePrefix}-local-${path.basename(runDir)}`,
      region: 'local',
    }),
  };
  const hostResults = await timed('train', async () => {
    const dataDir = writeIdxDataset(path.join(runDir, 'data'), dataset.data, { gzip: true, layout: 'flat' });
    const sourceArchive = path.join(runDir, 'sourcedir.tar.gz');
    createTarGz(MNIST.modelCodeDirectory, sourceArchive, { excludeRootFiles: MNIST.localOnlyFiles });
    const layouts = hosts.map((host) => {
      const layout = writeTrainingHost({
        root: path.join(runDir, 'hosts', host),
        hosts,
        currentHost: host,
        encodedHyperparameters: encoded,
        entryPoint: MNIST.entryPoint,
      });
      // Each container gets its own copy of the channel (S3DistributionType FullyReplicated) and of the code.
      fs.cpSync(dataDir, layout.channelDir, { recursive: true });
      extractTarGz(sourceArchive, layout.codeDir);
      return layout;
    });
    log(`Training tree: ${path.join(runDir, 'hosts')} (one /opt/ml per host)`);
    return trainHosts({
      python,
      layouts,
      encodedHyperparameters: encoded,
      entryPoint: MNIST.entryPoint,
      masterPort: options.masterPort ?? (await freePort()),
      threadsPerHost: Math.max(1, Math.floor(os.cpus().length / hostCount)),
      maxRuntimeMs: settings.trainingMaxRuntimeMinutes * 60_000,
      onLine: (host, line) => log(`[${host}] ${line}`),
    });
  });
  const lastEpoch = hostResults[0].epochs[hostResults[0].epochs.length - 1];

  log(`==> 3/5 Package model.tar.gz and unpack it as an endpoint would`);
  const artifact = await timed('package', () =>
    packageModel({
      // SageMaker uploads the first host's /opt/ml/model; mnist.py writes it on rank 0 only.
      modelDir: path.join(runDir, 'hosts', hosts[0], 'model'),
      archive: path.join(runDir, 'model.tar.gz'),
      servingDir: path.join(runDir, 'serving', 'model'),
      program: MNIST.entryPoint,
    }),
  );
  log(`${artifact.archive} (${artifact.bytes} bytes): ${artifact.files.join(', ')}`);

  log(`==> 4/5 Serve it behind the SageMaker hosting contract, 5/5 smoke-test it with the deployed Lambda's code`);
  const minAccuracy = options.minAccuracy ?? settings.minTestAccuracy;
  const { server, smoke, latency } = await timed('serve and smoke test', () =>
    serveAndCheck({
      python,
      servingDir: artifact.servingDir,
      program: MNIST.entryPoint,
      endpointName: options.endpointName ?? DEFAULT_ENDPOINT_NAME,
      minAccuracy,
      latencyDigits: test,
      latencyRequests: options.latencyRequests,
      log,
    }),
  );
  if (!options.keepServing) await server.stop();

  return {
    runDir,
    dataSource: dataset.source,
    trainCount: train.count,
    testCount: test.count,
    hyperparameters,
    hyperparameterValues: chosen,
    hosts: hostResults,
    testAccuracy: lastEpoch.accuracy,
    artifact,
    smoke,
    latency,
    ...localRunVerdict(lastEpoch.accuracy, minAccuracy, smoke),
    secondsPerStep: seconds,
    ...(options.keepServing ? { server } : {}),
  };
}
