// A small reader and writer for NumPy's .npy format (the article's wire format for
// `application/x-npy`): little-endian float32/float64, C order. Spec:
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
// Written by hand so the Lambda bundle carries no NumPy-in-JavaScript dependency.

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
/** NumPy (>= 1.14) pads the header so the data starts on a 64-byte boundary. */
const HEADER_ALIGNMENT = 64;

export type NpyDtype = 'float32' | 'float64';

const DESCR_OF: Record<NpyDtype, string> = { float32: '<f4', float64: '<f8' };
const DTYPE_OF: Record<string, NpyDtype> = { '<f4': 'float32', '<f8': 'float64' };
const BYTES_OF: Record<NpyDtype, number> = { float32: 4, float64: 8 };

export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  /** Values in C (row-major) order. */
  readonly data: Float32Array | Float64Array;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Encodes `data` (C order) as a version 1.0 .npy file of the given shape. */
export function encodeNpy(data: ArrayLike<number>, shape: readonly number[], dtype: NpyDtype = 'float32'): Buffer {
  if (!shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
    throw new Error(`Invalid .npy shape [${shape.join(', ')}]: every dimension must be a whole number >= 0.`);
  }
  const count = elementCount(shape);
  if (count !== data.length) {
    throw new Error(`Shape [${shape.join(', ')}] holds ${count} values but ${data.length} were given.`);
  }
  // Python's repr of a tuple: a 1-tuple needs its trailing comma.
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR_OF[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1; // + the final newline
  const padding = (HEADER_ALIGNMENT - (unpadded % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT;
  const headerText = `${dict}${' '.repeat(padding)}\n`;
  if (headerText.length > 0xffff) throw new Error('The .npy header is too long for format version 1.0.');

  const size = BYTES_OF[dtype];
  const out = Buffer.alloc(MAGIC.length + 4 + headerText.length + count * size);
  MAGIC.copy(out, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  out.writeUInt16LE(headerText.length, 8);
  out.write(headerText, 10, 'latin1');
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let offset = 10 + headerText.length;
  for (let i = 0; i < count; i++, offset += size) {
    if (dtype === 'float32') view.setFloat32(offset, data[i], true);
    else view.setFloat64(offset, data[i], true);
  }
  return out;
}

function headerField(header: string, key: string): string {
  const match = new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`).exec(header);
  if (!match) throw new Error(`Not a valid .npy file: its header has no '${key}' entry.`);
  return match[1];
}

/** Decodes a .npy file (versions 1.0, 2.0 and 3.0) holding little-endian float32 or float64 in C order. */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 10 || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('Not a .npy file: it does not start with the \\x93NUMPY magic string.');
  }
  const major = buffer[6];
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = buffer.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buffer.length < 12) throw new Error('Truncated .npy file: the header length is missing.');
    headerLength = buffer.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new Error(`Unsupported .npy format version ${major}.${buffer[7]}: expected 1.0, 2.0 or 3.0.`);
  }
  const dataStart = headerStart + headerLength;
  if (buffer.length < dataStart) throw new Error('Truncated .npy file: the header is cut short.');
  const header = buffer.toString(major === 3 ? 'utf8' : 'latin1', headerStart, dataStart);

  const descr = headerField(header, 'descr').slice(1, -1);
  const dtype = DTYPE_OF[descr];
  if (!dtype) {
    throw new Error(`Unsupported .npy dtype '${descr}': expected little-endian float32 ('<f4') or float64 ('<f8').`);
  }
  if (headerField(header, 'fortran_order') !== 'False') {
    throw new Error('Unsupported .npy layout: Fortran order; save the array in C order (np.ascontiguousarray).');
  }
  const shapeText = headerField(header, 'shape').slice(1, -1).trim();
  const shape = shapeText === ''
    ? []
    : shapeText.split(',').map((part) => part.trim()).filter((part) => part !== '').map(Number);
  if (!shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
    throw new Error(`Not a valid .npy file: bad shape (${shapeText}).`);
  }

  const count = elementCount(shape);
  const size = BYTES_OF[dtype];
  const expected = dataStart + count * size;
  if (buffer.length !== expected) {
    throw new Error(`Corrupt .npy file: shape (${shape.join(', ')}) of ${dtype} needs ${expected} bytes, got ${buffer.length}.`);
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const data = dtype === 'float32' ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0, offset = dataStart; i < count; i++, offset += size) {
    data[i] = dtype === 'float32' ? view.getFloat32(offset, true) : view.getFloat64(offset, true);
  }
  return { dtype, shape, data };
}
