// The Flex Consumption function app (Linux, Node.js 22) running as the user-assigned identity.
// Shaped after infra/app/api.bicep of the Azure-Samples Flex Consumption quickstarts.

param name string
param location string = resourceGroup().location
param tags object = {}
param appServicePlanId string
param storageAccountName string
param deploymentStorageContainerName string
param applicationInsightsName string
param identityId string
param identityClientId string
@description('appId of the API app registration (the audience of incoming tokens, and the OBO client).')
param apiClientId string
param requiredScope string
param corsAllowedOrigins string = ''
@description('Comma-separated client ids of the front ends allowed to call (ALLOWED_CLIENT_APP_IDS). Empty: any.')
param allowedClientAppIds string = ''
@description('Conditional Access authentication context (c1-c99) a password change requires. Empty: none.')
param requiredAuthContext string = ''
@description('Table of the failed-attempt counts (guessing protection), in the storage account.')
param attemptStoreTable string
@description('Failed attempts per user per window: 1 to 100, or off.')
param maxFailedAttempts string = '10'
param instanceMemoryMB int = 2048
param maximumInstanceCount int = 100
// Concurrent HTTP requests the platform routes to one instance before adding instances. A
// password change mostly waits on Entra ID and Graph (about 2 ms of CPU each), so an instance
// carries many more than Flex Consumption's memory-based default.
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 100

resource stg 'Microsoft.Storage/storageAccounts@2022-09-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// environment().authentication.loginEndpoint ends with '/'; the app wants a bare https origin.
var loginEndpoint = environment().authentication.loginEndpoint
var authorityHost = endsWith(loginEndpoint, '/') ? substring(loginEndpoint, 0, length(loginEndpoint) - 1) : loginEndpoint

// Every app setting of the function app, one `NAME: value` per line.
// test/infra/app-settings.test.ts parses this object: each name must be a platform setting or one
// the app reads (SETTING_NAMES in shared/config.ts), and every setting the app reads is here.
// Keep it a single flat object literal, and never delete a line: the site module merges the
// site's current settings into these (avm/res/web/site 0.15.1, config--appsettings:
// union(currentAppSettings, <these settings>, ...)), so a setting left out keeps whatever
// value the site had. An unused setting is written empty instead, which the app reads as unset.
var appSettings = {
  // Platform: host storage through the user-assigned identity (shared keys are disabled).
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: stg.properties.primaryEndpoints.blob
  // Platform: Application Insights with local auth disabled; the identity authenticates.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // Not written: OpenTelemetry's OTEL_* settings (also read by the host), left to the operator.
  // Platform: the host refuses request bodies over 8 KiB before buffering them (the app's own
  // limit is 4096 bytes; bodies between the two still get the app's JSON 413).
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '8192'
  // App: the API registration, and the identity used as its federated client credential.
  AZURE_TENANT_ID: tenant().tenantId
  AZURE_CLIENT_ID: apiClientId
  // App: the API's credential for On-Behalf-Of. The app refuses more than one, so all three are
  // always written: to switch (docs/deploy.md, "If a managed identity is not possible"), empty
  // this one and fill another.
  MANAGED_IDENTITY_CLIENT_ID: identityClientId
  AZURE_CLIENT_CERTIFICATE_PATH: ''
  AZURE_CLIENT_SECRET: ''
  // App: set deliberately so they follow this deployment (scope name, cloud) rather than defaults.
  REQUIRED_SCOPE: requiredScope
  AZURE_AUTHORITY_HOST: authorityHost
  CORS_ALLOWED_ORIGINS: corsAllowedOrigins
  ALLOWED_CLIENT_APP_IDS: allowedClientAppIds
  REQUIRED_AUTH_CONTEXT: requiredAuthContext
  // App: empty = the app's defaults (shared/config.ts, README "Configuration").
  API_AUDIENCE: ''
  ALLOWED_TENANT_IDS: ''
  GRAPH_BASE_URL: ''
  GRAPH_API_VERSION: ''
  GRAPH_SCOPE: ''
  GRAPH_TIMEOUT_MS: ''
  // App: load shedding well above what the platform routes to an instance (README, Bursts).
  MAX_CONCURRENT_REQUESTS: string(httpPerInstanceConcurrency * 2)
  // App: guessing protection, its count in this account's table service, reached as the identity.
  MAX_FAILED_ATTEMPTS: maxFailedAttempts
  FAILED_ATTEMPT_WINDOW_SECONDS: '3600'
  ATTEMPT_STORE_ENDPOINT: stg.properties.primaryEndpoints.table
  ATTEMPT_STORE_TABLE: attemptStoreTable
  // No connection string: shared keys are off on this account; the identity reaches the table.
  ATTEMPT_STORE_CONNECTION_STRING: ''
  ATTEMPT_STORE_TIMEOUT_MS: ''
}

module site 'br/public:avm/res/web/site:0.15.1' = {
  name: '${name}-site'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'api' }) // azd deploys service "api" to this resource
    serverFarmResourceId: appServicePlanId
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [identityId]
    }
    clientAffinityEnabled: false
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${stg.properties.primaryEndpoints.blob}${deploymentStorageContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    // Passing siteConfig replaces the module's defaults (alwaysOn, minTlsVersion 1.2, FtpsOnly),
    // so the hardening is spelled out here.
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // No platform CORS: the function answers preflights itself from CORS_ALLOWED_ORIGINS.
      // Platform CORS with any origin would take precedence over the function's own headers.
      cors: {
        allowedOrigins: []
      }
    }
    // No basic (user name + password) publishing: azd deploys with an Entra token.
    basicPublishingCredentialsPolicies: [
      {
        name: 'ftp'
        allow: false
      }
      {
        name: 'scm'
        allow: false
      }
    ]
    appSettingsKeyValuePairs: appSettings
  }
}

output name string = site.outputs.name
output defaultHostname string = site.outputs.defaultHostname
