// Azure deployment for the change-password Functions app (azd: `azd up`).
// Layout follows Azure-Samples/functions-quickstart-typescript-azd (Flex Consumption, user-assigned
// identity, keyless storage, Entra-only Application Insights) plus the Entra app registrations
// declared with the Microsoft Graph Bicep extension (see app/entra.bicep and bicepconfig.json).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer Flex Consumption: az functionapp list-flexconsumption-locations')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Display name of the API app registration. Empty: "Change password API (<environment>)".')
param apiAppDisplayName string = ''

@description('Comma-separated origins the function answers CORS for (the app does CORS itself). Empty: none.')
param corsAllowedOrigins string = ''

@description('Failed current-password attempts per user per hour (1 to 100), or off (no guessing protection).')
param maxFailedAttempts string = '10'

@description('Delegated Microsoft Graph permission the API exchanges the user token for (On-Behalf-Of).')
@allowed([
  'User-PasswordProfile.ReadWrite.All'
  'Directory.AccessAsUser.All'
])
param graphDelegatedPermission string = 'User-PasswordProfile.ReadWrite.All'

@description('Optional id of that permission. Empty: looked up by name on the Microsoft Graph service principal.')
param graphDelegatedPermissionId string = ''

@description('Grant tenant-wide admin consent for the Graph permission in this deployment (needs DelegatedPermissionGrant.ReadWrite.All).')
param grantAdminConsent bool = false

@description('Comma-separated client ids of the front ends allowed to call the API. Empty: the SPA registration when enableSpaClient, else any client app.')
param allowedClientAppIds string = ''

@description('Conditional Access authentication context (c1-c99) a password change requires (docs/deploy.md). Empty: none.')
param requiredAuthContext string = ''

@description('Also register a single-page-app client, pre-authorised for access_as_user.')
param enableSpaClient bool = false

@description('Display name of the SPA registration. Empty: "Change password SPA (<environment>)".')
param spaAppDisplayName string = ''

@description('Comma-separated SPA redirect URIs (only used when enableSpaClient is true).')
param spaRedirectUris string = ''

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
// Same naming rule as the quickstart: the Flex deployment package lives in this blob container.
var deploymentStorageContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
// The delegated scope the API exposes; the app's REQUIRED_SCOPE is set from the same value.
var apiScopeName = 'access_as_user'
// The guessing protection's table (ATTEMPT_STORE_TABLE), in the app's storage account.
var attemptStoreTable = 'changepasswordattempts'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The function's only identity: storage, Application Insights, and (as a federated credential)
// the API app registration's client credential for On-Behalf-Of. No secrets anywhere.
module apiIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'apiIdentity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'appServicePlan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true // Linux
    location: location
    tags: tags
  }
}

module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // identity-only access; the app settings carry no keys
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [{ name: deploymentStorageContainerName }]
    }
    tableServices: {
      tables: [{ name: attemptStoreTable }] // the guessing protection's failed-attempt counts
    }
    minimumTlsVersion: 'TLS1_2'
    location: location
    tags: tags
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module monitoring 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'monitoring'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true // telemetry only with an Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    managedIdentityPrincipalId: apiIdentity.outputs.principalId
  }
}

module entra 'app/entra.bicep' = {
  name: 'entra'
  scope: rg
  params: {
    apiAppUniqueName: 'change-password-api-${resourceToken}'
    apiAppDisplayName: !empty(apiAppDisplayName) ? apiAppDisplayName : 'Change password API (${environmentName})'
    apiScopeName: apiScopeName
    managedIdentityPrincipalId: apiIdentity.outputs.principalId
    graphDelegatedPermission: graphDelegatedPermission
    graphDelegatedPermissionId: graphDelegatedPermissionId
    grantAdminConsent: grantAdminConsent
    enableSpaClient: enableSpaClient
    spaAppUniqueName: 'change-password-spa-${resourceToken}'
    spaAppDisplayName: !empty(spaAppDisplayName) ? spaAppDisplayName : 'Change password SPA (${environmentName})'
    spaRedirectUris: filter(map(split(spaRedirectUris, ','), uri => trim(uri)), uri => !empty(uri))
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    appServicePlanId: appServicePlan.outputs.resourceId
    storageAccountName: storage.outputs.name
    deploymentStorageContainerName: deploymentStorageContainerName
    applicationInsightsName: monitoring.outputs.name
    identityId: apiIdentity.outputs.resourceId
    identityClientId: apiIdentity.outputs.clientId
    apiClientId: entra.outputs.apiClientId
    requiredScope: apiScopeName
    corsAllowedOrigins: corsAllowedOrigins
    // The SPA this deployment registers is the one front end admitted, unless told otherwise.
    allowedClientAppIds: !empty(allowedClientAppIds) ? allowedClientAppIds : entra.outputs.spaClientId
    requiredAuthContext: requiredAuthContext
    attemptStoreTable: attemptStoreTable
    maxFailedAttempts: maxFailedAttempts
  }
  dependsOn: [
    rbac // the host reaches storage through the identity as soon as it starts
  ]
}

// azd reads these into the environment (.azure/<env>/.env).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output AZURE_FUNCTION_URL string = 'https://${api.outputs.defaultHostname}/api/me/changePassword'
output API_CLIENT_ID string = entra.outputs.apiClientId
output API_SCOPE string = entra.outputs.apiScope
output SPA_CLIENT_ID string = entra.outputs.spaClientId
output GRAPH_PERMISSION string = graphDelegatedPermission
output ADMIN_CONSENT string = entra.outputs.adminConsent
