// createTarGz: the archive must be what SageMaker's training toolkit can open (Python's tarfile,
// mode 'r:gz', as sagemaker_training.files.download_and_extract does) and byte-for-byte the same
// for the same source, whatever the files' timestamps and modes' umask, so an unchanged model
// never retrains. The format is node-tar's; these tests pin what we ask of it.
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MNIST } from '../lib/mnist/mnist-constants';
import { createTarGz, listTarEntries, writeTarGz } from '../lib/training/tarball';
import { projectPython } from './support/project-python';

const LONG_DIR = 'a-rather-long-folder-name-for-testing-ustar-prefix-splitting/and-another-long-level-below-it';

let work: string;
let source: string;

function write(rel: string, content: string, mode = 0o644): void {
  const file = path.join(source, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.chmodSync(file, mode);
}

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tarball-test-'));
  source = path.join(work, 'src');
  write('mnist.py', 'print("train")\n');
  write('run.sh', '#!/bin/sh\necho hi\n', 0o700);
  write('lib/helper.py', 'X = 1\n'.repeat(200), 0o600); // > 512 bytes: spans blocks; umask 077's mode
  write('lib/données.txt', 'utf-8 name\n');
  write(`${LONG_DIR}/deep-file-name.py`, 'deep\n');
  write('__pycache__/mnist.cpython-312.pyc', 'junk');
  write('lib/__pycache__/helper.cpython-312.pyc', 'junk');
  write('lib/old.pyc', 'junk');
  write('tests/test_mnist.py', 'assert True\n');
});

afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** What Python's tarfile sees, and the sha256 of every file it extracts. */
function readWithPython(archive: string): { members: Array<[string, string, string, number, number, number, string, string, number]>; files: Record<string, string> } {
  const out = path.join(work, 'extracted');
  const script = `
import hashlib, json, os, sys, tarfile
members = []
with tarfile.open(name=sys.argv[1], mode="r:gz") as t:
    for m in t.getmembers():
        members.append([m.name, "dir" if m.isdir() else "file" if m.isfile() else "other", oct(m.mode), m.mtime, m.uid, m.gid, m.uname, m.gname, m.size])
    t.extractall(path=sys.argv[2])
files = {}
for root, _, names in os.walk(sys.argv[2]):
    for n in names:
        p = os.path.join(root, n)
        files[os.path.relpath(p, sys.argv[2])] = hashlib.sha256(open(p, "rb").read()).hexdigest()
print(json.dumps({"members": members, "files": files}))
`;
  return JSON.parse(execFileSync(projectPython(), ['-c', script, archive, out], { encoding: 'utf8' }));
}

const sha = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

test('Python tarfile reads it as the toolkit does: names, types, modes, zero owner and mtime, contents', () => {
  const archive = path.join(work, 'sourcedir.tar.gz');
  createTarGz(source, archive);
  const { members, files } = readWithPython(archive);

  expect(members.map((m) => [m[0], m[1], m[2]])).toEqual([
    [LONG_DIR.split('/')[0], 'dir', '0o755'],
    [LONG_DIR, 'dir', '0o755'],
    [`${LONG_DIR}/deep-file-name.py`, 'file', '0o644'],
    ['lib', 'dir', '0o755'],
    ['lib/donn\u00e9es.txt', 'file', '0o644'],
    ['lib/helper.py', 'file', '0o644'],
    ['mnist.py', 'file', '0o644'],
    ['run.sh', 'file', '0o755'],
  ]);
  for (const m of members) expect(m.slice(3, 8)).toEqual([0, 0, 0, '', '']);
  expect(files).toEqual({
    [`${LONG_DIR}/deep-file-name.py`]: sha('deep\n'),
    'lib/donn\u00e9es.txt': sha('utf-8 name\n'),
    'lib/helper.py': sha('X = 1\n'.repeat(200)),
    'mnist.py': sha('print("train")\n'),
    'run.sh': sha('#!/bin/sh\necho hi\n'),
  });
});

test('the system tar lists the same entries', () => {
  const archive = path.join(work, 'sourcedir.tar.gz');
  createTarGz(source, archive);
  const listed = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim().split('\n');
  expect(listed).toContain('mnist.py');
  expect(listed).toContain(`${LONG_DIR}/deep-file-name.py`);
  expect(listed.filter((n) => n.includes('pycache') || n.includes('tests') || n.endsWith('.pyc'))).toEqual([]);
});

test('deterministic: same bytes twice, also after every file\'s timestamp changes', () => {
  const first = path.join(work, 'one.tar.gz');
  const second = path.join(work, 'two.tar.gz');
  const hashOne = writeTarGz(source, first);
  for (const entry of listTarEntries(source)) {
    const file = entry.source ?? path.join(source, entry.name);
    fs.utimesSync(file, new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
  }
  const hashTwo = writeTarGz(source, second);
  expect(fs.readFileSync(first).equals(fs.readFileSync(second))).toBe(true);
  expect(hashOne).toBe(hashTwo);
  // gzip header: no name, MTIME 0, OS 3 (Unix) on every host.
  const gz = fs.readFileSync(first);
  expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
});

test('a content change changes the bytes and the content hash', () => {
  const before = writeTarGz(source, path.join(work, 'a.tar.gz'));
  write('mnist.py', 'print("train harder")\n');
  const after = writeTarGz(source, path.join(work, 'b.tar.gz'));
  expect(after).not.toBe(before);
});

test('symbolic links and missing folders are refused with a clear error', () => {
  fs.symlinkSync(path.join(source, 'mnist.py'), path.join(source, 'link.py'));
  expect(() => createTarGz(source, path.join(work, 'x.tar.gz'))).toThrow(/link\.py' is a symbolic link; copy the file/);
  expect(() => createTarGz(path.join(work, 'nope'), path.join(work, 'x.tar.gz'))).toThrow(/does not exist or is not a directory/);
});

test('a name too long for ustar\'s fields (PAX record) reaches Python\'s tarfile whole', () => {
  const long = `${'x'.repeat(160)}/file.py`;
  write(long, 'long\n');
  const archive = path.join(work, 'x.tar.gz');
  createTarGz(source, archive);
  const { members, files } = readWithPython(archive);
  expect(members.map((m) => m[0])).toContain(long);
  expect(files[long]).toBe(sha('long\n'));
});

test('pinned bytes: a fixed folder gives this content hash (the asset hash) on every machine and node-tar version', () => {
  const fixed = path.join(work, 'fixed');
  const put = (rel: string, content: string, mode: number): void => {
    fs.mkdirSync(path.dirname(path.join(fixed, rel)), { recursive: true });
    fs.writeFileSync(path.join(fixed, rel), content);
    fs.chmodSync(path.join(fixed, rel), mode);
  };
  put('mnist.py', 'print("train")\n', 0o664);
  put('run.sh', '#!/bin/sh\n', 0o700);
  put('pkg/données.py', 'X = 1\n', 0o600);
  const archive = path.join(work, 'fixed.tar.gz');
  // If this changes, every deployed stack retrains once: change it only on purpose, and say so.
  expect(writeTarGz(fixed, archive)).toBe('a653ad8c5f5d6e2b47261b727ea7d0233acae02f592e067224f2b01609f30591');
  expect(execFileSync('tar', ['-tvzf', archive], { encoding: 'utf8' })).toMatch(/^-rwxr-xr-x 0\/0 .* run\.sh$/m);
});

test('model-code/: two builds give the same bytes, a copy with fresh timestamps too, a one-byte change does not', () => {
  const options = { excludeRootFiles: MNIST.localOnlyFiles };
  const build = (dir: string, name: string): Buffer => {
    writeTarGz(dir, path.join(work, name), options);
    return fs.readFileSync(path.join(work, name));
  };
  const first = build(MNIST.modelCodeDirectory, 'one.tar.gz');
  expect(build(MNIST.modelCodeDirectory, 'two.tar.gz').equals(first)).toBe(true);
  const copy = path.join(work, 'model-code');
  fs.cpSync(MNIST.modelCodeDirectory, copy, { recursive: true });
  expect(build(copy, 'copy.tar.gz').equals(first)).toBe(true);
  const script = path.join(copy, MNIST.entryPoint);
  const text = fs.readFileSync(script);
  text[text.length - 1] ^= 1;
  fs.writeFileSync(script, text);
  expect(build(copy, 'changed.tar.gz').equals(first)).toBe(false);
});

test('model-code/ ships mnist.py, its declarations and its package folder, without tests or local-only files', () => {
  const entries = listTarEntries(MNIST.modelCodeDirectory, { excludeRootFiles: MNIST.localOnlyFiles });
  const modules = fs.readdirSync(path.join(MNIST.modelCodeDirectory, 'mnist_lib')).filter((n) => n.endsWith('.py')).sort();
  expect(modules).toEqual(expect.arrayContaining(['__init__.py', 'inference.py', 'job.py', 'network.py']));
  expect(entries.map((e) => `${e.name}${e.type === 'directory' ? '/' : ''}`)).toEqual([
    'hyperparameters.json',
    'metrics.json',
    MNIST.entryPoint,
    'mnist_lib/',
    ...modules.map((n) => `mnist_lib/${n}`),
  ]);
});
