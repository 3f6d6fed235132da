import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into web/dist and served by the Custodian server at '/', client routes under /app/.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1000 },
  server: {
    proxy: {
      '/fhir': 'http://127.0.0.1:8080',
      '/oauth2': 'http://127.0.0.1:8080',
      '/auth': 'http://127.0.0.1:8080',
      '/chart': 'http://127.0.0.1:8080',
      '/coding': 'http://127.0.0.1:8080',
    },
  },
});
