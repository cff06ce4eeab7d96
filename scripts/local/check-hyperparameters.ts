// Local mode checks the hyperparameters before any work starts, with the training script's own
// parser: mnist.py's parse_args (types, ranges, known names) rather than a copy of its rules here,
// so `--hp lr=abc` or `--epochs -1` is one line up front, not a traceback after the data step.
import { spawnSync } from 'child_process';

/**
 * Imports the script and parses the arguments as each host would; prints the refusal and exits 3.
 * Importing torch takes from 2 s to half a minute on a busy laptop, and parsing needs none of it:
 * torch and numpy are first replaced by inert stand-ins; only if the script cannot load that way
 * does it import them for real.
 */
const CHECK = `
import importlib, importlib.abc, importlib.machinery, json, sys, types
sys.path.insert(0, sys.argv[1])

class Inert:
    def __init__(self, *args, **kwargs): pass
    def __call__(self, *args, **kwargs): return Inert()
    def __getattr__(self, name): return Inert

class InertModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"): raise AttributeError(name)
        return Inert

class InertFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "numpy"):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec): return InertModule(spec.name)
    def exec_module(self, module): module.__path__ = []

finder = InertFinder()
sys.meta_path.insert(0, finder)
try:
    module = importlib.import_module(sys.argv[2])
except Exception:
    sys.meta_path.remove(finder)
    for name in [n for n in sys.modules if n.split(".")[0] in ("torch", "numpy", sys.argv[2])]:
        del sys.modules[name]
    module = importlib.import_module(sys.argv[2])
try:
    module.parse_args(json.loads(sys.argv[3]), {"SM_HOSTS": sys.argv[4], "SM_CURRENT_HOST": "algo-1"})
except module.HyperparameterError as error:
    print(error)
    sys.exit(3)
`;

/** The container's own arguments, which the parser knows but a user does not set as hyperparameters. */
const CONTAINER_ARGUMENTS = new Set(['help', 'hosts', 'current-host', 'model-dir', 'data-dir', 'num-gpus']);

/**
 * mnist.py's refusal in one line: its parser appends the whole argparse usage ("Known: usage: …"),
 * which becomes the list of hyperparameter names instead.
 */
export function describeRefusal(refusal: string): string {
  const [reason, usage] = refusal.trim().split(/\.?\s*Known: /);
  const known = [...new Set((usage ?? '').match(/--[a-z][a-z0-9-]*/g) ?? [])]
    .map((flag) => flag.slice(2))
    .filter((name) => !CONTAINER_ARGUMENTS.has(name));
  const cleaned = reason.replace(/^Bad hyperparameters: /, '').replace(/\.$/, '');
  return `mnist.py refuses the hyperparameters: ${cleaned}${known.length ? ` (it knows: ${known.join(', ')})` : ''}. Set them with --epochs N or --hp KEY=VALUE.`;
}

export interface ScriptArgumentsCheck {
  readonly python: string;
  readonly codeDir: string;
  /** Module name of the entry point, e.g. `mnist`. */
  readonly module: string;
  /** The script's arguments as the toolkit builds them (toolkitArguments). */
  readonly args: readonly string[];
  readonly hosts: readonly string[];
}

/** Throws an Error with one line when the script's parser refuses the arguments. */
export function checkScriptArguments(check: ScriptArgumentsCheck): void {
  const result = spawnSync(check.python, ['-c', CHECK, check.codeDir, check.module, JSON.stringify(check.args), JSON.stringify(check.hosts)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status === 0) return;
  if (result.status === 3) throw new Error(describeRefusal(result.stdout));
  const detail = (result.error?.message ?? result.stderr ?? '').trim().split('\n').pop();
  throw new Error(`could not check the hyperparameters with ${check.python} (exit ${result.status ?? result.signal}): ${detail}`);
}
