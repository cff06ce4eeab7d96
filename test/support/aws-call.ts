// Names the AWS API call an SDK request on the wire is (service, operation, parameters), from
// what the SDK sends: the SigV4 credential scope, X-Amz-Target for JSON services, the form's Action
// for query services (CloudFormation), method and path for S3 (path style, as the SDK uses for an
// IP endpoint) and the SageMaker runtime.
// A request it cannot name throws, so a new kind of call can never slip past the permissions proof.
import type { IncomingHttpHeaders } from 'http';

export interface AwsCall {
  /** The SigV4 signing name: s3, sagemaker (the runtime signs as sagemaker too), iam, ... */
  readonly service: string;
  readonly operation: string;
  readonly region: string;
  readonly accessKeyId: string;
  /** The request's parameters: the JSON body, or what S3 carries in the path, query and headers. */
  readonly params: Record<string, unknown>;
  /** HTTP status of the answer, once known. */
  status?: number;
}

export interface WireRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function describeAwsRequest(request: WireRequest): AwsCall {
  const authorization = header(request.headers, 'authorization') ?? '';
  const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  if (!scope) throw new Error(`unsigned request ${request.method} ${request.url}: every handler call must be signed`);
  const [, accessKeyId, region, service] = scope;
  const url = new URL(request.url, 'http://loopback');
  const base = { service, region, accessKeyId };

  const target = header(request.headers, 'x-amz-target');
  if (target) {
    const operation = target.slice(target.indexOf('.') + 1);
    return { ...base, operation, params: request.body.length > 0 ? (JSON.parse(request.body.toString('utf8')) as Record<string, unknown>) : {} };
  }
  // The query protocol (CloudFormation): a form-encoded POST naming its Action.
  if (request.method === 'POST' && (header(request.headers, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
    const { Action, Version, ...params } = Object.fromEntries(new URLSearchParams(request.body.toString('utf8')));
    if (Action && Version) return { ...base, operation: Action, params };
  }
  const invocation = /^\/endpoints\/([^/]+)\/invocations$/.exec(url.pathname);
  if (service === 'sagemaker' && invocation) {
    return { ...base, operation: 'InvokeEndpoint', params: { EndpointName: decodeURIComponent(invocation[1]) } };
  }
  if (service === 's3') return { ...base, ...describeS3(request.method, url, request.headers) };
  throw new Error(`cannot name the ${service} call ${request.method} ${request.url} (add it to test/support/aws-call.ts)`);
}

function describeS3(method: string, url: URL, headers: IncomingHttpHeaders): { operation: string; params: Record<string, unknown> } {
  const [, bucket, ...rest] = url.pathname.split('/');
  const key = rest.map(decodeURIComponent).join('/');
  const Bucket = decodeURIComponent(bucket ?? '');
  const query = url.searchParams;
  if (!Bucket) throw new Error(`S3 request without a bucket: ${method} ${url.pathname}`);
  if (key === '') {
    if (method === 'GET' && query.get('list-type') === '2') return { operation: 'ListObjectsV2', params: { Bucket, Prefix: query.get('prefix') ?? '' } };
    if (method === 'GET' && query.has('location')) return { operation: 'GetBucketLocation', params: { Bucket } };
    if (method === 'HEAD') return { operation: 'HeadBucket', params: { Bucket } };
  } else if ([...query.keys()].filter((k) => k !== 'x-id').length === 0) {
    const copySource = header(headers, 'x-amz-copy-source');
    if (method === 'HEAD') return { operation: 'HeadObject', params: { Bucket, Key: key } };
    if (method === 'GET') return { operation: 'GetObject', params: { Bucket, Key: key } };
    if (method === 'PUT' && copySource) return { operation: 'CopyObject', params: { Bucket, Key: key, CopySource: decodeURIComponent(copySource) } };
    if (method === 'PUT') return { operation: 'PutObject', params: { Bucket, Key: key } };
    if (method === 'DELETE') return { operation: 'DeleteObject', params: { Bucket, Key: key } };
  }
  throw new Error(`cannot name the S3 call ${method} ${url.pathname}${url.search} (add it to test/support/aws-call.ts)`);
}
