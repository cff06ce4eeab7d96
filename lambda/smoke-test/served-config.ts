// Before any digit is sent: is each endpoint serving the endpoint configuration this deploy set?
// With deployment guardrails, SageMaker rolls an update back when a rollback alarm fires and the
// endpoint ends InService on its OLD configuration; whether CloudFormation then reports the update
// as failed is unproven (Terraform's provider missed exactly this, hashicorp/terraform-provider-aws#48997).
// If it reports success, the digits would test the old model and the deploy would pass. This check
// makes that impossible: DescribeEndpoint says which configuration is served, and a mismatch fails.
import { DescribeEndpointCommand, DescribeEndpointCommandOutput, SageMakerClient } from '@aws-sdk/client-sagemaker';

/** The environment variable the construct sets: comma-separated `endpoint-name=endpoint-config-name` pairs. */
export const ENDPOINT_CONFIGS_ENV = 'ENDPOINT_CONFIGS';

/** What one endpoint serves, against what this deploy set. */
export interface ServedConfigCheck {
  readonly endpointName: string;
  /** The endpoint configuration this deploy set (from ENDPOINT_CONFIGS). */
  readonly expectedConfigName: string;
  /** What DescribeEndpoint says the endpoint serves; absent when it could not be read. */
  readonly servedConfigName?: string;
  readonly status?: string;
  readonly passed: boolean;
  /** Why it did not pass: one paragraph naming the endpoint, both configurations, the likely cause and the consequence. */
  readonly problem?: string;
}

/** Reads ENDPOINT_CONFIGS into endpoint name → configuration name; unset or empty means nothing to check. */
export function readExpectedConfigs(env: NodeJS.ProcessEnv): Map<string, string> {
  const expected = new Map<string, string>();
  for (const entry of (env[ENDPOINT_CONFIGS_ENV] ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const match = /^([^=\s]+)=([^=\s]+)$/.exec(entry);
    if (!match) {
      throw new Error(`${ENDPOINT_CONFIGS_ENV} has a bad entry '${entry}': use comma-separated endpoint=config pairs, e.g. my-endpoint=my-endpoint-config.`);
    }
    const [, endpointName, configName] = match;
    const earlier = expected.get(endpointName);
    if (earlier !== undefined && earlier !== configName) {
      throw new Error(`${ENDPOINT_CONFIGS_ENV} names two configurations for endpoint ${endpointName} (${earlier} and ${configName}): give each endpoint one.`);
    }
    expected.set(endpointName, configName);
  }
  return expected;
}

/**
 * States in which an endpoint keeps serving its configuration, changed in place and not by a deployment:
 * an autoscaling resize (Updating), the undoing of a failed resize or weight change (RollingBack), and
 * AWS maintenance (SystemUpdating, which "does not change any customer-specified values such as ...
 * model, instance type, or instance count"). DescribeEndpoint's EndpointStatus documents all three.
 */
const CHANGED_IN_PLACE = new Set(['Updating', 'RollingBack', 'SystemUpdating']);

const CONSEQUENCE = 'The deploy fails here, before any digit is sent, so CloudFormation rolls the stack back to the previous model without retraining.';

function describeProblem(endpointName: string, expected: string, described: DescribeEndpointCommandOutput): string | undefined {
  const served = described.EndpointConfigName ?? '(none)';
  const status = described.EndpointStatus ?? '(unknown)';
  const alarms = (described.LastDeploymentConfig?.AutoRollbackConfiguration?.Alarms ?? []).map((a) => a.AlarmName).filter((n): n is string => !!n);
  const reason = described.FailureReason ? ` SageMaker's failure reason: "${described.FailureReason}".` : '';
  const pending = described.PendingDeploymentSummary?.EndpointConfigName;
  // On the configuration this deploy set with no deployment pending, such a state serves this deploy's model all along.
  const changedInPlace = CHANGED_IN_PLACE.has(status) && served === expected && !pending;
  if (status !== 'InService' && !changedInPlace) {
    const update = pending ? `; an update to ${pending} is still in progress` : '';
    return `Endpoint ${endpointName} is ${status}, not InService: it serves endpoint configuration ${served}, this deploy set ${expected}${update}.${reason} ` +
      `The smoke test runs once CloudFormation has finished this deploy's endpoint updates, so either that update failed or something else is changing the endpoint (an update by hand); its answers would not show what this deploy serves. ${CONSEQUENCE}`;
  }
  if (served === expected) return undefined;
  const watched = alarms.length > 0 ? `one of its rollback alarms fired (${alarms.join(', ')}; see which in the CloudWatch alarm history)` : 'a rollback alarm fired or the new fleet failed its health checks';
  return `Endpoint ${endpointName} serves endpoint configuration ${served}, not ${expected} that this deploy set. ` +
    `Most likely SageMaker rolled the update back because ${watched} while traffic shifted or during the bake.${reason} ` +
    `The endpoint still answers, with the OLD model, so its answers would prove nothing about this deploy. ${CONSEQUENCE}`;
}

/**
 * Describes each of `endpointNames` that has an expected configuration (others are not checked) and
 * compares. Never throws for one endpoint's failure: an unreadable endpoint fails its check (a guard
 * that passes when it cannot look would be no guard).
 */
export async function checkServedConfigs(
  client: SageMakerClient,
  expected: ReadonlyMap<string, string>,
  endpointNames: readonly string[],
  timeBudgetMs: number,
): Promise<ServedConfigCheck[]> {
  const checked = endpointNames.filter((name) => expected.has(name));
  return Promise.all(checked.map(async (endpointName): Promise<ServedConfigCheck> => {
    const expectedConfigName = expected.get(endpointName)!;
    let described: DescribeEndpointCommandOutput;
    try {
      described = await client.send(new DescribeEndpointCommand({ EndpointName: endpointName }), { abortSignal: AbortSignal.timeout(timeBudgetMs) });
    } catch (error) {
      const e = error as Error;
      return {
        endpointName, expectedConfigName, passed: false,
        problem: `Could not read which endpoint configuration endpoint ${endpointName} serves (DescribeEndpoint: ${e.name}: ${e.message}), so it cannot be shown to serve ${expectedConfigName} that this deploy set. ${CONSEQUENCE}`,
      };
    }
    const problem = describeProblem(endpointName, expectedConfigName, described);
    return {
      endpointName, expectedConfigName, servedConfigName: described.EndpointConfigName, status: described.EndpointStatus,
      passed: problem === undefined,
      ...(problem === undefined ? {} : { problem }),
    };
  }));
}

/** The failure message: one paragraph per endpoint that does not serve what this deploy set. */
export function describeServedConfigFailures(checks: readonly ServedConfigCheck[]): string {
  const failed = checks.filter((check) => !check.passed);
  return `Smoke test failed on ${failed.length} of ${checks.length} endpoint(s) before sending digits: not serving what this deploy set.\n` +
    failed.map((check) => `- ${check.problem}`).join('\n');
}
