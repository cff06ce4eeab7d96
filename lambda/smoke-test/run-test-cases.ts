// Sends a model's own test cases (SMOKE_TEST_CASES) to SageMaker endpoints and checks each answer's
// label: one request per case, one result per endpoint and content type, the same report and
// retries as the digits (run-smoke-test.ts).
import { checkEveryEndpoint, checkResult, EndpointCheckOptions, invokeOnce, MIN_USEFUL_ATTEMPT_MS, SmokeCheckResult, validateEndpointCheckOptions, WrongAnswer } from './run-smoke-test';
import { answerLabel, SmokeTestCase } from './test-cases';
import { describeError, withRetries } from './retry';

export interface TestCasesOptions extends EndpointCheckOptions {
  readonly cases: readonly SmokeTestCase[];
}

/** What the test-case run returns: like the digits' report, counting cases instead of digits. */
export interface TestCasesReport {
  readonly passed: boolean;
  readonly minAccuracy: number;
  readonly cases: number;
  readonly durationMs: number;
  readonly results: SmokeCheckResult[];
}

async function runCheck(options: TestCasesOptions, endpointName: string, contentType: string, deadline: number): Promise<SmokeCheckResult> {
  const requestTimeoutMs = options.requestTimeoutMs ?? 70_000;
  const indexed = options.cases.map((testCase, index) => ({ testCase, index })).filter(({ testCase }) => testCase.contentType === contentType);
  const latencies: number[] = [];
  const wrongAnswers: WrongAnswer[] = [];
  let correct = 0;
  let attempts = 0;
  let requests = 0;
  let error: string | undefined;
  for (const { testCase, index } of indexed) {
    if (Date.now() >= deadline) {
      error = 'not finished: the time budget (TIME_BUDGET_MS, or the Lambda timeout) ran out first';
      break;
    }
    const body = Buffer.from(testCase.body, 'utf8');
    const accept = testCase.accept ?? testCase.contentType;
    requests++;
    const outcome = await withRetries(
      {
        maxAttempts: options.maxAttempts ?? 8,
        deadline,
        baseDelayMs: options.baseDelayMs ?? 1_000,
        maxDelayMs: options.maxDelayMs ?? 20_000,
        minAttemptMs: Math.min(requestTimeoutMs, MIN_USEFUL_ATTEMPT_MS),
        random: options.random,
      },
      (remainingMs) =>
        remainingMs < requestTimeoutMs
          ? invokeOnce(options.client, endpointName, contentType, body, Math.max(1, remainingMs), 'the rest of the time budget', accept)
          : invokeOnce(options.client, endpointName, contentType, body, requestTimeoutMs, 'REQUEST_TIMEOUT_MS', accept),
      (n, retryError, delayMs) =>
        (options.log ?? ((line: string) => console.warn(line)))(
          `${endpointName} (${contentType}): attempt ${n} failed (${describeError(retryError)}); retrying in ${Math.round(delayMs)} ms`,
        ),
    );
    attempts += outcome.attempts;
    if (outcome.value === undefined) {
      const why = outcome.outOfTime ? '; stopped retrying: out of time budget' : '';
      error = `case #${index}: ${describeError(outcome.error)} (after ${outcome.attempts} attempt(s)${why})`;
      break;
    }
    latencies.push(outcome.value.latencyMs);
    let answer;
    try {
      answer = answerLabel(outcome.value.body, outcome.value.contentType);
    } catch (parseError) {
      error = `case #${index}: ${(parseError as Error).message}`;
      break;
    }
    if (answer.label === String(testCase.expectedLabel)) correct++;
    else wrongAnswers.push({ index, expected: testCase.expectedLabel, got: answer.label, ...(answer.probability === undefined ? {} : { probability: answer.probability }) });
  }
  return checkResult({ endpointName, contentType, total: indexed.length, correct, requests, attempts, latencies, wrongAnswers, error, minAccuracy: options.minAccuracy });
}

/** Runs every case on every endpoint (endpoints in parallel; per endpoint one request at a time). */
export async function runTestCases(options: TestCasesOptions): Promise<TestCasesReport> {
  validateEndpointCheckOptions(options);
  if (options.cases.length === 0) throw new Error('No test case to send: give at least one.');
  const started = Date.now();
  const deadline = started + (options.timeBudgetMs ?? 600_000);
  const contentTypes = [...new Set(options.cases.map((testCase) => testCase.contentType))];
  const results = await checkEveryEndpoint(options.endpointNames, contentTypes, (endpointName, contentType) => runCheck(options, endpointName, contentType, deadline));
  return { passed: results.every((r) => r.passed), minAccuracy: options.minAccuracy, cases: options.cases.length, durationMs: Date.now() - started, results };
}
