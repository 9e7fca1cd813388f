import { decode as decodeJpeg, encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { resize } from '../../src/still-image';
import { StillRenderer } from '../../src/still-renderer';

function solid(width: number, height: number, rgba: [number, number, number, number]) {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set(rgba, i);
  return { width, height, data };
}

/** Columns alternate black and white. */
function stripes(width: number, height: number) {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1)
      data.set(x % 2 === 0 ? [0, 0, 0, 255] : [255, 255, 255, 255], (y * width + x) * 4);
  }
  return { width, height, data };
}

const pixel = (image: { width: number; data: Uint8Array }, x: number, y: number) =>
  Array.from(image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4));

describe('resize', () => {
  it('keeps a solid colour solid at any size, larger or smaller', () => {
    const image = solid(48, 27, [200, 30, 90, 255]);

    for (const [width, height] of [
      [16, 9],
      [1, 1],
      [480, 270],
      [100, 300],
    ] as const) {
      const resized = resize(image, width, height);
      expect([resized.width, resized.height]).toEqual([width, height]);
      expect(pixel(resized, 0, 0)).toEqual([200, 30, 90, 255]);
      expect(pixel(resized, width - 1, height - 1)).toEqual([200, 30, 90, 255]);
    }
  });

  it('averages what it shrinks instead of dropping samples (no aliasing)', () => {
    const halved = resize(stripes(64, 8), 32, 8);

    for (let x = 1; x < 31; x += 1) {
      const [r] = pixel(halved, x, 4);
      expect(r).toBeGreaterThan(100);
      expect(r).toBeLessThan(156);
    }
  });

  it('interpolates what it enlarges', () => {
    const image = { width: 2, height: 1, data: Uint8Array.from([0, 0, 0, 255, 255, 255, 255, 255]) };

    const enlarged = resize(image, 8, 1);
    const reds = Array.from({ length: 8 }, (_, x) => pixel(enlarged, x, 0)[0]!);

    expect(reds[0]).toBe(0);
    expect(reds[7]).toBe(255);
    for (let x = 1; x < 8; x += 1) expect(reds[x]).toBeGreaterThanOrEqual(reds[x - 1]!);
    expect(new Set(reds).size).toBeGreaterThan(3);
  });
});

describe('StillRenderer', () => {
  const still = new Uint8Array(encodeJpeg(solid(64, 36, [20, 160, 220, 255]), 95).data);
  const renderers: StillRenderer[] = [];
  const renderer = (...options: ConstructorParameters<typeof StillRenderer>): StillRenderer => {
    const made = new StillRenderer(...options);
    renderers.push(made);
    return made;
  };

  afterAll(async () => {
    await Promise.all(renderers.map((made) => made.close()));
  });

  it('encodes a JPEG of the requested size whose quality setting changes its bytes', async () => {
    const stills = renderer();
    const detailed = new Uint8Array(encodeJpeg(stripes(64, 36), 95).data);

    const best = await stills.render(detailed, { width: 64, height: 36, format: 'JPEG', jpegQuality: 100 });
    const worst = await stills.render(detailed, { width: 64, height: 36, format: 'JPEG', jpegQuality: 1 });
    const small = decodeJpeg(
      (await stills.render(still, { width: 32, height: 18, format: 'JPEG', jpegQuality: 80 })).bytes(),
      { useTArray: true },
    );

    expect(worst.bytes().length).toBeLessThan(best.bytes().length);
    expect(best.ascii.toString('latin1')).toBe(best.bytes().toString('base64'));
    expect([small.width, small.height]).toEqual([32, 18]);
    const [r, g, b] = pixel(small, 16, 9);
    expect(Math.abs(r! - 20) + Math.abs(g! - 160) + Math.abs(b! - 220)).toBeLessThan(20);
  });

  it('encodes an RGB PNG of the requested size', async () => {
    const png = PNG.sync.read(
      (await renderer().render(still, { width: 7, height: 50, format: 'PNG', jpegQuality: 80 })).bytes(),
    );

    expect([png.width, png.height]).toEqual([7, 50]);
    expect(png.colorType).toBe(2);
    const [r, g, b] = Array.from(png.data.subarray(0, 3));
    expect(Math.abs(r! - 20) + Math.abs(g! - 160) + Math.abs(b! - 220)).toBeLessThan(20);
  });

  it('serves a repeated request from its cache and stays within its byte budget', async () => {
    const tiny = renderer(1);
    const cached = renderer();
    const request = { width: 16, height: 9, format: 'PNG', jpegQuality: 80 } as const;

    expect(await cached.render(still, request)).toBe(await cached.render(still, request));
    // A budget smaller than any image keeps nothing: every call encodes anew.
    expect(await tiny.render(still, request)).not.toBe(await tiny.render(still, request));
  });

  it('makes an image asked for twice at once only once', async () => {
    const stills = renderer(1);
    const request = { width: 16, height: 9, format: 'JPEG', jpegQuality: 80 } as const;

    const [first, second] = await Promise.all([stills.render(still, request), stills.render(still, request)]);

    expect(first).toBe(second);
  });

  it('renders on worker threads: the event loop keeps turning while a large image is made', async () => {
    const stills = renderer();
    const request = { width: 3840, height: 2160, format: 'PNG', jpegQuality: 80 } as const;
    let turns = 0;
    let rendering = true;
    const spin = (): void => {
      turns += 1;
      if (rendering) setImmediate(spin);
    };

    setImmediate(spin);
    const image = await stills.render(still, request);
    rendering = false;

    expect(PNG.sync.read(image.bytes()).width).toBe(3840);
    // Rendered on this thread, the image would have come back within one turn of the loop.
    expect(turns).toBeGreaterThan(1);
  });

  it('refuses images once closed', async () => {
    const stills = renderer();
    await stills.close();

    await expect(
      stills.render(still, { width: 8, height: 8, format: 'PNG', jpegQuality: 80 }),
    ).rejects.toThrow('The emulator stopped.');
  });
});
