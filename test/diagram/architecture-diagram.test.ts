import * as fs from 'fs';
import { buildDiagramModel, CfnTemplate, referencedIds, titleOf } from '../../scripts/diagram/model';
import { renderSvg } from '../../scripts/diagram/render-svg';
import { DIAGRAM_FILE, synthesizeDiagram } from '../../scripts/diagram/generate';

const TEMPLATE: CfnTemplate = {
  Resources: {
    Bucket: { Type: 'AWS::S3::Bucket' },
    BucketPolicy: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: { Ref: 'Bucket' } } },
    Role: { Type: 'AWS::IAM::Role' },
    RolePolicy: { Type: 'AWS::IAM::Policy', Properties: { Resource: { 'Fn::GetAtt': ['Bucket', 'Arn'] }, Roles: [{ Ref: 'Role' }] } },
    Model: { Type: 'AWS::SageMaker::Model', Properties: { ExecutionRoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] }, Url: { 'Fn::Sub': 's3://${Bucket}/model.tar.gz' } } },
    Endpoint: { Type: 'AWS::SageMaker::Endpoint', DependsOn: ['Model'] },
    CDKMetadata: { Type: 'AWS::CDK::Metadata' },
  },
};
const COMPONENTS = { Bucket: 'Storage', BucketPolicy: 'Storage', Role: 'ExecutionRole', RolePolicy: 'ExecutionRole', Model: 'Model', Endpoint: 'Endpoint' };

describe('diagram model', () => {
  const model = buildDiagramModel(TEMPLATE, COMPONENTS);

  test('one node per top-level construct, plumbing types left off the list, metadata ignored', () => {
    expect(model.nodes.map((n) => n.id)).toEqual(['Endpoint', 'ExecutionRole', 'Model', 'Storage']);
    const storage = model.nodes.find((n) => n.id === 'Storage')!;
    expect(storage.resourceTypes).toEqual([{ type: 'AWS::S3::Bucket', count: 1 }]);
    expect(storage.category).toBe('storage');
    expect(model.nodes.find((n) => n.id === 'Model')!.category).toBe('sagemaker');
    expect(model.resourceCount).toBe(6);
  });

  test('edges come from Ref, GetAtt, Sub and DependsOn across constructs only', () => {
    expect(model.edges).toEqual([
      { from: 'ExecutionRole', to: 'Model' }, // GetAtt
      { from: 'Model', to: 'Endpoint' }, // DependsOn
      { from: 'Storage', to: 'ExecutionRole' }, // the role's policy reads the bucket
      { from: 'Storage', to: 'Model' }, // Fn::Sub ${Bucket}
    ]);
  });

  test('referencedIds reads every reference form', () => {
    const ids = referencedIds({ a: { Ref: 'A' }, b: [{ 'Fn::GetAtt': ['B', 'Arn'] }, { 'Fn::GetAtt': 'C.Arn' }], c: { 'Fn::Sub': ['${D.Arn}/${E}-${AWS::Region}', { x: { Ref: 'F' } }] } });
    expect([...ids].sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
  });

  test('CDK singletons get readable titles', () => {
    expect(titleOf('AWS679f53fac002430cb0da5b7982bd2287')).toBe('AWS (singleton)');
    expect(titleOf('AWSCDK.TriggerCustomResourceProviderCustomResourceProvider')).toBe('Trigger provider (singleton)');
    expect(titleOf('TrainingJob')).toBe('TrainingJob');
  });
});

describe('SVG rendering', () => {
  const model = buildDiagramModel(TEMPLATE, COMPONENTS);
  const svg = renderSvg(model, { title: 'T & <t>', subtitle: 's' });

  test('is deterministic and escapes text', () => {
    expect(renderSvg(model, { title: 'T & <t>', subtitle: 's' })).toBe(svg);
    expect(svg).toContain('T &amp; &lt;t&gt;');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  test('draws every node and every edge, sources above their dependents', () => {
    const boxes = [...svg.matchAll(/<g data-construct="([^"]+)"[^>]*>\s*<rect x="[\d.]+" y="([\d.]+)"/g)].map((m) => ({ id: m[1], y: Number(m[2]) }));
    expect(boxes.map((b) => b.id).sort()).toEqual(['Endpoint', 'ExecutionRole', 'Model', 'Storage']);
    const y = (id: string) => boxes.find((b) => b.id === id)!.y;
    for (const edge of model.edges) expect(y(edge.from)).toBeLessThan(y(edge.to));
    expect([...svg.matchAll(/<path d="M[^"]*" fill="none"[^>]*data-from="([^"]+)" data-to="([^"]+)"/g)].map((m) => `${m[1]}>${m[2]}`).sort())
      .toEqual(model.edges.map((e) => `${e.from}>${e.to}`).sort());
  });

  test('a pair of opposite references is one line with two arrowheads', () => {
    const cyclic = buildDiagramModel(
      { Resources: { A: { Type: 'AWS::Lambda::Function', Properties: { X: { Ref: 'B' } } }, B: { Type: 'AWS::IAM::Role', Properties: { Y: { Ref: 'A' } } } } },
      { A: 'Fn', B: 'Role' },
    );
    const out = renderSvg(cyclic, { title: 't', subtitle: 's' });
    const lines = [...out.matchAll(/<path d="M[^"]*" fill="none"[^>]*>/g)].map((m) => m[0]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('marker-start="url(#arrow)"');
    expect(lines[0]).toContain('marker-end="url(#arrow)"');
  });
});

describe('docs/architecture.svg', () => {
  const { svg, template, model } = synthesizeDiagram();

  test('is exactly what the current stack generates (else: npm run diagram)', () => {
    const committed = fs.readFileSync(DIAGRAM_FILE, 'utf-8');
    if (committed !== svg) {
      throw new Error('docs/architecture.svg is out of date with the stack: run `npm run diagram` and commit the result.');
    }
  });

  test("every box names resource types the stack's template declares, and every resource is in a box", () => {
    const declared = new Set(Object.values(template.Resources ?? {}).map((r) => r.Type));
    const boxes = [...svg.matchAll(/<g data-construct="([^"]+)" data-types="([^"]+)">/g)];
    expect(boxes).toHaveLength(model.nodes.length);
    for (const [, , types] of boxes) {
      for (const type of types.split(' ')) expect(declared).toContain(type);
    }
    const boxed = model.nodes.flatMap((n) => n.resourceTypes.map((t) => t.type));
    for (const type of declared) {
      if (!['AWS::CDK::Metadata', 'AWS::IAM::Policy', 'AWS::Lambda::Permission', 'AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy'].includes(type)) {
        expect(boxed).toContain(type);
      }
    }
  });

  test('shows the parts the design names: bucket, role, training job, model, both endpoints, smoke test', () => {
    const types = new Set(model.nodes.flatMap((n) => n.resourceTypes.map((t) => t.type)));
    for (const type of ['AWS::S3::Bucket', 'AWS::IAM::Role', 'Custom::SageMakerTrainingJob', 'AWS::SageMaker::Model', 'AWS::SageMaker::Endpoint', 'AWS::SageMaker::EndpointConfig', 'Custom::Trigger']) {
      expect(types).toContain(type);
    }
    expect(model.nodes.filter((n) => n.resourceTypes.some((t) => t.type === 'AWS::SageMaker::Endpoint'))).toHaveLength(2);
  });
});
