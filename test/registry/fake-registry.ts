// A stateful, in-process fake of what the registration handler calls, at the SDK clients' `send`:
// SageMaker's model registry (versions numbered per group from 1, ListModelPackages sorted
// ascending unless told Descending, paged, filtered by group and status; DeleteModelPackage, which
// moto lacks), S3's PutObject and CloudFormation's DescribeStacks. Every call is recorded.
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateModelPackageCommand, CreateModelPackageInput, DeleteModelPackageCommand, DescribeModelPackageCommand,
  ListModelPackagesCommand, ModelPackageSummary, UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Registry/00000000-0000-0000-0000-000000000000`;

interface Version {
  readonly arn: string;
  readonly group: string;
  readonly version: number;
  readonly request: CreateModelPackageInput;
  readonly created: Date;
  status: string;
}

class ServiceError extends Error {
  constructor(readonly name: string, message: string) {
    super(message);
  }
}

type Command = { input: Record<string, unknown> };

export class FakeRegistry {
  readonly versions: Version[] = [];
  readonly calls: Array<{ operation: string; input: Record<string, unknown> }> = [];
  readonly objects = new Map<string, { body: string; params: Record<string, unknown> }>();
  /** DescribeStacks' answer: a status, or an error to throw. */
  stack: { status: string } | { error: string } = { status: 'CREATE_COMPLETE' };
  private clock = Date.parse('2026-01-01T00:00:00Z');

  readonly sagemaker = { send: (command: Command) => this.sageMaker(command) };
  readonly s3 = { send: (command: Command) => this.s3Call(command) };
  readonly cloudFormation = { send: (command: Command) => this.cloudFormationCall(command) };

  callsOf(operation: string): Array<Record<string, unknown>> {
    return this.calls.filter((c) => c.operation === operation).map((c) => c.input);
  }

  /** A version registered before (by another deploy, or by hand). */
  seed(group: string, request: Partial<CreateModelPackageInput> = {}): string {
    return this.create({ ModelPackageGroupName: group, ModelApprovalStatus: 'PendingManualApproval', ...request });
  }

  /** What the pipeline does: UpdateModelPackage with a new approval status. */
  approve(arn: string, status: 'Approved' | 'Rejected'): void {
    this.find(arn).status = status;
  }

  private async sageMaker(command: Command): Promise<unknown> {
    const input = command.input;
    if (command instanceof CreateModelPackageCommand) return this.record('CreateModelPackage', input, () => ({ ModelPackageArn: this.create(input as CreateModelPackageInput) }));
    if (command instanceof ListModelPackagesCommand) return this.record('ListModelPackages', input, () => this.list(input));
    if (command instanceof DescribeModelPackageCommand) {
      return this.record('DescribeModelPackage', input, () => {
        const v = this.find(String(input.ModelPackageName));
        return { ModelPackageArn: v.arn, ModelApprovalStatus: v.status, ...v.request };
      });
    }
    if (command instanceof UpdateModelPackageCommand) {
      return this.record('UpdateModelPackage', input, () => {
        this.find(String(input.ModelPackageArn)).status = String(input.ModelApprovalStatus);
        return { ModelPackageArn: input.ModelPackageArn };
      });
    }
    if (command instanceof DeleteModelPackageCommand) {
      return this.record('DeleteModelPackage', input, () => {
        const v = this.find(String(input.ModelPackageName));
        this.versions.splice(this.versions.indexOf(v), 1);
        return {};
      });
    }
    throw new Error(`FakeRegistry: no SageMaker ${command.constructor.name}`);
  }

  private async s3Call(command: Command): Promise<unknown> {
    if (!(command instanceof PutObjectCommand)) throw new Error(`FakeRegistry: no S3 ${command.constructor.name}`);
    return this.record('PutObject', command.input, () => {
      const { Bucket, Key, Body } = command.input as { Bucket: string; Key: string; Body: string };
      this.objects.set(`s3://${Bucket}/${Key}`, { body: Body, params: command.input });
      return { ETag: '"etag"' };
    });
  }

  private async cloudFormationCall(command: Command): Promise<unknown> {
    if (!(command instanceof DescribeStacksCommand)) throw new Error(`FakeRegistry: no CloudFormation ${command.constructor.name}`);
    return this.record('DescribeStacks', command.input, () => {
      if ('error' in this.stack) throw new ServiceError(this.stack.error, `${this.stack.error} (fake)`);
      return { Stacks: [{ StackName: 'Registry', StackId: String(command.input.StackName), StackStatus: this.stack.status }] };
    });
  }

  private record(operation: string, input: Record<string, unknown>, answer: () => unknown): unknown {
    this.calls.push({ operation, input });
    return answer();
  }

  private create(request: CreateModelPackageInput): string {
    const group = String(request.ModelPackageGroupName);
    const version = this.versions.filter((v) => v.group === group).reduce((n, v) => Math.max(n, v.version), 0) + 1;
    const arn = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${group.toLowerCase()}/${version}`;
    this.clock += 1000;
    this.versions.push({ arn, group, version, request, created: new Date(this.clock), status: String(request.ModelApprovalStatus ?? 'PendingManualApproval') });
    return arn;
  }

  private find(arn: string): Version {
    const found = this.versions.find((v) => v.arn === arn);
    if (!found) throw new ServiceError('ValidationException', `Model package ${arn} not found`);
    return found;
  }

  /** SageMaker's ListModelPackages: ascending by creation time unless SortOrder is Descending; pages of MaxResults (default 10 here, to page often). */
  private list(input: Record<string, unknown>): { ModelPackageSummaryList: ModelPackageSummary[]; NextToken?: string } {
    const group = String(input.ModelPackageGroupName);
    let matching = this.versions
      .filter((v) => v.group === group && (input.ModelApprovalStatus === undefined || v.status === input.ModelApprovalStatus))
      .sort((a, b) => a.created.getTime() - b.created.getTime());
    if (input.SortOrder === 'Descending') matching = matching.reverse();
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const size = Number(input.MaxResults ?? 10);
    const page = matching.slice(start, start + size);
    return {
      ModelPackageSummaryList: page.map((v) => ({
        ModelPackageGroupName: v.group,
        ModelPackageVersion: v.version,
        ModelPackageArn: v.arn,
        ModelPackageDescription: v.request.ModelPackageDescription,
        CreationTime: v.created,
        ModelPackageStatus: 'Completed',
        ModelApprovalStatus: v.status as ModelPackageSummary['ModelApprovalStatus'],
      })),
      NextToken: start + size < matching.length ? String(start + size) : undefined,
    };
  }
}
