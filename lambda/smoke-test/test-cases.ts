// A model's own smoke-test cases: request bodies with the label each must come back with. The
// construct puts them in SMOKE_TEST_CASES (JSON); without it the function sends the bundled MNIST
// digits (digits.ts). One case is one request; the answer's label is read by answerLabel().
import { BadResponseError, argmax } from './payload';

/** One request and the label its answer must carry. */
export interface SmokeTestCase {
  /** The request's Content-Type, e.g. `text/csv` or `application/json`. */
  readonly contentType: string;
  /** The Accept header; `application/json` or `text/csv` answers can be read. @default contentType */
  readonly accept?: string;
  /** The request body, sent as UTF-8 text (e.g. one CSV row of features). */
  readonly body: string;
  /** The class the model must answer: compared with the answer's label as text (`2` equals `"2"`). */
  readonly expectedLabel: number | string;
}

/** The function's environment variable holding the cases as a JSON array. */
export const TEST_CASES_ENV = 'SMOKE_TEST_CASES';
/**
 * Lambda holds 4 KB of environment variables in all; the construct's own (endpoint names, stack
 * id, revision) need the rest.
 */
export const MAX_TEST_CASES_JSON_BYTES = 3_000;
/** Answers the function can read a label from. */
export const READABLE_ACCEPT_TYPES = ['application/json', 'text/csv'] as const;

/** Checks parsed JSON is a non-empty array of cases; `source` names where it came from in the error. */
export function validateTestCases(value: unknown, source: string): SmokeTestCase[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`${source} must be a non-empty array of {contentType, accept?, body, expectedLabel}, got ${Array.isArray(value) ? 'an empty array' : typeof value}.`);
  }
  return value.map((item, i) => {
    const at = `${source}[${i}]`;
    if (typeof item !== 'object' || item === null) throw new Error(`${at} must be an object {contentType, accept?, body, expectedLabel}.`);
    const { contentType, accept, body, expectedLabel } = item as Record<string, unknown>;
    const extra = Object.keys(item).filter((key) => !['contentType', 'accept', 'body', 'expectedLabel'].includes(key));
    if (extra.length > 0) throw new Error(`${at} has unknown field(s) ${extra.join(', ')}: a case holds contentType, accept, body and expectedLabel.`);
    if (typeof contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(contentType)) {
      throw new Error(`${at}.contentType ${JSON.stringify(contentType)} is not a MIME type such as text/csv.`);
    }
    const answerType = accept ?? contentType;
    if (typeof answerType !== 'string' || !(READABLE_ACCEPT_TYPES as readonly string[]).includes(answerType)) {
      throw new Error(`${at}.accept ${JSON.stringify(answerType)} cannot be read for a label: use one of ${READABLE_ACCEPT_TYPES.join(', ')}.`);
    }
    if (typeof body !== 'string' || body.length === 0) throw new Error(`${at}.body must be a non-empty string (the request body).`);
    if (!(typeof expectedLabel === 'string' && expectedLabel !== '') && !(typeof expectedLabel === 'number' && Number.isFinite(expectedLabel))) {
      throw new Error(`${at}.expectedLabel ${JSON.stringify(expectedLabel)} must be a number or a non-empty string.`);
    }
    return { contentType, ...(accept === undefined ? {} : { accept: answerType }), body, expectedLabel };
  });
}

/** The cases in SMOKE_TEST_CASES, or undefined when it is not set (the bundled MNIST digits then). */
export function readTestCases(env: NodeJS.ProcessEnv): SmokeTestCase[] | undefined {
  const raw = env[TEST_CASES_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new Error(`${TEST_CASES_ENV} is not valid JSON: ${(error as Error).message}`);
  }
  return validateTestCases(value, TEST_CASES_ENV);
}

/** The answer's label and, when it came as probabilities, the probability of that label. */
export interface AnswerLabel {
  readonly label: string;
  readonly probability?: number;
}

function fromValues(values: unknown[], what: string): AnswerLabel {
  if (values.length === 1 && (typeof values[0] === 'string' || typeof values[0] === 'number')) return { label: String(values[0]) };
  if (values.length > 1 && values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const row = values as number[];
    const best = argmax(row);
    return { label: String(best), probability: Number(row[best].toFixed(4)) };
  }
  throw new BadResponseError(`The answer ${what} is neither one label nor a row of class scores.`);
}

/**
 * Reads one answer's label: a label (`2`, `"cat"`, `[2]`, CSV `2`) as is; a row of class scores
 * (`[0.1, 0.7, 0.2]`, `[[…]]`, CSV `0.1,0.7,0.2`) as the index of the largest.
 */
export function answerLabel(body: Uint8Array, contentType: string | undefined): AnswerLabel {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const text = Buffer.from(body).toString('utf8').trim();
  if (type === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new BadResponseError(`The application/json answer is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof value === 'number' || (typeof value === 'string' && value !== '')) return { label: String(value) };
    if (Array.isArray(value) && value.length === 1 && Array.isArray(value[0])) return fromValues(value[0], text.slice(0, 200));
    if (Array.isArray(value)) return fromValues(value, text.slice(0, 200));
    throw new BadResponseError(`The answer ${text.slice(0, 200)} is neither a label nor a row of class scores.`);
  }
  if (type === 'text/csv') {
    const firstLine = text.split(/\r?\n/)[0];
    const fields = firstLine.split(',').map((field) => field.trim());
    const numbers = fields.map(Number);
    return fromValues(fields.length > 1 && numbers.every(Number.isFinite) ? numbers : fields, firstLine.slice(0, 200));
  }
  throw new BadResponseError(`The answer's content type is ${contentType ?? '(none)'}; a label is read from ${READABLE_ACCEPT_TYPES.join(' or ')}.`);
}
