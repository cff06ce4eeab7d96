// A loopback HTTP proxy between the handlers' SDK clients and an AWS emulator (moto, or one of our
// fakes). It records every call by name (test/support/aws-call.ts) with the status it got, which
// is what the permissions proof evaluates, and lets a test amend an answer where the emulator
// models too little (each use says why). Headers, Host included, pass unchanged, so SigV4
// signatures still verify upstream.
import * as http from 'http';
import { AwsCall, describeAwsRequest, WireRequest } from './aws-call';
import { LoopbackServer } from './loopback-server';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface ProxyHooks {
  /** Changes the emulator's answer to `call` (return it unchanged when there is nothing to do). */
  readonly amend?: (call: AwsCall, answer: Answer) => Answer | Promise<Answer>;
}

export class RecordingProxy {
  readonly calls: AwsCall[] = [];
  private readonly server = new LoopbackServer((req, res) => void this.handle(req, res));
  private readonly errors: Error[] = [];

  constructor(private readonly upstream: string, private readonly hooks: ProxyHooks = {}) {}

  start(): Promise<string> {
    return this.server.start();
  }

  get url(): string {
    return this.server.url;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** Calls of one operation, e.g. `callsOf('sagemaker', 'CreateTrainingJob')`. */
  callsOf(service: string, operation: string): AwsCall[] {
    return this.calls.filter((c) => c.service === service && c.operation === operation);
  }

  /** Throws the first request the proxy could not name or forward (a silent 500 would hide it). */
  assertNoErrors(): void {
    if (this.errors.length > 0) throw this.errors[0];
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: WireRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
    try {
      const call = describeAwsRequest(request);
      this.calls.push(call);
      let answer = await this.forward(request);
      if (this.hooks.amend) answer = await this.hooks.amend(call, answer);
      call.status = answer.status;
      // A HEAD answer's content-length is the object's size, not this (empty) body's.
      const headers = request.method === 'HEAD' ? { ...answer.headers } : { ...answer.headers, 'content-length': String(answer.body.length) };
      delete headers['transfer-encoding'];
      res.writeHead(answer.status, headers);
      res.end(request.method === 'HEAD' ? undefined : answer.body);
    } catch (error) {
      this.errors.push(error as Error);
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`recording proxy: ${(error as Error).message}`);
    }
  }

  private forward(request: WireRequest): Promise<Answer> {
    const target = new URL(request.url, this.upstream);
    return new Promise<Answer>((resolve, reject) => {
      const upstream = http.request(
        // agent: false — one connection per request, none left pooled when the upstream stops.
        { hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: request.method, headers: request.headers, agent: false },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          response.on('end', () => resolve({ status: response.statusCode ?? 500, headers: response.headers, body: Buffer.concat(parts) }));
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(request.body);
    });
  }
}
