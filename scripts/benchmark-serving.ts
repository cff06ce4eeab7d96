// `npm run benchmark:serving [-- options]`: wall time of the full `npm run local`, then serving
// latency (p50/p95) and throughput for 1- and 16-image requests in npy and JSON, measured by a
// separate client process against the endpoint that run left up. Prints figures; asserts nothing.
import { ChildProcess, spawn } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { CONTENT_TYPES } from '../lambda/smoke-test/payload';
import { CommandIo, HELP_OPTION, parseCommandLine, runAsMain, UsageError, wholeNumber } from './lib/cli';
import { LatencyResult } from './local/latency';
import { parseLocalArguments } from './local/local-command';

export const USAGE = `Usage: npm run benchmark:serving -- [options] [npm run local options]
  --requests N      timed requests per case (default 200)
  --concurrency N   in-flight requests for the throughput case (default 4)
  --url URL         benchmark an endpoint already serving instead of running local mode
  --help            this text
Any other option is passed to npm run local (e.g. --offline, --hosts 1, --train-count 2000;
npm run local -- --help lists them), and checked before anything runs.`;

const COMMAND = 'npm run benchmark:serving';
const OWN_OPTIONS = {
  requests: { type: 'string', default: '200' },
  concurrency: { type: 'string', default: '4' },
  url: { type: 'string' },
  help: HELP_OPTION,
} as const;

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Options {
  requests: number;
  concurrency: number;
  url?: string;
  localArgs: string[];
}

/** This command's own flags, and the rest for npm run local. */
function splitArguments(argv: readonly string[]): { own: string[]; local: string[] } {
  const own: string[] = [];
  const local: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const name = token === '-h' ? 'help' : token.startsWith('--') ? token.slice(2).split('=')[0] : undefined;
    const spec = name === undefined ? undefined : OWN_OPTIONS[name as keyof typeof OWN_OPTIONS];
    if (!spec) {
      local.push(token);
      continue;
    }
    own.push(token);
    if (spec.type === 'string' && !token.includes('=') && i + 1 < argv.length) own.push(argv[++i]);
  }
  return { own, local };
}

/** The options, or undefined for --help; a mistake (ours or local mode's) throws UsageError before any work. */
export function parseBenchmarkArguments(argv: readonly string[]): Options | undefined {
  const { own, local } = splitArguments(argv);
  const { values } = parseCommandLine({ command: COMMAND, options: OWN_OPTIONS }, own);
  if (values.help) return undefined;
  if (values.url !== undefined && !/^https?:\/\/[^/]+/.test(values.url)) {
    throw new UsageError(`--url ${values.url} is not a URL: use e.g. --url http://127.0.0.1:8080`);
  }
  if (values.url !== undefined && local.length > 0) {
    throw new UsageError(`--url benchmarks a server already up, so npm run local's options (${local.join(' ')}) would do nothing: drop one or the other.`);
  }
  parseLocalArguments(local, COMMAND);
  return {
    requests: wholeNumber('--requests', values.requests, { min: 1 })!,
    concurrency: wholeNumber('--concurrency', values.concurrency, { min: 1 })!,
    url: values.url,
    localArgs: local,
  };
}

/** Runs the whole local flow with --keep-serving; resolves when its summary is out and the endpoint is up. */
function runLocalMode(args: string[]): Promise<{ child: ChildProcess; url: string; seconds: number; summary: string[] }> {
  const started = Date.now();
  const child = spawn(TSX, [path.join(ROOT, 'scripts', 'local', 'cli.ts'), ...args, '--keep-serving'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const summary: string[] = [];
    let inSummary = false;
    child.once('exit', (code) => reject(new Error(`npm run local exited with code ${code} before serving (see its output above).`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === '==> Summary') inSummary = true;
      if (inSummary) summary.push(line);
      else if (!/Train Epoch|^\[algo-\d\] (?!Test set)/.test(line)) console.log(`  | ${line}`);
      const match = /^\s+curl (http:\/\/127\.0\.0\.1:\d+)\/ping$/.exec(line);
      if (match) {
        child.removeAllListeners('exit');
        resolve({ child, url: match[1], seconds: (Date.now() - started) / 1000, summary });
      }
    });
  });
}

function runClient(url: string, contentType: string, batch: number, requests: number, concurrency: number): Promise<LatencyResult> {
  const args = [path.join(ROOT, 'scripts', 'local', 'load-client.ts'), '--url', url, '--content-type', contentType,
    '--batch', String(batch), '--requests', String(requests), '--concurrency', String(concurrency)];
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load client failed (${contentType}, batch ${batch}), exit code ${code}`));
      resolve(JSON.parse(output.trim().split('\n').pop()!) as LatencyResult);
    });
  });
}

export async function benchmarkCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const options = parseBenchmarkArguments(argv);
  if (!options) {
    io.out(USAGE);
    return 0;
  }
  console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  let local: Awaited<ReturnType<typeof runLocalMode>> | undefined;
  let url = options.url;
  if (!url) {
    console.log(`Running: npm run local -- ${options.localArgs.join(' ')}`);
    local = await runLocalMode(options.localArgs);
    url = local.url;
  }
  try {
    const rows: string[] = [];
    for (const contentType of CONTENT_TYPES) {
      for (const batch of [1, 16]) {
        const serial = await runClient(url, contentType, batch, options.requests, 1);
        const parallel = await runClient(url, contentType, batch, options.requests, options.concurrency);
        rows.push(
          `${contentType.padEnd(18)} ${String(batch).padStart(5)}  ${String(serial.p50Ms).padStart(8)}  ${String(serial.p95Ms).padStart(8)}  ` +
            `${String(serial.requestsPerSecond).padStart(9)}  ${String(parallel.requestsPerSecond).padStart(9)}  ` +
            `${String(parallel.imagesPerSecond).padStart(10)}  ${(serial.accuracy * 100).toFixed(1).padStart(6)}%`,
        );
      }
    }
    if (local) {
      console.log(local.summary.join('\n'));
      console.log(`\nnpm run local: ${local.seconds.toFixed(1)} s wall, from start to endpoint up and smoke-tested`);
    }
    console.log(`\nServing ${url} (SDK client in a separate process, runtime API path, ${options.requests} timed requests per case)`);
    console.log(`content type       batch   p50 ms    p95 ms    req/s @1  req/s @${options.concurrency}  images/s @${options.concurrency}  right`);
    console.log(rows.join('\n'));
  } finally {
    local?.child.kill('SIGINT');
  }
  return 0;
}

if (require.main === module) runAsMain(COMMAND, benchmarkCommand);
