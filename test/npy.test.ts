import { execFileSync } from 'child_process';
import { decodeNpy, encodeNpy } from '../lambda/shared/npy';
import { projectPython } from './support/project-python';

/** Runs a Python snippet with NumPy; stdin and stdout are bytes. */
function python(code: string, input?: Buffer): Buffer {
  return execFileSync(projectPython(), ['-c', code], { input, maxBuffer: 16 * 1024 * 1024 });
}

describe('npy encoder/decoder', () => {
  test('round-trips float32 and float64 with the shape kept', () => {
    const values = [0, 1.5, -2.25, 255, 1e-7, 3.4e38];
    for (const dtype of ['float32', 'float64'] as const) {
      const decoded = decodeNpy(encodeNpy(values, [2, 3], dtype));
      expect(decoded.dtype).toBe(dtype);
      expect(decoded.shape).toEqual([2, 3]);
      expect(Array.from(decoded.data)).toEqual(Array.from(dtype === 'float32' ? Float32Array.from(values) : values));
    }
  });

  test('pads the header so the data starts on a 64-byte boundary, version 1.0', () => {
    for (const shape of [[1], [16, 1, 28, 28], [123456, 10], []]) {
      const count = shape.reduce((a, b) => a * b, 1);
      const bytes = encodeNpy(new Float32Array(count), shape);
      expect([bytes[6], bytes[7]]).toEqual([1, 0]);
      const dataStart = 10 + bytes.readUInt16LE(8);
      expect(dataStart % 64).toBe(0);
      expect(bytes[dataStart - 1]).toBe(0x0a); // header ends with a newline
      expect(bytes.length).toBe(dataStart + count * 4);
    }
  });

  test('NumPy reads what we write (the article payload shape)', () => {
    const values = Float32Array.from({ length: 2 * 1 * 28 * 28 }, (_, i) => i % 256);
    const out = python(
      'import sys, io, numpy as np\n' +
        'a = np.load(io.BytesIO(sys.stdin.buffer.read()), allow_pickle=False)\n' +
        'print(a.dtype, a.shape, a.flags["C_CONTIGUOUS"], float(a.sum()), a[1,0,27,27], a[0,0,0,5])',
      encodeNpy(values, [2, 1, 28, 28]),
    ).toString().trim();
    const expectedSum = Array.from(values).reduce((a, b) => a + b, 0);
    expect(out).toBe(`float32 (2, 1, 28, 28) True ${expectedSum.toFixed(1)} ${(2 * 784 - 1) % 256}.0 5.0`);
  });

  test('we read what NumPy writes: float32, float64, 1-D', () => {
    for (const [dtype, expr, shape] of [
      ['float32', 'np.arange(30, dtype=np.float32).reshape(3, 10) / 7', [3, 10]],
      ['float64', 'np.arange(30, dtype=np.float64).reshape(3, 10) / 7', [3, 10]],
      ['float64', 'np.linspace(0, 1, 5)', [5]],
    ] as const) {
      const bytes = python(`import sys, numpy as np\nnp.save(sys.stdout.buffer, ${expr})`);
      const decoded = decodeNpy(bytes);
      expect(decoded.dtype).toBe(dtype);
      expect(decoded.shape).toEqual(shape);
      const count = shape.reduce((a: number, b: number) => a * b, 1);
      const expected = shape.length === 1
        ? [0, 0.25, 0.5, 0.75, 1]
        : Array.from({ length: count }, (_, i) => (dtype === 'float32' ? Math.fround(Math.fround(i) / 7) : i / 7));
      expect(Array.from(decoded.data)).toEqual(expected);
    }
  });

  test('rejects what it cannot read with a message naming the problem', () => {
    const good = encodeNpy([1, 2, 3], [3]);
    expect(() => decodeNpy(Buffer.from('PK\x03\x04 not numpy'))).toThrow(/does not start with the \\x93NUMPY magic/);
    expect(() => decodeNpy(good.subarray(0, good.length - 1))).toThrow(/Corrupt \.npy file: .* needs 140 bytes, got 139/);
    expect(() => decodeNpy(good.subarray(0, 20))).toThrow(/header is cut short/);
    const bigEndian = python("import sys, numpy as np\nnp.save(sys.stdout.buffer, np.zeros(3, dtype='>f4'))");
    expect(() => decodeNpy(bigEndian)).toThrow(/Unsupported \.npy dtype '>f4'/);
    const ints = python('import sys, numpy as np\nnp.save(sys.stdout.buffer, np.zeros(3, dtype=np.int64))');
    expect(() => decodeNpy(ints)).toThrow(/Unsupported \.npy dtype '<i8'.*float32/);
    const fortran = python('import sys, numpy as np\nnp.save(sys.stdout.buffer, np.asfortranarray(np.zeros((2, 3))))');
    expect(() => decodeNpy(fortran)).toThrow(/Fortran order/);
    const version9 = Buffer.from(good);
    version9[6] = 9;
    expect(() => decodeNpy(version9)).toThrow(/Unsupported \.npy format version 9\.0/);
  });

  test('refuses a shape that does not match the data', () => {
    expect(() => encodeNpy([1, 2, 3], [2, 2])).toThrow(/holds 4 values but 3 were given/);
    expect(() => encodeNpy([1], [0.5])).toThrow(/whole number/);
  });
});
