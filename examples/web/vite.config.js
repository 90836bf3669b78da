// Vite config of the example app: the tnc plugin compiles `.tn` imports at build time.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { tncVite } from 'tnc/plugin';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [tncVite({ target: 'cpu', dtype: 'f32' })],
  // No modulepreload helper: the compute chunk stays importable in Node (the tests do).
  build: { target: 'es2022', manifest: true, modulePreload: false },
});
