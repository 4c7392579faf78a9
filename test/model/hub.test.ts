import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadFromHub, parseHubSource } from '../../src/core/model/hub.js';
import { architectureOf } from '../../src/core/model/source.js';
import { VIT_REFERENCE_DIR, tempDir } from '../helpers/fixtures.js';

const weights = readFileSync(join(VIT_REFERENCE_DIR, 'model.safetensors'));
const config = Buffer.from(JSON.stringify({ num_attention_heads: 4, layer_norm_eps: 1e-12 }));

/** A loopback stand-in for the Hugging Face hub: serves one repository, honours Range, logs requests. */
let server: Server;
let endpoint: string;
const requests: { url: string; range: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    const files: Record<string, Buffer> = {
      '/org/tiny-vit/resolve/main/model.safetensors': weights,
      '/org/tiny-vit/resolve/main/config.json': config,
    };
    const body = files[req.url ?? ''];
    if (body === undefined) return void res.writeHead(404).end('not found');
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range !== null) {
      const start = Number(range[1]);
      res
        .writeHead(206, {
          'content-length': body.length - start,
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        })
        .end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('Hugging Face hub downloads', () => {
  it('downloads weights and config.json into the cache with progress, then reuses them without a request', async () => {
    const cacheDir = tempDir();
    const events: number[] = [];
    requests.length = 0;
    const file = await downloadFromHub('hf:org/tiny-vit', {
      cacheDir,
      endpoint,
      onProgress: (e) => events.push(e.done),
    });
    expect(file).toBe(join(cacheDir, 'hf/org/tiny-vit/main/model.safetensors'));
    expect(readFileSync(file).equals(weights)).toBe(true);
    expect(existsSync(join(cacheDir, 'hf/org/tiny-vit/main/config.json'))).toBe(true);
    expect(events.at(-1)).toBe(weights.length);
    expect(requests.map((r) => r.url)).toEqual([
      '/org/tiny-vit/resolve/main/config.json',
      '/org/tiny-vit/resolve/main/model.safetensors',
    ]);
    requests.length = 0;
    await downloadFromHub('hf:org/tiny-vit', { cacheDir, endpoint });
    expect(requests).toEqual([]);
    const arch = await architectureOf('hf:org/tiny-vit', { cacheDir, numClasses: 10 });
    expect(arch).toMatchObject({ hiddenSize: 32, numHeads: 4, numClasses: 10 });
  });

  it('resumes an interrupted download with a range request', async () => {
    const cacheDir = tempDir();
    const dir = join(cacheDir, 'hf/org/tiny-vit/main');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.safetensors.part'), weights.subarray(0, 1000));
    requests.length = 0;
    const file = await downloadFromHub('hf:org/tiny-vit', { cacheDir, endpoint });
    expect(readFileSync(file).equals(weights)).toBe(true);
    expect(requests.find((r) => r.url.endsWith('model.safetensors'))?.range).toBe('bytes=1000-');
  });

  it('says what is missing and what to do', async () => {
    await expect(downloadFromHub('hf:org/missing', { cacheDir: tempDir(), endpoint })).rejects.toThrow(
      `cannot download ${endpoint}/org/missing/resolve/main/model.safetensors: HTTP 404 (not found); check the repository and revision`,
    );
    await expect(
      downloadFromHub('hf:org/tiny-vit', { cacheDir: tempDir(), endpoint: 'http://127.0.0.1:9' }),
    ).rejects.toThrow(
      /cannot download http:\/\/127\.0\.0\.1:9\/org\/tiny-vit\/resolve\/main\/config\.json: .*Without network access, put model\.safetensors \(and config\.json\) in .*hf\/org\/tiny-vit\/main or give a local checkpoint path$/,
    );
    expect(() => parseHubSource('hf:')).toThrow('expected hf:<owner>/<repo>[@revision]');
    expect(parseHubSource('hf:google/vit-base-patch16-224-in21k@v1')).toEqual({
      repo: 'google/vit-base-patch16-224-in21k',
      revision: 'v1',
    });
  });
});
