/** mnist.py's hyperparameters as model-code/hyperparameters.json declares them. */
import * as path from 'path';
import { HyperparameterDeclarations, readHyperparameterDeclarations } from '../settings/hyperparameter-declarations';
import { MNIST } from './mnist-constants';

let declarations: HyperparameterDeclarations | undefined;

/** The declarations, read once. */
export function mnistHyperparameters(): HyperparameterDeclarations {
  declarations ??= readHyperparameterDeclarations(path.join(MNIST.modelCodeDirectory, MNIST.hyperparameterDeclarations));
  return declarations;
}
