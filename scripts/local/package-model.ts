// Step 3 of local mode: pack the model folder into model.tar.gz exactly as the training job
// does, then unpack it into a fresh folder, as a SageMaker endpoint does into /opt/ml/model,
// and check that it can be served before anything goes to the cloud.
import * as fs from 'fs';
import * as path from 'path';
import { createTarGz } from '../../lib/training/tarball';
import { extractTarGz } from './untar';

export interface PackagedModel {
  readonly archive: string;
  readonly servingDir: string;
  readonly files: string[];
  readonly bytes: number;
}

/** Throws, naming every missing piece, unless `servingDir` holds the weights and the inference code. */
export function checkServingLayout(servingDir: string, files: readonly string[], program: string, weights: string): void {
  const missing: string[] = [];
  if (!files.includes(weights)) missing.push(`${weights} (the trained weights, written by the training script into SM_MODEL_DIR)`);
  if (!files.includes(`code/${program}`)) {
    missing.push(`code/${program} (the inference script: the training script must copy itself and the modules it imports to SM_MODEL_DIR/code/)`);
  }
  if (missing.length > 0) {
    throw new Error(
      `model.tar.gz cannot be served: it lacks ${missing.join(' and ')}. ` +
        `It holds: ${files.length ? files.join(', ') : 'nothing'} (unpacked in ${servingDir}). ` +
        'A SageMaker endpoint would fail the same way, only later and at a cost.',
    );
  }
}

export function packageModel(options: {
  modelDir: string;
  archive: string;
  servingDir: string;
  program: string;
  weights?: string;
}): PackagedModel {
  createTarGz(options.modelDir, options.archive);
  fs.rmSync(options.servingDir, { recursive: true, force: true });
  const files = extractTarGz(options.archive, options.servingDir).sort();
  checkServingLayout(options.servingDir, files, options.program, options.weights ?? 'model.pth');
  return { archive: path.resolve(options.archive), servingDir: path.resolve(options.servingDir), files, bytes: fs.statSync(options.archive).size };
}
