// Lays out one training host the way SageMaker lays out /opt/ml inside a training container,
// under a throwaway folder, and computes the environment the training toolkit gives the script.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeHyperparameters, toolkitArguments } from './hyperparameters';

export const TRAINING_CHANNEL = 'training';

export interface TrainingHostLayout {
  /** This host's stand-in for /opt/ml. */
  readonly root: string;
  readonly host: string;
  readonly codeDir: string;
  readonly modelDir: string;
  readonly outputDir: string;
  readonly outputDataDir: string;
  readonly inputConfigDir: string;
  readonly channelDir: string;
}

export interface TrainingHostOptions {
  /** Folder for this host's tree (becomes its /opt/ml). */
  readonly root: string;
  readonly hosts: readonly string[];
  readonly currentHost: string;
  /** hyperparameters.json content: values JSON-encoded as the SDK sends them, `sagemaker_*` included. */
  readonly encodedHyperparameters: Record<string, string>;
  /** Entry point inside the code folder, e.g. `mnist.py`. */
  readonly entryPoint: string;
}

export function hostLayout(root: string, host: string): TrainingHostLayout {
  return {
    root,
    host,
    codeDir: path.join(root, 'code'),
    modelDir: path.join(root, 'model'),
    outputDir: path.join(root, 'output'),
    outputDataDir: path.join(root, 'output', 'data'),
    inputConfigDir: path.join(root, 'input', 'config'),
    channelDir: path.join(root, 'input', 'data', TRAINING_CHANNEL),
  };
}

export function resourceConfig(hosts: readonly string[], currentHost: string): Record<string, unknown> {
  return {
    current_host: currentHost,
    current_instance_type: 'local',
    current_group_name: 'homogeneousCluster',
    hosts: [...hosts],
    instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: 'local', hosts: [...hosts] }],
    network_interface_name: 'lo',
  };
}

export function inputDataConfig(): Record<string, unknown> {
  return {
    [TRAINING_CHANNEL]: { TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
  };
}

/** Creates the folders and the three config files; the caller fills `code/` and the channel. */
export function writeTrainingHost(options: TrainingHostOptions): TrainingHostLayout {
  const layout = hostLayout(options.root, options.currentHost);
  for (const dir of [layout.codeDir, layout.modelDir, layout.outputDataDir, layout.inputConfigDir, layout.channelDir]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  const writeJson = (name: string, value: unknown) =>
    fs.writeFileSync(path.join(layout.inputConfigDir, name), `${JSON.stringify(value, null, 2)}\n`);
  writeJson('hyperparameters.json', options.encodedHyperparameters);
  writeJson('resourceconfig.json', resourceConfig(options.hosts, options.currentHost));
  writeJson('inputdataconfig.json', inputDataConfig());
  return layout;
}

/** JSON as the toolkit puts it in SM_* variables (sorted keys, no spaces). */
function compactJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]))
        : v;
  return JSON.stringify(sortKeys(value));
}

export interface ToolkitEnvironmentOptions {
  readonly layout: TrainingHostLayout;
  readonly hosts: readonly string[];
  readonly encodedHyperparameters: Record<string, string>;
  readonly entryPoint: string;
  readonly masterAddress: string;
  readonly masterPort: number;
}

/**
 * The variables the SageMaker training toolkit (environment.to_env_vars) and the PyTorch
 * container (MASTER_ADDR/MASTER_PORT, PYTHONUNBUFFERED) set before running the script.
 */
export function toolkitEnvironment(options: ToolkitEnvironmentOptions): Record<string, string> {
  const { layout, hosts } = options;
  const hps = decodeHyperparameters(options.encodedHyperparameters);
  const moduleName = options.entryPoint.replace(/\.py$/, '');
  const values: Record<string, unknown> = {
    hosts: [...hosts],
    network_interface_name: 'lo',
    hps,
    user_entry_point: options.entryPoint,
    framework_params: {},
    resource_config: resourceConfig(hosts, layout.host),
    input_data_config: inputDataConfig(),
    output_data_dir: layout.outputDataDir,
    channels: [TRAINING_CHANNEL],
    current_host: layout.host,
    current_instance_type: 'local',
    module_name: moduleName,
    log_level: 20,
    framework_module: 'sagemaker_pytorch_container.training:main',
    input_dir: path.join(layout.root, 'input'),
    input_config_dir: layout.inputConfigDir,
    output_dir: layout.outputDir,
    num_cpus: os.cpus().length,
    num_gpus: 0,
    model_dir: layout.modelDir,
    module_dir: layout.codeDir,
    user_args: toolkitArguments(options.encodedHyperparameters),
    output_intermediate_dir: path.join(layout.outputDir, 'intermediate'),
    [`channel_${TRAINING_CHANNEL}`]: layout.channelDir,
  };
  values.training_env = { ...values };
  for (const [key, value] of Object.entries(hps)) values[`hp_${key}`] = value;

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    env[`SM_${key.toUpperCase()}`] = typeof value === 'string' ? value : compactJson(value);
  }
  // The PyTorch container points every host at the first one; it would use that host's name
  // (algo-1) and port 7777 — here all hosts share the loopback interface.
  env.MASTER_ADDR = options.masterAddress;
  env.MASTER_PORT = String(options.masterPort);
  env.PYTHONUNBUFFERED = 'TRUE';
  return env;
}
