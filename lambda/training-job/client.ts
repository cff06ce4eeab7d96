import { sageMakerClient } from '../shared/sagemaker-client';
import type { Dependencies } from './dependencies';

/** Production dependencies: one client per container. */
export function productionDependencies(): Dependencies {
  const region = process.env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set');
  return { sagemaker: sageMakerClient({ region }), region };
}
