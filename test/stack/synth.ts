import * as fs from 'fs';
import * as path from 'path';
import { App, Environment, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MnistSettingsOverrides } from '../../lib/settings';
import { MnistSageMakerStack } from '../../lib/mnist/mnist-stack';

/** The feature flags (and defaults) of cdk.json, so tests synthesize what `cdk synth` does. */
export function projectContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
}

export interface SynthOptions {
  readonly settings?: MnistSettingsOverrides;
  /** Extra context, e.g. settings as `-c` would pass them (strings). */
  readonly context?: Record<string, unknown>;
  readonly env?: Environment;
  /** Run esbuild for the Lambda handlers (slow); otherwise assets are staged without bundling. */
  readonly bundle?: boolean;
  /**
   * Run CloudFormation's own validation, as `cdk synth` does (default true). Its engine costs
   * several CPU-seconds per test file (once per set of resource types), so suites that check
   * something else turn it off; default-stack, options and nag tests keep it on and assert its report.
   */
  readonly validate?: boolean;
  readonly app?: App;
}

export function newApp(options: SynthOptions = {}): App {
  return new App({
    builtinCloudFormationValidation: options.validate ?? true,
    context: {
      ...projectContext(),
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
}

export function synthMnist(options: SynthOptions = {}): { stack: MnistSageMakerStack; template: Template } {
  const app = options.app ?? newApp(options);
  const stack = new MnistSageMakerStack(app, 'Mnist', { settings: options.settings, env: options.env });
  return { stack, template: Template.fromStack(stack) };
}

const synthesized = new Map<string, ReturnType<typeof synthMnist>>();

/**
 * synthMnist, once per test file for each distinct set of options: tests that only read the
 * template share it. (A test that must prove two synths agree calls synthMnist twice.)
 */
export function synthMnistOnce(options: Omit<SynthOptions, 'app'> = {}): ReturnType<typeof synthMnist> {
  const key = JSON.stringify(options);
  let result = synthesized.get(key);
  if (!result) {
    result = synthMnist(options);
    synthesized.set(key, result);
  }
  return result;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] | string; DeletionPolicy?: string }>;

export function resources(template: Template): Resources {
  return template.toJSON().Resources as Resources;
}

/** The one resource of `type` whose logical id starts with `prefix`, as [logicalId, resource]. */
export function single(template: Template, type: string, prefix = ''): [string, Resources[string]] {
  const found = Object.entries(resources(template)).filter(([id, r]) => r.Type === type && id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} starting with '${prefix}', found ${found.map(([id]) => id).join(', ') || 'none'}`);
  return found[0];
}

/** Logical ids a resource needs first: DependsOn plus every Ref / Fn::GetAtt in its properties. */
export function directDependencies(template: Template, logicalId: string): Set<string> {
  const resource = resources(template)[logicalId];
  const deps = new Set<string>([resource.DependsOn ?? []].flat());
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      if (typeof obj.Ref === 'string' && !obj.Ref.startsWith('AWS::')) deps.add(obj.Ref);
      if (Array.isArray(obj['Fn::GetAtt'])) deps.add(obj['Fn::GetAtt'][0] as string);
      Object.values(obj).forEach(visit);
    }
  };
  visit(resource.Properties);
  return deps;
}

/** Every resource `logicalId` waits for, directly or through others. */
export function allDependencies(template: Template, logicalId: string): Set<string> {
  const seen = new Set<string>();
  const stack = [logicalId];
  while (stack.length > 0) {
    for (const dep of directDependencies(template, stack.pop()!)) {
      if (!seen.has(dep)) {
        seen.add(dep);
        stack.push(dep);
      }
    }
  }
  return seen;
}

/** Every IAM statement in the template's AWS::IAM::Policy resources, with the policy's logical id. */
export function policyStatements(template: Template): Array<{ policy: string; statement: Record<string, unknown> }> {
  return Object.entries(resources(template))
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
    .flatMap(([policy, r]) =>
      ((r.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement).map((statement) => ({ policy, statement })));
}

/** Statements of the policies attached to the role with logical id `roleId`. */
export function roleStatements(template: Template, roleId: string): Array<Record<string, unknown>> {
  return Object.entries(resources(template))
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties!.Roles).includes(`"${roleId}"`))
    .flatMap(([, r]) => (r.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
}

export const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Evaluate the intrinsics this app's image URIs and ARNs use (Ref to pseudo parameters,
 * Fn::Join, Fn::FindInMap, Fn::Sub without variables) as CloudFormation would in `region`.
 */
export function evaluateInRegion(template: Template, value: unknown, region: string): string {
  const mappings = (template.toJSON().Mappings ?? {}) as Record<string, Record<string, Record<string, string>>>;
  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::URLSuffix': region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com',
    'AWS::Partition': region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws',
  };
  const evaluate = (node: unknown): string => {
    if (typeof node === 'string') return node;
    const obj = node as Record<string, unknown>;
    if (typeof obj.Ref === 'string' && obj.Ref in pseudo) return pseudo[obj.Ref];
    if (obj['Fn::Join']) {
      const [delimiter, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map(evaluate).join(delimiter);
    }
    if (obj['Fn::FindInMap']) {
      const [map, key1, key2] = (obj['Fn::FindInMap'] as unknown[]).map(evaluate);
      const found = mappings[map]?.[key1]?.[key2];
      if (found === undefined) throw new Error(`Fn::FindInMap: no ${map}.${key1}.${key2} (the deploy would fail in ${region})`);
      return found;
    }
    throw new Error(`cannot evaluate ${JSON.stringify(node)}`);
  };
  return evaluate(value);
}

/** The plugin reports of the validation report `cdk synth` wrote for this stack's app (CloudFormation's own checks). */
export function validationFindings(stack: Stack): unknown[] {
  const file = path.join((stack.node.root as App).outdir, 'validation-report.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { pluginReports: unknown[] }).pluginReports;
}
