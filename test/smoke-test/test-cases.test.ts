// A model's own smoke-test cases: the construct carries them in SMOKE_TEST_CASES, the handler
// sends them (real SDK client, a loopback "model" that labels CSV rows) and checks each label.
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { handler } from '../../lambda/smoke-test/index';
import { answerLabel, readTestCases, SmokeTestCase } from '../../lambda/smoke-test/test-cases';
import { ServingEndpointBase } from '../../lib/endpoints/serving-endpoint-base';
import { EndpointSmokeTest } from '../../lib/smoke-test/endpoint-smoke-test';
import { SmokeTestCases } from '../../lib/smoke-test/smoke-test-cases';
import { LoopbackServer } from '../support/loopback-server';
import { DUMMY_CREDENTIALS, REGION } from './helpers';

const CASES: SmokeTestCase[] = [
  { contentType: 'text/csv', body: '1,0', expectedLabel: 0 },
  { contentType: 'text/csv', body: '0,1', expectedLabel: 1 },
  { contentType: 'application/json', accept: 'application/json', body: '[[1, 0]]', expectedLabel: '0' },
];

/** The answer `label` of a body: index of its larger feature, as CSV scores or JSON probabilities. */
function model(body: string, contentType: string, accept: string): { type: string; body: string } {
  const features: number[] = contentType === 'text/csv' ? body.split(',').map(Number) : JSON.parse(body)[0];
  const scores = features[0] > features[1] ? [0.9, 0.1] : [0.2, 0.8];
  return accept === 'text/csv' ? { type: 'text/csv', body: scores.join(',') } : { type: 'application/json', body: JSON.stringify([scores]) };
}

describe('answerLabel', () => {
  const read = (body: string, type: string) => answerLabel(Buffer.from(body), type);
  test.each([
    ['[0.1, 0.7, 0.2]', 'application/json', { label: '1', probability: 0.7 }],
    ['[[0.1, 0.2, 0.7]]', 'application/json', { label: '2', probability: 0.7 }],
    ['2', 'application/json', { label: '2' }],
    ['"cat"', 'application/json', { label: 'cat' }],
    ['[2]', 'application/json; charset=utf-8', { label: '2' }],
    ['0.6,0.3,0.1\n', 'text/csv', { label: '0', probability: 0.6 }],
    ['setosa\n', 'text/csv', { label: 'setosa' }],
  ])('%s (%s)', (body, type, expected) => expect(read(body, type)).toEqual(expected));

  test('an answer it cannot read says what it got', () => {
    expect(() => read('{"a":1}', 'application/json')).toThrow(/neither a label nor a row of class scores/);
    expect(() => read('1', 'application/x-npy')).toThrow(/content type is application\/x-npy; a label is read from application\/json or text\/csv/);
  });
});

describe('SMOKE_TEST_CASES', () => {
  test('bad cases fail with the field, the value and what is accepted', () => {
    expect(() => readTestCases({ SMOKE_TEST_CASES: '[]' })).toThrow('SMOKE_TEST_CASES must be a non-empty array');
    expect(() => readTestCases({ SMOKE_TEST_CASES: '{' })).toThrow('SMOKE_TEST_CASES is not valid JSON');
    expect(() => readTestCases({ SMOKE_TEST_CASES: '[{"contentType":"text/csv","body":"1","expectedLabel":null}]' }))
      .toThrow('SMOKE_TEST_CASES[0].expectedLabel null must be a number or a non-empty string.');
    expect(() => readTestCases({ SMOKE_TEST_CASES: '[{"contentType":"application/x-npy","body":"1","expectedLabel":1}]' }))
      .toThrow('SMOKE_TEST_CASES[0].accept "application/x-npy" cannot be read for a label: use one of application/json, text/csv.');
    expect(() => readTestCases({ SMOKE_TEST_CASES: '[{"contentType":"text/csv","body":"1","label":1}]' })).toThrow(/unknown field\(s\) label/);
    expect(readTestCases({})).toBeUndefined();
  });
});

describe('the handler with SMOKE_TEST_CASES', () => {
  const saved = { ...process.env };
  let server: LoopbackServer;
  let requests: Array<{ endpoint: string; contentType?: string; accept?: string; body: string }>;
  let wrongOn: string | undefined;

  beforeAll(async () => {
    server = new LoopbackServer((req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const endpoint = decodeURIComponent(req.url!.split('/')[2]);
        const body = Buffer.concat(chunks).toString('utf8');
        requests.push({ endpoint, contentType: req.headers['content-type'], accept: req.headers.accept, body });
        const answer = model(body, req.headers['content-type']!, req.headers.accept!);
        const flipped = endpoint === wrongOn ? answer.body.split(',').reverse().join(',') : answer.body;
        res.writeHead(200, { 'content-type': answer.type }).end(flipped);
      });
    });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: await server.start(), AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      ENDPOINT_NAMES: 'tabular', MIN_ACCURACY: '1', MAX_ATTEMPTS: '1', SMOKE_TEST_CASES: JSON.stringify(CASES),
    });
    delete process.env.STACK_ID;
    delete process.env.ENDPOINT_CONFIGS;
  });
  beforeEach(() => {
    requests = [];
    wrongOn = undefined;
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    process.env = saved;
    await server.stop();
  });

  test('sends each case as its own request with its headers and passes on the right labels', async () => {
    const report = await handler({});
    expect(requests).toEqual([
      { endpoint: 'tabular', contentType: 'text/csv', accept: 'text/csv', body: '1,0' },
      { endpoint: 'tabular', contentType: 'text/csv', accept: 'text/csv', body: '0,1' },
      { endpoint: 'tabular', contentType: 'application/json', accept: 'application/json', body: '[[1, 0]]' },
    ]);
    expect(report).toMatchObject({ passed: true, cases: 3, results: [
      { contentType: 'text/csv', correct: 2, total: 2, accuracy: 1 },
      { contentType: 'application/json', correct: 1, total: 1, accuracy: 1 },
    ] });
  });

  test('a wrong label fails the run, naming the case, the expected and the answered label', async () => {
    wrongOn = 'tabular';
    await expect(handler({})).rejects.toThrow('- tabular (text/csv): accuracy 0 (0/2) is below 1; wrong answers: #0 expected 0 got 1 (p=0.9), #1 expected 1 got 0 (p=0.8)');
  });
});

describe('EndpointSmokeTest testCases', () => {
  const environment = (testCases?: SmokeTestCases) => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
    const endpoints = [ServingEndpointBase.fromEndpointAttributes(stack, 'Tabular', { endpointName: 'tabular' })];
    new EndpointSmokeTest(stack, 'Smoke', { endpoints, runOnDeploy: false, ...(testCases ? { testCases } : {}) });
    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    return fn.Properties.Environment.Variables as Record<string, string>;
  };

  test('a model\'s own cases travel in SMOKE_TEST_CASES; the MNIST digits (the default) add nothing', () => {
    expect(JSON.parse(environment(SmokeTestCases.fromCases(CASES)).SMOKE_TEST_CASES)).toEqual(CASES);
    expect(environment(SmokeTestCases.mnistDigits())).toEqual(environment());
    expect(environment()).not.toHaveProperty('SMOKE_TEST_CASES');
  });

  test('fromFile reads a JSON array and names the file when it cannot', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cases-'));
    try {
      fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(CASES));
      expect(JSON.parse(environment(SmokeTestCases.fromFile(path.join(dir, 'cases.json'))).SMOKE_TEST_CASES)).toEqual(CASES);
      fs.writeFileSync(path.join(dir, 'bad.json'), '[{"contentType":"text/csv","body":""}]');
      expect(() => SmokeTestCases.fromFile(path.join(dir, 'bad.json'))).toThrow(`${path.join(dir, 'bad.json')}[0].body must be a non-empty string`);
      expect(() => SmokeTestCases.fromFile(path.join(dir, 'missing.json'))).toThrow(/cannot read .*missing\.json \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('too many cases for the function\'s environment is refused with the size and the fix', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ contentType: 'text/csv', body: `${i},0.123456789`, expectedLabel: i % 3 }));
    expect(() => SmokeTestCases.fromCases(many)).toThrow(/testCases: 60 cases take \d+ bytes of JSON, over the 3000 .* use fewer or shorter cases/);
  });
});
