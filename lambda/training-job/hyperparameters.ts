/**
 * Hyperparameters exactly as the SageMaker Python SDK sends them, shared by the construct
 * (synth-time encoding and validation) and the onEvent handler (the values known only at run time).
 *
 * The SDK `json.dumps` every value; the training toolkit `json.loads` each one back, drops the
 * `sagemaker_*` keys and runs `<entry point> --key value ...` joined into ONE SHELL COMMAND, unquoted.
 * So anything a shell would split or interpret breaks the job: we reject it at synth time.
 */

export type HyperparameterValue = string | number | boolean;

/** What the SDK calls logging.INFO for `sagemaker_container_log_level`. */
export const CONTAINER_LOG_LEVEL_INFO = 20;
/** Where the SDK points `sagemaker_submit_directory` when the code comes in as the `code` channel. */
export const CODE_CHANNEL_NAME = 'code';
export const CODE_CHANNEL_DIRECTORY = '/opt/ml/input/data/code';

/** The one rule for a hyperparameter's name (the stack and local mode use it): the toolkit passes it as `--name` unquoted. */
export const HYPERPARAMETER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/**
 * The one rule for a string value (the stack, local mode and the docs use it): characters that
 * survive an unquoted shell command line unchanged, at least one.
 */
export const SAFE_VALUE_PATTERN = /^[A-Za-z0-9_.,:/=+@%-]+$/;
/** {@link SAFE_VALUE_PATTERN} in words, as error messages and the docs say it. */
export const SAFE_VALUE_CHARACTERS = 'letters, digits and _ . , : / = + @ % -';
const MAX_HYPERPARAMETERS = 100;
const MAX_KEY_LENGTH = 256;
/** SageMaker's limit on an encoded value; a string's JSON encoding adds its two quotes. */
export const MAX_VALUE_LENGTH = 2500;

/** Python's `repr(float)` (what `json.dumps` writes for a float), for a non-integral finite number. */
function pythonFloatRepr(value: number): string {
  // toExponential() without an argument gives the shortest round-trip digits, like Python's repr.
  const [mantissa, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value); // JavaScript and Python agree in this range.
}

/** `json.dumps(value)` as Python writes it, for the value types a hyperparameter may have. */
export function encodeHyperparameterValue(value: HyperparameterValue): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`hyperparameter value ${value} is not a finite number`);
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new Error(`hyperparameter value ${value} is an integer beyond 2^53 that JavaScript cannot hold exactly; pass it as a string`);
    }
    return Number.isInteger(value) ? String(value) : pythonFloatRepr(value);
  }
  // Validated strings are printable ASCII without quotes or backslashes: JSON.stringify = json.dumps.
  return JSON.stringify(value);
}

/** The argument the training script will see (`str(json.loads(encoded))` in the toolkit). */
export function commandLineValue(value: HyperparameterValue): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  // Python's str(float) is its repr, which is what json.dumps wrote.
  return typeof value === 'number' ? encodeHyperparameterValue(value) : value;
}

/**
 * Throws a clear error for hyperparameters that the toolkit's unquoted shell command would break,
 * that SageMaker would reject, or that collide with the SDK's own `sagemaker_*` keys.
 * Values that are unresolved CDK tokens are left alone (`isUnresolved`).
 */
export function validateHyperparameters(
  hyperparameters: Record<string, HyperparameterValue>,
  isUnresolved: (value: string) => boolean = () => false,
): void {
  const keys = Object.keys(hyperparameters);
  if (keys.length > MAX_HYPERPARAMETERS - 5) {
    throw new Error(`hyperparameters: ${keys.length} given; SageMaker allows ${MAX_HYPERPARAMETERS} including the 5 the SDK adds`);
  }
  for (const key of keys) {
    const value = hyperparameters[key];
    if (!HYPERPARAMETER_NAME_PATTERN.test(key) || key.length > MAX_KEY_LENGTH) {
      throw new Error(
        `hyperparameter name '${key}' is not allowed: use letters, digits, '-', '_' and '.', starting with a letter or digit ` +
          '(the training toolkit passes it as --name through an unquoted shell command)',
      );
    }
    if (key.startsWith('sagemaker_')) {
      throw new Error(`hyperparameter name '${key}' is reserved: the SDK and the training toolkit own every 'sagemaker_*' key; rename it`);
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error(`hyperparameter '${key}' is ${value}; use a finite number`);
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw new Error(`hyperparameter '${key}' is ${value}, an integer beyond 2^53 that JavaScript cannot hold exactly; pass it as a string`);
      }
      continue;
    }
    if (typeof value === 'boolean') continue;
    if (typeof value !== 'string') {
      throw new Error(`hyperparameter '${key}' has type ${typeof value}; use a string, number or boolean`);
    }
    if (isUnresolved(value)) continue;
    if (!SAFE_VALUE_PATTERN.test(value)) {
      throw new Error(
        `hyperparameter '${key}' has value ${JSON.stringify(value)}, which contains a space, a shell character or is empty: ` +
          `the training toolkit joins '--key value' into an unquoted shell command, so only ${SAFE_VALUE_CHARACTERS} work`,
      );
    }
    if (value.length + 2 > MAX_VALUE_LENGTH) {
      throw new Error(`hyperparameter '${key}' is ${value.length} characters long; SageMaker allows ${MAX_VALUE_LENGTH - 2}`);
    }
  }
}

/** JSON-encodes every value, as `EstimatorBase._json_encode_hyperparameters` does. */
export function encodeHyperparameters(hyperparameters: Record<string, HyperparameterValue>): Record<string, string> {
  const encoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(hyperparameters)) encoded[key] = encodeHyperparameterValue(value);
  return encoded;
}

/**
 * The script-mode hyperparameters the SDK adds in `Framework._script_mode_hyperparam_update`
 * (`sagemaker_submit_directory`, `sagemaker_program`, `sagemaker_container_log_level`,
 * `sagemaker_job_name`, `sagemaker_region`), JSON-encoded.
 */
export function scriptModeHyperparameters(options: {
  submitDirectory: string;
  program: string;
  jobName: string;
  region: string;
  containerLogLevel?: number;
}): Record<string, string> {
  return encodeHyperparameters({
    sagemaker_submit_directory: options.submitDirectory,
    sagemaker_program: options.program,
    sagemaker_container_log_level: options.containerLogLevel ?? CONTAINER_LOG_LEVEL_INFO,
    sagemaker_job_name: options.jobName,
    sagemaker_region: options.region,
  });
}

/** Custom-resource attribute name for a final metric (CloudFormation attribute names avoid ':' and '/'). */
export function metricAttributeName(metricName: string): string {
  return `Metric.${metricName.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}
