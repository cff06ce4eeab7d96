// Shared set-up for tests that call the loopback fake with the real SDK client.
import { loadSmokeDigits } from '../../lambda/smoke-test/digits';
import { KnownDigit } from './fake-sagemaker-runtime';

export const DUMMY_CREDENTIALS = { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret' };
export const REGION = 'us-east-1';

/** The bundled smoke-test digits, as the fake needs them (pixels + true label). */
export function smokeDigitsForFake(): KnownDigit[] {
  const digits = loadSmokeDigits();
  return digits.labels.map((label, n) => ({ pixels: digits.images.subarray(n * 784, (n + 1) * 784), label }));
}
