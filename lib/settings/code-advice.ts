import { SettingsError } from './settings-error';

/**
 * The rules between settings (rules.ts) phrase their fixes for cdk.json and `-c`, where most
 * settings come from. A setting passed in code (a stack's props.settings) is fixed in code: its
 * `-c name=value` fixes become `props.settings.name=value`, and "Set it in cdk.json … -c …"
 * advice for it becomes "Set it in props.settings". Fixes for the other settings stay as they are.
 */
export function adviceForCode(error: SettingsError, codeKeys: ReadonlySet<string>): SettingsError {
  if (codeKeys.size === 0) return error;
  // The whole "Set it in cdk.json …" sentence first: it holds a `-c` fix of its own.
  const message = error.message
    .replace(/Set it in (?:"([A-Za-z]+)" in )?cdk\.json "context" or with -c ([A-Za-z][A-Za-z0-9]*)=('[^']*'|[^.\s]*)\./g,
      (advice, inside: string | undefined, name: string) => (codeKeys.has(inside ?? name) ? `Set it in props.settings.${inside ?? name}.` : advice))
    .replace(/-c ([A-Za-z][A-Za-z0-9]*)=((?:'[^']*'|[^\s,;)])+?)(?=[\s,;)]|\.(?:\s|$)|$)/g,
      (fix, name: string, value: string) => (codeKeys.has(name) ? `props.settings.${name}=${value.replace(/^'(.*)'$/, '$1')}` : fix));
  return message === error.message ? error : new SettingsError(message);
}
