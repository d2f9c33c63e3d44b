import { defineConfig } from 'vite';

// The kanban board: built into dist/board, which Maven packs as the engine's webroot.
// `npm run dev` serves it with hot reload and proxies the API to an engine on :8080
// (or PATCHWIRE_URL).
export default defineConfig({
  root: 'board',
  base: './',
  build: {
    outDir: '../dist/board',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      // No changeOrigin: the engine must see the browser's Host, which matches the page's Origin,
      // or it refuses the WebSocket upgrade as cross-origin (4403 origin_not_allowed).
      '/api': { target: process.env.PATCHWIRE_URL ?? 'http://127.0.0.1:8080', ws: true },
    },
  },
});
