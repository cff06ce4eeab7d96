import * as crypto from 'crypto';
import { CfnResource, Fn, Lazy, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { canonicalJson, NOT_TRAINING_INPUTS } from '../../lambda/training-job/fingerprint';

/** What a real-time endpoint's fleet is made of, each as its construct (the one CloudFormation resource directly under it). */
export interface EndpointFleetParts {
  /** The endpoint: a new logical ID is a new endpoint, which runs beside the old one until cleanup. */
  readonly endpoint: IConstruct;
  /** Its configuration: SageMaker deploys a new fleet only for a new configuration, which any change of it is. */
  readonly endpointConfig: IConstruct;
  /** The model it serves: a change replaces the model, and with it the configuration. */
  readonly model: IConstruct;
  /**
   * The training job the model's artifact comes from: new training inputs, a new artifact.
   * @default - none: the model is not trained by this stack (e.g. a promoted registry version,
   * which then belongs in `deployTimeInputs`)
   */
  readonly trainingJob?: IConstruct;
  /**
   * The registration (`Custom::ModelPackageVersion`) the model is created from: a different image,
   * artifact, environment or content types registers a new version, hence a new model. Its
   * lineage, metrics and initial status do not count: a version found again is the same version.
   * @default - none
   */
  readonly registration?: IConstruct;
  /**
   * Training inputs known only at deploy time (e.g. a data copy's revision), appended to the
   * revision as they are: whatever carries the revision waits for them. @default - none
   */
  readonly deployTimeInputs?: string[];
}

/**
 * A synth-time revision of a real-time endpoint's fleet, 16 hex characters: it changes whenever a
 * deploy makes SageMaker start a new fleet for the endpoint, and only then. The configuration and
 * model reference the training job's artifact by attribute, which reads the same in every
 * template, so the training job counts by its training inputs (what its fingerprint hashes: a
 * change is a new job, hence a new artifact). Settings that touch none of these (alarms, the
 * serverless endpoint, advice wording) leave it as it is. Computed when the template is written,
 * from the resources as synthesized; `deployTimeInputs` follow it.
 */
export function endpointFleetRevision(parts: EndpointFleetParts): string {
  const synthesized = synthTimeRevision(parts);
  const deployTime = parts.deployTimeInputs ?? [];
  return deployTime.length > 0 ? Fn.join('-', [synthesized, ...deployTime]) : synthesized;
}

function synthTimeRevision(parts: EndpointFleetParts): string {
  return Lazy.string({
    produce: () => {
      const inputs = {
        endpoint: Stack.of(parts.endpoint).getLogicalId(onlyResource(parts.endpoint)),
        endpointConfig: rendered(onlyResource(parts.endpointConfig)),
        model: rendered(onlyResource(parts.model)),
        trainingInputs: parts.trainingJob && Object.fromEntries(
          Object.entries(rendered(onlyResource(parts.trainingJob)).Properties ?? {}).filter(([key]) => !NOT_TRAINING_INPUTS.has(key)),
        ),
        registration: parts.registration && Object.fromEntries(
          Object.entries(rendered(onlyResource(parts.registration)).Properties ?? {}).filter(([key]) => REGISTRATION_KEY_INPUTS.has(key)),
        ),
      };
      return crypto.createHash('sha256').update(canonicalJson(inputs)).digest('hex').slice(0, 16);
    },
  });
}

/** The registration properties that make a version: what its registration key hashes. */
const REGISTRATION_KEY_INPUTS = new Set(['ImageUri', 'ModelDataUrl', 'Environment', 'ContentTypes', 'ResponseTypes']);

function onlyResource(construct: IConstruct): CfnResource {
  const resources = construct.node.children.filter(CfnResource.isCfnResource);
  if (resources.length !== 1) {
    throw new Error(`endpointFleetRevision: ${construct.node.path} has ${resources.length} CloudFormation resources directly under it, not 1`);
  }
  return resources[0];
}

/**
 * The resource's type and properties as the template will have them. A CfnResource has no public
 * reader for its rendered properties; `_toCloudFormation()` is what the stack's synthesis calls.
 */
function rendered(resource: CfnResource): { Type: string; Properties?: Record<string, unknown> } {
  type Rendered = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  const template = Stack.of(resource).resolve((resource as unknown as { _toCloudFormation(): object })._toCloudFormation()) as Rendered;
  const only = template.Resources[Stack.of(resource).getLogicalId(resource)];
  if (!only?.Type) throw new Error(`endpointFleetRevision: ${resource.node.path} did not render as a CloudFormation resource`);
  return { Type: only.Type, Properties: only.Properties };
}
