// A minimal PNG writer for tests: any color type, 1 to 16 bits, Adam7 interlacing, a chosen filter
// per row, so known pixels reach the decoder (pngjs) in every layout the format allows. Written
// independently of pngjs, so a test passes only when the two agree on the format.
import * as zlib from 'zlib';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth?: 1 | 2 | 4 | 8 | 16;
  /** Raw samples, row-major (bytes; 16-bit: two big-endian bytes per sample; 1/2/4-bit: packed, each row starting on a byte). */
  samples: Uint8Array;
  palette?: number[][];
  transparency?: number[];
  /** Filter per row (per pass row when interlaced); default cycles 0..4. */
  filterOf?: (row: number) => number;
  /** Adam7 (8-bit and 16-bit only). */
  interlace?: boolean;
  bitDepthInHeader?: number;
}

/** Filters rows of `stride` bytes; `bpp` is the byte distance to the "left" neighbour. */
function filterRows(samples: Uint8Array, rows: number, stride: number, bpp: number, filterOf: (row: number) => number): Buffer {
  const filtered = Buffer.alloc(rows * (stride + 1));
  for (let y = 0; y < rows; y++) {
    const filter = filterOf(y);
    filtered[y * (stride + 1)] = filter;
    for (let x = 0; x < stride; x++) {
      const value = samples[y * stride + x];
      const left = x >= bpp ? samples[y * stride + x - bpp] : 0;
      const up = y > 0 ? samples[(y - 1) * stride + x] : 0;
      const upLeft = y > 0 && x >= bpp ? samples[(y - 1) * stride + x - bpp] : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
      filtered[y * (stride + 1) + 1 + x] = (value - predictor) & 0xff;
    }
  }
  return filtered;
}

/** Adam7's seven passes: [first column, first row, column step, row step]. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

function adam7(spec: PngSpec, bpp: number, filterOf: (row: number) => number): Buffer {
  const passes: Buffer[] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    const xs = Array.from({ length: Math.max(0, Math.ceil((spec.width - x0) / dx)) }, (_, i) => x0 + i * dx);
    const ys = Array.from({ length: Math.max(0, Math.ceil((spec.height - y0) / dy)) }, (_, i) => y0 + i * dy);
    if (xs.length === 0 || ys.length === 0) continue; // empty passes are left out entirely
    const pass = Uint8Array.from(ys.flatMap((y) => xs.flatMap((x) => Array.from(spec.samples.subarray((y * spec.width + x) * bpp, (y * spec.width + x + 1) * bpp)))));
    passes.push(filterRows(pass, ys.length, xs.length * bpp, bpp, filterOf));
  }
  return Buffer.concat(passes);
}

export function writePng(spec: PngSpec): Buffer {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[spec.colorType];
  const bitDepth = spec.bitDepth ?? 8;
  const bpp = Math.max(1, (channels * bitDepth) / 8);
  const filterOf = spec.filterOf ?? ((row: number) => row % 5);
  if (spec.interlace && bitDepth < 8) throw new Error('png-writer: Adam7 is written for 8- and 16-bit samples only');
  const filtered = spec.interlace
    ? adam7(spec, bpp, filterOf)
    : filterRows(spec.samples, spec.height, Math.ceil((spec.width * channels * bitDepth) / 8), bpp, filterOf);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr[8] = spec.bitDepthInHeader ?? bitDepth;
  ihdr[9] = spec.colorType;
  ihdr[12] = spec.interlace ? 1 : 0;
  const chunks = [chunk('IHDR', ihdr)];
  if (spec.palette) chunks.push(chunk('PLTE', Buffer.from(spec.palette.flat())));
  if (spec.transparency) chunks.push(chunk('tRNS', Buffer.from(spec.transparency)));
  chunks.push(chunk('IDAT', zlib.deflateSync(filtered)), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}

/** A 28×28 8-bit grayscale PNG of the given pixels. */
export function grayPng(pixels: Uint8Array): Buffer {
  return writePng({ width: 28, height: 28, colorType: 0, samples: pixels });
}
