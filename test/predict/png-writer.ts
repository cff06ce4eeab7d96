// A minimal PNG writer for tests: any color type, 8 or 16 bits, with a chosen filter per row,
// so the decoder's five unfilter paths are all exercised on known pixels. Its checksums are
// Node's zlib.crc32, not the decoder's own, so a CRC bug in the decoder cannot hide here.
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
  bitDepth?: 8 | 16;
  /** Raw samples, row-major (bytes; for 16-bit, two big-endian bytes per sample). */
  samples: Uint8Array;
  palette?: number[][];
  transparency?: number[];
  /** Filter per row; default cycles 0..4. */
  filterOf?: (row: number) => number;
  interlace?: boolean;
  bitDepthInHeader?: number;
}

export function writePng(spec: PngSpec): Buffer {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[spec.colorType];
  const bitDepth = spec.bitDepth ?? 8;
  const bpp = (channels * bitDepth) / 8;
  const stride = spec.width * bpp;
  const filtered = Buffer.alloc(spec.height * (stride + 1));
  for (let y = 0; y < spec.height; y++) {
    const filter = (spec.filterOf ?? ((row: number) => row % 5))(y);
    filtered[y * (stride + 1)] = filter;
    for (let x = 0; x < stride; x++) {
      const value = spec.samples[y * stride + x];
      const left = x >= bpp ? spec.samples[y * stride + x - bpp] : 0;
      const up = y > 0 ? spec.samples[(y - 1) * stride + x] : 0;
      const upLeft = y > 0 && x >= bpp ? spec.samples[(y - 1) * stride + x - bpp] : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
      filtered[y * (stride + 1) + 1 + x] = (value - predictor) & 0xff;
    }
  }
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
