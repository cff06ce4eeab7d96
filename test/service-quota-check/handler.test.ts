// The pre-flight quota check's handler against a fake Service Quotas on loopback, called through
// the real AWS SDK client: it fails a deploy whose quotas are too low with the exact message, passes
// at the quota, pages, falls back to the AWS defaults, and never fails a deploy on its own failure.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Dependencies, MAX_PAGES, MESSAGE_BUDGET, onEvent, QuotaRequirementProperties } from '../../lambda/service-quota-check/handlers';
import { MAX_ATTEMPTS } from '../../lambda/shared/retry';
import { customResourceEvent } from '../support/custom-resource-event';
import { FakeServiceQuotas, REGION } from './fake-service-quotas';

const TRAINING = 'ml.c5.2xlarge for training job usage';
const ENDPOINT = 'ml.m5.large for endpoint usage';
const SERVERLESS = 'Maximum total concurrency that can be allocated across all serverless endpoints';
const BLUE_GREEN = 'an update runs the old and the new fleet side by side until traffic has moved';

const training: QuotaRequirementProperties = {
  QuotaName: TRAINING, Needed: '2', NeededBy: 'the training job (2 × ml.c5.2xlarge)', Advice: '-c trainingInstanceCount=1',
};
/** A real-time fleet of `count` instances (autoscaled up to `maximum`), deployed as `revision`. */
const endpoint = (count: number, revision = 'fleet-1', maximum = count): QuotaRequirementProperties => ({
  QuotaName: ENDPOINT, Needed: String(count), FleetRevision: revision, FleetMaximum: String(maximum), FleetReplacementReason: BLUE_GREEN,
  NeededBy: `the real-time endpoint (${count} × ml.m5.large${maximum > count ? `, autoscaled up to ${maximum}` : ''})`, Advice: '-c pauseRealtimeEndpoint=true',
});
const serverless: QuotaRequirementProperties = {
  QuotaName: SERVERLESS, Needed: '1', NeededBy: 'the serverless endpoint (serverlessMaxConcurrency=1)', Unit: 'concurrent invocations',
};
const ALL = [training, endpoint(1), serverless];

function event(type: 'Create' | 'Update' | 'Delete', requirements = ALL, old = ALL): CloudFormationCustomResourceEvent {
  return customResourceEvent(type, {
    resourceType: 'Custom::ServiceQuotaCheck',
    logicalId: 'QuotaCheck',
    stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/MnistStack/guid',
    properties: { ServiceCode: 'sagemaker', Requirements: requirements },
    oldProperties: { ServiceCode: 'sagemaker', Requirements: old },
    physicalId: 'service-quota-check-sagemaker',
  });
}

const raise = (quota: string, desired: number) =>
  `To raise it to ${desired}: Service Quotas console https://eu-west-1.console.aws.amazon.com/servicequotas/home/services/sagemaker/quotas ` +
  `(search '${quota}', Request increase), or run: aws service-quotas request-service-quota-increase --region eu-west-1 --service-code sagemaker ` +
  `--desired-value ${desired} --quota-code "$(aws service-quotas list-aws-default-service-quotas --region eu-west-1 --service-code sagemaker ` +
  `--query "Quotas[?QuotaName=='${quota}'].QuotaCode" --output text)" (AWS reviews increases; approval can take from minutes to days).`;
const HEAD = (n: number) =>
  `Service quota check: ${n === 1 ? 'a quota is' : `${n} quotas are`} too low in eu-west-1 for what this deploy would start, so it stops now, before it trains or changes an endpoint.`;

let fake: FakeServiceQuotas;
let deps: Dependencies;
let lines: string[];

beforeEach(async () => {
  fake = new FakeServiceQuotas();
  await fake.start();
  lines = [];
  const log = (line: string) => void lines.push(line);
  deps = { serviceQuotas: fake.client(log), cloudFormation: fake.cloudFormationClient(log), region: REGION, log };
});

afterEach(async () => {
  await fake.stop();
});

const operations = () => fake.calls.map((c) => c.operation);

test('a quota below what the deploy needs fails Create with the quota, numbers, how to raise it and the settings to try', async () => {
  fake.add(TRAINING, 0, 0);
  fake.add(ENDPOINT, 0, 4);
  fake.add(SERVERLESS, 10, 10);
  await expect(onEvent(event('Create'), deps)).rejects.toThrow(new Error(
    `${HEAD(1)} (1) Service quota '${TRAINING}' (instance type ml.c5.2xlarge, usage: training job) is 0 instances in eu-west-1, ` +
      `and the training job (2 × ml.c5.2xlarge) needs 2. ${raise(TRAINING, 2)} Settings to try instead: -c trainingInstanceCount=1`,
  ));
  expect(lines).toContain(`Quota '${ENDPOINT}' is 4 (applied value): enough for the real-time endpoint (1 × ml.m5.large), which needs 1`);
});

test('at the quota it passes, logging each quota', async () => {
  fake.add(TRAINING, 0, 2);
  fake.add(ENDPOINT, 0, 1);
  fake.add(SERVERLESS, 10, 1);
  await expect(onEvent(event('Create'), deps)).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
  expect(lines.slice(1)).toEqual([
    `Quota '${TRAINING}' is 2 (applied value): enough for the training job (2 × ml.c5.2xlarge), which needs 2`,
    `Quota '${ENDPOINT}' is 1 (applied value): enough for the real-time endpoint (1 × ml.m5.large), which needs 1`,
    `Quota '${SERVERLESS}' is 1 (applied value): enough for the serverless endpoint (serverlessMaxConcurrency=1), which needs 1`,
  ]);
  expect(lines[0]).toMatch(/^Service quota check: read sagemaker quotas in 1 call\(s\), \d+ ms$/);
});

test('pages through ListServiceQuotas and stops once every quota is found', async () => {
  fake.addFiller(230);
  fake.add(TRAINING, 0, 2);
  fake.add(ENDPOINT, 0, 1);
  fake.add(SERVERLESS, 10, 10);
  fake.addFiller(300);
  await onEvent(event('Create'), deps);
  expect(fake.calls).toEqual([
    { operation: 'ListServiceQuotas', serviceCode: 'sagemaker', maxResults: 100 },
    { operation: 'ListServiceQuotas', serviceCode: 'sagemaker', maxResults: 100, token: 'page-100' },
    { operation: 'ListServiceQuotas', serviceCode: 'sagemaker', maxResults: 100, token: 'page-200' },
  ]);
});

test('a quota ListServiceQuotas does not list (never applied) is read from the AWS defaults', async () => {
  fake.addFiller(150);
  fake.add(TRAINING, 0, 2);
  fake.add(ENDPOINT, 0); // default 0, nothing applied: the usual new account
  fake.add(SERVERLESS, 10, 10);
  await expect(onEvent(event('Create'), deps)).rejects.toThrow(new Error(
    `${HEAD(1)} (1) Service quota '${ENDPOINT}' (instance type ml.m5.large, usage: endpoint) is 0 instances in eu-west-1, ` +
      `and the real-time endpoint (1 × ml.m5.large) needs 1. ${raise(ENDPOINT, 1)} Settings to try instead: -c pauseRealtimeEndpoint=true`,
  ));
  expect(operations()).toEqual(['ListServiceQuotas', 'ListServiceQuotas', 'ListAWSDefaultServiceQuotas', 'ListAWSDefaultServiceQuotas']);
  expect(lines).toContain(`Quota '${TRAINING}' is 2 (applied value): enough for the training job (2 × ml.c5.2xlarge), which needs 2`);
});

test('reading is bounded: a quota beyond MAX_PAGES pages of each list is left unchecked, not waited for', async () => {
  fake.addFiller(MAX_PAGES * 100);
  fake.add(TRAINING, 0, 0);
  await expect(onEvent(event('Create', [training]), deps)).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
  expect(operations()).toEqual([...Array(MAX_PAGES).fill('ListServiceQuotas'), ...Array(MAX_PAGES).fill('ListAWSDefaultServiceQuotas')]);
  expect(lines).toContain(`Quota '${TRAINING}' was not found among the sagemaker quotas in eu-west-1; not checked`);
});

test('a quota found in neither list is logged and not checked', async () => {
  fake.add(TRAINING, 0, 2);
  fake.add(ENDPOINT, 0, 1);
  await expect(onEvent(event('Create'), deps)).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
  expect(lines).toContain(`Quota '${SERVERLESS}' was not found among the sagemaker quotas in eu-west-1; not checked`);
});

test('Service Quotas denied: the check logs why and lets the deploy go on', async () => {
  fake.add(TRAINING, 0, 0);
  fake.failNext('ListServiceQuotas', 'AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/check is not authorized to perform: servicequotas:ListServiceQuotas');
  await expect(onEvent(event('Create'), deps)).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
  expect(lines).toEqual([
    'Service quota check skipped: Service Quotas answered AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/check is not authorized ' +
      'to perform: servicequotas:ListServiceQuotas (the role needs servicequotas:ListServiceQuotas and servicequotas:ListAWSDefaultServiceQuotas). ' +
      'The deploy goes on unchecked.',
  ]);
});

test('throttled past the SDK\'s retries: each retry logged, then the deploy goes on unchecked', async () => {
  fake.add(TRAINING, 0, 0);
  fake.failNext('ListServiceQuotas', 'TooManyRequestsException', 'Rate exceeded', MAX_ATTEMPTS);
  await expect(onEvent(event('Create'), deps)).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
  expect(operations()).toHaveLength(MAX_ATTEMPTS);
  expect(lines.filter((l) => /^ListServiceQuotas: TooManyRequestsException on attempt \d, retried after \d+ ms$/.test(l))).toHaveLength(MAX_ATTEMPTS - 1);
  expect(lines[lines.length - 1]).toMatch(/^Service quota check skipped: Service Quotas answered TooManyRequestsException: Rate exceeded/);
});

test('a throttle the SDK retries away changes nothing', async () => {
  fake.add(TRAINING, 0, 0);
  fake.failNext('ListServiceQuotas', 'TooManyRequestsException', 'Rate exceeded', 2);
  await expect(onEvent(event('Create'), deps)).rejects.toThrow(/Service quota 'ml\.c5\.2xlarge for training job usage'/);
});

describe('update: what runs at once', () => {
  const OTHER_TYPE = 'ml.c5.large for endpoint usage';
  const otherType: QuotaRequirementProperties = { ...endpoint(1, 'fleet-2'), QuotaName: OTHER_TYPE, NeededBy: 'the real-time endpoint (1 × ml.c5.large)' };

  beforeEach(() => {
    fake.add(TRAINING, 0, 2);
    fake.add(SERVERLESS, 10, 10);
  });

  test('unpausing (or turning the real-time endpoint on) creates the endpoint: its quota, new to this update, needs only the new fleet', async () => {
    fake.add(ENDPOINT, 0, 1);
    await expect(onEvent(event('Update', ALL, [training, serverless]), deps)).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
    expect(lines).toContain(`Quota '${ENDPOINT}' is 1 (applied value): enough for the real-time endpoint (1 × ml.m5.large), which needs 1`);
  });

  test('a new instance type (a new quota name) needs only the new fleet of that quota; the old type\'s quota is not asked about', async () => {
    fake.add(ENDPOINT, 0, 0);
    fake.add(OTHER_TYPE, 0, 1);
    await expect(onEvent(event('Update', [training, otherType, serverless], ALL), deps)).resolves.toBeDefined();
    expect(lines).toContain(`Quota '${OTHER_TYPE}' is 1 (applied value): enough for the real-time endpoint (1 × ml.c5.large), which needs 1`);
    expect(lines.join('\n')).not.toContain(ENDPOINT);
  });

  test('a retrain on the same instance type (a new fleet revision) runs both fleets, and the message says so', async () => {
    fake.add(ENDPOINT, 0, 1);
    await expect(onEvent(event('Update', [training, endpoint(1, 'fleet-2'), serverless], ALL), deps)).rejects.toThrow(new Error(
      `${HEAD(1)} (1) Service quota '${ENDPOINT}' (instance type ml.m5.large, usage: endpoint) is 1 instances in eu-west-1, ` +
        `and the real-time endpoint (1 × ml.m5.large) needs 2 (1 for the old fleet + 1 for the new one; ${BLUE_GREEN}). ${raise(ENDPOINT, 2)} ` +
        'Settings to try instead: -c pauseRealtimeEndpoint=true',
    ));
    expect(lines).toContain('Stack status: UPDATE_IN_PROGRESS');
  });

  test('an autoscaled fleet counts at its maximum, old and new (the new one starts with the live count)', async () => {
    fake.add(ENDPOINT, 0, 7);
    const retrain = event('Update', [training, endpoint(2, 'fleet-2', 4), serverless], [training, endpoint(2, 'fleet-1', 4), serverless]);
    await expect(onEvent(retrain, deps)).rejects.toThrow(
      `is 7 instances in eu-west-1, and the real-time endpoint (2 × ml.m5.large, autoscaled up to 4) needs 8 (4 for the old fleet + 4 for the new one; ${BLUE_GREEN}).`,
    );
  });

  test('a deploy that keeps the fleet (same revision) needs its instances once, and a shortfall there only warns', async () => {
    fake.add(ENDPOINT, 0, 0);
    const moreTraining = { ...training, Needed: '1' };
    await expect(onEvent(event('Update', [moreTraining, endpoint(1), serverless], ALL), deps)).resolves.toBeDefined();
    expect(lines).toContain(
      'Warning (not failing an update that asks no more than before, e.g. a rollback): ' +
        `Service quota '${ENDPOINT}' (instance type ml.m5.large, usage: endpoint) is 0 instances in eu-west-1, ` +
        `and the real-time endpoint (1 × ml.m5.large) needs 1. ${raise(ENDPOINT, 1)} Settings to try instead: -c pauseRealtimeEndpoint=true`,
    );
  });

  test('a new fleet short of its quota only warns while the stack rolls back (never UPDATE_ROLLBACK_FAILED)', async () => {
    fake.add(ENDPOINT, 0, 1);
    fake.stack = { status: 'UPDATE_ROLLBACK_IN_PROGRESS' };
    // CloudFormation's rollback: the old properties (fleet-1) as the new, the failed update's (fleet-2) as the old.
    await expect(onEvent(event('Update', ALL, [training, endpoint(1, 'fleet-2'), serverless]), deps)).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
    expect(fake.calls[fake.calls.length - 1]).toEqual({ operation: 'DescribeStacks', stackName: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/MnistStack/guid' });
    expect(lines).toContain('Stack status: UPDATE_ROLLBACK_IN_PROGRESS');
    expect(lines[lines.length - 1]).toMatch(/^Warning only, the stack is rolling back \(failing here would leave it UPDATE_ROLLBACK_FAILED\): Service quota check: a quota is too low/);
  });

  test('when the stack status cannot be read, a new fleet\'s shortfall still fails the Update (it is real)', async () => {
    fake.add(ENDPOINT, 0, 1);
    fake.stack = { error: 'AccessDenied' };
    await expect(onEvent(event('Update', [training, endpoint(1, 'fleet-2'), serverless], ALL), deps)).rejects.toThrow(/^Service quota check: a quota is too low/);
    expect(lines).toContain(
      'Could not tell whether the stack is rolling back (DescribeStacks: AccessDenied: not authorized to perform: cloudformation:DescribeStacks on resource: ' +
        'arn:aws:cloudformation:eu-west-1:123456789012:stack/MnistStack/guid); treating it as a forward update',
    );
  });

  test('a requirement that asks less than before (e.g. CloudFormation\'s rollback to the old properties) only warns', async () => {
    fake.setApplied(TRAINING, 1); // lowered since the last deploy
    fake.add(ENDPOINT, 0, 1);
    await expect(onEvent(event('Update', ALL, [{ ...training, Needed: '3' }, endpoint(1), serverless]), deps)).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
    expect(lines).toContain(
      'Warning (not failing an update that asks no more than before, e.g. a rollback): ' +
        `Service quota '${TRAINING}' (instance type ml.c5.2xlarge, usage: training job) is 1 instances in eu-west-1, ` +
        `and the training job (2 × ml.c5.2xlarge) needs 2. ${raise(TRAINING, 2)} Settings to try instead: -c trainingInstanceCount=1`,
    );
  });

  test('the first deploy of this version: old properties without a fleet revision (NeededOnUpdate, from before) count as another fleet', async () => {
    fake.add(ENDPOINT, 0, 2);
    const before = { QuotaName: ENDPOINT, Needed: '1', NeededOnUpdate: '2', NeededOnUpdateReason: BLUE_GREEN, NeededBy: 'the real-time endpoint (1 × ml.m5.large)' };
    await expect(onEvent(event('Update', [training, endpoint(1), serverless], [training, before, serverless]), deps)).resolves.toBeDefined();
    expect(lines).toContain(`Quota '${ENDPOINT}' is 2 (applied value): enough for the real-time endpoint (1 × ml.m5.large), which needs 2`);
  });

  test('a quota new to the requirements (another training instance type) is enforced on Update', async () => {
    fake.add('ml.m5.xlarge for training job usage', 0, 0);
    fake.add(ENDPOINT, 0, 4);
    const other = { ...training, QuotaName: 'ml.m5.xlarge for training job usage', NeededBy: 'the training job (2 × ml.m5.xlarge)' };
    await expect(onEvent(event('Update', [other, endpoint(1)], [training, endpoint(1)]), deps)).rejects.toThrow(
      /^Service quota check: a quota is too low .* \(1\) Service quota 'ml\.m5\.xlarge for training job usage' .* is 0 instances in eu-west-1, and the training job \(2 × ml\.m5\.xlarge\) needs 2\. /,
    );
  });
});

// At the quota every request passes; one below it, a Create, a grown requirement and a new fleet
// fail, while an Update that asks exactly what it asked before only warns.
describe('boundaries: quota == need passes, quota == need - 1 fails or warns', () => {
  const grownTraining = { ...training, Needed: '3', NeededBy: 'the training job (3 × ml.c5.2xlarge)' };
  test.each<[string, CloudFormationCustomResourceEvent, string, number, 'fails' | 'warns']>([
    ['Create (needs 2)', event('Create', [training]), TRAINING, 2, 'fails'],
    ['Update, unchanged requirement (needs 2)', event('Update', [training], [training]), TRAINING, 2, 'warns'],
    ['Update, grown requirement (needs 3)', event('Update', [grownTraining], [training]), TRAINING, 3, 'fails'],
    ['Update, unchanged fleet (needs 2)', event('Update', [endpoint(2)], [endpoint(2)]), ENDPOINT, 2, 'warns'],
    ['Update, new fleet (needs 2 + 2)', event('Update', [endpoint(2, 'fleet-2')], [endpoint(2)]), ENDPOINT, 4, 'fails'],
    ['Update, new quota name (needs the new fleet\'s 2)', event('Update', [endpoint(2)], [training]), ENDPOINT, 2, 'fails'],
  ])('%s', async (_, request, quota, need, below) => {
    fake.add(quota, 0, need);
    await expect(onEvent(request, deps)).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
    expect(lines.some((l) => l.startsWith(`Quota '${quota}' is ${need} (applied value): enough for `) && l.endsWith(`, which needs ${need}`))).toBe(true);

    fake.quotas.splice(0, fake.quotas.length);
    fake.add(quota, 0, need - 1);
    lines.length = 0;
    const outcome = onEvent(request, deps);
    if (below === 'fails') {
      await expect(outcome).rejects.toThrow(`is ${need - 1} instances in eu-west-1, and `);
    } else {
      await expect(outcome).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
      expect(lines.filter((l) => l.startsWith('Warning (not failing an update that asks no more than before'))).toHaveLength(1);
    }
  });
});

test('Delete does nothing and calls nothing', async () => {
  await expect(onEvent(event('Delete'), deps)).resolves.toEqual({ PhysicalResourceId: 'service-quota-check-sagemaker' });
  expect(fake.calls).toEqual([]);
});

test('three shortfalls stay within CloudFormation\'s 4 KiB answer: later ones are shortened, none is dropped', async () => {
  fake.add(TRAINING, 0, 0);
  fake.add(ENDPOINT, 0, 0);
  fake.add(SERVERLESS, 10, 0);
  // Advice as long as the MNIST stack's (several settings, each with its reason).
  const advice = '-c someSetting=value (a reason why it needs less, and what it costs instead); '.repeat(5);
  const requirements = ALL.map((r) => ({ ...r, Advice: advice }));
  const error = (await onEvent(event('Create', requirements), deps).catch((e: Error) => e)) as Error;
  expect(error.message.length).toBeLessThanOrEqual(MESSAGE_BUDGET);
  expect(error.message).toContain(`${HEAD(3)} (1) Service quota '${TRAINING}'`);
  expect(error.message).toContain(`(2) Service quota '${ENDPOINT}' (instance type ml.m5.large, usage: endpoint) is 0 instances in eu-west-1,`);
  expect(error.message).toMatch(
    new RegExp(`\\(3\\) Service quota '${SERVERLESS}' is 0 concurrent invocations in eu-west-1, and the serverless endpoint \\(serverlessMaxConcurrency=1\\) needs 1\\. \\(the handler's log has the steps\\)$`),
  );
  // The log keeps every full paragraph.
  expect(lines.filter((l) => l.startsWith('Service quota \'') && l.includes('To raise it to'))).toHaveLength(3);
});

test('properties the construct would never write fail clearly', async () => {
  await expect(onEvent(event('Create', [{ ...training, Needed: 'two' }]), deps)).rejects.toThrow(
    'Custom::ServiceQuotaCheck: Needed of \'ml.c5.2xlarge for training job usage\' must be a whole number, got "two"',
  );
});
