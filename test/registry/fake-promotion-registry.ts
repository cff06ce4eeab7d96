// (The promotion pointer's and guard's fakes; fake-registry.ts is the registration handler's.)
// Small stateful fakes of what the registry handlers call, answering the real SDK command objects:
// a model registry (versions numbered per group from 1, creation times in order, approval status
// changed by approve/reject), SSM parameters, and CloudFormation's DescribeStacks. The registry
// lists as SageMaker does: filtered by group and status, ascending by CreationTime unless told
// Descending, cut to MaxResults.
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeModelPackageCommand, ListModelPackagesCommand, ModelApprovalStatus } from '@aws-sdk/client-sagemaker';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

interface Version {
  readonly arn: string;
  readonly group: string;
  readonly created: Date;
  status: ModelApprovalStatus;
}

function serviceError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400, attempts: 1 } });
}

export class FakeRegistry {
  readonly calls: Array<{ operation: string; input: Record<string, unknown> }> = [];
  private readonly versions: Version[] = [];

  /** Registers the group's next version (PendingManualApproval) and returns its ARN. */
  register(group: string, status: ModelApprovalStatus = 'PendingManualApproval'): string {
    const number = this.versions.filter((v) => v.group === group).length + 1;
    const arn = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${group.toLowerCase()}/${number}`;
    this.versions.push({ arn, group, created: new Date(Date.UTC(2026, 0, 1, 0, this.versions.length)), status });
    return arn;
  }

  setStatus(arn: string, status: ModelApprovalStatus): void {
    const version = this.versions.find((v) => v.arn === arn);
    if (!version) throw new Error(`no version ${arn}`);
    version.status = status;
  }

  operations(): string[] {
    return this.calls.map((c) => c.operation);
  }

  async send(command: object): Promise<unknown> {
    if (command instanceof ListModelPackagesCommand) {
      const input = command.input;
      this.calls.push({ operation: 'ListModelPackages', input: { ...input } });
      let found = this.versions.filter((v) => v.group === input.ModelPackageGroupName && (!input.ModelApprovalStatus || v.status === input.ModelApprovalStatus));
      found = [...found].sort((a, b) => a.created.getTime() - b.created.getTime());
      if (input.SortOrder === 'Descending') found.reverse();
      found = found.slice(0, input.MaxResults ?? 100);
      return {
        ModelPackageSummaryList: found.map((v) => ({ ModelPackageArn: v.arn, ModelPackageGroupName: v.group, CreationTime: v.created, ModelApprovalStatus: v.status, ModelPackageStatus: 'Completed' })),
      };
    }
    if (command instanceof DescribeModelPackageCommand) {
      this.calls.push({ operation: 'DescribeModelPackage', input: { ...command.input } });
      const version = this.versions.find((v) => v.arn === command.input.ModelPackageName);
      if (!version) throw serviceError('ValidationException', `Model Package ${command.input.ModelPackageName} does not exist.`);
      return { ModelPackageArn: version.arn, ModelPackageGroupName: version.group, ModelApprovalStatus: version.status, ModelPackageStatus: 'Completed' };
    }
    throw new Error(`the fake registry does not answer ${command.constructor.name}`);
  }
}

export class FakeParameters {
  readonly calls: Array<{ operation: string; input: Record<string, unknown> }> = [];
  readonly values = new Map<string, string>();

  puts(): Array<Record<string, unknown>> {
    return this.calls.filter((c) => c.operation === 'PutParameter').map((c) => c.input);
  }

  async send(command: object): Promise<unknown> {
    if (command instanceof GetParameterCommand) {
      this.calls.push({ operation: 'GetParameter', input: { ...command.input } });
      const value = this.values.get(command.input.Name!);
      if (value === undefined) throw serviceError('ParameterNotFound', '');
      return { Parameter: { Name: command.input.Name, Value: value, Type: 'String' } };
    }
    if (command instanceof PutParameterCommand) {
      this.calls.push({ operation: 'PutParameter', input: { ...command.input } });
      const { Name, Value, Overwrite } = command.input;
      if (this.values.has(Name!) && !Overwrite) throw serviceError('ParameterAlreadyExists', 'The parameter already exists.');
      this.values.set(Name!, Value!);
      return { Version: 2, Tier: 'Standard' };
    }
    throw new Error(`the fake SSM does not answer ${command.constructor.name}`);
  }
}

/** DescribeStacks of one stack: its status, or the error the call fails with. */
export class FakeStacks {
  readonly calls: string[] = [];
  constructor(public status: string | Error = 'UPDATE_IN_PROGRESS') {}

  async send(command: object): Promise<unknown> {
    if (!(command instanceof DescribeStacksCommand)) throw new Error(`the fake CloudFormation does not answer ${command.constructor.name}`);
    this.calls.push(String(command.input.StackName));
    if (this.status instanceof Error) throw this.status;
    return { Stacks: [{ StackName: 'Prod', StackStatus: this.status, CreationTime: new Date() }] };
  }
}
