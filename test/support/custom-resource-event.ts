// CloudFormation custom-resource events as the Provider framework hands them to onEvent/isComplete.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

type Properties = { ServiceToken: string };

export interface ResourceEventOptions {
  readonly resourceType: string;
  readonly logicalId: string;
  readonly stackId: string;
  /** The resource's properties, already in the form CloudFormation sends them. */
  readonly properties: Record<string, unknown>;
  /** Update only: the properties before the change. */
  readonly oldProperties?: Record<string, unknown>;
  /** Update and Delete: the resource's current physical id. */
  readonly physicalId?: string;
}

export function customResourceEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  options: ResourceEventOptions,
): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: options.stackId,
    RequestId: 'b3b0c6a4-8a8c-4b5d-9d1c-3a3e1b7f1f00',
    LogicalResourceId: options.logicalId,
    ResourceType: options.resourceType,
    ResourceProperties: { ServiceToken: 'x', ...options.properties } as Properties,
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update') {
    return {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: options.physicalId!,
      OldResourceProperties: { ServiceToken: 'x', ...options.oldProperties } as Properties,
    };
  }
  return { ...base, RequestType: 'Delete', PhysicalResourceId: options.physicalId! };
}
