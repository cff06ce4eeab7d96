import * as fs from 'fs';
import { loadSmokeDigits } from '../../lambda/smoke-test/digits';
import { PIXELS, loadPackagedMnist } from '../../scripts/lib/packaged-mnist';
import { SMOKE_DIGITS_FILE, buildSmokeDigits, formatSmokeDigits } from '../../scripts/make-smoke-digits';

test('the committed fixture is exactly what the generator writes now (no drift)', () => {
  expect(fs.readFileSync(SMOKE_DIGITS_FILE, 'utf8')).toBe(formatSmokeDigits(buildSmokeDigits()));
});

test('40 digits, 4 per class, each the held-out test digit it claims to be', () => {
  const digits = loadSmokeDigits();
  const fixture = buildSmokeDigits();
  const { test: heldOut } = loadPackagedMnist();
  expect(digits.count).toBe(40);
  for (let label = 0; label < 10; label++) expect(digits.labels.filter((l) => l === label)).toHaveLength(4);
  fixture.testIndices.forEach((index, n) => {
    expect(digits.labels[n]).toBe(heldOut.labels[index]);
    expect(Buffer.from(digits.images.subarray(n * PIXELS, (n + 1) * PIXELS)))
      .toEqual(Buffer.from(heldOut.images.subarray(index * PIXELS, (index + 1) * PIXELS)));
  });
});

test('none of the digits is in the training split (never trained on)', () => {
  const { train } = loadPackagedMnist();
  const trained = new Set<string>();
  for (let i = 0; i < train.count; i++) trained.add(Buffer.from(train.images.subarray(i * PIXELS, (i + 1) * PIXELS)).toString('base64'));
  const digits = loadSmokeDigits();
  for (let n = 0; n < digits.count; n++) {
    expect(trained.has(Buffer.from(digits.images.subarray(n * PIXELS, (n + 1) * PIXELS)).toString('base64'))).toBe(false);
  }
});

test('the generator refuses a nonsense count', () => {
  expect(() => buildSmokeDigits(0)).toThrow('--per-class 0 is not valid: choose a whole number from 1 to 100.');
});
