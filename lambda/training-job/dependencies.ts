import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { TrainingJobProperties } from './properties';

/** What the handlers call and read: real SDK clients in Lambda (client.ts), fakes in tests. */
export interface Dependencies {
  readonly sagemaker: Pick<SageMakerClient, 'send'>;
  /** onEvent's: confirms a finished job's model.tar.gz still exists before reusing the job. @default - none (isComplete needs none) */
  readonly s3?: Pick<S3Client, 'send'>;
  readonly region: string;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

export interface OnEventResponse {
  PhysicalResourceId: string;
}

export interface IsCompleteResponse {
  IsComplete: boolean;
  Data?: Record<string, string>;
}

/** A Provider framework event; isComplete's always carries the physical id onEvent returned. */
export type TrainingJobEvent = CloudFormationCustomResourceEvent & { PhysicalResourceId?: string };

export function propertiesOf(event: TrainingJobEvent): TrainingJobProperties {
  return event.ResourceProperties as unknown as TrainingJobProperties;
}

export function logOf(deps: Dependencies): (line: string) => void {
  return deps.log ?? console.log;
}

export function nowOf(deps: Dependencies): Date {
  return (deps.now ?? (() => new Date()))();
}
