import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledge one cdk-nag `AwsSolutions-IAM5` finding (a wildcard) on `scope` and its children,
 * naming the exact resource or action, so any other wildcard added later is still reported.
 */
export function acknowledgeWildcard(scope: IConstruct, finding: { resource?: string; action?: string }, reason: string): void {
  const detail = finding.action !== undefined ? `Action::${finding.action}` : `Resource::${nagResourceName(scope, finding.resource ?? '')}`;
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${detail}]`, reason });
}

/** A resource ARN (token or literal) written the way cdk-nag names it in findings (`<Bucket.Arn>/prefix/*`). */
export function nagResourceName(scope: IConstruct, arn: string): string {
  return flatten(Stack.of(scope).resolve(arn));
}

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  const value = node as Record<string, unknown>;
  if (value['Fn::Join']) {
    const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (value['Fn::Sub']) return flatten(value['Fn::Sub']);
  if (value['Fn::GetAtt']) {
    const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (value.Ref) return `<${flatten(value.Ref)}>`;
  return JSON.stringify(node);
}
