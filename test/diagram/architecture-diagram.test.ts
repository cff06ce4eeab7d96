import * as fs from 'fs';
import { buildDiagramModel, CfnTemplate, referencedIds, titleOf } from '../../scripts/diagram/model';
import { CATEGORY_STYLE, criticalLinks, friendlyType, linkId, toDot } from '../../scripts/diagram/dot';
import { DIAGRAM_FILE, renderSvg, synthesizeDiagram, Synthesized } from '../../scripts/diagram/generate';

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

describe('DOT description (our styling; Graphviz lays it out)', () => {
  const model = buildDiagramModel(TEMPLATE, COMPONENTS);
  const PATH = [['Storage'], ['ExecutionRole'], ['Model'], ['Endpoint']];
  const dot = toDot(model, { title: 'T & <t>', subtitle: 's', criticalPath: PATH });

  test('is deterministic and escapes text', () => {
    expect(toDot(model, { title: 'T & <t>', subtitle: 's', criticalPath: PATH })).toBe(dot);
    expect(dot).toContain('<b>T &amp; &lt;t&gt;</b>');
    expect(dot.startsWith('digraph architecture {')).toBe(true);
  });

  test('every node is a box coloured by its category, every edge a link', () => {
    for (const node of model.nodes) {
      expect(dot).toMatch(new RegExp(`\\n  "${node.id}" \\[id="${node.id}" class="${node.category}[ "].*<td bgcolor="${CATEGORY_STYLE[node.category].color}"`));
    }
    for (const edge of model.edges) expect(dot).toContain(`"${edge.from}" -> "${edge.to}" [id="${linkId(edge.from, edge.to)}"`);
  });

  test('links along the critical path are highlighted and weighted; the others are not', () => {
    const critical = [...dot.matchAll(/"([^"]+)" -> "([^"]+)" \[[^\]]*class="critical"[^\]]*weight=10/g)].map((m) => `${m[1]}>${m[2]}`);
    expect(critical.sort()).toEqual(['ExecutionRole>Model', 'Model>Endpoint', 'Storage>ExecutionRole']);
    // A shortcut between two constructs on the path is drawn without placing the boxes.
    expect(dot).toMatch(/"Storage" -> "Model" \[id="[^"]+" constraint=false\];/);
    expect(dot).toMatch(/"ExecutionRole" -> "Model" \[[^\]]*weight=10\];/);
    expect(dot).toMatch(/"Model" \[id="Model" class="sagemaker critical" group="critical"/);
  });

  test('a box lists at most five lines; an id with a quote or backslash stays one DOT id', () => {
    const types = ['AWS::SNS::Topic', 'AWS::SQS::Queue', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::Events::Rule', 'AWS::IAM::Role'];
    const many = buildDiagramModel({ Resources: Object.fromEntries(types.map((Type, i) => [`R${i}`, { Type }])) }, Object.fromEntries(types.map((_, i) => [`R${i}`, 'Busy "x" \\ y'])));
    const out = toDot(many, { title: 't', subtitle: 's', criticalPath: [] });
    expect(out).toContain('"Busy \\"x\\" \\\\ y" [id="Busy \\"x\\" \\\\ y"');
    expect(out).toContain('>SNS Topic<br/>KMS Key<br/>IAM Role<br/>Events Rule<br/>+2 more types</font>');
  });

  test('two constructs that reference each other sit side by side, joined by one two-headed line', () => {
    const cyclic = buildDiagramModel(
      { Resources: { A: { Type: 'AWS::Lambda::Function', Properties: { X: { Ref: 'B' } } }, B: { Type: 'AWS::IAM::Role', Properties: { Y: { Ref: 'A' } } } } },
      { A: 'Fn', B: 'Role' },
    );
    const out = toDot(cyclic, { title: 't', subtitle: 's', criticalPath: [] });
    expect(out.match(/ -> /g)).toHaveLength(1);
    expect(out).toContain('"Fn" -> "Role" [id="link:Fn:Role" dir=both];');
    expect(out).toContain('{ rank=same; "Fn"; "Role"; }');
  });

  test('a critical path that names a missing construct or an absent link is refused, naming the fix', () => {
    expect(() => criticalLinks(model, [['Storage'], ['Nope']])).toThrow('the critical path names Nope, which the stack no longer has: update CRITICAL_PATH in scripts/diagram/generate.ts');
    expect(() => criticalLinks(model, [['Endpoint'], ['Storage']])).toThrow('the critical path has no link from Endpoint to Storage');
  });

  test('the legend lists the categories in use and the critical path', () => {
    const legend = dot.slice(dot.indexOf('legend ['));
    expect(legend).toContain(CATEGORY_STYLE.storage.label);
    expect(legend).toContain(CATEGORY_STYLE.sagemaker.label);
    expect(legend).not.toContain(CATEGORY_STYLE.monitoring.label);
    expect(legend).toContain('Critical path');
  });

  test('Graphviz draws it: one group per box and per link, sources above their dependents', async () => {
    const svg = await renderSvg(dot);
    const top = (id: string) => {
      const group = new RegExp(`<g id="${id}" class="node[^"]*">[\\s\\S]*?<text[^>]* y="(-?[\\d.]+)"`).exec(svg);
      if (!group) throw new Error(`no box for ${id} in the SVG`);
      return Number(group[1]);
    };
    for (const edge of model.edges) {
      expect(svg).toContain(`<g id="${linkId(edge.from, edge.to)}" class="edge`);
      expect(top(edge.from)).toBeLessThan(top(edge.to));
    }
  });
});

describe('docs/architecture.svg', () => {
  let synthesized: Synthesized;
  beforeAll(async () => {
    synthesized = await synthesizeDiagram();
  });

  test('is exactly what the current stack generates (else: npm run diagram)', () => {
    const committed = fs.readFileSync(DIAGRAM_FILE, 'utf-8');
    if (committed !== synthesized.svg) {
      throw new Error('docs/architecture.svg is out of date with the stack: run `npm run diagram` and commit the result.');
    }
  });

  test("every box lists resource types the stack's template declares, and every resource is in a box", () => {
    const { svg, template, model } = synthesized;
    const declared = new Set(Object.values(template.Resources ?? {}).map((r) => r.Type));
    for (const node of model.nodes) {
      const box = new RegExp(`<g id="${node.id.replace(/\./g, '\\.')}" class="node[^"]*">([\\s\\S]*?)</g>`).exec(svg);
      if (!box) throw new Error(`no box for ${node.id} in the SVG`);
      for (const { type } of node.resourceTypes.slice(0, 4)) {
        expect(declared).toContain(type);
        expect(box[1]).toContain(`>${friendlyType(type)}`);
      }
    }
    const boxed = model.nodes.flatMap((n) => n.resourceTypes.map((t) => t.type));
    for (const type of declared) {
      if (!['AWS::CDK::Metadata', 'AWS::IAM::Policy', 'AWS::Lambda::Permission', 'AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy'].includes(type)) {
        expect(boxed).toContain(type);
      }
    }
  });

  test('draws the critical path as a chain: bucket → data → training → model → both endpoints → smoke test', () => {
    const critical = [...synthesized.svg.matchAll(/<g id="link:([^:"]+):([^:"]+)" class="edge critical">/g)].map((m) => `${m[1]}>${m[2]}`);
    expect(critical.sort()).toEqual([
      'Model>RealtimeEndpoint', 'Model>ServerlessEndpoint', 'RealtimeEndpoint>SmokeTest', 'ServerlessEndpoint>SmokeTest',
      'Storage>TrainingData', 'Training>Model', 'TrainingData>Training',
    ]);
  });

  test('shows the parts the design names: bucket, role, training job, model, both endpoints, smoke test', () => {
    const { model } = synthesized;
    const types = new Set(model.nodes.flatMap((n) => n.resourceTypes.map((t) => t.type)));
    for (const type of ['AWS::S3::Bucket', 'AWS::IAM::Role', 'Custom::SageMakerTrainingJob', 'AWS::SageMaker::Model', 'AWS::SageMaker::Endpoint', 'AWS::SageMaker::EndpointConfig', 'Custom::Trigger']) {
      expect(types).toContain(type);
    }
    expect(model.nodes.filter((n) => n.resourceTypes.some((t) => t.type === 'AWS::SageMaker::Endpoint'))).toHaveLength(2);
  });
});
