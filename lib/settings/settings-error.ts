import { PropValidationError } from '../common/prop-validation-error';

/**
 * A user's mistake in the app's settings (cdk.json "context", `cdk synth -c key=value` or a stack's
 * props.settings): the message alone says which setting, which value and what is accepted, so the
 * app prints just it.
 */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export interface ProcessIo {
  readonly writeError: (text: string) => void;
  readonly exit: (code: number) => never;
}

const PROCESS_IO: ProcessIo = {
  writeError: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/**
 * Runs the app's entry point. A {@link SettingsError} or a construct's {@link PropValidationError}
 * prints its message alone on stderr and exits with 1 (no stack trace or code frame: the message
 * names the setting or prop to fix); any other error is a bug and propagates with its stack.
 */
export function exitOnSettingsError(main: () => void, io: ProcessIo = PROCESS_IO): void {
  try {
    main();
  } catch (error) {
    if (!(error instanceof SettingsError || error instanceof PropValidationError)) throw error;
    io.writeError(`${error.message}\n`);
    io.exit(1);
  }
}
