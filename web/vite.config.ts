// Builds the web player into dist/, which the Segue server serves at `/`.
// `npm run dev` proxies the APIs to a running server (SEGUE_URL, default http://127.0.0.1:8080).
/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const target = process.env.SEGUE_URL ?? 'http://127.0.0.1:8080';
const proxied = ['/v1', '/api', '/authorize', '/audio', '/images', '/web-config.json'];

export default defineConfig({
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, assetsInlineLimit: 0 },
  server: { proxy: Object.fromEntries(proxied.map((p) => [p, { target, changeOrigin: false }])) },
  test: { environment: 'jsdom', include: ['src/**/*.test.ts', 'src/**/*.test.tsx'] },
});
