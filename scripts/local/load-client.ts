// A separate client process for the serving benchmark: times InvokeEndpoint calls against a
// local endpoint with real test digits and prints one JSON line of results.
// Usage: tsx scripts/local/load-client.ts --url URL [--endpoint-name NAME] --content-type TYPE --batch N --requests N [--concurrency N]
import { CommandIo, HELP_OPTION, oneOf, parseCommandLine, runAsMain, UsageError, wholeNumber } from '../lib/cli';
import { loadPackagedMnist } from '../lib/packaged-mnist';
import { MODEL_MAX_BATCH } from '../lib/predict-cli';
import { CONTENT_TYPES } from '../../lambda/smoke-test/payload';
import { measureLatency } from './latency';
import { createLocalRuntimeClient, DEFAULT_ENDPOINT_NAME } from './runtime-client';

const USAGE = `Usage: npx tsx scripts/local/load-client.ts --url URL [--endpoint-name NAME] [--content-type TYPE]
                                         [--batch N] [--requests N] [--concurrency N]
The serving benchmark's client process: times InvokeEndpoint calls, prints one JSON line.
  --content-type   ${CONTENT_TYPES.join(' or ')} (default application/x-npy)
  --batch N        images per request, 1 to ${MODEL_MAX_BATCH} (default 1); --requests N (default 200);
  --concurrency N  requests in flight (default 1)`;

const OPTIONS = {
  url: { type: 'string' },
  'endpoint-name': { type: 'string', default: DEFAULT_ENDPOINT_NAME },
  'content-type': { type: 'string', default: 'application/x-npy' },
  batch: { type: 'string', default: '1' },
  requests: { type: 'string', default: '200' },
  concurrency: { type: 'string', default: '1' },
  help: HELP_OPTION,
} as const;

export async function loadClientCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandLine({ command: 'npx tsx scripts/local/load-client.ts', options: OPTIONS }, argv);
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (!values.url) throw new UsageError('Missing --url: the local endpoint, e.g. http://127.0.0.1:8080.');
  const result = await measureLatency({
    client: createLocalRuntimeClient(values.url),
    endpointName: values['endpoint-name'],
    contentType: oneOf('--content-type', values['content-type'], CONTENT_TYPES),
    digits: loadPackagedMnist().test,
    batch: wholeNumber('--batch', values.batch, { min: 1, max: MODEL_MAX_BATCH })!,
    requests: wholeNumber('--requests', values.requests, { min: 1 })!,
    concurrency: wholeNumber('--concurrency', values.concurrency, { min: 1 })!,
    warmup: 5,
  });
  io.out(JSON.stringify(result));
  return 0;
}

if (require.main === module) runAsMain('load-client', loadClientCommand);
