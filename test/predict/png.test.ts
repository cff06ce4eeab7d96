import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodePngToGray } from '../../scripts/lib/png';
import { writePng } from './png-writer';

const PYTHON = path.join(__dirname, '..', '..', 'scripts', 'python.sh');
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

test('agrees with Pillow on PNGs Pillow writes (L, RGB, RGBA over white, P)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'png-pil-'));
  try {
    // Pillow draws a random 28×28 image per mode and writes its own gray conversion as raw bytes.
    execFileSync(PYTHON, ['-c', [
      'import sys, random',
      'from PIL import Image',
      'random.seed(7)',
      'd = sys.argv[1]',
      'for mode in ["L", "RGB", "RGBA", "P"]:',
      '    bands = {"L": 1, "RGB": 3, "RGBA": 4, "P": 1}[mode]',
      '    data = bytes(random.randrange(256) for _ in range(28 * 28 * bands))',
      '    im = Image.frombytes(mode, (28, 28), data)',
      '    if mode == "P": im.putpalette([random.randrange(256) for _ in range(768)])',
      '    im.save(f"{d}/{mode}.png", optimize=True)',
      '    flat = im.convert("RGBA")',
      '    white = Image.new("RGBA", im.size, (255, 255, 255, 255))',
      '    open(f"{d}/{mode}.gray", "wb").write(Image.alpha_composite(white, flat).convert("L").tobytes())',
    ].join('\n'), dir]);
    for (const mode of ['L', 'RGB', 'RGBA', 'P']) {
      const ours = decodePngToGray(fs.readFileSync(path.join(dir, `${mode}.png`))).pixels;
      const pillow = fs.readFileSync(path.join(dir, `${mode}.gray`));
      const worst = Math.max(...Array.from(ours, (v, i) => Math.abs(v - pillow[i])));
      expect({ mode, worst: worst <= 1 }).toEqual({ mode, worst: true }); // rounding differences only
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
