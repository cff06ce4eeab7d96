// The S3PrefixCopy handler through create/update/delete against a stateful loopback S3, called
// with the real AWS SDK client: it copies, is idempotent, and deletes nothing it did not create.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { dataRevision, Dependencies, onEvent, OWNER_METADATA, S3PrefixCopyProperties } from '../../lambda/s3-prefix-copy/handlers';
import { FakeS3 } from './fake-s3';
import { customResourceEvent } from '../support/custom-resource-event';

const MNIST_KEYS = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const SOURCE = 'sagemaker-sample-files';
const SOURCE_PREFIX = 'datasets/image/MNIST/';
const DEST = 'mnist-data-bucket';
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/MnistStack/guid';
const OWNER = `${STACK_ID}/TrainingDataCopy`;

const PROPS: S3PrefixCopyProperties = {
  SourceBucketName: SOURCE,
  SourcePrefix: SOURCE_PREFIX,
  Keys: MNIST_KEYS,
  DestinationBucketName: DEST,
  DestinationPrefix: 'mnist/train/',
};

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  props: Partial<S3PrefixCopyProperties> = {},
  physicalId?: string,
  oldProps?: Partial<S3PrefixCopyProperties>,
): CloudFormationCustomResourceEvent {
  return customResourceEvent(requestType, {
    resourceType: 'Custom::S3PrefixCopy',
    logicalId: 'TrainingDataCopy',
    stackId: STACK_ID,
    properties: { ...PROPS, ...props },
    oldProperties: { ...PROPS, ...oldProps },
    physicalId,
  });
}

let s3: FakeS3;
let deps: Dependencies;
let lines: string[];

beforeEach(async () => {
  s3 = new FakeS3();
  await s3.start();
  for (const key of MNIST_KEYS) {
    s3.put(SOURCE, `${SOURCE_PREFIX}${key}`, `gzip bytes of ${key}`, { contentType: 'application/x-gzip', metadata: { origin: 'yann' } });
  }
  s3.put(SOURCE, `${SOURCE_PREFIX}README.txt`, 'not listed');
  lines = [];
  const log = (line: string) => void lines.push(line);
  deps = { s3: s3.client(log), log };
});

afterEach(async () => {
  await s3.stop();
});

const copies = (): string[] => s3.calls.filter((c) => c.operation === 'CopyObject').map((c) => c.key);
const deletes = (): string[] => s3.calls.filter((c) => c.operation === 'DeleteObject').map((c) => c.key);

test('create copies the listed keys server-side, keeping bytes and content type, marked as its own', async () => {
  const result = await onEvent(event('Create'), deps);
  const sourceEtags = new Map(MNIST_KEYS.map((k) => [k, s3.get(SOURCE, `${SOURCE_PREFIX}${k}`)!.etag]));
  expect(result).toEqual({
    PhysicalResourceId: 's3://mnist-data-bucket/mnist/train/',
    Data: { DestinationS3Uri: 's3://mnist-data-bucket/mnist/train/', ObjectCount: '4', Revision: dataRevision(sourceEtags) },
  });
  expect(s3.keys(DEST)).toEqual(MNIST_KEYS.map((k) => `mnist/train/${k}`).sort());
  for (const key of MNIST_KEYS) {
    const copy = s3.get(DEST, `mnist/train/${key}`)!;
    const source = s3.get(SOURCE, `${SOURCE_PREFIX}${key}`)!;
    expect(copy.body.equals(source.body)).toBe(true);
    expect(copy.contentType).toBe('application/x-gzip');
    expect(copy.metadata).toEqual({ origin: 'yann', [OWNER_METADATA]: OWNER, 'source-etag': source.etag });
  }
  expect(s3.keys(DEST)).not.toContain('mnist/train/README.txt');
});

test('idempotent: a second create copies nothing and changes nothing', async () => {
  await onEvent(event('Create'), deps);
  const before = s3.keys(DEST).map((k) => s3.get(DEST, k));
  s3.calls.length = 0;
  await onEvent(event('Create'), deps);
  expect(copies()).toEqual([]);
  expect(s3.keys(DEST).map((k) => s3.get(DEST, k))).toEqual(before);
  expect(lines.some((l) => l.startsWith('s3://mnist-data-bucket/mnist/train/: 0 copied, 4 already up to date, 0 left alone (not ours); data revision '))).toBe(true);
});

test('an object it did not create is neither overwritten nor deleted', async () => {
  s3.put(DEST, 'mnist/train/train-images-idx3-ubyte.gz', 'my own training images');
  s3.put(DEST, 'mnist/train/notes.txt', 'unrelated');
  await onEvent(event('Create'), deps);
  expect(s3.get(DEST, 'mnist/train/train-images-idx3-ubyte.gz')!.body.toString()).toBe('my own training images');
  expect(lines).toContain('Skipped s3://mnist-data-bucket/mnist/train/train-images-idx3-ubyte.gz: it already exists and was not created by this resource');

  await onEvent(event('Delete', {}, 's3://mnist-data-bucket/mnist/train/'), deps);
  expect(s3.keys(DEST)).toEqual(['mnist/train/notes.txt', 'mnist/train/train-images-idx3-ubyte.gz']);
  expect(s3.get(DEST, 'mnist/train/train-images-idx3-ubyte.gz')!.body.toString()).toBe('my own training images');
});

test('delete removes only its own copies, not another resource\'s copy of the same file', async () => {
  await onEvent(event('Create'), deps);
  s3.put(DEST, 'mnist/train/other.gz', 'x', { metadata: { [OWNER_METADATA]: `${STACK_ID}/AnotherCopy` } });
  const result = await onEvent(event('Delete', { Keys: [...MNIST_KEYS, 'other.gz'] }, 's3://mnist-data-bucket/mnist/train/'), deps);
  expect(result.PhysicalResourceId).toBe('s3://mnist-data-bucket/mnist/train/');
  expect(s3.keys(DEST)).toEqual(['mnist/train/other.gz']);
  expect(deletes().sort()).toEqual(MNIST_KEYS.map((k) => `mnist/train/${k}`).sort());
});

test('delete of an object it did not copy deletes nothing', async () => {
  s3.put(DEST, 'mnist/train/train-images-idx3-ubyte.gz', 'someone else');
  await onEvent(event('Delete', {}, 's3://mnist-data-bucket/mnist/train/'), deps);
  expect(deletes()).toEqual([]);
  expect(s3.keys(DEST)).toEqual(['mnist/train/train-images-idx3-ubyte.gz']);
});

test('a create that fails half-way removes the copies it made (the Provider framework answers the Delete after it)', async () => {
  s3.put(DEST, 'mnist/train/t10k-images-idx3-ubyte.gz', 'a user file');
  const keys = [MNIST_KEYS[0], MNIST_KEYS[1], 'missing.gz', MNIST_KEYS[2]];
  await expect(onEvent(event('Create', { Keys: keys }), deps)).rejects.toThrow(/missing\.gz does not exist/);
  expect(copies()).toEqual([`mnist/train/${MNIST_KEYS[0]}`, `mnist/train/${MNIST_KEYS[1]}`]);
  expect(s3.keys(DEST)).toEqual(['mnist/train/t10k-images-idx3-ubyte.gz']);
  expect(lines).toContain('Create failed: removed the 2 copies it had made');
});

test('a failed update keeps the copies (CloudFormation rolls it back with another Update)', async () => {
  await onEvent(event('Create'), deps);
  await expect(onEvent(event('Update', { Keys: [...MNIST_KEYS, 'missing.gz'] }, 's3://mnist-data-bucket/mnist/train/'), deps)).rejects.toThrow(/missing\.gz/);
  expect(s3.keys(DEST)).toHaveLength(4);
  expect(deletes()).toEqual([]);
});

test('without s3:ListBucket S3 answers 403 for the missing copy: the error names the missing permission', async () => {
  s3.withoutListBucket(DEST);
  await expect(onEvent(event('Create'), deps)).rejects.toThrow(
    "HeadObject s3://mnist-data-bucket/mnist/train/train-images-idx3-ubyte.gz was denied (403). S3 answers 403 instead of 404 for a missing object unless the caller may list the bucket: " +
      "the copy handler's role needs s3:ListBucket on bucket mnist-data-bucket for prefix 'mnist/train/' (condition s3:prefix StringLike 'mnist/train/*') and s3:GetObject on the object.",
  );
  expect(copies()).toEqual([]);
});

test('the Delete path needs s3:ListBucket too: a 403 there names it instead of passing silently', async () => {
  await onEvent(event('Create'), deps);
  s3.buckets.get(DEST)!.delete(`mnist/train/${MNIST_KEYS[0]}`); // removed by hand: HEAD now asks about a missing key
  s3.withoutListBucket(DEST);
  await expect(onEvent(event('Delete', {}, 's3://mnist-data-bucket/mnist/train/'), deps)).rejects.toThrow(/needs s3:ListBucket on bucket mnist-data-bucket for prefix 'mnist\/train\/'/);
});

test('without a key list, a refused listing of the destination on Delete names s3:ListBucket on that prefix', async () => {
  await onEvent(event('Create', { Keys: undefined, DestinationPrefix: 'all/' }), deps);
  s3.withoutListBucket(DEST);
  await expect(onEvent(event('Delete', { Keys: undefined, DestinationPrefix: 'all/' }, 's3://mnist-data-bucket/all/'), deps)).rejects.toThrow(
    "ListObjectsV2 s3://mnist-data-bucket/all/ was denied (403): the copy handler's role needs s3:ListBucket on bucket mnist-data-bucket for prefix 'all/' (condition s3:prefix StringLike 'all/*').",
  );
});

test('a 403 on a source object says it may be missing, since the source bucket may not be listable', async () => {
  s3.withoutListBucket(SOURCE);
  await expect(onEvent(event('Create', { Keys: ['nope.gz'] }), deps)).rejects.toThrow(
    'HeadObject s3://sagemaker-sample-files/datasets/image/MNIST/nope.gz was denied (403). S3 answers 403 instead of 404 for a missing object unless the caller may list the bucket, ' +
      "so either the source object does not exist (check the source bucket, prefix and keys) or the copy handler's role lacks s3:GetObject on it.",
  );
});

test('update at the same destination copies new keys and removes its copies of keys no longer listed', async () => {
  await onEvent(event('Create', { Keys: MNIST_KEYS.slice(0, 3) }), deps);
  const physicalId = 's3://mnist-data-bucket/mnist/train/';
  const result = await onEvent(event('Update', { Keys: MNIST_KEYS.slice(1) }, physicalId, { Keys: MNIST_KEYS.slice(0, 3) }), deps);
  expect(result.PhysicalResourceId).toBe(physicalId);
  expect(s3.keys(DEST)).toEqual(MNIST_KEYS.slice(1).map((k) => `mnist/train/${k}`).sort());
});

test('update from copying everything to a key list removes its copies of the keys left out', async () => {
  await onEvent(event('Create', { Keys: undefined }), deps);
  s3.put(DEST, 'mnist/train/user.txt', 'not ours');
  expect(s3.keys(DEST)).toHaveLength(6);
  await onEvent(event('Update', { Keys: MNIST_KEYS.slice(0, 2) }, 's3://mnist-data-bucket/mnist/train/', { Keys: undefined }), deps);
  expect(s3.keys(DEST)).toEqual([...MNIST_KEYS.slice(0, 2), 'user.txt'].map((k) => `mnist/train/${k}`).sort());
});

test('a rollback (an Update back to the old key list) restores the old copies and removes the new ones', async () => {
  const physicalId = 's3://mnist-data-bucket/mnist/train/';
  await onEvent(event('Create', { Keys: MNIST_KEYS.slice(0, 2) }), deps);
  await onEvent(event('Update', { Keys: MNIST_KEYS.slice(2) }, physicalId, { Keys: MNIST_KEYS.slice(0, 2) }), deps);
  await onEvent(event('Update', { Keys: MNIST_KEYS.slice(0, 2) }, physicalId, { Keys: MNIST_KEYS.slice(2) }), deps);
  expect(s3.keys(DEST)).toEqual(MNIST_KEYS.slice(0, 2).map((k) => `mnist/train/${k}`).sort());
});

test('update to a new destination gets a new physical id; CloudFormation\'s Delete of the old one cleans the old place', async () => {
  await onEvent(event('Create'), deps);
  const moved = await onEvent(event('Update', { DestinationPrefix: 'mnist/v2/' }, 's3://mnist-data-bucket/mnist/train/'), deps);
  expect(moved.PhysicalResourceId).toBe('s3://mnist-data-bucket/mnist/v2/');
  expect(s3.keys(DEST)).toHaveLength(8);
  await onEvent(event('Delete', {}, 's3://mnist-data-bucket/mnist/train/'), deps); // old properties
  expect(s3.keys(DEST)).toEqual(MNIST_KEYS.map((k) => `mnist/v2/${k}`).sort());
});

test('a changed source object is copied again', async () => {
  await onEvent(event('Create'), deps);
  s3.put(SOURCE, `${SOURCE_PREFIX}${MNIST_KEYS[0]}`, 'fixed bytes', { contentType: 'application/x-gzip' });
  s3.calls.length = 0;
  await onEvent(event('Update', {}, 's3://mnist-data-bucket/mnist/train/'), deps);
  expect(copies()).toEqual([`mnist/train/${MNIST_KEYS[0]}`]);
  expect(s3.get(DEST, `mnist/train/${MNIST_KEYS[0]}`)!.body.toString()).toBe('fixed bytes');
});

test('without a key list it copies everything under the source prefix (paginated) and deletes only its own', async () => {
  s3.put(DEST, 'all/mine-not.txt', 'user file');
  await onEvent(event('Create', { Keys: undefined, DestinationPrefix: 'all/' }), deps);
  expect(s3.keys(DEST)).toEqual([...MNIST_KEYS, 'README.txt', 'mine-not.txt'].map((k) => `all/${k}`).sort());
  expect(s3.calls.filter((c) => c.operation === 'ListObjectsV2')).toHaveLength(3); // 5 keys, 2 per page
  await onEvent(event('Delete', { Keys: undefined, DestinationPrefix: 'all/' }, 's3://mnist-data-bucket/all/'), deps);
  expect(s3.keys(DEST)).toEqual(['all/mine-not.txt']);
});

test('a missing source object fails with a message naming it', async () => {
  await expect(onEvent(event('Create', { Keys: ['nope.gz'] }), deps)).rejects.toThrow(
    'Source object s3://sagemaker-sample-files/datasets/image/MNIST/nope.gz does not exist; check the bucket, prefix and keys',
  );
});

test('an empty source prefix fails clearly instead of copying nothing', async () => {
  await expect(onEvent(event('Create', { Keys: undefined, SourcePrefix: 'empty/' }), deps)).rejects.toThrow(
    'Nothing to copy: s3://sagemaker-sample-files/empty/ has no objects',
  );
});

test('SlowDown and throttled HEADs are retried (by the SDK), each retry logged', async () => {
  s3.throttle('CopyObject', 2);
  s3.throttle('HeadObject', 1);
  await onEvent(event('Create'), deps);
  expect(s3.keys(DEST)).toHaveLength(4);
  expect(copies()).toHaveLength(6);
  expect(lines.filter((l) => / on attempt \d, retried after \d+ ms$/.test(l))).toEqual([
    expect.stringMatching(/^HeadObject s3:\/\/sagemaker-sample-files\/datasets\/image\/MNIST\/train-images-idx3-ubyte.gz: \w+ on attempt 1,/),
    expect.stringMatching(/^CopyObject s3:\/\/mnist-data-bucket\/mnist\/train\/train-images-idx3-ubyte.gz: SlowDown on attempt 1,/),
    expect.stringMatching(/^CopyObject s3:\/\/mnist-data-bucket\/mnist\/train\/train-images-idx3-ubyte.gz: SlowDown on attempt 2,/),
  ]);
});

test('SlowDown that never ends fails the create after the SDK\'s 8 attempts', async () => {
  s3.throttle('CopyObject', Infinity);
  await expect(onEvent(event('Create'), deps)).rejects.toThrow(/Please reduce your request rate/);
  expect(copies()).toHaveLength(8); // MAX_ATTEMPTS (lambda/shared/retry.ts) for the first key, then the Create gives up
  expect(s3.keys(DEST)).toEqual([]);
  expect(lines.filter((l) => /^CopyObject .*: SlowDown on attempt \d, retried after \d+ ms$/.test(l))).toHaveLength(7);
});

test('an access error is not retried', async () => {
  s3.withoutListBucket(DEST);
  await expect(onEvent(event('Create'), deps)).rejects.toThrow(/needs s3:ListBucket/);
  // The copy's HEAD and the clean-up's HEAD of the same missing key: one attempt each.
  expect(s3.calls.filter((c) => c.operation === 'HeadObject' && c.bucket === DEST)).toHaveLength(2);
  expect(lines.filter((l) => / on attempt /.test(l))).toEqual([]);
});

describe('Revision: changes exactly when the copied data changes (readers put it in their properties)', () => {
  const revisionOf = async (e: CloudFormationCustomResourceEvent) => (await onEvent(e, deps)).Data!.Revision;

  test('the same source objects give the same revision: again, after a Delete and re-Create, and at another destination', async () => {
    const first = await revisionOf(event('Create'));
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await revisionOf(event('Update', {}, 's3://mnist-data-bucket/mnist/train/'))).toBe(first);
    await onEvent(event('Delete', {}, 's3://mnist-data-bucket/mnist/train/'), deps);
    expect(await revisionOf(event('Create'))).toBe(first);
    expect(await revisionOf(event('Create', { DestinationBucketName: 'another-bucket' }))).toBe(first);
  });

  test('one source object changed by one byte, or a key more or less, is another revision', async () => {
    const first = await revisionOf(event('Create'));
    s3.put(SOURCE, `${SOURCE_PREFIX}${MNIST_KEYS[0]}`, `gzip bytes of ${MNIST_KEYS[0]}!`);
    const changed = await revisionOf(event('Update', {}, 's3://mnist-data-bucket/mnist/train/'));
    expect(changed).not.toBe(first);
    const fewer = await revisionOf(event('Update', { Keys: MNIST_KEYS.slice(1) }, 's3://mnist-data-bucket/mnist/train/'));
    expect(new Set([first, changed, fewer]).size).toBe(3);
  });

  test('an object it left alone (not its own) counts with its own ETag: the revision describes what the reader gets', async () => {
    const first = await revisionOf(event('Create', { DestinationBucketName: 'clean-bucket' }));
    s3.put(DEST, `mnist/train/${MNIST_KEYS[0]}`, 'someone else\'s bytes');
    expect(await revisionOf(event('Create'))).not.toBe(first);
  });
});
