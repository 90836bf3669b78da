// The WebGPU example page in a real browser: examples/web/model.tn built for --target webgpu,
// examples/web/webgpu.html served from 127.0.0.1 (a secure context, as WebGPU requires), opened
// in Debian's headless chromium driven by playwright-core, which gives a SwiftShader adapter
// when launched with --enable-unsafe-webgpu. The page's results are checked against the CPU
// target in f64 on the inputs the page generated. Without chromium or playwright-core the test
// skips with one line; with TNC_REQUIRE_WEBGPU=1 (CI) that is a failure.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildModule } from '../src/build.js';
import { REQUIRE_WEBGPU } from './helpers/webgpu.js';

const CHROMIUM = '/usr/bin/chromium';
const root = resolve(import.meta.dirname, '..');
const MODEL = 'examples/web/model.tn';

/** Playwright's chromium launcher, or why it cannot run here. */
async function launcher(): Promise<{ chromium: typeof import('playwright-core').chromium } | { reason: string }> {
  if (!existsSync(CHROMIUM)) return { reason: `${CHROMIUM} is missing (Debian package 'chromium'; scripts/install-webgpu-deps.sh installs it)` };
  try {
    const pw = await import('playwright-core');
    return { chromium: pw.chromium };
  } catch (e) {
    return { reason: `playwright-core did not load: ${(e as Error).message.split('\n')[0]}` };
  }
}

const found = await launcher();
if ('reason' in found) {
  if (REQUIRE_WEBGPU) throw new Error(`TNC_REQUIRE_WEBGPU=1 but the browser test cannot run: ${found.reason}`);
  console.log(`Browser WebGPU test skipped: ${found.reason}`);
}

interface PageResult {
  status: string;
  message?: string;
  precision?: string;
  dims: Record<string, number>;
  inputs: Record<string, number[]>;
  outputs: Record<string, number[]>;
}

describe.skipIf('reason' in found)('browser: examples/web/webgpu.html in headless chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tnc-browser-'));
  let server: Server;
  let base = '';
  const files = new Map<string, { type: string; body: string }>();

  beforeAll(async () => {
    const built = buildModule(readFileSync(join(root, MODEL), 'utf8'), MODEL, { target: 'webgpu', dtype: 'f32' });
    if (built.value === undefined) throw new Error(built.diagnostics.map((d) => d.message).join('\n'));
    files.set('/webgpu.html', { type: 'text/html', body: readFileSync(join(root, 'examples/web/webgpu.html'), 'utf8') });
    files.set('/webgpu-main.js', { type: 'text/javascript', body: readFileSync(join(root, 'examples/web/webgpu-main.js'), 'utf8') });
    files.set('/webgpu-gen/model.tn.js', { type: 'text/javascript', body: built.value.js });
    server = createServer((req, res) => {
      const f = files.get((req.url ?? '/').split('?')[0]);
      if (f === undefined) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': `${f.type}; charset=utf-8`, 'cache-control': 'no-store' }).end(f.body);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('the page computes the model on WebGPU and matches the CPU target', async () => {
    const { chromium } = found as Exclude<typeof found, { reason: string }>;
    // A fresh profile, no background traffic; --enable-unsafe-webgpu exposes the SwiftShader adapter.
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const logs: string[] = [];
    let result: PageResult;
    try {
      const page = await context.newPage();
      page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
      await page.goto(`${base}/webgpu.html`);
      await page.waitForFunction(() => (window as unknown as { tncResult?: unknown }).tncResult !== undefined, undefined, { timeout: 90_000 });
      result = (await page.evaluate(() => (window as unknown as { tncResult: unknown }).tncResult)) as PageResult;
      expect(await page.textContent('#status')).toMatch(/^Done on WebGPU/);
    } finally {
      await context.close();
    }
    expect(result.status, `${result.message ?? ''}\n${logs.join('\n')}`).toBe('ok');

    const cpuBuilt = buildModule(readFileSync(join(root, MODEL), 'utf8'), MODEL, { target: 'cpu', dtype: 'f64' });
    writeFileSync(join(dir, 'model.cpu.js'), cpuBuilt.value!.js);
    const cpu = (await import(pathToFileURL(join(dir, 'model.cpu.js')).href)) as Record<string, any>;
    expect(cpu.spec.outputs.length).toBeGreaterThan(0);
    for (const out of cpu.spec.outputs) {
      const inputs = Object.fromEntries(out.inputs.map((n: string) => [n, Float64Array.from(result.inputs[n])]));
      const absInputs = Object.fromEntries(out.inputs.map((n: string) => [n, Float64Array.from(result.inputs[n], Math.abs)]));
      const want = cpu[out.export](inputs, result.dims) as Float64Array;
      const abs = cpu[out.export](absInputs, result.dims) as Float64Array;
      const got = result.outputs[out.name];
      expect(got.length, out.name).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(got[i] - want[i]), `${out.name}[${i}]: got ${got[i]}, want ${want[i]}`).toBeLessThanOrEqual(1e-4 * abs[i] + 1e-5);
      }
    }
  });
});
