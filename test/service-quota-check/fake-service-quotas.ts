// A fake of the Service Quotas API on loopback (node:http, 127.0.0.1, random port) for the real
// @aws-sdk/client-service-quotas client: awsJson1_1 (POST / with X-Amz-Target:
// ServiceQuotasV20190624.<Operation>; errors as HTTP 400 + JSON {"__type", "Message"}).
// ListServiceQuotas lists only the quotas whose value is applied to the account, as the real API
// does ("If the applied quota value is not available for a quota, the quota is not retrieved");
// ListAWSDefaultServiceQuotas lists every quota with its default. Both page with MaxResults (1-100)
// and an opaque NextToken.
import * as http from 'http';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { serviceQuotasClient } from '../../lambda/service-quota-check/client';
import { fastRetries } from '../support/fast-retries';
import { LoopbackServer } from '../support/loopback-server';

export const REGION = 'eu-west-1';

type Operation = 'ListServiceQuotas' | 'ListAWSDefaultServiceQuotas';

interface Quota {
  readonly name: string;
  readonly code: string;
  readonly defaultValue: number;
  /** The value applied to the account; undefined = not listed by ListServiceQuotas. */
  readonly applied?: number;
}

export class FakeServiceQuotas {
  readonly quotas: Quota[] = [];
  /** Every call: operation, service code and page token. */
  readonly calls: Array<{ operation: string; serviceCode: string; token?: string; maxResults?: number }> = [];
  private readonly failures = new Map<string, { type: string; message: string; count: number }>();
  private readonly server = new LoopbackServer((req, res) => this.handle(req, res));

  async start(): Promise<void> {
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  get url(): string {
    return this.server.url;
  }

  /** The check's client (the SDK's retries, 1 ms apart; each retry reported to `log`) pointed at this fake. */
  client(log: (line: string) => void = () => undefined): ServiceQuotasClient {
    return serviceQuotasClient({
      region: REGION,
      endpoint: this.url,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      ...fastRetries(),
    }, log);
  }

  /** A SageMaker quota; `applied` undefined means it was never applied to the account. */
  add(name: string, defaultValue: number, applied?: number): void {
    this.quotas.push({ name, code: `L-${(this.quotas.length + 1).toString(16).toUpperCase().padStart(8, '0')}`, defaultValue, applied });
  }

  /** `count` filler quotas (other instance types), so that listings span pages. */
  addFiller(count: number): void {
    for (let i = 0; i < count; i++) this.add(`ml.filler${i}.xlarge for processing job usage`, 4, 4);
  }

  /** The next `count` calls of `operation` fail with `type` (ThrottlingException-like types are retried by the SDK). */
  failNext(operation: Operation, type: string, message: string, count = 1): void {
    this.failures.set(operation, { type, message, count });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.replace(/^ServiceQuotasV20190624\./, '');
      let status = 200;
      let body: unknown;
      try {
        if (req.method !== 'POST' || !target.startsWith('ServiceQuotasV20190624.')) throw new ServiceError('UnknownOperationException', target);
        if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) throw new ServiceError('MissingAuthenticationTokenException', 'unsigned');
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        this.calls.push({
          operation,
          serviceCode: String(input.ServiceCode ?? ''),
          token: input.NextToken as string | undefined,
          maxResults: input.MaxResults as number | undefined,
        });
        const failure = this.failures.get(operation);
        if (failure) {
          if (--failure.count <= 0) this.failures.delete(operation);
          throw new ServiceError(failure.type, failure.message);
        }
        body = this.list(operation, input);
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        status = error.type === 'ServiceException' ? 500 : 400;
        body = { __type: error.type, Message: error.message };
      }
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake' });
      res.end(JSON.stringify(body));
    });
  }

  private list(operation: string, input: Record<string, unknown>): unknown {
    if (operation !== 'ListServiceQuotas' && operation !== 'ListAWSDefaultServiceQuotas') throw new ServiceError('UnknownOperationException', operation);
    if (input.ServiceCode !== 'sagemaker') throw new ServiceError('NoSuchResourceException', `The request failed because the specified service does not exist.`);
    const size = Number(input.MaxResults ?? 100);
    if (!Number.isInteger(size) || size < 1 || size > 100) throw new ServiceError('IllegalArgumentException', 'MaxResults must be 1-100');
    const start = input.NextToken === undefined ? 0 : Number(/^page-(\d+)$/.exec(String(input.NextToken))?.[1] ?? NaN);
    if (!Number.isInteger(start)) throw new ServiceError('InvalidPaginationTokenException', 'Invalid pagination token');
    const applied = operation === 'ListServiceQuotas';
    const listed = this.quotas.filter((q) => !applied || q.applied !== undefined);
    const page = listed.slice(start, start + size);
    return {
      Quotas: page.map((q) => ({
        ServiceCode: 'sagemaker',
        ServiceName: 'Amazon SageMaker',
        QuotaCode: q.code,
        QuotaArn: `arn:aws:servicequotas:${REGION}:123456789012:sagemaker/${q.code}`,
        QuotaName: q.name,
        Value: applied ? q.applied : q.defaultValue,
        Unit: 'None',
        Adjustable: true,
        GlobalQuota: false,
      })),
      ...(start + size < listed.length ? { NextToken: `page-${start + size}` } : {}),
    };
  }
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}
