// Lambda entry: smoke-tests the SageMaker endpoints named in ENDPOINT_NAMES (or the event's
// endpointNames), first checking that each serves the endpoint configuration ENDPOINT_CONFIGS names
// (served-config.ts). Returns the report; throws when a check fails, so a triggers.Trigger fails the deploy.
// While its stack (STACK_ID) rolls back, it tests nothing and passes (rollback.ts).
import type { Context } from 'aws-lambda';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { createSmokeTestClient, describeFailures, runSmokeTest, SmokeTestReport } from './run-smoke-test';
import { checkServedConfigs, describeServedConfigFailures, readExpectedConfigs, ServedConfigCheck } from './served-config';
import { readStackId, rollbackSkipReason } from './rollback';
import { readTestCases } from './test-cases';
import { runTestCases, TestCasesReport } from './run-test-cases';
import { sageMakerClient } from '../shared/sagemaker-client';
import { stackStatusClient } from '../shared/stack-status';

export * from './run-smoke-test';
export * from './run-test-cases';
export { readTestCases, answerLabel, TEST_CASES_ENV } from './test-cases';
export type { SmokeTestCase } from './test-cases';
export { loadSmokeDigits } from './digits';
export type { ServedConfigCheck } from './served-config';
export type { Digits } from './digits';

export interface SmokeTestEvent {
  readonly endpointNames?: string[];
}

/** What the function returns when it tests nothing on purpose: its stack deploys no endpoint (NO_ENDPOINTS_REASON), or is rolling back. */
export interface SkippedSmokeTest {
  /** Nothing failed, but nothing was tested: read `skipped`. */
  readonly passed: true;
  readonly skipped: string;
  readonly results: [];
}

/** Time kept back from the Lambda timeout to log the report and return. */
const SAFETY_MARGIN_MS = 10_000;
const DEFAULT_TIME_BUDGET_MS = 600_000;

function envNumber(env: NodeJS.ProcessEnv, name: string, check: (value: number) => boolean, hint: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!check(value)) throw new Error(`${name}=${raw} is not valid: ${hint}.`);
  return value;
}

const wholeNumber = (value: number) => Number.isInteger(value) && value >= 1;

/** Reads and validates the function's settings; the event's endpoint names win over ENDPOINT_NAMES. */
export function readSettings(env: NodeJS.ProcessEnv, event?: SmokeTestEvent | null) {
  let endpointNames: string[];
  if (event?.endpointNames !== undefined) {
    const names = event.endpointNames;
    if (!Array.isArray(names) || names.length === 0 || !names.every((name) => typeof name === 'string' && name.trim() !== '')) {
      throw new Error('event.endpointNames must be a non-empty array of endpoint names, e.g. {"endpointNames": ["my-endpoint"]}.');
    }
    endpointNames = names.map((name) => name.trim());
  } else {
    endpointNames = (env.ENDPOINT_NAMES ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
    if (endpointNames.length === 0 && env.NO_ENDPOINTS_REASON?.trim()) return { skipped: env.NO_ENDPOINTS_REASON.trim() };
    if (endpointNames.length === 0) {
      throw new Error('ENDPOINT_NAMES is empty: set it to the comma-separated endpoint names, or pass {"endpointNames": [...]} in the event.');
    }
  }
  return {
    endpointNames,
    minAccuracy: envNumber(env, 'MIN_ACCURACY', (v) => v >= 0 && v <= 1, 'use a fraction from 0 to 1, e.g. 0.9') ?? 0.9,
    maxAttempts: envNumber(env, 'MAX_ATTEMPTS', wholeNumber, 'use a whole number >= 1'),
    requestTimeoutMs: envNumber(env, 'REQUEST_TIMEOUT_MS', wholeNumber, 'use a whole number of milliseconds >= 1'),
    timeBudgetMs: envNumber(env, 'TIME_BUDGET_MS', wholeNumber, 'use a whole number of milliseconds >= 1'),
    batchSize: envNumber(env, 'BATCH_SIZE', wholeNumber, 'use a whole number >= 1'),
  };
}

/** The report, plus what each endpoint was found serving when ENDPOINT_CONFIGS names its configuration. */
export type HandlerReport = (SmokeTestReport | TestCasesReport) & { readonly servedConfigs?: ServedConfigCheck[] };

let client: SageMakerRuntimeClient | undefined;
let sagemaker: SageMakerClient | undefined;
let cloudFormation: CloudFormationClient | undefined;

function skip(reason: string): SkippedSmokeTest {
  const skipped: SkippedSmokeTest = { passed: true, skipped: reason, results: [] };
  console.log(JSON.stringify({ smokeTestReport: skipped }));
  return skipped;
}

export async function handler(event?: SmokeTestEvent | null, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<HandlerReport | SkippedSmokeTest> {
  const settings = readSettings(process.env, event);
  // The model's own cases (SMOKE_TEST_CASES) when the construct was given some; else the bundled digits. Read first: a bad value fails before any call.
  const cases = readTestCases(process.env);
  const stackId = readStackId(process.env);
  // The stack serves nothing right now (e.g. its only endpoint is paused): say so, fail nothing.
  if ('skipped' in settings) return skip(`no endpoint to test: ${settings.skipped}`);
  // Stop retrying early enough that the Lambda itself never times out (a timeout says nothing useful).
  const remaining = context ? context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS : DEFAULT_TIME_BUDGET_MS;
  let timeBudgetMs = Math.max(1_000, Math.min(remaining, settings.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS));
  // The trigger's invocation carries no endpoint names (nor anything else): during a rollback it must
  // not fail. An event that names endpoints is someone asking for a test now: it runs as always.
  if (stackId !== undefined && event?.endpointNames === undefined) {
    const started = Date.now();
    cloudFormation ??= stackStatusClient();
    const rollingBack = await rollbackSkipReason(cloudFormation, stackId, timeBudgetMs);
    if (rollingBack !== undefined) return skip(rollingBack);
    timeBudgetMs = Math.max(1_000, timeBudgetMs - (Date.now() - started));
  }
  // First: does each endpoint serve the configuration this deploy set? (A rolled-back update serves the old model.)
  const expected = readExpectedConfigs(process.env);
  let servedConfigs: ServedConfigCheck[] | undefined;
  if (settings.endpointNames.some((name) => expected.has(name))) {
    const started = Date.now();
    sagemaker ??= sageMakerClient();
    servedConfigs = await checkServedConfigs(sagemaker, expected, settings.endpointNames, timeBudgetMs);
    if (!servedConfigs.every((check) => check.passed)) {
      console.log(JSON.stringify({ smokeTestReport: { passed: false, servedConfigs, results: [] } }));
      throw new Error(describeServedConfigFailures(servedConfigs));
    }
    timeBudgetMs = Math.max(1_000, timeBudgetMs - (Date.now() - started));
  }
  client ??= createSmokeTestClient();
  const outcome = cases ? await runTestCases({ client, ...settings, cases, timeBudgetMs }) : await runSmokeTest({ client, ...settings, timeBudgetMs });
  const report: HandlerReport = { ...outcome, ...(servedConfigs ? { servedConfigs } : {}) };
  console.log(JSON.stringify({ smokeTestReport: report }));
  if (!report.passed) throw new Error(describeFailures(report));
  return report;
}
