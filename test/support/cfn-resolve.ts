// Evaluates a synthesized template's intrinsics as CloudFormation would for one made-up deployment
// (account, region, physical names), so its IAM policies and custom-resource properties can be
// used against an emulator or a policy simulator. Unknown intrinsics throw rather than guess.
import { partitionOf } from '../../lib/settings';
import type { CfnTemplate } from './synthesized-app';

export interface Deployment {
  readonly account: string;
  readonly region: string;
  /** Values of Ref/Fn::GetAtt that the defaults below do not cover, e.g. `{ 'Copy.DestinationS3Uri': 's3://…' }`. */
  readonly values?: Record<string, string>;
}

/** The physical name this deployment gives a resource: its logical id, lower-cased (valid for buckets, roles, functions). */
export function physicalName(logicalId: string): string {
  return logicalId.toLowerCase();
}

export class CfnResolver {
  private readonly pseudo: Record<string, string>;

  constructor(private readonly template: CfnTemplate, private readonly deployment: Deployment) {
    const { account, region } = deployment;
    this.pseudo = {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': partitionOf(region),
      'AWS::URLSuffix': region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com',
      'AWS::StackName': 'MnistSageMaker',
      'AWS::StackId': `arn:${partitionOf(region)}:cloudformation:${region}:${account}:stack/MnistSageMaker/00000000-0000-0000-0000-000000000000`,
      'AWS::NoValue': '',
    };
  }

  /** Resolves every intrinsic in `value` (objects and arrays recursively). */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!value || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return this.intrinsic(keys[0], obj[keys[0]]);
    return Object.fromEntries(keys.map((k) => [k, this.resolve(obj[k])]));
  }

  resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  /** The ARN this deployment gives `logicalId`. */
  arnOf(logicalId: string): string {
    return this.getAtt(logicalId, 'Arn');
  }

  private intrinsic(name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(arg as string);
      case 'Fn::GetAtt':
        return this.getAtt(...(arg as [string, string]));
      case 'Fn::Join': {
        const [delimiter, parts] = arg as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map(String).join(delimiter);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number | string, unknown];
        return (this.resolve(list) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [delimiter, text] = arg as [string, unknown];
        return this.resolveString(text).split(delimiter);
      }
      case 'Fn::FindInMap': {
        const [map, first, second] = (this.resolve(arg) as string[]);
        const found = this.template.Mappings?.[map]?.[first]?.[second];
        if (found === undefined) throw new Error(`Fn::FindInMap ${map}.${first}.${second} has no value`);
        return found;
      }
      case 'Fn::Sub': {
        const [text, variables] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}]+)\}/g, (_, ref: string) =>
          ref in variables ? String(this.resolve(variables[ref])) : ref.includes('.') ? this.getAtt(...(ref.split('.') as [string, string])) : this.ref(ref));
      }
      default:
        throw new Error(`cannot resolve ${name} (add it to test/support/cfn-resolve.ts)`);
    }
  }

  private ref(id: string): string {
    if (id in this.pseudo) return this.pseudo[id];
    if (this.deployment.values?.[id] !== undefined) return this.deployment.values[id];
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`Ref to unknown ${id}`);
    // SageMaker's Ref is the resource's ARN, not its name.
    const sagemakerType = { 'AWS::SageMaker::Endpoint': 'endpoint', 'AWS::SageMaker::EndpointConfig': 'endpoint-config', 'AWS::SageMaker::Model': 'model' }[resource.Type];
    if (sagemakerType) return `arn:${partitionOf(this.deployment.region)}:sagemaker:${this.deployment.region}:${this.deployment.account}:${sagemakerType}/${physicalName(id)}`;
    return this.nameOf(id);
  }

  /** The resource's physical name: the name the template gives it (alarms), else this deployment's default. */
  private nameOf(id: string): string {
    const resource = this.template.Resources[id];
    if (resource.Type === 'AWS::CloudWatch::Alarm' && resource.Properties?.AlarmName !== undefined) return this.resolveString(resource.Properties.AlarmName);
    return physicalName(id);
  }

  private getAtt(id: string, attribute: string): string {
    const given = this.deployment.values?.[`${id}.${attribute}`];
    if (given !== undefined) return given;
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`Fn::GetAtt to unknown ${id}`);
    const { account, region } = this.deployment;
    const partition = partitionOf(region);
    const name = physicalName(id);
    if (attribute === 'Arn') {
      switch (resource.Type) {
        case 'AWS::IAM::Role':
          return `arn:${partition}:iam::${account}:role/${name}`;
        case 'AWS::S3::Bucket':
          return `arn:${partition}:s3:::${name}`;
        case 'AWS::Lambda::Function':
          return `arn:${partition}:lambda:${region}:${account}:function:${name}`;
        case 'AWS::Logs::LogGroup':
          return `arn:${partition}:logs:${region}:${account}:log-group:${name}:*`;
        case 'AWS::KMS::Key':
          return `arn:${partition}:kms:${region}:${account}:key/${name}`;
        case 'AWS::SNS::Topic':
          return `arn:${partition}:sns:${region}:${account}:${name}`;
        case 'AWS::CloudWatch::Alarm':
          // Ref is the alarm's name (its AlarmName, else this deployment's physical name), Arn names it too.
          return `arn:${partition}:cloudwatch:${region}:${account}:alarm:${this.nameOf(id)}`;
        default:
          break;
      }
    }
    if (attribute === 'EndpointName' || attribute === 'ModelName' || attribute === 'EndpointConfigName') return name;
    throw new Error(`no value for Fn::GetAtt ${id}.${attribute} (${resource.Type}): give it in Deployment.values`);
  }
}

/** The policy documents attached to role `roleId` (AWS::IAM::Policy resources and the role's inline policies), resolved. */
export function rolePolicies(template: CfnTemplate, resolver: CfnResolver, roleId: string): Array<{ name: string; document: PolicyDocument }> {
  const attached = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && ((r.Properties?.Roles as Array<{ Ref?: string }>) ?? []).some((role) => role.Ref === roleId))
    .map(([id, r]) => ({ name: id, document: resolver.resolve(r.Properties!.PolicyDocument) as PolicyDocument }));
  const role = template.Resources[roleId];
  const inline = ((role?.Properties?.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }>) ?? [])
    .map((p) => ({ name: p.PolicyName, document: resolver.resolve(p.PolicyDocument) as PolicyDocument }));
  const managed = (role?.Properties?.ManagedPolicyArns as unknown[]) ?? [];
  if (managed.length > 0) throw new Error(`${roleId} has managed policies, which this proof does not model`);
  return [...attached, ...inline];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}
