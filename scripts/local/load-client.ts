// A separate client process for the serving benchmark: times InvokeEndpoint calls against a
// local endpoint with real test digits and prints one JSON line of results.
// Usage: tsx scripts/local/load-client.ts --url URL [--endpoint-name NAME] --content-type TYPE --batch N --requests N [--concurrency N]
import { parseArgs } from 'util';
import { loadPackagedMnist } from '../lib/packaged-mnist';
import { CONTENT_TYPES, SmokeContentType } from '../../lambda/smoke-test/payload';
import { measureLatency } from './latency';
import { createLocalRuntimeClient } from './runtime-client';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      'endpoint-name': { type: 'string', default: 'mnist-local' },
      'content-type': { type: 'string', default: 'application/x-npy' },
      batch: { type: 'string', default: '1' },
      requests: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '1' },
    },
  });
  if (!values.url) throw new Error('Missing --url: the local endpoint, e.g. http://127.0.0.1:8080.');
  const contentType = values['content-type'] as SmokeContentType;
  if (!CONTENT_TYPES.includes(contentType)) throw new Error(`--content-type ${contentType}: use ${CONTENT_TYPES.join(' or ')}.`);
  const result = await measureLatency({
    client: createLocalRuntimeClient(values.url),
    endpointName: values['endpoint-name']!,
    contentType,
    digits: loadPackagedMnist().test,
    batch: Number(values.batch),
    requests: Number(values.requests),
    concurrency: Number(values.concurrency),
    warmup: 5,
  });
  console.log(JSON.stringify(result));
}

main().catch((error: Error) => {
  console.error(`load-client: ${error.message}`);
  process.exit(1);
});
