/**
 * Reads the settings: from code (props.settings) over CDK context (`cdk.json` "context" or
 * `cdk synth -c key=value`) over the defaults, each value parsed by its kind, then the rules
 * between them. A misspelt key fails with the right spelling (did you mean).
 */
import { Node } from 'constructs';
import { mnistHyperparameters } from '../mnist/mnist-hyperparameters';
import { adviceForCode } from './code-advice';
import { isNearMiss } from './did-you-mean';
import { parseBooleanSetting, parseValue } from './parse-value';
import { validateTogether } from './rules';
import { SCHEMA, SETTING_NAMES } from './schema';
import { SettingsError } from './settings-error';
import { DEFAULT_HYPERPARAMETERS, DEFAULT_SETTINGS, MnistSettings, MnistSettingsOverrides } from './settings';

/** Context values arrive as strings from `-c`; empty strings (placeholders in cdk.json) mean "not set". */
function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** Context keys the CDK itself (CLI, feature flags, lookups in cdk.context.json) puts into context. */
function isCdkOwnKey(key: string): boolean {
  return key.includes(':') || key.startsWith('@') || key.startsWith('cdk') || key === 'acknowledged-issue-numbers';
}

/** `-c epochs=2` as JSON: numbers and booleans typed, everything else a string. */
function asHyperparameterValue(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
}

/**
 * `-c epochs=2` names a hyperparameter of mnist.py as if it were a setting; ignored, the job would
 * silently train with the old value. Refuse it with the spelling that works, keeping hyperparameters
 * already given in context (a `-c hyperparameters=` replaces cdk.json's object as a whole).
 */
function rejectMisplacedHyperparameters(context: Record<string, unknown>): void {
  const options = Object.keys(mnistHyperparameters());
  const misplaced = Object.entries(context)
    .map(([key, value]) => [options.find((o) => o === key || o === key.replace(/_/g, '-')), key, value] as const)
    .filter(([option, key]) => option !== undefined && !(SETTING_NAMES as string[]).includes(key));
  if (misplaced.length === 0) return;
  let given: Record<string, unknown> = {};
  try {
    const raw = context.hyperparameters;
    const parsed: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) given = parsed as Record<string, unknown>;
  } catch {
    // an unparsable hyperparameters value gets its own error later
  }
  const wanted: Record<string, unknown> = Object.fromEntries(Object.entries(given).filter(([k, v]) => DEFAULT_HYPERPARAMETERS[k] !== v));
  for (const [option, , value] of misplaced) wanted[option!] = asHyperparameterValue(value);
  const typed = misplaced.map(([, key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ');
  const what = misplaced.length === 1 ? 'is a hyperparameter of mnist.py, not a setting' : 'are hyperparameters of mnist.py, not settings';
  throw new SettingsError(
    `${typed} ${what}: pass -c hyperparameters='${JSON.stringify(wanted)}' instead ` +
      `(merged over the defaults ${JSON.stringify(DEFAULT_HYPERPARAMETERS)}; in cdk.json: "hyperparameters" under "context").`,
  );
}

/**
 * Checks the context's keys: a hyperparameter given as a setting, or a key that is almost the name
 * of a setting or of one of `otherKeys` (`-c trainingInstanceCout=1`), fails with the right
 * spelling instead of being ignored. Returns the remaining unknown keys (neither a setting, nor in
 * `otherKeys`, nor the CDK's own): they may belong to someone else, so the caller decides (the app
 * warns).
 */
export function checkContextKeys(context: Record<string, unknown>, otherKeys: readonly string[] = []): string[] {
  rejectMisplacedHyperparameters(context);
  const known: string[] = [...SETTING_NAMES, ...otherKeys];
  const unknown: string[] = [];
  for (const key of Object.keys(context)) {
    if (isCdkOwnKey(key) || known.includes(key)) continue;
    const near = known.find((name) => isNearMiss(name, key));
    if (near) throw new SettingsError(`Unknown setting ${key}: did you mean ${near}? (-c ${near}=<value>; all settings: docs/configuration.md)`);
    unknown.push(key);
  }
  return unknown;
}

/** A true/false context key that is not one of the settings (`pipeline`): unset is `fallback`. */
export function readBooleanContext(node: Node, name: string, fallback = false): boolean {
  const raw: unknown = node.tryGetContext(name);
  return isUnset(raw) ? fallback : parseBooleanSetting(name, raw);
}

/**
 * Resolve the settings: `overrides` (from code) over context (`cdk.json`, `-c`) over
 * defaults, each value parsed and checked, then checked together.
 */
export function resolveSettings(node: Node | undefined, overrides: MnistSettingsOverrides = {}): MnistSettings {
  checkContextKeys({ ...node?.getAllContext(), ...overrides });
  const resolved: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const kind = SCHEMA[name];
    const fromOverride = (overrides as Record<string, unknown>)[name];
    const fromCode = !isUnset(fromOverride);
    const raw = fromCode ? fromOverride : node?.tryGetContext(name);
    if (isUnset(raw)) {
      const fallback = DEFAULT_SETTINGS[name];
      resolved[name] = kind.type === 'hyperparameters' ? { ...(fallback as object) } : fallback;
    } else {
      resolved[name] = parseValue(name, kind, raw, fromCode ? 'code' : 'context');
    }
  }
  const settings = resolved as unknown as MnistSettings;
  try {
    validateTogether(settings);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    throw adviceForCode(error, new Set(SETTING_NAMES.filter((name) => !isUnset((overrides as Record<string, unknown>)[name]))));
  }
  return Object.freeze(settings);
}
