// The MNIST downloader against real HTTP mirrors on loopback: good, corrupt, missing and slow.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { downloadMnist, MnistDownloadError, MnistFile } from '../../scripts/local/mnist-download';

type Behaviour = 'good' | 'corrupt' | 'missing' | 'slow';

interface Mirror {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

const contents = new Map<string, Buffer>([
  ['train-labels-idx1-ubyte.gz', zlib.gzipSync(Buffer.from([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]))],
  ['t10k-labels-idx1-ubyte.gz', zlib.gzipSync(Buffer.from([0, 0, 8, 1, 0, 0, 0, 1, 5]))],
]);
const files: MnistFile[] = [...contents].map(([name, content]) => ({
  name,
  md5: crypto.createHash('md5').update(content).digest('hex'),
}));

async function startMirror(behaviour: Behaviour): Promise<Mirror> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    const name = path.basename(request.url ?? '');
    const content = contents.get(name);
    if (behaviour === 'missing' || !content) {
      response.writeHead(404).end('NoSuchKey');
    } else if (behaviour === 'corrupt') {
      const damaged = Buffer.from(content);
      damaged[damaged.length - 1] ^= 0xff;
      response.writeHead(200).end(damaged);
    } else if (behaviour === 'slow') {
      // Headers and one byte at once, then nothing: only a whole-download timeout catches this.
      response.writeHead(200, { 'Content-Length': String(content.length) });
      response.write(content.subarray(0, 1));
    } else {
      response.writeHead(200).end(content);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/datasets/MNIST/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('downloadMnist', () => {
  let cacheDir: string;
  const mirrors: Mirror[] = [];
  const mirror = async (behaviour: Behaviour) => {
    const started = await startMirror(behaviour);
    mirrors.push(started);
    return started;
  };

  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-cache-'));
  });
  afterEach(async () => {
    await Promise.all(mirrors.splice(0).map((m) => m.close()));
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  test('downloads verified files into the cache, then serves them from it without the network', async () => {
    const good = await mirror('good');
    const dir = await downloadMnist({ cacheDir, mirrors: [good.url], files });
    expect(dir).toBe(cacheDir);
    for (const [name, content] of contents) expect(fs.readFileSync(path.join(cacheDir, name))).toEqual(content);
    expect(good.requests).toEqual(files.map((f) => `/datasets/MNIST/${f.name}`));

    await downloadMnist({ cacheDir, mirrors: [good.url], files });
    expect(good.requests).toHaveLength(files.length);
    expect(fs.readdirSync(cacheDir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  test('a corrupt file (checksum mismatch) hands over to the next mirror', async () => {
    const corrupt = await mirror('corrupt');
    const good = await mirror('good');
    const messages: string[] = [];
    await downloadMnist({ cacheDir, mirrors: [corrupt.url, good.url], files, log: (m) => messages.push(m) });
    for (const [name, content] of contents) expect(fs.readFileSync(path.join(cacheDir, name))).toEqual(content);
    expect(corrupt.requests).toHaveLength(files.length);
    expect(messages.join('\n')).toMatch(/checksum mismatch/);
  });

  test('a missing file (404) hands over to the next mirror', async () => {
    const missing = await mirror('missing');
    const good = await mirror('good');
    await downloadMnist({ cacheDir, mirrors: [missing.url, good.url], files });
    expect(missing.requests).toHaveLength(files.length);
    expect(good.requests).toHaveLength(files.length);
  });

  test('a slow mirror times out and the next one is used', async () => {
    const slow = await mirror('slow');
    const good = await mirror('good');
    const started = Date.now();
    await downloadMnist({ cacheDir, mirrors: [slow.url, good.url], files, timeoutMs: 300 });
    expect(good.requests).toHaveLength(files.length);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('when every mirror fails, the error names the file and what each mirror did', async () => {
    const corrupt = await mirror('corrupt');
    const missing = await mirror('missing');
    const slow = await mirror('slow');
    const attempt = downloadMnist({ cacheDir, mirrors: [corrupt.url, missing.url, slow.url], files, timeoutMs: 300 });
    await expect(attempt).rejects.toThrow(MnistDownloadError);
    const error = (await attempt.catch((e: unknown) => e)) as MnistDownloadError;
    expect(error.message).toContain(`Could not download ${files[0].name}`);
    expect(error.attempts).toEqual([
      expect.stringMatching(/checksum mismatch/),
      expect.stringMatching(/HTTP 404/),
      expect.stringMatching(/within 300 ms/),
    ]);
    expect(error.message).toMatch(/--data DIR/);
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });

  test('a damaged cached file is downloaded again', async () => {
    fs.writeFileSync(path.join(cacheDir, files[0].name), 'not gzip');
    const good = await mirror('good');
    await downloadMnist({ cacheDir, mirrors: [good.url], files });
    expect(fs.readFileSync(path.join(cacheDir, files[0].name))).toEqual(contents.get(files[0].name));
  });

  test('an unreachable mirror (connection refused) hands over to the next', async () => {
    const gone = await mirror('good');
    await gone.close();
    const good = await mirror('good');
    await downloadMnist({ cacheDir, mirrors: [gone.url, good.url], files });
    expect(good.requests).toHaveLength(files.length);
  });
});
