/**
 * Describes a {@link DiagramModel} in Graphviz DOT: what is ours (boxes coloured by category, the
 * legend, the critical path drawn as a thick straight chain). Layout and drawing are Graphviz's
 * `dot` engine (scripts/diagram/generate.ts). Pure: the same model gives the same text.
 */
import { Category, DiagramModel, DiagramNode } from './model';

export const CATEGORY_STYLE: Record<Category, { color: string; label: string }> = {
  sagemaker: { color: '#067f68', label: 'SageMaker' },
  custom: { color: '#7d4cdb', label: 'Custom resource (Lambda-backed)' },
  storage: { color: '#3f8624', label: 'Storage' },
  compute: { color: '#d45b07', label: 'Lambda / Step Functions' },
  monitoring: { color: '#c7125e', label: 'Monitoring' },
  security: { color: '#b0084d', label: 'IAM / KMS' },
  other: { color: '#545b64', label: 'Other' },
};

const CRITICAL_COLOR = '#0972d3';
const LINK_COLOR = '#8d99a3';
const TEXT_COLOR = '#16191f';
const NOTE_COLOR = '#545b64';
// Graphviz sizes text with its built-in metrics of a font it knows by name (no font files in the
// wasm build): the same on every machine. Browsers draw Helvetica, or Arial in its place.
const FONT = 'Helvetica';
const MAX_LINES = 5;

export interface DotOptions {
  readonly title: string;
  readonly subtitle: string;
  /** The chain `cdk deploy` succeeds through, in order; a stage may hold several constructs (e.g. both endpoints). */
  readonly criticalPath: ReadonlyArray<readonly string[]>;
}

export function friendlyType(type: string): string {
  return type.startsWith('AWS::') ? type.slice(5).replace('::', ' ') : type;
}

function linesOf(node: DiagramNode): string[] {
  const lines = node.resourceTypes.map(({ type, count }) => `${friendlyType(type)}${count > 1 ? ` ×${count}` : ''}`);
  if (lines.length <= MAX_LINES) return lines;
  return [...lines.slice(0, MAX_LINES - 1), `+${lines.length - (MAX_LINES - 1)} more types`];
}

/** Text inside an HTML-like label or a quoted attribute. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function quoted(id: string): string {
  return `"${id.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const edgeKey = (from: string, to: string) => `${from}\u0000${to}`;

/** The SVG id of the line for a link (Graphviz would escape `->`). */
export const linkId = (from: string, to: string) => `link:${from}:${to}`;

/**
 * The model's links between consecutive stages of the critical path. Throws when the path names a
 * construct the stack no longer has, or a stage no link reaches, so a renamed construct cannot
 * silently drop the highlight.
 */
export function criticalLinks(model: DiagramModel, path: ReadonlyArray<readonly string[]>): Set<string> {
  const ids = new Set(model.nodes.map((n) => n.id));
  for (const id of path.flat()) {
    if (!ids.has(id)) {
      throw new Error(`the critical path names ${id}, which the stack no longer has: update CRITICAL_PATH in scripts/diagram/generate.ts`);
    }
  }
  const links = new Set<string>();
  for (let stage = 1; stage < path.length; stage++) {
    for (const to of path[stage]) {
      const from = path[stage - 1].filter((f) => model.edges.some((e) => e.from === f && e.to === to));
      if (from.length === 0) {
        throw new Error(`the critical path has no link from ${path[stage - 1].join(' or ')} to ${to}: update CRITICAL_PATH in scripts/diagram/generate.ts`);
      }
      for (const f of from) links.add(edgeKey(f, to));
    }
  }
  return links;
}

function nodeStatement(node: DiagramNode, critical: boolean, spine: boolean): string {
  const color = CATEGORY_STYLE[node.category].color;
  const label =
    `<table border="${critical ? 3 : 1}" cellborder="0" cellspacing="0" cellpadding="4" color="${critical ? CRITICAL_COLOR : color}" bgcolor="#ffffff">` +
    `<tr><td bgcolor="${color}" align="left" width="150"><font color="#ffffff" point-size="11"><b>${escapeHtml(node.title)}</b></font></td></tr>` +
    `<tr><td align="left" balign="left"><font point-size="9.5" color="${TEXT_COLOR}">${linesOf(node).map(escapeHtml).join('<br/>')}</font></td></tr>` +
    '</table>';
  const classes = [node.category, ...(critical ? ['critical'] : [])].join(' ');
  // One `group` keeps the single-construct stages of the critical path in a straight vertical line.
  return `  ${quoted(node.id)} [id=${quoted(node.id)} class="${classes}"${spine ? ' group="critical"' : ''} label=<${label}>];`;
}

function legendStatement(model: DiagramModel): string {
  const order = Object.keys(CATEGORY_STYLE) as Category[];
  const used = order.filter((category) => model.nodes.some((n) => n.category === category));
  const swatch = (color: string, text: string) =>
    `<td bgcolor="${color}" width="12" height="12" fixedsize="true"></td><td align="left">${escapeHtml(text)}</td>`;
  const cells = [
    ...used.map((c) => swatch(CATEGORY_STYLE[c].color, CATEGORY_STYLE[c].label)),
    swatch(CRITICAL_COLOR, 'Critical path'),
  ];
  const perRow = 3;
  const rows: string[] = [];
  for (let i = 0; i < cells.length; i += perRow) rows.push(`<tr>${cells.slice(i, i + perRow).join('')}</tr>`);
  const notes = [
    'Thick blue: the critical path, bucket → data → training → model → endpoints → smoke test.',
    'Arrow A → B: a resource in B references one in A (Ref, GetAtt, Sub or DependsOn).',
    'Box: a construct of the stack and its resource types (policies, permissions omitted).',
  ];
  const label =
    `<font point-size="9.5" color="${TEXT_COLOR}"><table border="0" cellborder="0" cellspacing="2" cellpadding="1">` +
    rows.join('') +
    notes.map((note) => `<tr><td colspan="${perRow * 2}" align="left"><font color="${NOTE_COLOR}" point-size="9">${escapeHtml(note)}</font></td></tr>`).join('') +
    '</table></font>';
  return `  legend [id="legend" shape=plain label=<${label}>];\n  { rank=sink; legend; }`;
}

export function toDot(model: DiagramModel, options: DotOptions): string {
  const links = criticalLinks(model, options.criticalPath);
  const onPath = new Set(options.criticalPath.flat());
  const spine = new Set(options.criticalPath.filter((stage) => stage.length === 1).flat());
  const existing = new Set(model.edges.map((e) => edgeKey(e.from, e.to)));
  const title = `<b>${escapeHtml(options.title)}</b><br/><font point-size="9.5" color="${NOTE_COLOR}">${escapeHtml(options.subtitle)}</font>`;
  const lines = [
    'digraph architecture {',
    `  graph [rankdir=TB nodesep=0.25 ranksep=0.35 pad=0.15 bgcolor="#ffffff" fontname="${FONT}" fontsize=14 fontcolor="${TEXT_COLOR}" labelloc=t labeljust=l label=<${title}>];`,
    `  node [shape=plain fontname="${FONT}"];`,
    `  edge [color="${LINK_COLOR}" penwidth=1.1 arrowsize=0.7];`,
    ...model.nodes.map((node) => nodeStatement(node, onPath.has(node.id), spine.has(node.id))),
    ...model.edges.flatMap((edge) => {
      // Two constructs that reference each other (a provider and the function it invokes) sit side
      // by side, joined by one line with two arrowheads.
      const mutual = existing.has(edgeKey(edge.to, edge.from));
      if (mutual && edge.from > edge.to) return [];
      const critical = links.has(edgeKey(edge.from, edge.to));
      // A heavy weight makes dot keep the critical links short and straight: the chain reads top to bottom.
      // A link between two constructs on the path that skips a stage would pull the chain apart: it
      // is drawn but does not place the boxes.
      const shortcut = !critical && onPath.has(edge.from) && onPath.has(edge.to);
      const style = critical ? ` class="critical" color="${CRITICAL_COLOR}" penwidth=3 arrowsize=0.8 weight=10` : shortcut ? ' constraint=false' : '';
      const line = `  ${quoted(edge.from)} -> ${quoted(edge.to)} [id=${quoted(linkId(edge.from, edge.to))}${style}${mutual ? ' dir=both' : ''}];`;
      return mutual ? [line, `  { rank=same; ${quoted(edge.from)}; ${quoted(edge.to)}; }`] : [line];
    }),
    legendStatement(model),
    '}',
    '',
  ];
  return lines.join('\n');
}
