import { ServiceQuotasClient, ServiceQuotasClientConfig } from '@aws-sdk/client-service-quotas';
import { logRetries, MAX_ATTEMPTS } from '../shared/retry';

/** The check's Service Quotas client: the SDK's standard retries (MAX_ATTEMPTS tries), each retry logged. */
export function serviceQuotasClient(config: ServiceQuotasClientConfig = {}, log: (line: string) => void = console.log): ServiceQuotasClient {
  return logRetries(new ServiceQuotasClient({ maxAttempts: MAX_ATTEMPTS, ...config }), log);
}
