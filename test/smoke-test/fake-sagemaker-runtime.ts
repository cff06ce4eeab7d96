// A fake of the SageMaker runtime's InvokeEndpoint on loopback (node:http on 127.0.0.1, random
// port), for the real @aws-sdk/client-sagemaker-runtime client to call. It speaks the service's
// wire shape: POST /endpoints/{name}/invocations; errors as HTTP status + x-amzn-ErrorType + JSON
// body, as the real service sends them (ModelError 424 with the model's original status and
// message; ThrottlingException as HTTP 400 with {"message": null}; ModelNotReadyException 429;
// ValidationError 400 for an unknown endpoint; ServiceUnavailable 503; InternalFailure 500).
// It answers from the true labels of the digits it knows, so right answers need no model.
// It also answers SageMaker's control-plane DescribeEndpoint (awsJson1_1: POST / with
// X-Amz-Target: SageMaker.DescribeEndpoint) for endpoints declared with serves(), so the smoke test's
// served-configuration check runs against the same loopback URL (AWS_ENDPOINT_URL) as its digits,
// and CloudFormation's DescribeStacks (awsQuery: a form-encoded POST with Action=DescribeStacks, an
// XML answer) with the status `stack` sets, for the smoke test's "is my stack rolling back?" question.
import * as http from 'http';
import { decodeNpy, encodeNpy } from '../../lambda/shared/npy';
import { LoopbackServer } from '../support/loopback-server';

const PIXELS = 784;
const ACCOUNT = '123456789012';

export type ServiceErrorName =
  | 'ModelError'
  | 'ThrottlingException'
  | 'ModelNotReadyException'
  | 'ServiceUnavailable'
  | 'InternalFailure'
  | 'ValidationError';

/** What the endpoint does with one request. */
export type Step =
  | { kind: 'correct' }
  /** Wrong label for the known digits at these indices (of the digits the fake was given). */
  | { kind: 'wrong'; indices: number[] }
  | { kind: 'shape'; classes: number }
  /** log_softmax output instead of probabilities (the article's network's raw output). */
  | { kind: 'log-probabilities' }
  /** Every value in [0,1] but each row sums to `sum` (e.g. sigmoid scores, or probabilities scaled by mistake). */
  | { kind: 'unnormalized'; sum: number }
  | { kind: 'error'; error: ServiceErrorName; originalStatus?: number; message?: string }
  | { kind: 'hang' };

export interface RecordedRequest {
  readonly endpointName: string;
  readonly contentType?: string;
  readonly accept?: string;
  readonly images: number;
  readonly signed: boolean;
}

export interface KnownDigit {
  readonly pixels: Uint8Array;
  readonly label: number;
}

const STATUS: Record<ServiceErrorName, number> = {
  ModelError: 424,
  ThrottlingException: 400,
  ModelNotReadyException: 429,
  ServiceUnavailable: 503,
  InternalFailure: 500,
  ValidationError: 400,
};

/** What DescribeEndpoint says about an endpoint. */
export interface ServedEndpoint {
  readonly endpointConfigName: string;
  /** @default InService */
  readonly status?: string;
  readonly failureReason?: string;
  /** The AutoRollbackConfiguration alarms of its LastDeploymentConfig; none: no LastDeploymentConfig. */
  readonly rollbackAlarms?: string[];
  /** An update in progress (PendingDeploymentSummary). */
  readonly pendingConfigName?: string;
}

export class FakeSageMakerRuntime {
  readonly requests: RecordedRequest[] = [];
  /** DescribeEndpoint calls, by endpoint name. */
  readonly describeRequests: Array<{ endpointName: string; signed: boolean }> = [];
  /** DescribeStacks calls, by the StackName asked about (the stack id). */
  readonly describeStacksRequests: Array<{ stackName: string; signed: boolean }> = [];
  /** Every call in arrival order: `DescribeStacks <id>`, `DescribeEndpoint <name>` or `InvokeEndpoint <name>`. */
  readonly calls: string[] = [];
  /** What DescribeStacks answers for any stack; an `error` makes it fail (HTTP 403 for AccessDenied, 400 otherwise, as CloudFormation answers). */
  stack: { status: string } | { error: string; message?: string } = { status: 'UPDATE_IN_PROGRESS' };
  private readonly described = new Map<string, ServedEndpoint>();
  private throttledDescribes = 0;
  private readonly server = new LoopbackServer((req, res) => this.handle(req, res));
  private readonly scripts = new Map<string, Step[]>();
  private readonly served = new Map<string, number>();
  private readonly known = new Map<string, { label: number; index: number }>();

  constructor(digits: KnownDigit[]) {
    digits.forEach((digit, index) => this.known.set(Buffer.from(digit.pixels).toString('base64'), { label: digit.label, index }));
  }

  async start(): Promise<string> {
    return this.server.start();
  }

  get url(): string {
    return this.server.url;
  }

  /** Declares an endpoint: its n-th request follows steps[n] (the last step repeats). */
  endpoint(name: string, ...steps: Step[]): this {
    this.scripts.set(name, steps.length > 0 ? steps : [{ kind: 'correct' }]);
    this.served.set(name, 0);
    return this;
  }

  /** Declares (or changes) what DescribeEndpoint answers for `name`. */
  serves(name: string, description: ServedEndpoint): this {
    this.described.set(name, description);
    return this;
  }

  /** The next `times` DescribeEndpoint calls are throttled (HTTP 400 ThrottlingException, as SageMaker answers). */
  throttleDescribe(times: number): this {
    this.throttledDescribes = times;
    return this;
  }

  requestsTo(name: string): RecordedRequest[] {
    return this.requests.filter((request) => request.endpointName === name);
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return this.describeStacks(req, new URLSearchParams(body.toString('utf8')), res);
    }
    const target = req.headers['x-amz-target'];
    if (req.method === 'POST' && req.url === '/' && typeof target === 'string') return this.handleControlPlane(req, res, target, body);
    const match = /^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) {
      return this.sendError(res, 'ValidationError', `Unknown operation ${req.method} ${req.url}`);
    }
    const endpointName = decodeURIComponent(match[1]);
    this.calls.push(`InvokeEndpoint ${endpointName}`);
    const steps = this.scripts.get(endpointName);
    if (!steps) {
      return this.sendError(res, 'ValidationError', `Endpoint ${endpointName} of account ${ACCOUNT} not found.`);
    }
    const n = this.served.get(endpointName) ?? 0;
    this.served.set(endpointName, n + 1);
    const step = steps[Math.min(n, steps.length - 1)];
    const contentType = req.headers['content-type'];
    const accept = req.headers.accept;

    let images: Uint8Array[];
    try {
      images = parseImages(body, contentType);
    } catch (error) {
      this.requests.push({ endpointName, contentType, accept, images: 0, signed: isSigned(req) });
      return this.sendModelError(res, endpointName, 400, (error as Error).message);
    }
    this.requests.push({ endpointName, contentType, accept, images: images.length, signed: isSigned(req) });

    switch (step.kind) {
      case 'hang':
        return; // never answer; the client must time out
      case 'error':
        if (step.error === 'ModelError') {
          return this.sendModelError(res, endpointName, step.originalStatus ?? 500, step.message ?? 'boom');
        }
        return this.sendError(res, step.error, step.message ?? (step.error === 'ThrottlingException' ? null : `${step.error} from the fake`));
      default:
        break;
    }
    const classes = step.kind === 'shape' ? step.classes : 10;
    const rows = images.map((pixels) => {
      const known = this.known.get(Buffer.from(pixels).toString('base64'));
      let label = known?.label ?? 0;
      if (step.kind === 'wrong' && known && step.indices.includes(known.index)) label = (label + 3) % 10;
      const row = Array.from({ length: classes }, (_, k) => (k === label ? 0.91 : 0.09 / (classes - 1)));
      if (step.kind === 'log-probabilities') return row.map(Math.log);
      if (step.kind === 'unnormalized') return row.map((p) => p * step.sum);
      return row;
    });
    const wantsNpy = (accept ?? '').includes('application/x-npy');
    res.writeHead(200, {
      'Content-Type': wantsNpy ? 'application/x-npy' : 'application/json',
      'x-Amzn-Invoked-Production-Variant': 'AllTraffic',
      'x-amzn-RequestId': `req-${this.requests.length}`,
    });
    res.end(wantsNpy ? encodeNpy(rows.flat(), [rows.length, classes], 'float32') : JSON.stringify(rows));
  }

  private handleControlPlane(req: http.IncomingMessage, res: http.ServerResponse, target: string, body: Buffer): void {
    const jsonError = (type: string, message: string) => {
      res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': type, 'x-amzn-RequestId': 'req-error' });
      res.end(JSON.stringify({ __type: type, message }));
    };
    if (target !== 'SageMaker.DescribeEndpoint') return jsonError('UnknownOperationException', `The fake answers DescribeEndpoint only, not ${target}`);
    const endpointName = String((JSON.parse(body.toString('utf8') || '{}') as { EndpointName?: unknown }).EndpointName);
    this.describeRequests.push({ endpointName, signed: isSigned(req) });
    this.calls.push(`DescribeEndpoint ${endpointName}`);
    if (this.throttledDescribes > 0) {
      this.throttledDescribes--;
      return jsonError('ThrottlingException', 'Rate exceeded');
    }
    const arn = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${endpointName.toLowerCase()}`;
    const served = this.described.get(endpointName);
    if (!served) return jsonError('ValidationException', `Could not find endpoint "${arn}".`);
    const now = Math.floor(Date.now() / 1000);
    res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': `req-describe-${this.describeRequests.length}` });
    res.end(JSON.stringify({
      EndpointName: endpointName,
      EndpointArn: arn,
      EndpointConfigName: served.endpointConfigName,
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 1, DesiredWeight: 1, CurrentInstanceCount: 1, DesiredInstanceCount: 1 }],
      EndpointStatus: served.status ?? 'InService',
      ...(served.failureReason ? { FailureReason: served.failureReason } : {}),
      CreationTime: now - 3600,
      LastModifiedTime: now,
      ...(served.rollbackAlarms ? {
        LastDeploymentConfig: {
          BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 }, TerminationWaitInSeconds: 300, MaximumExecutionTimeoutInSeconds: 2100 },
          AutoRollbackConfiguration: { Alarms: served.rollbackAlarms.map((AlarmName) => ({ AlarmName })) },
        },
      } : {}),
      ...(served.pendingConfigName ? { PendingDeploymentSummary: { EndpointConfigName: served.pendingConfigName, StartTime: now - 60 } } : {}),
    }));
  }

  private describeStacks(req: http.IncomingMessage, form: URLSearchParams, res: http.ServerResponse): void {
    const stackName = form.get('StackName') ?? '';
    const xml = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': 'fake' });
      res.end(body);
    };
    if (form.get('Action') !== 'DescribeStacks' || form.get('Version') !== '2010-05-15') {
      return xml(400, stackErrorXml('InvalidAction', `${form.get('Action')} (version ${form.get('Version')}) is not supported here`));
    }
    this.describeStacksRequests.push({ stackName, signed: isSigned(req) });
    this.calls.push(`DescribeStacks ${stackName}`);
    if ('error' in this.stack) {
      const message = this.stack.message ?? `User: arn:aws:sts::${ACCOUNT}:assumed-role/smoke-test is not authorized to perform: cloudformation:DescribeStacks on resource: ${stackName}`;
      return xml(this.stack.error === 'AccessDenied' ? 403 : 400, stackErrorXml(this.stack.error, message));
    }
    const name = /:stack\/([^/]+)\//.exec(stackName)?.[1] ?? stackName;
    xml(200,
      '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>' +
        `<StackId>${stackName}</StackId><StackName>${name}</StackName><StackStatus>${this.stack.status}</StackStatus>` +
        '<CreationTime>2026-11-30T00:00:00.000Z</CreationTime></member></Stacks></DescribeStacksResult>' +
        '<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></DescribeStacksResponse>');
  }

  private sendError(res: http.ServerResponse, name: ServiceErrorName, message: string | null): void {
    res.writeHead(STATUS[name], { 'Content-Type': 'application/json', 'x-amzn-ErrorType': name, 'x-amzn-RequestId': 'req-error' });
    res.end(JSON.stringify({ message }));
  }

  /** The container answered with an error status: SageMaker wraps it as 424 ModelError. */
  private sendModelError(res: http.ServerResponse, endpointName: string, status: number, message: string): void {
    const kind = status < 500 ? 'client' : 'server';
    const logs = `/aws/sagemaker/Endpoints/${endpointName}`;
    res.writeHead(424, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ModelError', 'x-amzn-RequestId': 'req-error' });
    res.end(
      JSON.stringify({
        ErrorCode: `${kind.toUpperCase()}_ERROR_FROM_MODEL`,
        LogStreamArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${logs}`,
        Message: `Received ${kind} error (${status}) from primary with message "${message}". See https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:group=${logs} in account ${ACCOUNT} for more information.`,
        OriginalMessage: message,
        OriginalStatusCode: status,
      }),
    );
  }
}

function stackErrorXml(code: string, message: string): string {
  return `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`;
}

function isSigned(req: http.IncomingMessage): boolean {
  return (req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=');
}

/** Reads an (N,1,28,28) or (N,28,28) batch the way the model's input_fn would; 0..255 values. */
function parseImages(body: Buffer, contentType: string | undefined): Uint8Array[] {
  let values: ArrayLike<number>;
  let shape: readonly number[];
  if (contentType === 'application/x-npy') {
    const array = decodeNpy(body);
    values = array.data;
    shape = array.shape;
  } else if (contentType === 'application/json') {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    const dims: number[] = [];
    for (let level: unknown = parsed; Array.isArray(level); level = level[0]) dims.push(level.length);
    values = (parsed as unknown[]).flat(3) as number[];
    shape = dims;
  } else {
    throw new Error(`Unsupported content type ${contentType}`);
  }
  const count = shape[0];
  if (!(shape.length === 4 && shape[1] === 1 && shape[2] === 28 && shape[3] === 28) && !(shape.length === 3 && shape[1] === 28 && shape[2] === 28)) {
    throw new Error(`Expected shape (N, 1, 28, 28), got (${shape.join(', ')})`);
  }
  return Array.from({ length: count }, (_, n) => Uint8Array.from({ length: PIXELS }, (_, p) => Math.round(values[n * PIXELS + p])));
}
