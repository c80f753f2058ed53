// The built page is embedded in the coyote binary (cmake/EmbedAssets.cmake): no CDN, no
// inline script (the host's Content-Security-Policy allows scripts from its own origin only).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2020',
  },
  server: { proxy: { '/api': 'http://127.0.0.1:2116' } },
});
