/** Valid settings that have no effect with the others: printed by the app while synth goes on. */
import { DEFAULT_SETTINGS, MnistSettings } from './settings';

/** The rollout settings that shape canary and linear rollouts only. */
const STEP_SETTINGS = ['rolloutStepSize', 'rolloutWaitMinutes'] as const;
const ROLLOUT_SETTINGS = ['rollout', 'rolloutStepSize', 'rolloutWaitMinutes', 'rolloutBakeMinutes'] as const;

/**
 * Valid settings that have no effect with the others, one line each, for the app to print while
 * synth goes on: a changed rollout without the real-time endpoint, a step size or wait with
 * all-at-once. A value equal to its default counts as not given.
 */
export function settingsWarnings(s: MnistSettings): string[] {
  const given = (names: readonly (keyof MnistSettings)[]) => names.filter((name) => s[name] !== DEFAULT_SETTINGS[name]).map((name) => `${name}=${s[name]}`);
  const listed = (items: string[]) => items.length === 1 ? `Setting ${items[0]} has` : `Settings ${items.slice(0, -1).join(', ')} and ${items[items.length - 1]} have`;
  if (!s.realtimeEndpoint) {
    const ignored = given(ROLLOUT_SETTINGS);
    return ignored.length === 0 ? [] : [
      `${listed(ignored)} no effect: rollouts shape updates of the real-time endpoint, and realtimeEndpoint=false (a serverless endpoint switches to a new configuration at once).`,
    ];
  }
  const ignored = s.rollout === 'all-at-once' ? given(STEP_SETTINGS) : [];
  return ignored.length === 0 ? [] : [
    `${listed(ignored)} no effect with rollout=all-at-once (${ignored.length === 1 ? 'it shapes' : 'they shape'} canary and linear rollouts): set -c rollout=canary or -c rollout=linear, or leave ${ignored.length === 1 ? 'it' : 'them'} out.`,
  ];
}
