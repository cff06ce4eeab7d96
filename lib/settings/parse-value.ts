/** One setting's value, parsed by its kind: a bad value fails naming the setting, where it came from and what is accepted. */
import { allowed, Kind } from './schema';
import { SettingsError } from './settings-error';
import { DEFAULT_HYPERPARAMETERS, HyperparameterValue } from './settings';

/**
 * Where a value came from: the CDK context (cdk.json or `-c`, so the fix is there) or code
 * (a stack's `props.settings`, so the fix is in the code and `-c` advice would mislead).
 */
export type SettingSource = 'context' | 'code';

function fail(name: string, value: unknown, expected: string, source: SettingSource): never {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  throw new SettingsError(source === 'code'
    ? `Invalid setting ${name}=${shown} (from props.settings): expected ${expected}.`
    : `Invalid setting ${name}=${shown}: expected ${expected}. Set it in cdk.json "context" or with -c ${name.split('.')[0]}=<value>.`);
}

/**
 * The one reading of a true/false setting, wherever the app reads one: `true` or `false` (JSON or
 * text), as docs/configuration.md says; `yes`, `1`, `True` fail by name rather than count as false.
 */
export function parseBooleanSetting(name: string, raw: unknown, source: SettingSource = 'context'): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return fail(name, raw, allowed({ type: 'boolean' }), source);
}

/** A JSON object; its names and values are checked against mnist.py's declarations with the other rules. */
function parseHyperparameters(name: string, raw: unknown, source: SettingSource): Record<string, HyperparameterValue> {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      fail(name, raw, allowed({ type: 'hyperparameters' }), source);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, raw, allowed({ type: 'hyperparameters' }), source);
  return { ...(value as Record<string, HyperparameterValue>) };
}

/** `raw` (a string from `-c`, JSON from cdk.json, or a value from code) as the setting's type. */
export function parseValue(name: string, kind: Kind, raw: unknown, source: SettingSource): unknown {
  switch (kind.type) {
    case 'boolean':
      return parseBooleanSetting(name, raw, source);
    case 'integer':
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      const whole = kind.type === 'integer' ? Number.isInteger(n) : Number.isFinite(n);
      if (!whole || n < kind.min || n > kind.max) return fail(name, raw, allowed(kind), source);
      if (kind.type === 'integer' && kind.oneOf && !kind.oneOf.includes(n)) return fail(name, raw, allowed(kind), source);
      return n;
    }
    case 'enum':
      if (typeof raw === 'string' && kind.values.includes(raw)) return raw;
      return fail(name, raw, allowed(kind), source);
    case 'string': {
      if (typeof raw !== 'string' || !kind.pattern.test(raw)) return fail(name, raw, allowed(kind), source);
      const problem = kind.problem?.(raw);
      if (problem) {
        throw new SettingsError(source === 'code'
          ? `Invalid setting ${name}=${raw} (from props.settings): ${problem}.`
          : `Invalid setting ${name}=${raw}: ${problem}. Set it in cdk.json "context" or with -c ${name}=<value>.`);
      }
      return raw;
    }
    case 'hyperparameters':
      return { ...DEFAULT_HYPERPARAMETERS, ...parseHyperparameters(name, raw, source) };
  }
}
