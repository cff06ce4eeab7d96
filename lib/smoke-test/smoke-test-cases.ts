import * as fs from 'fs';
import {
  MAX_TEST_CASES_JSON_BYTES, SmokeTestCase, TEST_CASES_ENV, validateTestCases,
} from '../../lambda/smoke-test/test-cases';

export type { SmokeTestCase };

/**
 * What the smoke test sends and the labels it expects back. The MNIST digits are bundled with the
 * function; a model's own cases travel in its environment (SMOKE_TEST_CASES), so a new set of cases
 * changes the function's configuration and runs the test again.
 */
export abstract class SmokeTestCases {
  /**
   * The 40 held-out MNIST test digits bundled with the function, sent as `application/x-npy` and
   * as `application/json` (shape (N,1,28,28)); answers must be (N,10) probabilities.
   */
  public static mnistDigits(): SmokeTestCases {
    return new BundledDigits();
  }

  /** A model's own cases: one request each; the answer's label (or argmax of its scores) must match. */
  public static fromCases(cases: SmokeTestCase[]): SmokeTestCases {
    return new OwnCases(validateTestCases(cases, 'testCases'));
  }

  /** A JSON file holding an array of cases (see `fromCases`), read at synth. */
  public static fromFile(file: string): SmokeTestCases {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`SmokeTestCases.fromFile: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give the path of a JSON array of test cases.`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new Error(`SmokeTestCases.fromFile: ${file} is not valid JSON: ${(error as Error).message}`);
    }
    return new OwnCases(validateTestCases(value, file));
  }

  /** The function environment that carries the cases; empty for the bundled digits. */
  public abstract readonly environment: Readonly<Record<string, string>>;
}

class BundledDigits extends SmokeTestCases {
  public readonly environment = {};
}

class OwnCases extends SmokeTestCases {
  public readonly environment: Readonly<Record<string, string>>;
  constructor(cases: SmokeTestCase[]) {
    super();
    const json = JSON.stringify(cases);
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_TEST_CASES_JSON_BYTES) {
      throw new Error(
        `testCases: ${cases.length} cases take ${bytes} bytes of JSON, over the ${MAX_TEST_CASES_JSON_BYTES} that fit in the function's environment ` +
          '(Lambda allows 4 KB in all): use fewer or shorter cases.',
      );
    }
    this.environment = { [TEST_CASES_ENV]: json };
  }
}
