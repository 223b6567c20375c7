// Builds index.html, the Alpine.js app and the Tailwind CSS into dist/ with fingerprinted asset
// names (CloudFront and nginx cache /assets/* forever and index.html never). No inline scripts,
// so the page runs under `Content-Security-Policy: default-src 'self'`.
import { defineConfig } from 'vite';
import tailwindcss from '@tailwindcss/vite';

export default defineConfig({
  plugins: [tailwindcss()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: { proxy: { '/api': process.env.API_ORIGIN || 'http://127.0.0.1:8080' } },
});
