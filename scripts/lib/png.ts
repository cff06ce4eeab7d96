// PNG → one gray byte per pixel for the predict command. Decoding (every color type and bit depth,
// Adam7 interlacing, CRCs) is pngjs's; ours is the conversion: luminance, transparency composited
// over white, and error messages a user can act on.
import { PNG } from 'pngjs';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface GrayImage {
  readonly width: number;
  readonly height: number;
  /** width × height, 0..255, row-major. */
  readonly pixels: Uint8Array;
}

// pngjs's sync reader loses the parser's own error when bytes remain after the point it stopped
// (a bad CRC, an unsupported header field) and throws these generic ones instead.
const ENDS_EARLY = /read requests waitng on finished stream|Ran out of data|unexpected end/i;
const STOPPED_EARLY = /unrecognised content at end of stream/;
const CRC_MISMATCH = 'corrupt PNG: CRC mismatch (a chunk does not match its checksum; the file is damaged)';

/** Decoding without CRC checks tells a damaged chunk apart from a header pngjs refuses. */
function explain(file: Buffer, error: Error): string {
  if (ENDS_EARLY.test(error.message)) return 'truncated PNG: the file ends before its image data does';
  if (/^Crc error/.test(error.message)) return CRC_MISMATCH;
  if (!STOPPED_EARLY.test(error.message)) return `corrupt PNG: ${error.message}`;
  try {
    PNG.sync.read(file, { checkCRC: false });
  } catch (retried) {
    if (STOPPED_EARLY.test((retried as Error).message)) {
      return 'unsupported or corrupt PNG header (bit depth, color type, compression, filter or interlace method), or data after the IEND chunk: re-save it as an ordinary 8-bit PNG';
    }
  }
  return CRC_MISMATCH;
}

/** Decodes a PNG to gray. Errors name the problem; the caller adds the file name. */
export function decodePngToGray(file: Uint8Array): GrayImage {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (!bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a PNG file (no PNG signature)');
  let png;
  try {
    // skipRescale keeps 16-bit samples whole, so they are read by their high byte below.
    png = PNG.sync.read(bytes, { skipRescale: true });
  } catch (error) {
    throw new Error(explain(bytes, error as Error));
  }
  const { width, height, depth } = png;
  // RGBA per pixel; a Uint16Array at 16 bits; 1/2/4-bit gray left at 0..2^depth-1 (palettes are 8-bit).
  const rgba: ArrayLike<number> = png.data;
  const toByte =
    depth === 16 ? (v: number) => v >>> 8 : png.palette ? (v: number) => v : (v: number) => (v * 255) / (2 ** depth - 1);
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const [r, g, b, alpha] = [0, 1, 2, 3].map((c) => toByte(rgba[i * 4 + c]));
    // ITU-R BT.601 luma, as PIL's convert('L'); transparent areas read as white paper.
    const luma = 0.299 * r + 0.587 * g + 0.114 * b;
    pixels[i] = Math.round((luma * alpha + 255 * (255 - alpha)) / 255);
  }
  return { width, height, pixels };
}
