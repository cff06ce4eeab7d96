// One way for every script to read its command line: Node's util.parseArgs, a `--help` that prints
// the usage, and a mistake answered by one line that names the flag and the fix (exit code 1),
// never a stack trace.
import { parseArgs, ParseArgsConfig } from 'util';

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

/** Every command's `--help` / `-h`. */
export const HELP_OPTION = { type: 'boolean', short: 'h', default: false } as const;

export interface CommandLineSpec<T extends CliOptions> {
  /** How the user runs it, e.g. `npm run local`: error lines name it and where --help is. */
  readonly command: string;
  /** Must include `help: HELP_OPTION`. */
  readonly options: T;
  readonly allowPositionals?: boolean;
}

/** A mistake on the command line: shown as its message alone, exit code 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Looks like a number with a minus sign: a value (`--epochs -1`), not a flag. */
const NEGATIVE_VALUE = /^-(\d|\.\d|inf|nan)/i;

/**
 * parseArgs refuses `--epochs -1` as "ambiguous"; join such a negative-looking value to its flag
 * (`--epochs=-1`) so the range check can say what is wrong with it.
 */
function joinNegativeValues(argv: readonly string[], options: CliOptions): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') return [...joined, ...argv.slice(i)];
    const name = token.startsWith('--') && !token.includes('=') ? token.slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_VALUE.test(next)) {
      joined.push(`${token}=${next}`);
      i++;
    } else {
      joined.push(token);
    }
  }
  return joined;
}

/** parseArgs' multi-line errors, rewritten as one line that says what to do. */
function explain(error: Error & { code?: string }, command: string): string {
  const help = `(${command}${command.startsWith('npm run') ? ' --' : ''} --help lists the options)`;
  const flag = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag} ${help}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ''}: every value follows its --flag ${help}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return error.message.includes('does not take an argument')
        ? `${flag} takes no value ${help}`
        : `${flag} needs a value, e.g. ${flag} VALUE ${help}`;
    default:
      return `${error.message.split('\n')[0]} ${help}`;
  }
}

/** Parses argv; a mistake throws UsageError with one clear line. `values.help` is set for --help. */
export function parseCommandLine<T extends CliOptions>(spec: CommandLineSpec<T>, argv: readonly string[]) {
  try {
    return parseArgs({
      args: joinNegativeValues(argv, spec.options),
      options: spec.options,
      allowPositionals: spec.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(explain(error as Error, spec.command));
  }
}

/** A whole number within [min, max], or undefined when the flag was not given. */
export function wholeNumber(flag: string, raw: string | undefined, range: { min: number; max?: number; why?: string }): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? NaN : Number(raw);
  const ok = Number.isInteger(value) && value >= range.min && (range.max === undefined || value <= range.max);
  if (!ok) {
    const allowed = range.max === undefined ? `a whole number >= ${range.min}` : `a whole number from ${range.min} to ${range.max}`;
    throw new UsageError(`${flag} ${raw} is not valid: use ${allowed}${range.why ? ` (${range.why})` : ''}.`);
  }
  return value;
}

/** A fraction within [0, 1], or undefined when the flag was not given. */
export function fraction(flag: string, raw: string | undefined, example = '0.9'): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!(value >= 0 && value <= 1)) throw new UsageError(`${flag} ${raw} is not valid: use a fraction from 0 to 1, e.g. ${example}.`);
  return value;
}

/** One of the listed words. */
export function oneOf<W extends string>(flag: string, raw: string, words: readonly W[]): W {
  if (!(words as readonly string[]).includes(raw)) throw new UsageError(`${flag} ${raw} is not valid: use ${words.join(', ').replace(/, ([^,]*)$/, ' or $1')}.`);
  return raw as W;
}

/**
 * The AWS SDK warns on every run under Node 20 that its releases after January 2027 need Node 22;
 * the README says so once (Node 22+ recommended), so our own commands switch the repeated warning
 * off with the SDK's documented variable (aws/aws-sdk-js-v3#7983) unless the user set it.
 */
export function quietSdkNodeVersionWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export const CONSOLE_IO: CommandIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

/**
 * Runs a command as the process's entry point: the exit code is the command's; a UsageError or any
 * other error is one line prefixed by the command's name (exit 1), without a stack trace.
 */
export function runAsMain(
  name: string,
  command: (argv: string[], io: CommandIo) => Promise<number> | number,
  options: { /** Exit at once, even with child processes or sockets still open. */ readonly forceExit?: boolean } = {},
): void {
  quietSdkNodeVersionWarning();
  const finish = (code: number) => {
    if (options.forceExit) process.exit(code);
    process.exitCode = code;
  };
  Promise.resolve()
    .then(() => command(process.argv.slice(2), CONSOLE_IO))
    .then(finish, (error: Error) => {
      console.error(`${name}: ${error.message}`);
      finish(1);
    });
}
