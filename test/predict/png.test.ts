import { decodePngToGray } from '../../scripts/lib/png';
import { PILLOW_PNGS } from './pillow-pngs';
import { writePng } from './png-writer';

const W = 7;
const H = 10; // more rows than filters, so every filter meets a row above it
const gradient = Uint8Array.from({ length: W * H }, (_, i) => (i * 37 + (i % 3) * 90) & 0xff);

test('undoes all five row filters exactly (8-bit gray)', () => {
  for (const filterOf of [(row: number) => row % 5, () => 0, () => 1, () => 2, () => 3, () => 4]) {
    const image = decodePngToGray(writePng({ width: W, height: H, colorType: 0, samples: gradient, filterOf }));
    expect(image).toEqual({ width: W, height: H, pixels: gradient });
  }
});

test('converts RGB, RGBA, gray+alpha, palette and 16-bit gray to gray', () => {
  const rgb = writePng({ width: 2, height: 1, colorType: 2, samples: Uint8Array.from([255, 0, 0, 10, 20, 30]) });
  expect(Array.from(decodePngToGray(rgb).pixels)).toEqual([76, 18]); // BT.601 luma: 0.299*255; .299*10+.587*20+.114*30
  // Transparent ink on no paper reads as white paper; opaque black stays black.
  const rgba = writePng({ width: 3, height: 1, colorType: 6, samples: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 128]) });
  expect(Array.from(decodePngToGray(rgba).pixels)).toEqual([255, 0, 127]);
  const grayAlpha = writePng({ width: 2, height: 1, colorType: 4, samples: Uint8Array.from([200, 255, 0, 0]) });
  expect(Array.from(decodePngToGray(grayAlpha).pixels)).toEqual([200, 255]);
  const palette = writePng({ width: 3, height: 1, colorType: 3, samples: Uint8Array.from([1, 0, 2]), palette: [[0, 0, 0], [255, 255, 255], [0, 0, 255]], transparency: [255, 255, 0] });
  expect(Array.from(decodePngToGray(palette).pixels)).toEqual([255, 0, 255]);
  const gray16 = writePng({ width: 2, height: 1, colorType: 0, bitDepth: 16, samples: Uint8Array.from([0xab, 0xcd, 0x01, 0xff]) });
  expect(Array.from(decodePngToGray(gray16).pixels)).toEqual([0xab, 0x01]);
});

test('reads Adam7-interlaced PNGs (8-bit gray, 16-bit RGBA) to the same pixels as plain ones', () => {
  // 13×11: every pass is non-empty and none fills whole rows, so a mis-placed pass shows.
  const [w, h] = [13, 11];
  const pixels = Uint8Array.from({ length: w * h }, (_, i) => (i * 53 + (i % 7) * 31) & 0xff);
  expect(decodePngToGray(writePng({ width: w, height: h, colorType: 0, samples: pixels, interlace: true }))).toEqual({ width: w, height: h, pixels });
  const rgba16 = Uint8Array.from({ length: w * h * 8 }, (_, i) => (i * 29 + (i >> 3)) & 0xff);
  const plain = decodePngToGray(writePng({ width: w, height: h, colorType: 6, bitDepth: 16, samples: rgba16 }));
  expect(decodePngToGray(writePng({ width: w, height: h, colorType: 6, bitDepth: 16, samples: rgba16, interlace: true }))).toEqual(plain);
  expect(new Set(plain.pixels).size).toBeGreaterThan(20); // not a flat image that any pass order would match
});

test('16-bit RGB(A) is read by the high byte, alpha included', () => {
  const rgba16 = Uint8Array.from([
    0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, // opaque red
    0, 0, 0, 0, 0, 0, 0x80, 0xff, // black at alpha 0x80ff: high byte 128 of 255
    0x12, 0xff, 0x12, 0xff, 0x12, 0xff, 0xff, 0xff, // gray 0x12ff: 18 by high byte (rounding would give 19)
  ]);
  expect(Array.from(decodePngToGray(writePng({ width: 3, height: 1, colorType: 6, bitDepth: 16, samples: rgba16 })).pixels)).toEqual([76, 127, 18]);
  const rgb16 = Uint8Array.from([0, 0x40, 0x10, 0xff, 0x20, 0xff]);
  // .587*0x10 + .114*0x20 = 13.04 by high bytes; rescaling each sample first would give 13.74 → 14.
  expect(Array.from(decodePngToGray(writePng({ width: 1, height: 1, colorType: 2, bitDepth: 16, samples: rgb16 })).pixels)).toEqual([13]);
});

test('1-, 2- and 4-bit gray are scaled to 0..255; low-depth palettes keep their colors', () => {
  const gray4 = writePng({ width: 4, height: 1, colorType: 0, bitDepth: 4, samples: Uint8Array.from([0x0f, 0x8a]) });
  expect(Array.from(decodePngToGray(gray4).pixels)).toEqual([0, 255, 136, 170]); // ×17
  const gray2 = writePng({ width: 4, height: 1, colorType: 0, bitDepth: 2, samples: Uint8Array.from([0b00011011]) });
  expect(Array.from(decodePngToGray(gray2).pixels)).toEqual([0, 85, 170, 255]);
  const gray1 = writePng({ width: 10, height: 2, colorType: 0, bitDepth: 1, samples: Uint8Array.from([0b10110000, 0b01000000, 0, 0xff]) });
  expect(Array.from(decodePngToGray(gray1).pixels)).toEqual([255, 0, 255, 255, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255]);
  const palette2 = writePng({ width: 3, height: 1, colorType: 3, bitDepth: 2, samples: Uint8Array.from([0b00011000]), palette: [[10, 10, 10], [200, 200, 200], [0, 0, 0]] });
  expect(Array.from(decodePngToGray(palette2).pixels)).toEqual([10, 200, 0]);
});

test('agrees with Pillow on PNGs Pillow wrote (L, RGB, RGBA over white, P)', () => {
  expect(PILLOW_PNGS.map((p) => p.mode)).toEqual(['L', 'RGB', 'RGBA', 'P']);
  for (const { mode, width, height, png, gray } of PILLOW_PNGS) {
    const ours = decodePngToGray(Buffer.from(png, 'base64'));
    expect({ mode, width: ours.width, height: ours.height }).toEqual({ mode, width, height });
    const pillow = Buffer.from(gray, 'hex');
    expect(pillow).toHaveLength(width * height);
    const worst = Math.max(...Array.from(ours.pixels, (v, i) => Math.abs(v - pillow[i])));
    expect({ mode, worst: worst <= 1 }).toEqual({ mode, worst: true }); // rounding differences only
  }
});

test('bad PNGs fail with the problem named', () => {
  const good = writePng({ width: W, height: H, colorType: 0, samples: gradient });
  expect(() => decodePngToGray(Buffer.from('GIF89a'))).toThrow('not a PNG file (no PNG signature)');
  expect(() => decodePngToGray(good.subarray(0, good.length - 20))).toThrow(/truncated PNG/);
  const flipped = Buffer.from(good);
  flipped[45] ^= 0xff; // inside the IDAT data
  expect(() => decodePngToGray(flipped)).toThrow(/corrupt PNG: CRC mismatch/);
  const lastCrc = Buffer.from(good);
  lastCrc[lastCrc.length - 1] ^= 0xff; // IEND's CRC: nothing follows it
  expect(() => decodePngToGray(lastCrc)).toThrow(/corrupt PNG: CRC mismatch/);
  expect(() => decodePngToGray(writePng({ width: W, height: H, colorType: 0, samples: gradient, bitDepthInHeader: 3 })))
    .toThrow(/unsupported or corrupt PNG header \(bit depth.*re-save it as an ordinary 8-bit PNG/);
  const trailing = Buffer.concat([good, Buffer.from('junk')]);
  expect(() => decodePngToGray(trailing)).toThrow(/data after the IEND chunk/);
});
