// `npx vite examples/spa` serves the example on http://localhost:5173; `npm run dev -- --spa`
// serves it with this file too (scripts/spa-server.ts), on the dev stack's ports.
import { defineConfig } from 'vite';

export default defineConfig({
  server: { host: 'localhost', port: 5173, strictPort: true },
  preview: { host: 'localhost', port: 5173, strictPort: true },
  // Bundle MSAL when the server starts, not on the first page load (which would then reload).
  optimizeDeps: { include: ['@azure/msal-browser', '@azure/msal-browser/redirect-bridge'] },
});
