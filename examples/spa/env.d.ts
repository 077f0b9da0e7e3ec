/// <reference types="vite/client" />

// The example's settings (see config.ts); all optional, the defaults are the emulators'.
interface ImportMetaEnv {
  readonly VITE_CLIENT_ID?: string;
  readonly VITE_AUTHORITY?: string;
  readonly VITE_API_SCOPE?: string;
  readonly VITE_API_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
