// A fake of the Service Quotas API on loopback (node:http, 127.0.0.1, random port) for the real
// @aws-sdk/client-service-quotas client: awsJson1_1 (POST / with X-Amz-Target:
// ServiceQuotasV20190624.<Operation>; errors as HTTP 400 + JSON {"__type", "Message"}).
// ListServiceQuotas lists only the quotas whose value is applied to the account, as the real API
// does ("If the applied quota value is not available for a quota, the quota is not retrieved");
// ListAWSDefaultServiceQuotas lists every quota with its default. Both page with MaxResults (1-100)
// and an opaque NextToken. The same server answers CloudFormation's DescribeStacks (awsQuery: a
// form-encoded POST, an XML answer) with the status a test sets, for the check's rollback question.
import * as http from 'http';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { cloudFormationClient, serviceQuotasClient } from '../../lambda/service-quota-check/client';
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
  readonly calls: Array<{ operation: string; serviceCode?: string; token?: string; maxResults?: number; stackName?: string }> = [];
  /** What DescribeStacks answers for any stack; an `error` makes it fail (HTTP 403 for AccessDenied). */
  stack: { status: string } | { error: string } = { status: 'UPDATE_IN_PROGRESS' };
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

  /** The check's CloudFormation client pointed at this fake. */
  cloudFormationClient(log: (line: string) => void = () => undefined): CloudFormationClient {
    return cloudFormationClient({
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

  /** Sets the value applied to the account of a quota added before (AWS raised it, or an administrator lowered it). */
  setApplied(name: string, applied: number): void {
    const index = this.quotas.findIndex((q) => q.name === name);
    if (index < 0) throw new Error(`no quota '${name}' in the fake`);
    this.quotas[index] = { ...this.quotas[index], applied };
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
      if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        this.describeStacks(new URLSearchParams(Buffer.concat(chunks).toString('utf8')), res);
        return;
      }
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

  private describeStacks(form: URLSearchParams, res: http.ServerResponse): void {
    const stackName = form.get('StackName') ?? '';
    this.calls.push({ operation: form.get('Action') ?? '', stackName });
    const xml = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': 'fake' });
      res.end(body);
    };
    if (form.get('Action') !== 'DescribeStacks') return xml(400, errorXml('InvalidAction', `${form.get('Action')} is not supported here`));
    if ('error' in this.stack) return xml(this.stack.error === 'AccessDenied' ? 403 : 400, errorXml(this.stack.error, `not authorized to perform: cloudformation:DescribeStacks on resource: ${stackName}`));
    xml(200,
      '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>' +
        `<StackId>${stackName}</StackId><StackName>${stackName.split('/')[1] ?? stackName}</StackName><StackStatus>${this.stack.status}</StackStatus>` +
        '<CreationTime>2026-11-30T00:00:00.000Z</CreationTime></member></Stacks></DescribeStacksResult>' +
        '<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></DescribeStacksResponse>');
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

function errorXml(code: string, message: string): string {
  return `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`;
}
