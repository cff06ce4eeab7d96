// Starts scripts/local/serve.py (the hosting emulator) as a child process and waits until it
// prints its address, so callers get a live URL or a clear error with the server's own output.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

export const SERVE_SCRIPT = path.join(__dirname, 'serve.py');

export interface LocalServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartServerOptions {
  readonly python: string;
  /** The unpacked model.tar.gz (the container's /opt/ml/model). */
  readonly modelDir: string;
  /** SAGEMAKER_PROGRAM, as the stack's Model sets it. */
  readonly program: string;
  readonly endpointNames?: readonly string[];
  readonly port?: number;
  readonly startTimeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly onLine?: (line: string) => void;
}

export function startLocalServer(options: StartServerOptions): Promise<LocalServer> {
  const args = [
    SERVE_SCRIPT,
    '--model-dir',
    options.modelDir,
    '--port',
    String(options.port ?? 0),
    '--endpoint-names',
    (options.endpointNames ?? []).join(','),
  ];
  const child = spawn(options.python, args, {
    env: { ...process.env, ...options.env, SAGEMAKER_PROGRAM: options.program, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    options.onLine?.(line);
  };
  readline.createInterface({ input: child.stderr }).on('line', remember);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };

  return new Promise<LocalServer>((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    const fail = (reason: string) => {
      clearTimeout(timer);
      void stop();
      reject(new Error(`The local endpoint did not start: ${reason}\n${recent.map((l) => `  | ${l}`).join('\n')}`));
    };
    const timer = setTimeout(() => fail(`no SERVING line within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(`could not run ${options.python} (${error.message})`));
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`serve.py exited (${signal ?? `code ${code}`}) before serving`);
    child.once('exit', onEarlyExit);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^SERVING (http:\/\/\S+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve({ url: match[1], process: child, stop });
      } else {
        remember(line);
      }
    });
  });
}
