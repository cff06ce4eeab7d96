// The data copy's bundle, exactly as `cdk synth` wrote it, against moto's S3 with moto's IAM
// enforcement on: the handler signs with a moto IAM user that carries the synthesized role's
// policies, so a call the role does not allow fails here as it would in AWS. Moto answers 404 to
// a HEAD of a missing key whoever asks; the fixture adds S3's 403-without-ListBucket rule
// (test/cloud/cloud-fixture.ts), which is what broke the first deploy on a fresh account.
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CloudRun, createIamUser, Credentials, Properties, REGION } from './cloud-fixture';

const TYPE = 'Custom::S3PrefixCopy';
const FOREIGN_KEY = 'README.txt';

let run: CloudRun;
let props: Properties;
let handlerCredentials: Credentials;
let nobody: Credentials;
/** The handler's policies less the ListDestinationPrefix statement. */
let withoutList: Credentials;
let physicalId: string;
const saved = { ...process.env };

const keys = (): string[] => props.Keys as string[];
const destinationKey = (key: string): string => `${String(props.DestinationPrefix)}${key}`;
const sourceKey = (key: string): string => `${String(props.SourcePrefix)}${key}`;
const copies = (): number => run.proxy.callsOf('s3', 'CopyObject').length;

async function body(bucket: string, key: string): Promise<string> {
  const answer = await run.admin.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return answer.Body!.transformToString();
}

async function destinationKeys(): Promise<string[]> {
  // No Prefix parameter: moto's SigV4 check mis-computes signatures of a query with an encoded '/'.
  const page = await run.admin.s3.send(new ListObjectsV2Command({ Bucket: String(props.DestinationBucketName) }));
  return (page.Contents ?? []).map((o) => o.Key!).filter((k) => k.startsWith(String(props.DestinationPrefix))).sort();
}

function copy(requestType: 'Create' | 'Update' | 'Delete', properties: Properties = props, old: Properties = props): Promise<Record<string, unknown>> {
  const event = run.event(TYPE, requestType, properties, { old: requestType === 'Update' ? old : undefined, physicalId });
  return run.invoke(run.copyFunction(), handlerCredentials, event);
}

/** The Revision attribute a copy returned: what the training channel carries. */
const revisionOf = (result: Record<string, unknown>): string => String((result.Data as Record<string, string>).Revision);
/** Revisions as the steps returned them. */
const revisions: { created?: string; sourceChanged?: string } = {};

beforeAll(async () => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  run = await CloudRun.start();
  props = run.properties(TYPE);
  const s3 = run.admin.s3;
  for (const bucket of [String(props.SourceBucketName), String(props.DestinationBucketName)]) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
  }
  for (const key of keys()) {
    await s3.send(new PutObjectCommand({ Bucket: String(props.SourceBucketName), Key: sourceKey(key), Body: `idx data of ${key}`, ContentType: 'application/x-gzip' }));
  }
  // The user's own file next to the copies: never the handler's to delete.
  await s3.send(new PutObjectCommand({ Bucket: String(props.DestinationBucketName), Key: destinationKey(FOREIGN_KEY), Body: 'mine' }));
  handlerCredentials = await run.credentialsFor(run.copyFunction());
  withoutList = await run.credentialsFor(run.copyFunction(), (sid) => sid === 'ListDestinationPrefix');
  nobody = await createIamUser(run.moto.url, 'nobody', []);
  await run.moto.enforceIam(true);
}, 20 * 60_000); // bounded; the first run on a new machine may build .venv for moto

afterAll(async () => {
  process.env = { ...saved };
  jest.restoreAllMocks();
  await run?.stop();
});

test('moto enforces IAM: a user without policies is refused', async () => {
  const s3 = new S3Client({ region: REGION, endpoint: run.moto.url, forcePathStyle: true, credentials: nobody });
  try {
    await expect(s3.send(new HeadObjectCommand({ Bucket: String(props.SourceBucketName), Key: sourceKey(keys()[0]) }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
  } finally {
    s3.destroy();
  }
});

test('without the role\'s ListBucket statement the first Create fails as in AWS, with an error naming s3:ListBucket', async () => {
  const event = run.event(TYPE, 'Create', props);
  await expect(run.invoke(run.copyFunction(), withoutList, event)).rejects.toThrow(/s3:ListBucket/);
  expect(run.proxy.calls.filter((c) => c.accessKeyId === withoutList.accessKeyId && c.operation === 'HeadObject').map((c) => c.status)).toContain(403);
  expect(copies()).toBe(0);
});

test('Create on a fresh bucket copies every listed object, each marked as this resource\'s copy', async () => {
  const result = await copy('Create');
  physicalId = String(result.PhysicalResourceId);
  revisions.created = revisionOf(result);
  expect(revisions.created).toMatch(/^[0-9a-f]{64}$/);
  expect(result).toMatchObject({ Data: { ObjectCount: String(keys().length), DestinationS3Uri: `s3://${String(props.DestinationBucketName)}/${String(props.DestinationPrefix)}` } });
  // Every destination HEAD missed, and got S3's 404 rather than 403 (the first-deploy failure).
  const destinationHeads = run.proxy.callsOf('s3', 'HeadObject')
    .filter((c) => c.accessKeyId === handlerCredentials.accessKeyId && c.params.Bucket === props.DestinationBucketName);
  expect(destinationHeads.map((c) => c.status)).toEqual(keys().map(() => 404));
  expect(copies()).toBe(keys().length);
  for (const key of keys()) {
    expect(await body(String(props.DestinationBucketName), destinationKey(key))).toBe(`idx data of ${key}`);
    const head = await run.admin.s3.send(new HeadObjectCommand({ Bucket: String(props.DestinationBucketName), Key: destinationKey(key) }));
    expect(head.Metadata?.['copied-by']).toMatch(/\/TrainingDataCopy[0-9A-F]+$/);
    expect(head.ContentType).toBe('application/x-gzip');
  }
});

test('an Update with nothing changed copies nothing and returns the same Revision', async () => {
  const before = copies();
  expect(revisionOf(await copy('Update'))).toBe(revisions.created);
  expect(copies()).toBe(before);
});

test('an Update after a source object changed copies that object only', async () => {
  const [changed] = keys();
  await run.admin.s3.send(new PutObjectCommand({ Bucket: String(props.SourceBucketName), Key: sourceKey(changed), Body: 'new idx data', ContentType: 'application/x-gzip' }));
  const before = copies();
  revisions.sourceChanged = revisionOf(await copy('Update'));
  expect(copies()).toBe(before + 1);
  expect(await body(String(props.DestinationBucketName), destinationKey(changed))).toBe('new idx data');
  // Changed data, changed Revision: the training job that reads it gets an Update.
  expect(revisions.sourceChanged).not.toBe(revisions.created);
});

test('an Update to fewer keys, then CloudFormation\'s rollback Update (the old keys again): the rollback returns the earlier Revision', async () => {
  const fewer = { ...props, Keys: keys().slice(1) };
  const updated = await copy('Update', fewer, props);
  expect(revisionOf(updated)).not.toBe(revisions.sourceChanged);
  expect(await destinationKeys()).not.toContain(destinationKey(keys()[0]));
  // A later resource failed: the old properties come back while the stack rolls back.
  const rolledBack = await copy('Update', props, fewer);
  expect(rolledBack.PhysicalResourceId).toBe(physicalId);
  expect(revisionOf(rolledBack)).toBe(revisions.sourceChanged);
  expect(await body(String(props.DestinationBucketName), destinationKey(keys()[0]))).toBe('new idx data');
});

test('Delete removes its own copies and leaves the user\'s file', async () => {
  await copy('Delete');
  expect(await destinationKeys()).toEqual([destinationKey(FOREIGN_KEY)]);
  expect(await body(String(props.SourceBucketName), sourceKey(keys()[0]))).toBe('new idx data');
});

test('a repeated Delete (CloudFormation retries it) succeeds although every copy is gone', async () => {
  const headsBefore = run.proxy.callsOf('s3', 'HeadObject').length;
  await copy('Delete');
  const heads = run.proxy.callsOf('s3', 'HeadObject').slice(headsBefore);
  expect(heads.length).toBeGreaterThan(0);
  expect(heads.every((c) => c.status === 404)).toBe(true);
});

test('created again after its Delete (e.g. dataSource sample-files → local → sample-files), it returns the same Revision for the same source objects', async () => {
  expect(revisionOf(await copy('Create'))).toBe(revisions.sourceChanged);
  await copy('Delete');
});
