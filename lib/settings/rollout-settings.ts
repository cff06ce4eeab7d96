/** The rollout settings as the endpoint rollout's options and target (lib/endpoints/rollout.ts checks them). */
import { parseStepSize, RolloutOptions, RolloutTarget } from '../endpoints/rollout';
import { rolloutProblem } from '../endpoints/rollout-problems';
import { MnistSettings } from './settings';

/** The settings that name each rollout option in rollout's messages. */
const ROLLOUT_SETTING_NAMES = {
  strategy: 'rollout', stepSize: 'rolloutStepSize', waitMinutes: 'rolloutWaitMinutes', bakeMinutes: 'rolloutBakeMinutes',
  instanceCount: 'realtimeInstanceCount', maxInstanceCount: 'realtimeMaxInstanceCount',
} as const;

/** The rollout settings as endpoint-rollout options (the step size passed its pattern). */
export function rolloutOptions(s: MnistSettings): RolloutOptions {
  return { strategy: s.rollout, stepSize: parseStepSize(s.rolloutStepSize)!, waitMinutes: s.rolloutWaitMinutes, bakeMinutes: s.rolloutBakeMinutes };
}

/**
 * The real-time endpoint as a rollout target: a step must suit every instance count from
 * realtimeInstanceCount to realtimeMaxInstanceCount (an update keeps the live count). A paused
 * endpoint keeps its settings valid for when it returns.
 */
function realtimeRolloutTarget(s: MnistSettings): RolloutTarget {
  return { serverless: false, instanceCount: s.realtimeInstanceCount, maxInstanceCount: s.realtimeMaxInstanceCount };
}

/**
 * Why these rollout settings cannot work, naming the settings; undefined when they can. Rollouts
 * shape real-time endpoint updates only (a serverless endpoint has no DeploymentConfig): without
 * that endpoint only what no rollout takes is refused; settingsWarnings names the rest.
 */
export function rolloutSettingsProblem(s: MnistSettings): string | undefined {
  const checked = s.realtimeEndpoint ? rolloutOptions(s) : { ...rolloutOptions(s), strategy: 'all-at-once' as const };
  return rolloutProblem(checked, realtimeRolloutTarget(s), ROLLOUT_SETTING_NAMES);
}
