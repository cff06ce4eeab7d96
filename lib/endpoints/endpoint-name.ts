import { Names } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** SageMaker's pattern for endpoint and production variant names (API reference: CreateEndpoint, ProductionVariant). */
export const ENDPOINT_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * A fixed endpoint name, known at synth time: alarms watch the endpoint by name and the endpoint's
 * rollback configuration names the alarms, so one side must not wait for the other. The name
 * carries the stack's name and the construct path (with a hash of it): stacks and stages in one
 * account never share a name, and a construct with a new id gets a new name.
 */
export function fixedEndpointName(endpoint: Construct): string {
  const name = Names.uniqueResourceName(endpoint, { maxLength: 63, separator: '-' });
  if (!ENDPOINT_NAME_PATTERN.test(name)) throw new Error(`endpoint name ${name} does not match SageMaker's ${ENDPOINT_NAME_PATTERN}`);
  return name;
}
