// A small stateful fake of the S3 REST API on loopback (node:http, 127.0.0.1, random port) for the
// real @aws-sdk/client-s3 client (path-style). It implements what S3PrefixCopy uses, the way S3
// answers: HeadObject (404 without a body when missing), ListObjectsV2 (XML, paginated),
// CopyObject (x-amz-copy-source, metadata directive, copy-source-if-match → 412), DeleteObject
// (204 even when missing), and XML errors such as SlowDown (503). Like S3, a HEAD of a missing key
// answers 403 (not 404) in a bucket the caller may not list, and so does a listing (see withoutListBucket).
import * as crypto from 'crypto';
import * as http from 'http';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../lambda/s3-prefix-copy/client';
import { fastRetries } from '../support/fast-retries';
import { LoopbackServer } from '../support/loopback-server';

export interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly contentType?: string;
  readonly metadata: Record<string, string>;
}

type Operation = 'HeadObject' | 'ListObjectsV2' | 'CopyObject' | 'DeleteObject';

export class FakeS3 {
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  readonly calls: Array<{ operation: Operation; bucket: string; key: string }> = [];
  /** Keys per ListObjectsV2 page (small, to exercise pagination). */
  pageSize = 2;
  private readonly throttles = new Map<Operation, number>();
  private readonly unlistable = new Set<string>();
  private readonly server = new LoopbackServer((req, res) => this.handle(req, res));

  async start(): Promise<void> {
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  get endpoint(): string {
    return this.server.url;
  }

  /** The handler's S3 client (the SDK's retries, 1 ms apart; each retry reported to `log`) pointed at this fake. */
  client(log: (line: string) => void = () => undefined): S3Client {
    return s3Client({
      region: 'eu-west-1',
      endpoint: this.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      ...fastRetries(),
    }, log);
  }

  put(bucket: string, key: string, body: string | Buffer, options: { contentType?: string; metadata?: Record<string, string> } = {}): void {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
    this.buckets.get(bucket)!.set(key, {
      body: data,
      etag: `"${crypto.createHash('md5').update(data).digest('hex')}"`,
      contentType: options.contentType,
      metadata: options.metadata ?? {},
    });
  }

  get(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  keys(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].sort();
  }

  /** The caller lacks s3:ListBucket on `bucket`: listing is refused, and a HEAD of a missing key is 403, not 404. */
  withoutListBucket(bucket: string): void {
    this.unlistable.add(bucket);
  }

  throttle(operation: Operation, count: number): void {
    this.throttles.set(operation, count);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const [bucket, ...keyParts] = url.pathname.slice(1).split('/');
      const key = keyParts.map(decodeURIComponent).join('/');
      const operation: Operation | undefined =
        req.method === 'HEAD' ? 'HeadObject'
        : req.method === 'GET' && url.searchParams.get('list-type') === '2' ? 'ListObjectsV2'
        : req.method === 'PUT' && req.headers['x-amz-copy-source'] ? 'CopyObject'
        : req.method === 'DELETE' ? 'DeleteObject'
        : undefined;
      if (!operation) return this.error(res, 501, 'NotImplemented', `${req.method} ${req.url}`);
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) return this.error(res, 403, 'AccessDenied', 'unsigned');
      this.calls.push({ operation, bucket, key });
      const throttled = this.throttles.get(operation) ?? 0;
      if (throttled > 0) {
        this.throttles.set(operation, throttled - 1);
        return this.error(res, 503, 'SlowDown', 'Please reduce your request rate.', operation === 'HeadObject');
      }
      switch (operation) {
        case 'HeadObject':
          return this.head(res, bucket, key);
        case 'ListObjectsV2':
          if (this.unlistable.has(bucket)) return this.error(res, 403, 'AccessDenied', 'Access Denied');
          return this.list(res, bucket, url.searchParams);
        case 'CopyObject':
          return this.copy(req, res, bucket, key);
        case 'DeleteObject':
          this.buckets.get(bucket)?.delete(key);
          res.writeHead(204);
          return res.end();
      }
    });
  }

  private error(res: http.ServerResponse, status: number, code: string, message: string, noBody = false): void {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(noBody ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fake</RequestId></Error>`);
  }

  private head(res: http.ServerResponse, bucket: string, key: string): void {
    const object = this.get(bucket, key);
    if (!object && this.unlistable.has(bucket)) return this.error(res, 403, 'Forbidden', 'Forbidden', true);
    if (!object) return this.error(res, 404, 'NotFound', 'Not Found', true);
    const headers: Record<string, string> = {
      etag: object.etag,
      'content-length': String(object.body.length),
      'last-modified': new Date(0).toUTCString(),
    };
    if (object.contentType) headers['content-type'] = object.contentType;
    for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
    res.writeHead(200, headers);
    res.end();
  }

  private list(res: http.ServerResponse, bucket: string, params: URLSearchParams): void {
    const prefix = params.get('prefix') ?? '';
    const all = this.keys(bucket).filter((k) => k.startsWith(prefix));
    const start = Number(params.get('continuation-token') ?? '0');
    const page = all.slice(start, start + this.pageSize);
    const truncated = start + this.pageSize < all.length;
    const contents = page.map((k) => `<Contents><Key>${k}</Key><Size>${this.get(bucket, k)!.body.length}</Size><ETag>${this.get(bucket, k)!.etag}</ETag></Contents>`).join('');
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${page.length}</KeyCount>` +
        `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${start + this.pageSize}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`,
    );
  }

  private copy(req: http.IncomingMessage, res: http.ServerResponse, bucket: string, key: string): void {
    const copySource = decodeURIComponent(String(req.headers['x-amz-copy-source'])).replace(/^\//, '');
    const [sourceBucket, ...rest] = copySource.split('/');
    const source = this.get(sourceBucket, rest.join('/'));
    if (!source) return this.error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    const ifMatch = req.headers['x-amz-copy-source-if-match'];
    if (ifMatch && ifMatch !== source.etag) return this.error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    const replace = req.headers['x-amz-metadata-directive'] === 'REPLACE';
    const metadata: Record<string, string> = {};
    if (replace) {
      for (const [name, value] of Object.entries(req.headers)) {
        if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = String(value);
      }
    }
    this.put(bucket, key, source.body, {
      contentType: replace ? (req.headers['content-type'] as string | undefined) : source.contentType,
      metadata: replace ? metadata : { ...source.metadata },
    });
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><ETag>${source.etag}</ETag><LastModified>${new Date().toISOString()}</LastModified></CopyObjectResult>`,
    );
  }
}
