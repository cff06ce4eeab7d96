// PNGs written by another encoder, Pillow 12.3.0 (its own row-filter choice and zlib stream), with
// Pillow's own gray conversion over white paper, so the decoder is checked against software we did
// not write without needing Python at test time. Made once with:
//   random.seed(7); W, H = 9, 6
//   for mode in ["L", "RGB", "RGBA", "P"]:
//       bands = {"L": 1, "RGB": 3, "RGBA": 4, "P": 1}[mode]
//       data = bytes((x*23 + y*41 + random.randrange(40) + b*60) & 0xff
//                    for y in range(H) for x in range(W) for b in range(bands))
//       im = Image.frombytes(mode, (W, H), data)
//       if mode == "P": im.putpalette([random.randrange(256) for _ in range(768)])
//       im.save(buffer, format="PNG", optimize=True)                      # -> png
//       white = Image.new("RGBA", im.size, (255, 255, 255, 255))
//       Image.alpha_composite(white, im.convert("RGBA")).convert("L").tobytes()  # -> gray
export interface PillowPng {
  readonly mode: 'L' | 'RGB' | 'RGBA' | 'P';
  readonly width: number;
  readonly height: number;
  /** The PNG file, base64. */
  readonly png: string;
  /** Pillow's gray pixels, hex, row-major. */
  readonly gray: string;
}

export const PILLOW_PNGS: readonly PillowPng[] = [
  {
    mode: 'L',
    width: 9,
    height: 6,
    png:
      'iVBORw0KGgoAAAANSUhEUgAAAAkAAAAGCAAAAAA0rOsZAAAARUlEQVR42mMU4VFnlDD9raHKImHCwiOlJMYozKKtw//f4pes3lcW' +
      'DwluRmFuCx5dFnk2gz8mbJr/hRg/if1XYjP5Yf4NAGMtDtGYViUkAAAAAElFTkSuQmCC',
    gray: '14204748609590b8dd2c6064708ab7cdcef0578c9b9ad2ccea180d9fb7c2c3e5f0282445bec4f4f0242a515062f20807292f635b9288',
  },
  {
    mode: 'RGB',
    width: 9,
    height: 6,
    png:
      'iVBORw0KGgoAAAANSUhEUgAAAAkAAAAGCAIAAACepSOSAAAAqklEQVR42gXBSQ6CMAAAQIFiWFqElkX2ohaKBgJBghx8gM/z5Ht8' +
      'gW8xXtAQdUYoLjfMIM6oJas6QU3YYR9r/AetCsCW5JE50yZX1TLLjRnpraW6Q+PqoHfOnp8p7BVrIU54ISn2oYHLVUld4foQNGB7' +
      'NDB4vVEANNOR7Xx7Inss3KWeIA9Eni2LWRFbZkeU5ykY3ywCSIsHThbOMUmn7bqqXfQVaZAwyD9/hxYbrBe4DfUAAAAASUVORK5C' +
      'YII=',
    gray: '4864818a9aa0b73b4d6a8aa2b4babb4858748d8ec6ba4150743152a5adc95463745264854251666f465b638aa14f30425c718e8f95cc',
  },
  {
    mode: 'RGBA',
    width: 9,
    height: 6,
    png:
      'iVBORw0KGgoAAAANSUhEUgAAAAkAAAAGCAYAAAARx7TFAAAA00lEQVR42gXB606DMBgA0GytXDbKJcBXoC3QriEwmFwi6hL57VP4' +
      'TD6Rb6WSEGI850A+Pr+6VcqtoowLrHqZI44C9UcbUTirXVSqw5OuXwzbdIdYAJ2aEzV+8oAMLCvJJWXawjJ08OuV35NE64jb3vc2' +
      '5JVAvpPwZ7in5tU5n87Z04zzrtZG0v+qwztgus1zOO54iTu5pyuwB3DbssU+WdhS95fdIvT2xgyws2j0XBK1gSRglgyBxOMcT77H' +
      '07CwwpvKAUVwVMdkFg1yPL48qm0N/wFXTCWopQGilgAAAABJRU5ErkJggg==',
    gray: '7a6c71f2f5ede1e49779fef5f3ebe9a2aaa1eef5efe6ee96a97f6cedeeee96ab697777fae4a39879757586fdef979562717df3f2ebe6',
  },
  {
    mode: 'P',
    width: 9,
    height: 6,
    png:
      'iVBORw0KGgoAAAANSUhEUgAAAAkAAAAGCAMAAAAmGUT3AAADAFBMVEWU5FuKsQmAEgcJYfN95Dbd/cmdbnWvZUfPsRtCBySC3FMc' +
      'K8OQfJYX615QieQBhrqopX0Rnm+2XQCrwyrzjmZ/Ai6HLUnMFckLmZt3K0/Hpv1MkUoW20cIdSsPFUS4NcDnGQl9+ocB6SMvIfKB' +
      'Jod4aXbr/MMn9ZMXZSdLqYKbRAb2H/iJMm/6lJLt7u48Zp8r8giU6ifmicZrayYuSIa4Q485unb++MkMUQH75s+aSNWwwKE9qQCm' +
      'rcs9ZAaUgb4hyccnuNuMGI80GpJMf4jfoWG/2w7MaCkZ0uZGkvgZQVfx1K+QmIKFz3qa98k9VVImav5w56rm2kdifC5Zry6jeryE' +
      'ZwrTxNNrwIqtH/+OuEBuL4p/xMzk3Z8LQRDZ8voAJcjv5X83ck9NN+orFABAdxObQYDfOTIkmWLGhXIABZrrjqF883h+DtKdHAtj' +
      '/9cpg3TZvXT8Ea3XucplA5Uiaf1mn2N27nGHlzf9X3L41RxKyRttDEjUGh5eyeagOShUqGFe7xCfwb+p4lY3ASiPKbPXP2rCtp7d' +
      'LBnyZL7kYqW68g/Sfs8UwBHtIB+DYyCtuYurFoaijZgBIQx3NvPuxYDc/EP+XQSbTXino+u5KGXIUX7QIRH2plLaNSSHK2ox1//k' +
      'WHdE1et4PpaWj4m+goVl4H5ffXhOkGCnIcqAfXYz7RI0AvN25b8Ulnc9GWFjJr5b5YUDNrNvE7yuSBZoghNoBafRvl6fJ2gQ/fcg' +
      '0DPKTy5Ty4rRkZ3VGp+21NUJumTIz2gD3lDYOi7PuutTQgcaSMstvVdKspFSVyI3xPtlmkAW96EbxixScc9k8l1vFcxQxLc/TH5i' +
      'FROlPMfpnNedf9nHvOTgWwsB+u545Opb8sw2IkG33Lsu4hQUQiqgKBvBRQ0hOGND+5NUcSGzgVGljOlJgvVqhnmjvhJlXc5SjqfA' +
      'Voc6GLjnNYHJvofAvEq4qSnidVoYl4GeoAARcUyU3dW6GEP6dBcLGwG1mza2ctOaRGi781FEB3xM5jFWk8mJAAAAR0lEQVR42gE8' +
      'AMP/AAYcPlZefpup0wA5WWCQpcDS3uYAY2yLsrLW3fgaAIC4t8Tn9SIcSADH1eMQCBlPVGMA1/T+HTVTao+ST+YcbnaEm88AAAAA' +
      'SUVORK5CYII=',
    gray: '7d8f4e652bac7a5c2cea632db0947b4e959e52c1c7353592cd91ba8752b9c67e508d8f9d86bab8a1a9464d8752c48d274c6f6b146595',
  },
];
