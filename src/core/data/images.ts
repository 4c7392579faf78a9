import sharp from 'sharp';
import { UserError } from '../contracts/errors.js';

/** A file that does not decode as an image. */
export class ImageDecodeError extends UserError {
  override readonly name = 'ImageDecodeError';
}

// libvips' own thread pool would compete with the TensorFlow.js work on the same cores.
sharp.concurrency(1);

/**
 * Decodes a JPEG or PNG to RGB resized to size x size: bilinear, aspect ratio not kept (the reference pipeline);
 * grayscale, CMYK and alpha inputs become plain sRGB. sharp (libvips) decodes 4-8x faster than pure-JS decoders.
 */
export async function decodeImage(bytes: Uint8Array, size: number, origin: string): Promise<Uint8Array> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' })
      .toColourspace('srgb')
      .removeAlpha()
      .resize(size, size, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (error) {
    throw new ImageDecodeError(`${origin}: not a decodable image (${(error as Error).message.split('\n')[0]})`);
  }
}

/** Resizes uint8 RGB images (NHWC) with the same resampling as {@link decodeImage}. */
export async function resizeImages(
  pixels: Uint8Array,
  count: number,
  height: number,
  width: number,
  size: number,
): Promise<Uint8Array> {
  if (height === size && width === size) return pixels;
  const inSize = height * width * 3;
  const out = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < count; i++) {
    const image = pixels.subarray(i * inSize, (i + 1) * inSize);
    const resized = await sharp(image, { raw: { width, height, channels: 3 } })
      .resize(size, size, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    out.set(resized, i * size * size * 3);
  }
  return out;
}
