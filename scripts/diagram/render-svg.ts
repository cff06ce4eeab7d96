/**
 * Lays a {@link DiagramModel} out top to bottom (longest-path layers, barycenter ordering) and
 * writes it as a self-contained SVG. Pure and deterministic: the same model gives the same bytes.
 */
import { Category, DiagramModel, DiagramNode } from './model';

const NODE_WIDTH = 232;
const HEADER = 24;
const LINE = 15;
const PADDING = 8;
const MAX_LINES = 5;
const GAP_X = 28;
const GAP_Y = 40;
const MIN_WIDTH = 720;
const MARGIN = 24;
const TITLE_SPACE = 56;
const LEGEND_SPACE = 80;
const CHAR_WIDTH = 6.3; // average width of an 11px sans-serif character, for truncation
const TITLE_CHAR_WIDTH = 7.6; // 12px bold

export const CATEGORY_STYLE: Record<Category, { color: string; label: string }> = {
  sagemaker: { color: '#067f68', label: 'SageMaker' },
  custom: { color: '#7d4cdb', label: 'Custom resource (Lambda-backed)' },
  storage: { color: '#3f8624', label: 'Storage' },
  compute: { color: '#d45b07', label: 'Lambda / Step Functions' },
  monitoring: { color: '#c7125e', label: 'Monitoring' },
  security: { color: '#b0084d', label: 'IAM / KMS' },
  other: { color: '#545b64', label: 'Other' },
};

export interface RenderOptions {
  readonly title: string;
  readonly subtitle: string;
}

interface Placed {
  readonly node: DiagramNode;
  readonly lines: string[];
  readonly x: number;
  readonly y: number;
  readonly height: number;
  readonly row: number;
}

export function friendlyType(type: string): string {
  return type.startsWith('AWS::') ? type.slice(5).replace('::', ' ') : type;
}

function linesOf(node: DiagramNode): string[] {
  const lines = node.resourceTypes.map(({ type, count }) => `${friendlyType(type)}${count > 1 ? ` ×${count}` : ''}`);
  if (lines.length <= MAX_LINES) return lines;
  return [...lines.slice(0, MAX_LINES - 1), `+${lines.length - (MAX_LINES - 1)} more types`];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fit(text: string, width: number, charWidth: number): string {
  const max = Math.floor(width / charWidth);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Longest-path layering; edges that close a cycle are ignored for layering only. */
function layers(model: DiagramModel): Map<string, number> {
  const preds = new Map<string, string[]>(model.nodes.map((n) => [n.id, []]));
  for (const e of model.edges) preds.get(e.to)?.push(e.from);
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return -1; // back edge
    visiting.add(id);
    const value = Math.max(-1, ...(preds.get(id) ?? []).map(visit)) + 1;
    visiting.delete(id);
    layer.set(id, value);
    return value;
  };
  for (const node of model.nodes) visit(node.id);
  return layer;
}

function orderWithinLayers(model: DiagramModel, layerOf: Map<string, number>): string[][] {
  const count = Math.max(0, ...layerOf.values()) + 1;
  const columns: string[][] = Array.from({ length: count }, () => []);
  for (const node of model.nodes) columns[layerOf.get(node.id) ?? 0].push(node.id);
  const position = new Map<string, number>();
  const reindex = () => columns.forEach((column) => column.forEach((id, i) => position.set(id, i)));
  reindex();
  const neighbours = (id: string, direction: 'in' | 'out') =>
    model.edges.filter((e) => (direction === 'in' ? e.to === id : e.from === id)).map((e) => (direction === 'in' ? e.from : e.to));
  const sweep = (direction: 'in' | 'out') => {
    const range = direction === 'in' ? columns.keys() : [...columns.keys()].reverse().values();
    for (const c of range) {
      const score = (id: string) => {
        const ns = neighbours(id, direction).filter((n) => position.has(n));
        return ns.length === 0 ? position.get(id) ?? 0 : ns.reduce((sum, n) => sum + (position.get(n) ?? 0), 0) / ns.length;
      };
      const scored = columns[c].map((id) => ({ id, s: score(id) }));
      scored.sort((a, b) => a.s - b.s || a.id.localeCompare(b.id));
      columns[c] = scored.map((x) => x.id);
      reindex();
    }
  };
  for (let i = 0; i < 4; i++) {
    sweep('in');
    sweep('out');
  }
  return columns;
}

export function renderSvg(model: DiagramModel, options: RenderOptions): string {
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  // Top to bottom: each layer is a row, so the picture stays narrow enough for a README.
  const rows = orderWithinLayers(model, layers(model));
  const heightOf = (node: DiagramNode) => HEADER + PADDING + linesOf(node).length * LINE + PADDING / 2;
  const rowHeight = (row: string[]) => Math.max(0, ...row.map((id) => heightOf(byId.get(id)!)));
  const rowWidth = (row: string[]) => row.length * NODE_WIDTH + Math.max(0, row.length - 1) * GAP_X;
  const contentWidth = Math.max(0, ...rows.map(rowWidth));
  const width = Math.max(MARGIN * 2 + contentWidth, MIN_WIDTH);
  const contentHeight = rows.reduce((sum, row) => sum + rowHeight(row), 0) + Math.max(0, rows.length - 1) * GAP_Y;
  const height = TITLE_SPACE + contentHeight + LEGEND_SPACE + MARGIN;

  const placed = new Map<string, Placed>();
  let y = TITLE_SPACE;
  for (const [r, row] of rows.entries()) {
    let x = (width - rowWidth(row)) / 2;
    for (const id of row) {
      const node = byId.get(id)!;
      placed.set(id, { node, lines: linesOf(node), x, y, height: heightOf(node), row: r });
      x += NODE_WIDTH + GAP_X;
    }
    y += rowHeight(row) + GAP_Y;
  }

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${round(width)}" height="${round(height)}" viewBox="0 0 ${round(width)} ${round(height)}" font-family="Helvetica, Arial, sans-serif">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
      '<path d="M 0 0 L 10 5 L 0 10 z" fill="#687078"/></marker></defs>',
    `<rect x="0" y="0" width="${round(width)}" height="${round(height)}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="28" font-size="17" font-weight="bold" fill="#16191f">${escapeXml(options.title)}</text>`,
    `<text x="${MARGIN}" y="46" font-size="11" fill="#545b64">${escapeXml(options.subtitle)}</text>`,
  );

  // Edges first, so boxes sit on top of any line that passes behind them. A reference that
  // points upwards (part of a cycle, e.g. a provider and the function it may invoke) is drawn
  // downwards with its arrowhead at the top; a pair of opposite references becomes one line.
  const edgeKey = (from: string, to: string) => `${from}\u0000${to}`;
  const existing = new Set(model.edges.map((e) => edgeKey(e.from, e.to)));
  const drawn = new Set<string>();
  for (const edge of model.edges) {
    const a = placed.get(edge.from);
    const b = placed.get(edge.to);
    if (!a || !b || drawn.has(edgeKey(edge.from, edge.to))) continue;
    const mutual = existing.has(edgeKey(edge.to, edge.from));
    drawn.add(edgeKey(edge.from, edge.to));
    if (mutual) drawn.add(edgeKey(edge.to, edge.from));
    const downwards = b.y > a.y;
    const [upper, lower] = downwards ? [a, b] : [b, a];
    const x1 = upper.x + NODE_WIDTH / 2;
    const y1 = upper.y + upper.height;
    const x2 = lower.x + NODE_WIDTH / 2;
    const y2 = lower.y;
    const bend = Math.max(20, Math.abs(y2 - y1) / 2);
    const path = `M ${round(x1)} ${round(y1)} C ${round(x1)} ${round(y1 + bend)}, ${round(x2)} ${round(y2 - bend)}, ${round(x2)} ${round(y2)}`;
    const markers = [
      mutual || !downwards ? ' marker-start="url(#arrow)"' : '',
      mutual || downwards ? ' marker-end="url(#arrow)"' : '',
    ].join('');
    // A link that skips rows passes behind boxes: dashed and lighter, so it is not read as going through them.
    const style = lower.row - upper.row > 1 ? 'stroke="#8d99a3" stroke-dasharray="5 4"' : 'stroke="#687078"';
    out.push(`<path d="${path}" fill="none" ${style} stroke-width="1.2"${markers} data-from="${escapeXml(edge.from)}" data-to="${escapeXml(edge.to)}"/>`);
  }

  for (const { node, lines, x, y: top, height: h } of placed.values()) {
    const color = CATEGORY_STYLE[node.category].color;
    out.push(
      `<g data-construct="${escapeXml(node.id)}" data-types="${escapeXml(node.resourceTypes.map((t) => t.type).join(' '))}">`,
      `<rect x="${round(x)}" y="${round(top)}" width="${NODE_WIDTH}" height="${round(h)}" rx="6" fill="#ffffff" stroke="${color}" stroke-width="1.5"/>`,
      `<path d="M ${round(x)} ${round(top + HEADER)} V ${round(top + 6)} Q ${round(x)} ${round(top)} ${round(x + 6)} ${round(top)} H ${round(x + NODE_WIDTH - 6)} Q ${round(x + NODE_WIDTH)} ${round(top)} ${round(x + NODE_WIDTH)} ${round(top + 6)} V ${round(top + HEADER)} Z" fill="${color}"/>`,
      `<text x="${round(x + PADDING)}" y="${round(top + 16)}" font-size="12" font-weight="bold" fill="#ffffff">${escapeXml(fit(node.title, NODE_WIDTH - 2 * PADDING, TITLE_CHAR_WIDTH))}</text>`,
    );
    lines.forEach((line, i) => {
      out.push(`<text x="${round(x + PADDING)}" y="${round(top + HEADER + PADDING + 8 + i * LINE)}" font-size="11" fill="#16191f">${escapeXml(fit(line, NODE_WIDTH - 2 * PADDING, CHAR_WIDTH))}</text>`);
    });
    out.push('</g>');
  }

  const used = [...new Set(model.nodes.map((n) => n.category))].sort(
    (a, b) => Object.keys(CATEGORY_STYLE).indexOf(a) - Object.keys(CATEGORY_STYLE).indexOf(b),
  );
  let lx = MARGIN;
  let ly = height - LEGEND_SPACE - MARGIN / 2 + 8;
  for (const category of used) {
    const { color, label } = CATEGORY_STYLE[category];
    const itemWidth = 17 + label.length * CHAR_WIDTH + 22;
    if (lx + itemWidth > width - MARGIN) {
      lx = MARGIN;
      ly += 18;
    }
    out.push(`<rect x="${round(lx)}" y="${round(ly)}" width="12" height="12" rx="2" fill="${color}"/>`);
    out.push(`<text x="${round(lx + 17)}" y="${round(ly + 10)}" font-size="11" fill="#16191f">${escapeXml(label)}</text>`);
    lx += itemWidth;
  }
  out.push(
    `<text x="${MARGIN}" y="${round(ly + 30)}" font-size="10" fill="#545b64">Arrow A → B: a resource in B references one in A (Ref, GetAtt, Sub or DependsOn); dashed: the link passes behind boxes.</text>`,
    `<text x="${MARGIN}" y="${round(ly + 43)}" font-size="10" fill="#545b64">Box title: the construct id in the stack; lines: its CloudFormation resource types (policies and permissions omitted).</text>`,
    '</svg>',
    '',
  );
  return out.join('\n');
}

function round(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
