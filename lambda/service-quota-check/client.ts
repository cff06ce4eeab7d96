import { CloudFormationClient, CloudFormationClientConfig } from '@aws-sdk/client-cloudformation';
import { ServiceQuotasClient, ServiceQuotasClientConfig } from '@aws-sdk/client-service-quotas';
import { logRetries, MAX_ATTEMPTS } from '../shared/retry';

/** The check's Service Quotas client: the SDK's standard retries (MAX_ATTEMPTS tries), each retry logged. */
export function serviceQuotasClient(config: ServiceQuotasClientConfig = {}, log: (line: string) => void = console.log): ServiceQuotasClient {
  return logRetries(new ServiceQuotasClient({ maxAttempts: MAX_ATTEMPTS, ...config }), log);
}

/** The check's CloudFormation client (its stack's status), with the same retries. */
export function cloudFormationClient(config: CloudFormationClientConfig = {}, log: (line: string) => void = console.log): CloudFormationClient {
  return logRetries(new CloudFormationClient({ maxAttempts: MAX_ATTEMPTS, ...config }), log);
}
