// Downloads the four MNIST IDX .gz files from a list of mirrors, verifies each against its
// known MD5 and keeps them in a cache, so a second run needs no network.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface MnistFile {
  readonly name: string;
  readonly md5: string;
}

/** The original files' MD5s, as torchvision checks them for every mirror it uses. */
export const MNIST_GZ_FILES: readonly MnistFile[] = [
  { name: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
  { name: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
  { name: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
  { name: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
];

/**
 * The article's public mirror first (the one the stack copies from), then the mirror
 * torchvision uses (yann.lecun.com, torchvision's old second mirror, now refuses downloads).
 */
export const DEFAULT_MNIST_MIRRORS: readonly string[] = [
  'https://sagemaker-sample-files.s3.amazonaws.com/datasets/image/MNIST/',
  'https://ossci-datasets.s3.amazonaws.com/mnist/',
];

export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;

export interface DownloadMnistOptions {
  /** Folder that keeps verified files between runs. */
  readonly cacheDir: string;
  /** Base URLs tried in order, each ending in `/`. */
  readonly mirrors?: readonly string[];
  /** Whole-file limit per request (connect, headers and body). */
  readonly timeoutMs?: number;
  readonly files?: readonly MnistFile[];
  readonly log?: (message: string) => void;
}

export class MnistDownloadError extends Error {
  constructor(message: string, readonly attempts: readonly string[]) {
    super(message);
    this.name = 'MnistDownloadError';
  }
}

function md5Of(file: string): string {
  return crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex');
}

async function fetchWithTimeout(url: string, timeoutMs: number): Promise<Buffer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    // The timer stays armed while the body streams in, so a mirror that trickles is cut off too.
    return Buffer.from(await response.arrayBuffer());
  } catch (error) {
    if (controller.signal.aborted) throw new Error(`no complete answer within ${timeoutMs} ms`);
    const cause = (error as { cause?: { code?: string } }).cause;
    throw new Error(cause?.code ? `${(error as Error).message} (${cause.code})` : (error as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Returns the cache folder holding all four verified files, downloading the missing ones.
 * A mirror that fails (error, HTTP status, timeout, wrong checksum) hands over to the next;
 * when every mirror fails for a file, the error lists what each one did.
 */
export async function downloadMnist(options: DownloadMnistOptions): Promise<string> {
  const mirrors = options.mirrors ?? DEFAULT_MNIST_MIRRORS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const log = options.log ?? (() => undefined);
  if (mirrors.length === 0) throw new MnistDownloadError('No MNIST mirrors to download from: pass at least one base URL.', []);
  fs.mkdirSync(options.cacheDir, { recursive: true });

  for (const file of options.files ?? MNIST_GZ_FILES) {
    const target = path.join(options.cacheDir, file.name);
    if (fs.existsSync(target) && md5Of(target) === file.md5) {
      log(`${file.name}: cached, checksum ok`);
      continue;
    }
    const attempts: string[] = [];
    let saved = false;
    for (const mirror of mirrors) {
      const url = new URL(file.name, mirror.endsWith('/') ? mirror : `${mirror}/`).toString();
      try {
        const content = await fetchWithTimeout(url, timeoutMs);
        const md5 = crypto.createHash('md5').update(content).digest('hex');
        if (md5 !== file.md5) throw new Error(`checksum mismatch (MD5 ${md5}, expected ${file.md5})`);
        // Write beside the target and rename, so an interrupted run never leaves half a file in the cache.
        const partial = `${target}.${process.pid}.partial`;
        fs.writeFileSync(partial, content);
        fs.renameSync(partial, target);
        log(`${file.name}: downloaded from ${url} (${content.length} bytes, checksum ok)`);
        saved = true;
        break;
      } catch (error) {
        attempts.push(`${url}: ${(error as Error).message}`);
        log(`${file.name}: ${url} failed: ${(error as Error).message}`);
      }
    }
    if (!saved) {
      throw new MnistDownloadError(
        `Could not download ${file.name} from any mirror:\n  ${attempts.join('\n  ')}\n` +
          'Check the network, or pass --data DIR with the four IDX files.',
        attempts,
      );
    }
  }
  return options.cacheDir;
}
