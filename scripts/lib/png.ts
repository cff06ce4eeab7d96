// A small PNG decoder (zlib from Node, nothing else) for the predict command's 28×28 digits.
// Handles non-interlaced PNGs of every color type at 8 bits (16-bit gray/RGB too) and returns
// one gray byte per pixel: luminance, with transparency composited over white.
import * as zlib from 'zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface GrayImage {
  readonly width: number;
  readonly height: number;
  /** width × height, 0..255, row-major. */
  readonly pixels: Uint8Array;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Channels per color type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the per-row filters (None, Sub, Up, Average, Paeth) in place order; returns raw scanlines. */
function unfilter(data: Buffer, height: number, stride: number, bytesPerPixel: number): Uint8Array {
  if (data.length !== height * (stride + 1)) {
    throw new Error(`image data is ${data.length} bytes after decompression; ${height} rows of ${stride + 1} were expected (truncated or corrupt file)`);
  }
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = data[y * (stride + 1)];
    const row = data.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const at = y * stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= bytesPerPixel ? out[at + x - bytesPerPixel] : 0;
      const up = y > 0 ? out[at - stride + x] : 0;
      const upLeft = y > 0 && x >= bytesPerPixel ? out[at - stride + x - bytesPerPixel] : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = left; break;
        case 2: predictor = up; break;
        case 3: predictor = (left + up) >> 1; break;
        case 4: predictor = paeth(left, up, upLeft); break;
        default: throw new Error(`row ${y} has unknown filter type ${filter} (corrupt file)`);
      }
      out[at + x] = (row[x] + predictor) & 0xff;
    }
  }
  return out;
}

/** Decodes a PNG to gray. Errors name what is unsupported and how to re-save the image. */
export function decodePngToGray(file: Uint8Array): GrayImage {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (bytes.length < SIGNATURE.length || !bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)) {
    throw new Error('not a PNG file (no PNG signature)');
  }
  let offset = SIGNATURE.length;
  let header: { width: number; height: number; bitDepth: number; colorType: number; interlace: number } | undefined;
  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  const idat: Buffer[] = [];
  let ended = false;
  while (!ended) {
    if (offset + 12 > bytes.length) throw new Error('truncated PNG: it ends before the IEND chunk');
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (offset + 12 + length > bytes.length) throw new Error(`truncated PNG: the ${type} chunk is cut short`);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== bytes.readUInt32BE(offset + 8 + length)) {
      throw new Error(`corrupt PNG: CRC mismatch in the ${type} chunk`);
    }
    offset += 12 + length;
    if (type === 'IHDR') {
      header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), bitDepth: data[8], colorType: data[9], interlace: data[12] };
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') transparency = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
  }
  if (!header) throw new Error('corrupt PNG: no IHDR chunk');
  const { width, height, bitDepth, colorType, interlace } = header;
  const channels = CHANNELS[colorType];
  if (channels === undefined) throw new Error(`corrupt PNG: unknown color type ${colorType}`);
  if (interlace !== 0) throw new Error('interlaced PNGs are not supported: save the image without interlacing');
  if (!(bitDepth === 8 || (bitDepth === 16 && colorType !== 3))) {
    throw new Error(`${bitDepth}-bit PNGs of color type ${colorType} are not supported: save it as an 8-bit grayscale or RGB(A) PNG`);
  }
  if (colorType === 3 && !palette) throw new Error('corrupt PNG: palette image without a PLTE chunk');

  const bytesPerSample = bitDepth / 8;
  const bytesPerPixel = channels * bytesPerSample;
  let inflated: Buffer;
  try {
    inflated = zlib.inflateSync(Buffer.concat(idat));
  } catch (error) {
    throw new Error(`corrupt PNG: the image data does not decompress (${(error as Error).message})`);
  }
  const raw = unfilter(inflated, height, width * bytesPerPixel, bytesPerPixel);

  const sample = (index: number) => raw[index * bytesPerSample]; // high byte of 16-bit samples
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const base = i * channels;
    let r: number, g: number, b: number;
    let alpha = 255;
    if (colorType === 3) {
      const entry = raw[i];
      if (entry * 3 + 2 >= palette!.length) throw new Error(`corrupt PNG: palette index ${entry} out of range`);
      [r, g, b] = [palette![entry * 3], palette![entry * 3 + 1], palette![entry * 3 + 2]];
      if (transparency && entry < transparency.length) alpha = transparency[entry];
    } else if (colorType === 0 || colorType === 4) {
      r = g = b = sample(base);
      if (colorType === 4) alpha = sample(base + 1);
    } else {
      [r, g, b] = [sample(base), sample(base + 1), sample(base + 2)];
      if (colorType === 6) alpha = sample(base + 3);
    }
    // ITU-R BT.601 luma, as PIL's convert('L'); transparent areas read as white paper.
    const luma = 0.299 * r + 0.587 * g + 0.114 * b;
    pixels[i] = Math.round((luma * alpha + 255 * (255 - alpha)) / 255);
  }
  return { width, height, pixels };
}
