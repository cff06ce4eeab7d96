// A moto server (the third-party AWS emulator) on 127.0.0.1 at a free port, started from the
// project's Python (projectPython: scripts/python.sh finds or sets up one with moto[server]).
// ready() waits for readiness with a bounded timeout; stop() kills the server and waits for its exit.
import { ChildProcess, spawn } from 'child_process';
import { projectPython } from './project-python';

/** Moto's default account, the one its resources and ARNs live in. */
export const MOTO_ACCOUNT = '123456789012';

export class MotoServer {
  private constructor(private readonly child: ChildProcess, readonly url: string, private readonly output: () => string) {}

  /**
   * Spawns `<project python> -m moto.server -H 127.0.0.1 -p 0`; the returned `ready()` resolves once
   * it answers. Launch before slow synchronous work: the server comes up meanwhile, and the
   * readiness timeout only starts counting when `ready()` is called. (On a machine's first run,
   * finding the interpreter builds .venv first: that wait is scripts/python.sh's, before the spawn.)
   */
  static launch(): { ready: (timeoutMs?: number) => Promise<MotoServer> } {
    const child = spawn(projectPython(), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    let output = '';
    let exit: string | undefined;
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code, signal) => (exit = `exited (${code ?? signal})`));
    child.once('error', (error) => (exit = `failed to start: ${error.message}`));
    const ready = async (timeoutMs = 90_000): Promise<MotoServer> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) {
          const server = new MotoServer(child, match[1], () => output);
          await server.waitUntilAnswering(Math.max(1_000, deadline - Date.now())).catch((error: Error) => {
            kill(child);
            throw error;
          });
          return server;
        }
        if (exit) throw new Error(`moto server ${exit} before it was ready. Its output:\n${output}`);
        if (Date.now() > deadline) {
          kill(child);
          throw new Error(`moto server did not start within ${timeoutMs / 1000} s. Its output:\n${output}\n` +
            'Fix: run `scripts/python.sh -m moto.server --help`; on a laptop `pip install "moto[server]"` into the Python it uses.');
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    return { ready };
  }

  /** What the server printed (request log included): for failure messages. */
  get log(): string {
    return this.output();
  }

  /** Moto's IAM enforcement: on, every later request must be signed by a moto IAM user's key and allowed by its policies. */
  async enforceIam(on: boolean): Promise<void> {
    await this.post('/moto-api/reset-auth', on ? '0' : 'inf');
  }

  async reset(): Promise<void> {
    await this.post('/moto-api/reset', '');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      // 'close': the process has exited AND its output pipes are closed (no handle left open).
      const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
      kill(this.child);
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    }
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }

  private async post(route: string, body: string): Promise<void> {
    const response = await fetch(`${this.url}${route}`, { method: 'POST', body });
    if (!response.ok) throw new Error(`moto ${route} answered ${response.status}: ${await response.text()}`);
  }

  private async waitUntilAnswering(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const response = await fetch(`${this.url}/moto-api/data.json`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`moto server at ${this.url} did not answer within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The child is the interpreter itself, so its pid is the server's own. */
function kill(child: ChildProcess): void {
  child.kill('SIGTERM');
}
