import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import yazl from 'yazl';
import { DOMAINNET_DOMAINS } from '../../src/plugins/datasets/domainnet.js';

/** Three real classes with their official labels (0-based; the file names carry label + 1). */
const CLASSES = [
  { name: 'aircraft_carrier', label: 0 },
  { name: 'cello', label: 66 },
  { name: 'zebra', label: 343 },
];
const PER_CLASS = 3; // images 1 and 2 of a class are train, image 3 is test

/** A flat colour per (domain, class, image), so decoded pixels show which file was read. */
export const colour = (domain: number, label: number, k: number) => ({
  r: 30 + 40 * domain,
  g: (label * 3 + 10) % 256,
  b: 40 + 60 * k,
});

/** `{domain}/{class}/{domain}_{NNN}_{NNNNNN}.jpg` (quickdraw: .png), as in the real archives. */
const imagePath = (domain: string, cls: { name: string; label: number }, k: number): string =>
  `${domain}/${cls.name}/${domain}_${String(cls.label + 1).padStart(3, '0')}_${String(k).padStart(6, '0')}.${domain === 'quickdraw' ? 'png' : 'jpg'}`;

/** The missing entry of real_train.txt (listed, absent from real.zip), as some official painting lines are. */
export const MISSING = 'real/cello/real_067_000099.jpg';

/**
 * Writes the six DomainNet domains in the exact real layout into `dir`: `{domain}.zip` (yazl; deflated for real, stored for
 * the others, as ZIP64 for sketch) and `{domain}_train.txt` / `{domain}_test.txt` with `path label` lines.
 */
export async function writeDomainNet(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const [d, domain] of DOMAINNET_DOMAINS.entries()) {
    const zip = new yazl.ZipFile();
    const lines: Record<'train' | 'test', string[]> = { train: [], test: [] };
    for (const cls of CLASSES) {
      zip.addEmptyDirectory(`${domain}/${cls.name}/`, {});
      for (let k = 1; k <= PER_CLASS; k++) {
        const image = sharp({ create: { width: 12, height: 10, channels: 3, background: colour(d, cls.label, k) } });
        const bytes =
          domain === 'quickdraw' ? await image.png().toBuffer() : await image.jpeg({ quality: 95 }).toBuffer();
        zip.addBuffer(bytes, imagePath(domain, cls, k), {
          compress: domain === 'real',
          forceZip64Format: domain === 'sketch',
        });
        lines[k < PER_CLASS ? 'train' : 'test'].push(`${imagePath(domain, cls, k)} ${cls.label}`);
      }
    }
    if (domain === 'real') lines.train.splice(3, 0, `${MISSING} 66`);
    zip.end({ forceZip64Format: domain === 'sketch', comment: '' });
    const out = createWriteStream(join(dir, `${domain}.zip`));
    zip.outputStream.pipe(out);
    await once(out, 'finish');
    writeFileSync(join(dir, `${domain}_train.txt`), `${lines.train.join('\n')}\n`);
    writeFileSync(join(dir, `${domain}_test.txt`), `${lines.test.join('\r\n')}\r\n`); // CRLF lines are read too
  }
}
