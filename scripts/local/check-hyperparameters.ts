// Local mode checks the hyperparameters before any work starts, with the check `cdk synth` runs:
// against model-code/hyperparameters.json, the declarations mnist.py builds its own parser from.
// So `--hp lr=abc` or `--hp epoch=2` is one line up front, not a traceback after the data step,
// and local mode, synth and the training job cannot disagree.
import { HyperparameterValue } from '../../lib/settings';
import { mnistHyperparameters } from '../../lib/mnist/mnist-hyperparameters';
import { HyperparameterHelp, hyperparameterProblem } from '../../lib/settings/hyperparameter-declarations';

/** How a local-mode user sets a hyperparameter: `--epochs N` or `--hp KEY=VALUE`. */
const LOCAL_HELP: HyperparameterHelp = {
  renamed: (corrected, name) => `--hp ${name}=${corrected[name]}`,
  setIt: (name) => `Set it with ${name === 'epochs' ? '--epochs N' : `--hp ${name}=VALUE`}.`,
  documentation: 'docs/model-code.md#hyperparameters',
};

/** Throws an Error with one line when mnist.py would refuse these hyperparameters on `hosts` hosts. */
export function checkLocalHyperparameters(hyperparameters: Readonly<Record<string, HyperparameterValue>>, hosts: number): void {
  const problem = hyperparameterProblem(mnistHyperparameters(), hyperparameters, hosts, LOCAL_HELP);
  if (problem) throw new Error(problem);
}
