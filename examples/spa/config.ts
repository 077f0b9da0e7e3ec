// Settings, from Vite env variables (.env.local, or the environment of `vite`), with defaults for
// the emulators of `npm run dev`. For your tenant, set all four (see docs/spa.md).
const env = import.meta.env;

export const config = {
  /** The SPA's app registration (Authentication: Single-page application, redirect URI below). */
  clientId: env.VITE_CLIENT_ID || '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  /** https://login.microsoftonline.com/<tenant id> for Entra ID. */
  authority: env.VITE_AUTHORITY || 'https://127.0.0.1:7443/4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  /** The API's delegated scope: api://<API client id>/access_as_user. */
  apiScope: env.VITE_API_SCOPE || 'api://6b0c8a1d-2e3f-4a5b-9c6d-7e8f9a0b1c2d/access_as_user',
  /** POST endpoint of the function app. */
  apiUrl: env.VITE_API_URL || 'http://localhost:7071/api/me/changePassword',
};
