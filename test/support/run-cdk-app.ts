// Runs a CDK app file the way the cdk CLI does: tsx, the context (cdk.json's and every `-c`) in
// CDK_CONTEXT_JSON, the cloud assembly in a fresh CDK_OUTDIR. Bounded: a hung app is killed.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

export interface CdkAppRunOptions {
  /** @default bin/app.ts */
  readonly app?: string;
  /** Arguments after the app file. @default none */
  readonly args?: string[];
  /** Exactly the context the app gets (merge cdk.json's in yourself where the CLI would). */
  readonly context: Record<string, unknown>;
  /** Further environment, e.g. CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION as the CLI sets them. @default none */
  readonly env?: Record<string, string>;
  /** @default 240 seconds */
  readonly timeoutMs?: number;
}

export interface CdkAppRun {
  readonly status: number | null;
  readonly stderr: string;
  /** The files and folders the app wrote to its CDK_OUTDIR. */
  readonly files: string[];
  /** A JSON file of the assembly, parsed. */
  read(file: string): unknown;
  /** Removes the assembly folder. */
  cleanup(): void;
}

export function runCdkApp(options: CdkAppRunOptions): CdkAppRun {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-app-'));
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [options.app ?? path.join(ROOT, 'bin', 'app.ts'), ...(options.args ?? [])], {
    cwd: ROOT,
    encoding: 'utf-8',
    timeout: options.timeoutMs ?? 240_000,
    killSignal: 'SIGKILL',
    env: { ...process.env, ...options.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(options.context) },
  });
  return {
    status: result.status,
    stderr: result.stderr,
    files: fs.existsSync(outdir) ? fs.readdirSync(outdir) : [],
    read: (file) => JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf-8')) as unknown,
    cleanup: () => fs.rmSync(outdir, { recursive: true, force: true }),
  };
}

/** Runs the app, returns what it printed and wrote, and removes the assembly. */
export function runCdkAppOnce(options: CdkAppRunOptions): Omit<CdkAppRun, 'read' | 'cleanup'> {
  const run = runCdkApp(options);
  run.cleanup();
  return { status: run.status, stderr: run.stderr, files: run.files };
}
