// The smoke test's requests and response checks against the real model code: the bodies it sends
// go through model-code/mnist.py's input_fn → predict_fn → output_fn (an untrained Net, so only the
// wire format is checked, not accuracy) and what comes back must pass parseResponse.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadSmokeDigits } from '../../lambda/smoke-test/digits';
import { CONTENT_TYPES, encodeRequest, parseResponse } from '../../lambda/smoke-test/payload';

const ROOT = path.join(__dirname, '..', '..');

test('mnist.py reads both request formats and answers (N,10) probabilities that parseResponse accepts', () => {
  const digits = loadSmokeDigits();
  const count = 10;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-contract-'));
  try {
    CONTENT_TYPES.forEach((type, i) => fs.writeFileSync(path.join(dir, `request-${i}`), encodeRequest(digits.images.subarray(0, count * 784), count, type)));
    execFileSync(path.join(ROOT, 'scripts', 'python.sh'), ['-c', [
      'import sys, os',
      'sys.path.insert(0, os.path.join(sys.argv[1], "model-code"))',
      'import mnist',
      'from mnist_lib.network import Net',
      'model = Net().eval()',
      'for i, ctype in enumerate(sys.argv[3:]):',
      '    raw = open(os.path.join(sys.argv[2], f"request-{i}"), "rb").read()',
      '    body = raw.decode("utf-8") if ctype == "application/json" else raw  # as the toolkit hands it over',
      '    out, out_type = mnist.output_fn(mnist.predict_fn(mnist.input_fn(body, ctype), model), ctype)',
      '    open(os.path.join(sys.argv[2], f"response-{i}"), "wb").write(out.encode() if isinstance(out, str) else out)',
      '    open(os.path.join(sys.argv[2], f"response-{i}.type"), "w").write(out_type)',
    ].join('\n'), ROOT, dir, ...CONTENT_TYPES], { stdio: ['ignore', 'ignore', 'pipe'] });
    CONTENT_TYPES.forEach((type, i) => {
      const responseType = fs.readFileSync(path.join(dir, `response-${i}.type`), 'utf8');
      expect(responseType).toBe(type);
      const rows = parseResponse(fs.readFileSync(path.join(dir, `response-${i}`)), responseType, count);
      expect(rows).toHaveLength(count);
      expect(rows.every((row) => row.length === 10)).toBe(true);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
