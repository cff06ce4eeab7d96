/**
 * Turns a synthesized CloudFormation template into a small architecture graph: one node per
 * top-level construct of the stack (its resources summarized by type), one edge per reference
 * (Ref, Fn::GetAtt, Fn::Sub, DependsOn) that crosses from one construct into another.
 */

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: unknown;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Resources?: Record<string, TemplateResource>;
}

export type Category = 'sagemaker' | 'custom' | 'monitoring' | 'storage' | 'compute' | 'security' | 'other';

export interface DiagramNode {
  /** The construct id under the stack, e.g. `TrainingJob`. */
  readonly id: string;
  readonly title: string;
  readonly category: Category;
  /** Resource types in this construct with their counts, most telling first. */
  readonly resourceTypes: ReadonlyArray<{ readonly type: string; readonly count: number }>;
}

/** `to` references `from` (data or order flows from → to). */
export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
}

export interface DiagramModel {
  readonly nodes: DiagramNode[];
  readonly edges: DiagramEdge[];
  readonly resourceCount: number;
}

/** Types that only wire others together; counted in edges but not listed on a node. */
const PLUMBING = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Policy',
  'AWS::Lambda::Permission',
  'AWS::S3::BucketPolicy',
  'AWS::SNS::TopicPolicy',
]);

/** Order in which types are listed on a node (lower first); unknown types go last, by name. */
const TYPE_RANK: Array<[RegExp, number]> = [
  [/^AWS::SageMaker::/, 0],
  [/^Custom::/, 1],
  [/^AWS::CloudFormation::CustomResource$/, 1],
  [/^AWS::S3::Bucket$/, 2],
  [/^AWS::Lambda::Function$/, 3],
  [/^AWS::StepFunctions::/, 4],
  [/^AWS::ApplicationAutoScaling::/, 5],
  [/^AWS::CloudWatch::/, 6],
  [/^AWS::SNS::/, 7],
  [/^AWS::KMS::/, 8],
  [/^AWS::IAM::Role$/, 9],
];

function rank(type: string): number {
  return TYPE_RANK.find(([pattern]) => pattern.test(type))?.[1] ?? 50;
}

function categoryOf(types: string[]): Category {
  const has = (pattern: RegExp) => types.some((t) => pattern.test(t));
  if (has(/^AWS::SageMaker::/)) return 'sagemaker';
  if (has(/^(Custom::|AWS::CloudFormation::CustomResource$)/)) return 'custom';
  if (has(/^AWS::(CloudWatch|SNS)::/)) return 'monitoring';
  if (has(/^AWS::S3::Bucket$/)) return 'storage';
  if (has(/^AWS::(Lambda|StepFunctions)::/)) return 'compute';
  if (has(/^AWS::(IAM|KMS)::/)) return 'security';
  return 'other';
}

/** CDK singletons carry a 32-hex-digit suffix (e.g. `AWS679f53fac002430cb0da5b7982bd2287`): show a readable title. */
export function titleOf(constructId: string): string {
  const readable = constructId
    .replace(/[0-9a-f]{32}$/i, '')
    .replace(/^AWSCDK\./, '')
    .replace(/(CustomResourceProvider)+$/, ' provider');
  return readable === constructId ? constructId : `${readable || 'CDK'} (singleton)`;
}

/** Logical ids this value references (Ref, Fn::GetAtt, ${Id} / ${Id.Attr} in Fn::Sub). */
export function referencedIds(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'Ref' && typeof inner === 'string') into.add(inner);
      else if (key === 'Fn::GetAtt' && Array.isArray(inner) && typeof inner[0] === 'string') into.add(inner[0]);
      else if (key === 'Fn::GetAtt' && typeof inner === 'string') into.add(inner.split('.')[0]);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? inner[0] : inner;
        if (typeof text === 'string') {
          for (const match of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)) into.add(match[1]);
        }
        if (Array.isArray(inner)) referencedIds(inner[1], into);
      } else referencedIds(inner, into);
    }
  }
  return into;
}

/**
 * @param template the synthesized template
 * @param componentOf logical id → the top-level construct id under the stack that owns it
 */
export function buildDiagramModel(template: CfnTemplate, componentOf: Record<string, string>): DiagramModel {
  const resources = template.Resources ?? {};
  const typesByComponent = new Map<string, Map<string, number>>();
  const component = (logicalId: string) => componentOf[logicalId] ?? logicalId;

  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::CDK::Metadata') continue;
    const counts = typesByComponent.get(component(logicalId)) ?? new Map<string, number>();
    counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);
    typesByComponent.set(component(logicalId), counts);
  }

  const edgeKeys = new Set<string>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::CDK::Metadata') continue;
    const targets = referencedIds(resource.Properties);
    for (const dependsOn of ([] as string[]).concat(resource.DependsOn ?? [])) targets.add(dependsOn);
    for (const target of targets) {
      if (!(target in resources) || resources[target].Type === 'AWS::CDK::Metadata') continue;
      const from = component(target);
      const to = component(logicalId);
      if (from !== to) edgeKeys.add(`${from}\u0000${to}`);
    }
  }

  const nodes: DiagramNode[] = [...typesByComponent.entries()]
    .map(([id, counts]) => {
      const allTypes = [...counts.keys()];
      const shown = allTypes.filter((t) => !PLUMBING.has(t));
      const listed = (shown.length > 0 ? shown : allTypes)
        .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
        .map((type) => ({ type, count: counts.get(type) ?? 0 }));
      return { id, title: titleOf(id), category: categoryOf(allTypes), resourceTypes: listed };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  const edges = [...edgeKeys]
    .map((key) => {
      const [from, to] = key.split('\u0000');
      return { from, to };
    })
    .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  const resourceCount = Object.values(resources).filter((r) => r.Type !== 'AWS::CDK::Metadata').length;
  return { nodes, edges, resourceCount };
}
