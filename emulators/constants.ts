// Fixed identities of the emulated tenant, so tests and dev settings can hard-code them.

export const TENANT_ID = '4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
/** A second tenant where the (multi-tenant) API app is consented: guest users come from here. */
export const GUEST_TENANT_ID = '0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a';
/** Tenant path segments the emulator answers for. */
export const KNOWN_TENANTS: ReadonlySet<string> = new Set([
  TENANT_ID,
  GUEST_TENANT_ID,
  'common',
  'organizations',
]);
/** App registration of the function app (the OBO "middle tier"). */
export const API_CLIENT_ID = '6b0c8a1d-2e3f-4a5b-9c6d-7e8f9a0b1c2d';
/** Its Application ID URIs, accepted as `aud` of user tokens: the default and a custom one. */
export const API_CUSTOM_APP_ID_URI = 'https://pw.contoso.test';
export const API_CLIENT_SECRET = 'emu8Q~api-app-client-secret.not-for-production';
/** SPA that signs users in and calls the API (azp/appid of minted user tokens). */
export const SPA_CLIENT_ID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
/** User-assigned managed identity federated with the API app. */
export const MANAGED_IDENTITY_CLIENT_ID = '9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b';
/** Its principal (object) id: the `sub` of its tokens and the federated credential subject. */
export const MANAGED_IDENTITY_PRINCIPAL_ID = '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';

export const DEMO_USERNAME = 'demo@contoso.test';
export const DEMO_PASSWORD = 'Demo-Passw0rd!';
export const DEMO_DISPLAY_NAME = 'Demo User';

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_SCOPES = 'Directory.AccessAsUser.All User.Read';
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
/** The resource Azure Monitor's ingestion accepts Entra tokens for (scope <resource>/.default). */
export const AZURE_MONITOR_AUDIENCE = 'https://monitor.azure.com';
/** The Application Insights stand-in's instrumentation key (in its connection string). */
export const APP_INSIGHTS_INSTRUMENTATION_KEY = '5e1f0c2a-7b3d-4e6f-9a8b-1c2d3e4f5a6b';
/** The stand-in's control endpoint: GET what it recorded, DELETE to forget it. */
export const TELEMETRY_CONTROL_PATH = '/_emulator/telemetry';
/** Conditional Access policy id named in MFA claims challenges. */
export const MFA_POLICY_ID = 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d';
/** Where the token endpoint's "redirect" mode points; nothing should ever arrive there. */
export const SINK_PATH = '/_emulator/sink';
