// Jest setupFiles (each worker, before each test file): CDK writes "Bundling asset <path>..." to
// stderr for every Lambda bundle it builds, straight past jest's console capture, so a passing run
// printed five such lines per synthesis. Only that exact line is dropped; anything else, a bundling
// error included, still reaches stderr.
const BUNDLING_LINE = /^Bundling asset \S+\.\.\.\r?\n$/;
const PATCHED = Symbol.for('mnist-sagemaker-cdk.quietBundlingLine');

if (!process.stderr[PATCHED]) {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => {
    if (typeof chunk === 'string' && BUNDLING_LINE.test(chunk)) {
      const callback = rest.find((arg) => typeof arg === 'function');
      if (callback) process.nextTick(callback);
      return true;
    }
    return write(chunk, ...rest);
  };
  process.stderr[PATCHED] = true;
}
