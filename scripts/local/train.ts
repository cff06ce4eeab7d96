// Step 2 of local mode: runs the training script once per host, as the SageMaker training
// toolkit would start it in each container, streaming every host's output live.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { toolkitArguments } from './hyperparameters';
import { toolkitEnvironment, TrainingHostLayout } from './training-tree';

/** The per-epoch line of model-code/mnist.py, also read by the SageMaker metric regexes. */
const TEST_LINE = /Test set: Average loss: ([0-9.]+), Accuracy: ([0-9]+)\/([0-9]+) \(([0-9.]+)%\)(?:, Epoch: (\d+))?/;

export interface EpochResult {
  readonly epoch: number;
  readonly loss: number;
  readonly correct: number;
  readonly total: number;
  /** Percent, 0..100, as the script prints it. */
  readonly accuracy: number;
}

export interface HostResult {
  readonly host: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly epochs: EpochResult[];
  /** Content of output/failure, the text SageMaker would report as FailureReason. */
  readonly failureReason?: string;
}

export interface TrainOptions {
  readonly python: string;
  readonly layouts: readonly TrainingHostLayout[];
  readonly encodedHyperparameters: Record<string, string>;
  readonly entryPoint: string;
  readonly masterPort: number;
  /** Threads per process: the hosts share this machine's cores instead of having their own. */
  readonly threadsPerHost: number;
  /** Stop every host after this long, as SageMaker's MaxRuntimeInSeconds does (default: no limit). */
  readonly maxRuntimeMs?: number;
  readonly onLine?: (host: string, line: string) => void;
}

export class TrainingFailedError extends Error {
  constructor(message: string, readonly hosts: readonly HostResult[]) {
    super(message);
    this.name = 'TrainingFailedError';
  }
}

export function parseTestLine(line: string, fallbackEpoch: number): EpochResult | undefined {
  const match = TEST_LINE.exec(line);
  if (!match) return undefined;
  return {
    loss: Number(match[1]),
    correct: Number(match[2]),
    total: Number(match[3]),
    accuracy: Number(match[4]),
    epoch: match[5] ? Number(match[5]) : fallbackEpoch,
  };
}

function runHost(options: TrainOptions, layout: TrainingHostLayout): { done: Promise<HostResult>; kill: () => void } {
  const hosts = options.layouts.map((l) => l.host);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...toolkitEnvironment({
      layout,
      hosts,
      encodedHyperparameters: options.encodedHyperparameters,
      entryPoint: options.entryPoint,
      masterAddress: '127.0.0.1',
      masterPort: options.masterPort,
    }),
    OMP_NUM_THREADS: String(options.threadsPerHost),
  };
  // The container does not set these; the script derives them from SM_HOSTS/SM_CURRENT_HOST.
  for (const inherited of ['RANK', 'WORLD_SIZE', 'LOCAL_RANK']) delete env[inherited];
  const args = [options.entryPoint, ...toolkitArguments(options.encodedHyperparameters)];
  // As the toolkit does: the script runs from the unpacked source folder (/opt/ml/code).
  const child = spawn(options.python, args, { cwd: layout.codeDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const epochs: EpochResult[] = [];
  const onLine = (line: string) => {
    options.onLine?.(layout.host, line);
    const result = parseTestLine(line, epochs.length + 1);
    if (result) epochs.push(result);
  };
  readline.createInterface({ input: child.stdout }).on('line', onLine);
  readline.createInterface({ input: child.stderr }).on('line', onLine);
  const done = new Promise<HostResult>((resolve) => {
    child.on('error', (error) => {
      onLine(`could not start ${options.python}: ${error.message}`);
    });
    child.on('close', (exitCode, signal) => {
      const failureFile = path.join(layout.outputDir, 'failure');
      const failureReason = fs.existsSync(failureFile) ? fs.readFileSync(failureFile, 'utf8').trim() : undefined;
      resolve({ host: layout.host, exitCode, signal, epochs, failureReason });
    });
  });
  return { done, kill: () => child.kill('SIGTERM') };
}

/**
 * Starts every host at once (the first is the gloo master) and waits for all. When one host
 * fails, the others are stopped, as SageMaker stops a job's other containers.
 */
export async function trainHosts(options: TrainOptions): Promise<HostResult[]> {
  const running = options.layouts.map((layout) => runHost(options, layout));
  let timedOut = false;
  const limit = options.maxRuntimeMs
    ? setTimeout(() => {
        timedOut = true;
        running.forEach((host) => host.kill());
      }, options.maxRuntimeMs)
    : undefined;
  let failed = false;
  const results = await Promise.all(
    running.map(async ({ done }) => {
      const result = await done;
      if (result.exitCode !== 0 && !failed) {
        failed = true;
        running.forEach((other) => other.kill());
      }
      return result;
    }),
  );
  clearTimeout(limit);
  if (timedOut) {
    throw new TrainingFailedError(
      `Training stopped after the maximum runtime of ${Math.round(options.maxRuntimeMs! / 60_000)} minute(s) ` +
        '(trainingMaxRuntimeMinutes), as SageMaker stops a job with MaxRuntimeExceeded: train less (--train-count, --epochs) or raise the setting.',
      results,
    );
  }
  const failures = results.filter((r) => r.exitCode !== 0);
  if (failures.length > 0) {
    const reasons = failures
      .map((r) => `${r.host}: ${r.signal ? `stopped by ${r.signal}` : `exit code ${r.exitCode}`}${r.failureReason ? ` — ${r.failureReason}` : ''}`)
      .join('\n  ');
    throw new TrainingFailedError(`Training failed (as a SageMaker training job would):\n  ${reasons}`, results);
  }
  const first = results[0];
  if (first.epochs.length === 0) {
    throw new TrainingFailedError(
      `Training finished but ${first.host} printed no "Test set: Average loss: …, Accuracy: …" line, ` +
        'so SageMaker would record no test:accuracy metric: check the script logs its test results.',
      results,
    );
  }
  return results;
}
