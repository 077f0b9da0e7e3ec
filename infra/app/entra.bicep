// Entra ID app registrations, declared with the Microsoft Graph Bicep extension
// (alias microsoftGraphV1 in ../bicepconfig.json). Graph objects are tenant objects: they are NOT
// removed with the resource group (see docs/deploy.md, "Teardown").
extension microsoftGraphV1

@description('Immutable client-provided key of the API registration (Graph Bicep "uniqueName").')
param apiAppUniqueName string
param apiAppDisplayName string
@description('Value of the delegated scope the API exposes.')
param apiScopeName string = 'access_as_user'
@description('principalId (object id) of the user-assigned identity trusted as the API\'s client credential.')
param managedIdentityPrincipalId string
param graphDelegatedPermission string
@description('Id of graphDelegatedPermission; empty = look it up on the Microsoft Graph service principal.')
param graphDelegatedPermissionId string = ''
param grantAdminConsent bool = false
param enableSpaClient bool = false
param spaAppUniqueName string
param spaAppDisplayName string
param spaRedirectUris array = []

var graphAppId = '00000003-0000-0000-c000-000000000000' // Microsoft Graph
var scopeId = guid(apiAppUniqueName, apiScopeName) // stable across redeployments
// Append semantics: whoever deploys becomes an owner of each registration and of the API's service
// principal, so an Application.ReadWrite.OwnedBy pipeline can update what it created
// (docs/deploy.md, "GitHub Actions", for what an interactive deployer created first).
var owners = { relationships: [deployer().objectId] }

// Microsoft Graph's own service principal, read by its well-known appId: gives the permission id
// (lookup pattern of msgraph-bicep-types quickstart-templates/apps-permissions-and-grants) and
// the resourceId of the consent grant below.
resource graphSp 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

var graphPermissionId = !empty(graphDelegatedPermissionId)
  ? graphDelegatedPermissionId
  : filter(graphSp.oauth2PermissionScopes, permission => permission.value == graphDelegatedPermission)[0].id

var accessAsUser = {
  id: scopeId
  value: apiScopeName
  type: 'User'
  isEnabled: true
  adminConsentDisplayName: 'Change the signed-in user\'s password'
  adminConsentDescription: 'Allows the app to change the signed-in user\'s password through this API. The user must supply the current password.'
  userConsentDisplayName: 'Change your password'
  userConsentDescription: 'Allows the app to change your password through this API. You must supply your current password.'
}

var graphAccess = [
  {
    resourceAppId: graphAppId
    resourceAccess: [
      {
        id: graphPermissionId
        type: 'Scope'
      }
    ]
  }
]

// 1st declaration: creates the API registration (appId is assigned by Entra here).
resource apiApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: apiAppUniqueName
  displayName: apiAppDisplayName
  signInAudience: 'AzureADMyOrg'
  owners: owners
  api: {
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [accessAsUser]
  }
  requiredResourceAccess: graphAccess

  // The function's managed identity is the app's client credential (no secret, no certificate):
  // it presents a token for api://AzureADTokenExchange as the client assertion in the OBO request.
  resource managedIdentityCredential 'federatedIdentityCredentials@v1.0' = {
    name: '${apiApp.uniqueName}/function-managed-identity'
    description: 'The change-password function app\'s user-assigned managed identity'
    issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
    subject: managedIdentityPrincipalId
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

// Optional public client (SPA, auth code + PKCE). It asks for access_as_user on the API.
resource spaApp 'Microsoft.Graph/applications@v1.0' = if (enableSpaClient) {
  uniqueName: spaAppUniqueName
  displayName: spaAppDisplayName
  signInAudience: 'AzureADMyOrg'
  owners: owners
  spa: {
    redirectUris: spaRedirectUris
  }
  requiredResourceAccess: [
    {
      resourceAppId: apiApp.appId
      resourceAccess: [
        {
          id: scopeId
          type: 'Scope'
        }
      ]
    }
  ]
}

// 2nd declaration of the same registration (same uniqueName): api://<appId> can only be written
// once the appId exists, and the SPA can only be pre-authorised once it exists. Repeats the full
// api/requiredResourceAccess so both declarations agree on every redeployment.
resource apiAppWithUri 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: apiAppUniqueName
  displayName: apiAppDisplayName
  signInAudience: 'AzureADMyOrg'
  owners: owners
  identifierUris: [
    'api://${apiApp.appId}'
  ]
  api: {
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [accessAsUser]
    preAuthorizedApplications: enableSpaClient
      ? [
          {
            appId: spaApp.appId
            delegatedPermissionIds: [scopeId]
          }
        ]
      : []
  }
  requiredResourceAccess: graphAccess
}

// Created after the identifier URI is set, so tokens for api://<appId> resolve to this principal.
resource apiSp 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: apiAppWithUri.appId
  owners: owners
}

// Optional tenant-wide admin consent: the API may act On-Behalf-Of any user for this one Graph scope.
resource graphConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantAdminConsent) {
  clientId: apiSp.id // object id of the API's service principal
  resourceId: graphSp.id // object id of Microsoft Graph's service principal
  consentType: 'AllPrincipals'
  scope: graphDelegatedPermission
}

output apiClientId string = apiApp.appId
output apiScope string = 'api://${apiApp.appId}/${apiScopeName}'
output spaClientId string = enableSpaClient ? spaApp.appId : ''
output graphPermissionId string = graphPermissionId
output adminConsent string = grantAdminConsent
  ? 'Granted by this deployment (${graphDelegatedPermission}, all users).'
  : 'Not granted. Run: az ad app permission admin-consent --id ${apiApp.appId} (or Entra admin center > App registrations > ${apiAppDisplayName} > API permissions > Grant admin consent)'
