// The training container's half of the hyperparameter journey: hyperparameters.json holds the
// values JSON-encoded (by the SDK, or here by the stack's own encoder in
// lambda/training-job/hyperparameters.ts); the toolkit json.loads each one (keeping the raw
// string when that fails), drops `sagemaker_*` keys and passes the rest to the script as sorted
// `--key value` arguments, formatted by Python's str().

import { HYPERPARAMETER_NAME_PATTERN, SAFE_VALUE_CHARACTERS, SAFE_VALUE_PATTERN } from '../../lambda/training-job/hyperparameters';

type Decoded = { kind: 'int' | 'float'; value: number } | { kind: 'bool'; value: boolean } | { kind: 'str'; value: string };

/** The toolkit's `json.loads(value)`, falling back to the raw string; keeps int vs float as Python would. */
function decode(raw: string): Decoded {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { kind: 'str', value: raw };
  }
  if (typeof parsed === 'boolean') return { kind: 'bool', value: parsed };
  if (typeof parsed === 'string') return { kind: 'str', value: parsed };
  if (typeof parsed === 'number') return { kind: /^-?\d+$/.test(raw.trim()) ? 'int' : 'float', value: parsed };
  throw new Error(`Hyperparameter value ${raw} is a JSON ${Array.isArray(parsed) ? 'array' : typeof parsed}: use a string, number or boolean.`);
}

/** Python's str() of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
function pythonFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e16)) {
    const [mantissa, exponent] = value.toExponential().split('e');
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

function pythonStr(decoded: Decoded): string {
  switch (decoded.kind) {
    case 'bool':
      return decoded.value ? 'True' : 'False';
    case 'int':
      return String(decoded.value);
    case 'float':
      return pythonFloat(decoded.value);
    default:
      return decoded.value;
  }
}

/** The values the toolkit hands the script (SM_HPS), `sagemaker_*` keys dropped. */
export function decodeHyperparameters(encoded: Record<string, string>): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(encoded)
      .filter(([key]) => !key.startsWith('sagemaker_'))
      .map(([key, raw]) => [key, decode(raw).value]),
  );
}


/** The script's command line as the toolkit builds it: sorted keys, `--key value` (`-k` for one letter). */
export function toolkitArguments(encoded: Record<string, string>): string[] {
  const args: string[] = [];
  for (const key of Object.keys(encoded).sort()) {
    if (key.startsWith('sagemaker_')) continue;
    const value = pythonStr(decode(encoded[key]));
    // The stack's own rules (what synth lets through): the toolkit joins arguments without quoting.
    if (!HYPERPARAMETER_NAME_PATTERN.test(key)) {
      throw new Error(
        `Hyperparameter name ${JSON.stringify(key)} would break the training container's command line (--${key}): ` +
          "use letters, digits, '-', '_' and '.', starting with a letter or digit.",
      );
    }
    if (!SAFE_VALUE_PATTERN.test(value)) {
      throw new Error(
        `Hyperparameter ${key}=${JSON.stringify(value)} would break the training container's command line ` +
          `(the toolkit joins arguments without quoting): use a value without spaces or shell characters, only ${SAFE_VALUE_CHARACTERS}.`,
      );
    }
    args.push(key.length > 1 ? `--${key}` : `-${key}`, value);
  }
  return args;
}
