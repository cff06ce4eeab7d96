// The hosting emulator (scripts/local/serve.py) against a tiny inference script without torch:
// the toolkit's body decoding, accept defaults, error mapping, and the runtime API's shape as
// the real AWS SDK client sees it.
import { InvokeEndpointCommand, ModelError, ValidationError } from '@aws-sdk/client-sagemaker-runtime';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { createLocalRuntimeClient } from '../../scripts/local/runtime-client';
import { LocalServer, startLocalServer } from '../../scripts/local/serving-process';
import { projectPython } from '../support/project-python';

const python = projectPython();

// Echoes what reached each handler, so the test sees what the emulator passed in.
const ECHO_SCRIPT = `
import json

class BaseInferenceToolkitError(Exception):
    def __init__(self, status_code, message, phrase):
        super().__init__(message)
        self.status_code, self.message, self.phrase = status_code, message, phrase

LOADS = []

def model_fn(model_dir):
    LOADS.append(model_dir)
    return {"loads": len(LOADS)}

def input_fn(body, content_type):
    if content_type == "application/x-boom":
        raise RuntimeError("boom in input_fn")
    if content_type == "application/x-unknown":
        raise BaseInferenceToolkitError(415, "Unsupported content type application/x-unknown: use application/json", "Unsupported Media Type")
    return {"type": type(body).__name__, "content_type": content_type, "length": len(body)}

def predict_fn(data, model):
    return dict(data, loads=model["loads"])

def output_fn(prediction, accept, context=None):
    return json.dumps(dict(prediction, accept=accept)), "application/json"
`;

function writeModel(script: string, modules: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-test-'));
  fs.mkdirSync(path.join(dir, 'code'));
  fs.writeFileSync(path.join(dir, 'code', 'echo.py'), script);
  for (const [name, text] of Object.entries(modules)) {
    fs.mkdirSync(path.dirname(path.join(dir, 'code', name)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'code', name), text);
  }
  return dir;
}

describe('serve.py (SageMaker hosting emulator)', () => {
  let server: LocalServer;
  let modelDir: string;

  beforeAll(async () => {
    modelDir = writeModel(ECHO_SCRIPT);
    server = await startLocalServer({ python, modelDir, program: 'echo.py', endpointNames: ['mnist-local'] });
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  const post = async (pathname: string, body: string | Buffer, headers: Record<string, string>) => {
    const response = await fetch(`${server.url}${pathname}`, { method: 'POST', body, headers });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };

  test('GET /ping answers 200 once the model is loaded', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/ping`);
    expect(response.status).toBe(200);
  });

  test('JSON and CSV bodies reach input_fn as str, other types as bytes; model_fn ran once', async () => {
    const json = await post('/invocations', '[1,2]', { 'Content-Type': 'application/json', Accept: 'application/json' });
    const csv = await post('/invocations', '1,2\n', { 'Content-Type': 'text/csv', Accept: 'application/json' });
    const npy = await post('/invocations', Buffer.from([0x93, 1, 2]), { 'Content-Type': 'application/x-npy', Accept: 'application/json' });
    expect(json.status).toBe(200);
    expect(json.type).toBe('application/json');
    expect(JSON.parse(json.text)).toMatchObject({ type: 'str', content_type: 'application/json', length: 5, loads: 1 });
    expect(JSON.parse(csv.text)).toMatchObject({ type: 'str', content_type: 'text/csv', loads: 1 });
    expect(JSON.parse(npy.text)).toMatchObject({ type: 'bytes', content_type: 'application/x-npy', length: 3, loads: 1 });
  });

  // fetch always sends an Accept header; node:http sends none unless told.
  const postWithoutAccept = (pathname: string, body: string) =>
    new Promise<string>((resolve, reject) => {
      const request = http.request(`${server.url}${pathname}`, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString()));
      });
      request.on('error', reject);
      request.end(body);
    });

  test('a missing or */* Accept becomes the default accept (application/json); others pass through', async () => {
    const none = { text: await postWithoutAccept('/invocations', '[1]') };
    const any = await post('/invocations', '[1]', { 'Content-Type': 'application/json', Accept: '*/*' });
    const npy = await post('/invocations', '[1]', { 'Content-Type': 'application/json', Accept: 'application/x-npy' });
    expect(JSON.parse(none.text).accept).toBe('application/json');
    expect(JSON.parse(any.text).accept).toBe('application/json');
    expect(JSON.parse(npy.text).accept).toBe('application/x-npy');
  });

  test("a toolkit error's status reaches the client; any other exception is a 500", async () => {
    const client = await post('/invocations', 'x', { 'Content-Type': 'application/x-unknown' });
    expect(client.status).toBe(415);
    expect(client.text.split('\n')[0]).toBe('Unsupported content type application/x-unknown: use application/json');
    const server500 = await post('/invocations', 'x', { 'Content-Type': 'application/x-boom' });
    expect(server500.status).toBe(500);
    expect(server500.text).toMatch(/^boom in input_fn\n/);
  });

  test('the runtime API path answers the real SDK client like SageMaker: body, content type, variant', async () => {
    const client = createLocalRuntimeClient(server.url);
    const response = await client.send(
      new InvokeEndpointCommand({ EndpointName: 'mnist-local', ContentType: 'application/json', Accept: 'application/json', Body: Buffer.from('[1,2,3]') }),
    );
    expect(response.ContentType).toBe('application/json');
    expect(response.InvokedProductionVariant).toBe('AllTraffic');
    expect(JSON.parse(Buffer.from(response.Body!).toString())).toMatchObject({ type: 'str', length: 7 });
  });

  test('model errors come back as ModelError (424) carrying the original status and message', async () => {
    const client = createLocalRuntimeClient(server.url);
    const send = (contentType: string) =>
      client.send(new InvokeEndpointCommand({ EndpointName: 'mnist-local', ContentType: contentType, Body: Buffer.from('x') })).catch((e: unknown) => e);
    const clientError = (await send('application/x-unknown')) as ModelError;
    expect(clientError).toBeInstanceOf(ModelError);
    expect(clientError.$metadata.httpStatusCode).toBe(424);
    expect(clientError.OriginalStatusCode).toBe(415);
    expect(clientError.OriginalMessage).toMatch(/^Unsupported content type application\/x-unknown/);
    expect(clientError.message).toMatch(/^Received client error \(415\) from primary with message/);
    expect(clientError.LogStreamArn).toContain('/aws/sagemaker/Endpoints/mnist-local');
    const serverError = (await send('application/x-boom')) as ModelError;
    expect(serverError).toBeInstanceOf(ModelError);
    expect(serverError.OriginalStatusCode).toBe(500);
    expect(serverError.message).toMatch(/^Received server error \(500\)/);
  });

  test('an unknown endpoint name is a ValidationError (400), as from the runtime', async () => {
    const client = createLocalRuntimeClient(server.url);
    const error = await client
      .send(new InvokeEndpointCommand({ EndpointName: 'no-such-endpoint', ContentType: 'application/json', Body: Buffer.from('[1]') }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/Endpoint no-such-endpoint of account \d+ not found/);
  });

  test('a script without the inference handlers fails at start with a message naming them', async () => {
    const dir = writeModel('def model_fn(model_dir):\n    return None\n');
    try {
      await expect(startLocalServer({ python, modelDir: dir, program: 'echo.py' })).rejects.toThrow(
        /does not define input_fn, predict_fn, output_fn/,
      );
      await expect(startLocalServer({ python, modelDir: dir, program: 'missing.py' })).rejects.toThrow(/has no missing\.py/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the handlers may live in a package inside code/, as mnist.py keeps them in mnist_lib/; a module code/ lacks is named', async () => {
    const script = 'from handlers.serving import model_fn, input_fn, predict_fn, output_fn\n';
    const dir = writeModel(script, { 'handlers/__init__.py': '', 'handlers/serving.py': ECHO_SCRIPT });
    const lacking = writeModel(script);
    let packaged: LocalServer | undefined;
    try {
      packaged = await startLocalServer({ python, modelDir: dir, program: 'echo.py' });
      const response = await fetch(`${packaged.url}/invocations`, { method: 'POST', body: '[1]', headers: { 'Content-Type': 'application/json' } });
      expect(await response.json()).toMatchObject({ type: 'str', loads: 1 });
      await expect(startLocalServer({ python, modelDir: lacking, program: 'echo.py' })).rejects.toThrow(
        /echo\.py imports handlers, which neither .*code nor the serving Python has: the model archive must carry the modules/,
      );
    } finally {
      await packaged?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(lacking, { recursive: true, force: true });
    }
  });
});
