import { adviceForCode } from '../../lib/settings/code-advice';
import { SettingsError } from '../../lib/settings/settings-error';

// Only the fixes for settings that came from code change: the rest still come from cdk.json or -c.
test('a -c fix for a setting from code becomes a props.settings fix; the others stay', () => {
  const error = new SettingsError('Settings a=1 and b=2 conflict: use -c a=3, -c b=4 or -c c=\'{"x":1}\'.');
  expect(adviceForCode(error, new Set(['a', 'c'])).message)
    .toBe('Settings a=1 and b=2 conflict: use props.settings.a=3, -c b=4 or props.settings.c={"x":1}.');
});

test('"Set it in cdk.json … or with -c …" becomes "Set it in props.settings.<name>." for a setting from code only', () => {
  const hyper = new SettingsError('Invalid hyperparameter lr="fast": expected a number > 0. Set it in "hyperparameters" in cdk.json "context" or with -c hyperparameters=\'{"lr":<value>}\'.');
  expect(adviceForCode(hyper, new Set(['hyperparameters'])).message).toBe('Invalid hyperparameter lr="fast": expected a number > 0. Set it in props.settings.hyperparameters.');
  expect(adviceForCode(hyper, new Set(['epochs']))).toBe(hyper);
});

test('with nothing from code the error is returned as it is', () => {
  const error = new SettingsError('use -c a=1.');
  expect(adviceForCode(error, new Set())).toBe(error);
});
