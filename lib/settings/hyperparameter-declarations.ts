/**
 * A training script's hyperparameters as it declares them (model-code/hyperparameters.json): the
 * script builds its parser from the same file, so a value checked here is a value the script takes.
 * Values are checked as the script will see them: the text the training toolkit puts on its
 * command line, read by Python's int() or float().
 */
import * as fs from 'fs';
import { commandLineValue, HyperparameterValue, MAX_VALUE_LENGTH, SAFE_VALUE_CHARACTERS, SAFE_VALUE_PATTERN } from '../../lambda/training-job/hyperparameters';
import { nearestName } from './did-you-mean';

export interface HyperparameterDeclaration {
  readonly type: 'int' | 'float' | 'string' | 'choice';
  /** Inclusive bounds. @default unbounded */
  readonly min?: number;
  readonly max?: number;
  /** Exclusive bounds. @default unbounded */
  readonly exclusiveMin?: number;
  readonly exclusiveMax?: number;
  /** The values a `choice` takes. */
  readonly choices?: readonly string[];
  /** Split across the training hosts, so at least one per host. @default false */
  readonly splitAcrossHosts?: boolean;
  /** null: the script computes it, as `help` says. */
  readonly default: string | number | null;
  readonly help: string;
}

export type HyperparameterDeclarations = Readonly<Record<string, HyperparameterDeclaration>>;

const TYPES = ['int', 'float', 'string', 'choice'];
const BOUNDS = ['min', 'max', 'exclusiveMin', 'exclusiveMax'] as const;

/** Reads and checks a declaration file; a malformed one is the script author's bug, named with its file. */
export function readHyperparameterDeclarations(file: string): HyperparameterDeclarations {
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  const declarations = (parsed as { hyperparameters?: unknown })?.hyperparameters;
  if (typeof declarations !== 'object' || declarations === null) throw new Error(`${file}: expected {"hyperparameters": {name: declaration, …}}`);
  for (const [name, spec] of Object.entries(declarations as Record<string, HyperparameterDeclaration>)) {
    const wrong = (what: string) => new Error(`${file}: hyperparameter ${name}: ${what}`);
    if (!TYPES.includes(spec.type)) throw wrong(`type must be one of ${TYPES.join(', ')}`);
    if (spec.type === 'choice' && !(Array.isArray(spec.choices) && spec.choices.every((c) => SAFE_VALUE_PATTERN.test(c)))) {
      throw wrong('a choice needs "choices", strings of safe characters');
    }
    if (BOUNDS.some((bound) => spec[bound] !== undefined && typeof spec[bound] !== 'number')) throw wrong('bounds must be numbers');
    if (typeof spec.help !== 'string' || !('default' in spec)) throw wrong('needs "help" and "default" (null when computed)');
  }
  return declarations as HyperparameterDeclarations;
}

/** What a hyperparameter accepts, in words (mnist.py's expected_value words numbers the same). */
export function expectedValue(spec: HyperparameterDeclaration): string {
  if (spec.type === 'choice') return `one of ${spec.choices!.join(', ')}`;
  if (spec.type === 'string') return `a string of ${SAFE_VALUE_CHARACTERS}`;
  const bounds = spec.min !== undefined && spec.max !== undefined
    ? [`from ${spec.min} to ${spec.max}`]
    : ([['min', '>='], ['exclusiveMin', '>'], ['max', '<='], ['exclusiveMax', '<']] as const)
      .filter(([bound]) => spec[bound] !== undefined)
      .map(([bound, word]) => `${word} ${spec[bound]}`);
  const noun = spec.type === 'int' ? 'a whole number' : 'a number';
  return bounds.length ? `${noun} ${bounds.join(' and ')}` : noun;
}

/** Python's int() and float() of the restricted characters a value may hold (underscores between digits allowed). */
const DIGITS = String.raw`\d(?:_?\d)*`;
const PYTHON_INT = new RegExp(`^[+-]?${DIGITS}$`);
const PYTHON_FLOAT = new RegExp(String.raw`^[+-]?(?:inf|infinity|nan|(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:e[+-]?${DIGITS})?)$`, 'i');

/** The number the script's parser makes of a command-line value, or undefined where it refuses it. */
function pythonNumber(text: string, type: 'int' | 'float'): number | undefined {
  if (!(type === 'int' ? PYTHON_INT : PYTHON_FLOAT).test(text)) return undefined;
  const plain = text.replace(/_/g, '').toLowerCase();
  if (/nan/.test(plain)) return NaN;
  if (/inf/.test(plain)) return plain.startsWith('-') ? -Infinity : Infinity;
  return Number(plain);
}

function inRange(value: number, spec: HyperparameterDeclaration): boolean {
  return Number.isFinite(value)
    && (spec.min === undefined || value >= spec.min)
    && (spec.max === undefined || value <= spec.max)
    && (spec.exclusiveMin === undefined || value > spec.exclusiveMin)
    && (spec.exclusiveMax === undefined || value < spec.exclusiveMax);
}

/** How the caller's user sets hyperparameters: `-c hyperparameters=…` at synth, `--hp` in local mode. */
export interface HyperparameterHelp {
  /** The same hyperparameters with one renamed, as the user would pass them. */
  renamed(corrected: Record<string, HyperparameterValue>, name: string): string;
  /** Where and how to give `name` another value. */
  setIt(name: string): string;
  /** Where the list of hyperparameters is documented. */
  readonly documentation: string;
}

/** How a value looks in messages: strings quoted, as in JSON. */
function shown(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * The first problem with these hyperparameters, as one line that names the hyperparameter, the
 * value and the fix; undefined when the script will take them all. `hosts` is the number of
 * training hosts (for `splitAcrossHosts`).
 */
export function hyperparameterProblem(
  declarations: HyperparameterDeclarations,
  values: Readonly<Record<string, unknown>>,
  hosts: number,
  help: HyperparameterHelp,
): string | undefined {
  const known = Object.keys(declarations);
  for (const [name, value] of Object.entries(values)) {
    const spec = Object.prototype.hasOwnProperty.call(declarations, name) ? declarations[name] : undefined;
    if (!spec) {
      const near = nearestName(name, known) ?? nearestName(name.replace(/_/g, '-'), known);
      if (near) {
        const corrected = Object.fromEntries(Object.entries(values).map(([k, v]) => [k === name ? near : k, v])) as Record<string, HyperparameterValue>;
        return `Unknown hyperparameter ${name}: did you mean ${near}? (${help.renamed(corrected, near)}; all hyperparameters: ${help.documentation})`;
      }
      return `Unknown hyperparameter ${name}: the training script has no --${name} (it has ${known.join(', ')}). Remove it; see ${help.documentation}.`;
    }
    const invalid = (expected: string) => `Invalid hyperparameter ${name}=${shown(value)}: expected ${expected}. ${help.setIt(name)}`;
    const representable = typeof value === 'string' || typeof value === 'boolean'
      || (typeof value === 'number' && Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value)));
    if (!representable) return invalid(expectedValue(spec));
    // What the script receives: str(json.loads(json.dumps(value))), e.g. true → True, 1e-5 → 1e-05.
    const text = commandLineValue(value as HyperparameterValue);
    if (spec.type === 'choice' && !spec.choices!.includes(text)) return invalid(expectedValue(spec));
    if (spec.type === 'string' && (!SAFE_VALUE_PATTERN.test(text) || text.length + 2 > MAX_VALUE_LENGTH)) {
      return invalid(`${expectedValue(spec)}, at most ${MAX_VALUE_LENGTH - 2} long (the training toolkit passes values through a shell unquoted)`);
    }
    if (spec.type === 'int' || spec.type === 'float') {
      const number = pythonNumber(text, spec.type);
      if (number === undefined || !inRange(number, spec)) return invalid(expectedValue(spec));
      if (spec.splitAcrossHosts && number < hosts) {
        return `Invalid hyperparameter ${name}=${shown(value)}: it is split across the ${hosts} training hosts, so it must be at least ${hosts}. ${help.setIt(name)}`;
      }
    }
  }
  return undefined;
}
