import * as zlib from 'zlib';
import { crc32, decodePngToGray } from '../../scripts/lib/png';
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

test('the CRC-32 equals zlib\'s on the check value and on random bytes', () => {
  expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926); // the standard check value of CRC-32/ISO-HDLC
  const bytes = Buffer.from(Array.from({ length: 4099 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff));
  expect(crc32(bytes)).toBe(zlib.crc32(bytes));
});

test('bad or unsupported PNGs fail with the problem named', () => {
  const good = writePng({ width: W, height: H, colorType: 0, samples: gradient });
  expect(() => decodePngToGray(Buffer.from('GIF89a'))).toThrow('not a PNG file (no PNG signature)');
  expect(() => decodePngToGray(good.subarray(0, good.length - 20))).toThrow(/truncated PNG/);
  const flipped = Buffer.from(good);
  flipped[45] ^= 0xff; // inside the IDAT data
  expect(() => decodePngToGray(flipped)).toThrow(/corrupt PNG: CRC mismatch in the IDAT chunk/);
  expect(() => decodePngToGray(writePng({ width: W, height: H, colorType: 0, samples: gradient, interlace: true }))).toThrow(/interlaced PNGs are not supported/);
  expect(() => decodePngToGray(writePng({ width: W, height: H, colorType: 0, samples: gradient, bitDepthInHeader: 4 }))).toThrow(/4-bit PNGs of color type 0 are not supported: save it as an 8-bit/);
});
