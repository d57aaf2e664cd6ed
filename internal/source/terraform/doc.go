// Package terraform reads Terraform into kvguard resource documents: HCL
// root modules (every *.tf and *.tf.json, followed into the local modules
// they call) and the JSON of terraform show -json (plans, and states).
//
// Each azurerm resource kvguard judges becomes the document Azure would
// store after apply, with the provider's and the service's defaults filled
// in, so that the policy engine gives the verdict Azure Policy would give
// once the code is deployed. The package imports resource, jsonpos and its
// own funcs sub-package; never policy, catalog, assess or report.
//
// # Evaluation
//
// A module is evaluated lazily: a value (variable, local, resource,
// module output) is computed when an expression needs it, once, with
// cycles reported at the declaration that closes them. Variables take, in
// Terraform's precedence, --var, --var-file (in order), *.auto.tfvars (in
// lexical order), terraform.tfvars(.json), the default; the type
// constraint and its optional() defaults are then applied. count and
// for_each expand resources and module calls (count = 0 or an empty
// for_each gives nothing); dynamic blocks expand into nested blocks.
// Local module sources are followed with their inputs and outputs, and so
// are modules terraform init recorded in .terraform/modules/modules.json;
// a registry module not on disk is reported (a warning) as not followed.
// Such a module (or any call that could not be followed) may create
// private endpoints, secrets, keys or diagnostic settings for a vault it
// is handed, so every vault that one of its arguments (or its for_each)
// derives from — its id, name or whole object, through locals and module
// outputs — and every vault whose name or resource group comes from it
// is marked with resource.Document.MarkUnfollowed, naming the module.
// File functions (file, templatefile, fileset, filebase64, fileexists,
// the file hashes) read only inside the root module's directory and the
// followed module directories that lie inside the scanned root
// (Options.Root: by default the git top level, else the root module's
// directory), symlinks resolved, never a FIFO, a device or anything under
// /proc, /dev or /sys; anything else is unknown. Configuration and
// variables files must be regular files outside those too. Nothing of the
// machine kvguard runs on reaches a document: TF_VAR_ variables are not
// read, path.cwd and abspath of a relative path are unknown, and
// pathexpand is not implemented (unknown, with a warning).
//
// A file with a syntax error is not lost: the error is reported, the
// top-level blocks that hold an error are left out (a resource among them
// is reported as not judged), and every other block of the file is read.
//
// The instances one root module expands to — resource and data instances,
// module instances and dynamic block elements, multiplied through nested
// modules — are capped in all at Options.MaxInstances (--max-instances,
// by default resource.DefaultMaxInstances). A count or for_each that would
// pass the cap is an input error naming it, reported before it is
// expanded; nothing more of that root is expanded, so that count = 1e8,
// or a module of 100,000 instances around a resource of 100,000, fails at
// once in bounded memory. Expansion stops when the context is cancelled.
//
// A value Terraform only knows at apply time (a variable without value, a
// computed attribute such as azurerm_key_vault.kv.id, a data source,
// timestamp()) is unknown, never guessed. In a document it is a
// resource.Unknown naming the expression as written and, when it came from
// elsewhere, its origin: "var.expiration_date (from var.key_expiry)". An
// expiry set to an unknown value is still set. A count or for_each that is
// unknown gives one instance addressed [*] (azurerm_key_vault.kv[*]) and a
// warning, so that the resource is judged once rather than not at all;
// since such an instance may not exist, what it would prove about a vault
// (a private endpoint's approved connection, a diagnostic setting's logs)
// is unknown.
// A call to a function kvguard does not implement makes its expression
// unknown, with a warning naming file:line.
//
// Where an unknown has few possible values the document says which
// (resource.UnknownOneOf), so that the policy engine can try each and give
// the verdict they agree on: a boolean (true, false); a conditional whose
// condition is unknown (its branches; null meaning the argument's
// default); a variable referred to as var.<name> whose validation is
// contains([...], var.<name>) (those values); a dynamic block of at most
// one block (network_acls, rotation_policy, ...) whose for_each is unknown
// (absent, or the block its content gives). The resource is mapped once
// per choice and the documents merged, so each choice is in document
// terms ("Enabled"/"Disabled", the default for an absent block or a null).
// Choices that would change a document's ID (name, resource_group_name)
// stay plain unknowns, and so do more than 64 combinations.
//
// # Identity and links
//
// A vault's (or managed HSM's) document ID is the ARM ID Azure will give
// it, /subscriptions/{subscription}/resourceGroups/<rg>/providers/
// Microsoft.KeyVault/vaults/<name>, with the literal placeholder
// {subscription} unless the azurerm provider block (or, in a plan, its
// configuration or variables) names the subscription. When the name or
// the resource group is not known it is "terraform:" + the Terraform
// address. The (unknown) id of a vault carries that document ID wherever
// it flows, so key_vault_id, private_connection_resource_id and
// target_resource_id link to exactly that ID through locals, module
// inputs and outputs; in a plan the configuration's references are
// followed the same way. A conditional whose condition is known links to
// the vault of the branch it chooses (cond ? a.id : b.id), as Terraform
// applies it; with an unknown condition it links to neither. A literal ID naming a vault of the same read is
// rewritten to that vault's document ID; a literal naming another vault
// stays as written; an unresolved reference becomes "terraform:" + the
// expression (data.azurerm_key_vault.kv.id).
//
// Components are named <vault ID>/secrets/<name> (keys, certificates
// alike), diagnostic settings <target ID>/providers/Microsoft.Insights/
// diagnosticSettings/<name>, private endpoints by their ARM ID; each falls
// back to "terraform:" + address when its name is not known.
//
// # Mapping
//
// azurerm_key_vault → Microsoft.KeyVault/vaults:
//
//	azurerm argument                  document property                         default when unset
//	name                              name, vaultUri https://<name>.vault.azure.net/
//	location                          location (lower case, no spaces)          Unknown "<address>.location (not set)"
//	tags                              tags                                      {}
//	tenant_id                         properties.tenantId
//	sku_name                          properties.sku {family "A", name}
//	rbac_authorization_enabled (v4.42+, v5), else
//	enable_rbac_authorization (v3, v4) properties.enableRbacAuthorization       false (the provider always sends it)
//	soft_delete_enabled (azurerm 2.x)  properties.enableSoftDelete               true (soft delete is always on)
//	soft_delete_retention_days        properties.softDeleteRetentionInDays      90
//	purge_protection_enabled          properties.enablePurgeProtection          false
//	public_network_access_enabled     properties.publicNetworkAccess            "Enabled" (true → Enabled, false → Disabled)
//	network_acls {bypass, default_action, ip_rules, virtual_network_subnet_ids}
//	                                  properties.networkAcls {bypass, defaultAction, ipRules [{value}],
//	                                  virtualNetworkRules [{id}]}               absent when the block is absent
//	enabled_for_deployment, _disk_encryption, _template_deployment
//	                                  properties.enabledFor…                    false
//	access_policy {tenant_id, object_id, application_id, *_permissions}
//	                                  properties.accessPolicies [{tenantId, objectId, applicationId,
//	                                  permissions {keys, secrets, certificates, storage}}]   []
//
// A required argument left out (name, location, resource_group_name,
// sku_name, tenant_id) is a warning: Terraform would reject the resource,
// and kvguard still judges it.
//
// In a plan, of the two RBAC names the known one wins: the provider shows
// the one not written in the code as unknown.
//
// azurerm_key_vault_secret → Microsoft.KeyVault.Data/vaults/secrets
// (resource.NewComponent), parent = the vault key_vault_id names:
//
//	expiration_date        attributes.expiresOn (RFC 3339, normalised)   absent
//	not_before_date        attributes.notBefore                          absent
//	(none)                 attributes.enabled                            true (Terraform cannot disable a secret)
//	content_type, tags     contentType, tags
//	value, value_wo        never read, never stored
//
// azurerm_key_vault_key → Microsoft.KeyVault.Data/vaults/keys:
//
//	expiration_date, not_before_date   attributes.expiresOn, attributes.notBefore
//	key_type, key_size, key_opts       keyType, keySize, keyOps
//	curve                              ellipticCurveName                 "P-256" for EC and EC-HSM keys (service default)
//	rotation_policy {expire_after, notify_before_expiry, automatic {time_after_creation, time_before_expiry}}
//	                                   rotationPolicy {lifetimeActions [{trigger {timeAfterCreate | timeBeforeExpiry},
//	                                   action {type Rotate | Notify}}], attributes {expiryTime}}
//
// rotation_policy.expire_after is the expiry the policy gives versions it
// creates; it does not set the current version's expiry. A key with a
// rotation policy but without expiration_date has no expiry until it is
// first rotated, so attributes.expiresOn stays absent (as Azure shows it).
//
// azurerm_key_vault_certificate → Microsoft.KeyVault.Data/vaults/certificates:
//
//	certificate_policy.key_properties {key_type, key_size, curve, exportable, reuse_key}
//	                                   keyProperties {keyType, keySize, ellipticCurveName, exportable, reuseKey}
//	…x509_certificate_properties.validity_in_months   properties.validityInMonths
//	…lifetime_action {trigger {days_before_expiry, lifetime_percentage}, action {action_type}}
//	                                   lifetimeActions [{daysBeforeExpiry, lifetimePercentage, action}]
//	…issuer_parameters.name            issuer.name; issuer.commonName = the subject's CN when the issuer is Self
//	…secret_properties.content_type    contentType
//	(none)                             attributes.expiresOn: Unknown "certificate notAfter, known after issuance"
//	                                   (or "…after import" for an imported certificate): an X.509
//	                                   certificate always expires, on a date known only then
//	certificate.contents, .password    never read, never stored
//
// azurerm_key_vault_certificate_issuer is no document: a certificate whose
// issuer_parameters.name names an issuer of its vault declared in the code
// gets that issuer's provider_name as issuer.name (the integrated-CA rule
// compares it with DigiCert, GlobalSign). A provider that differs from the
// issuer's name, or is unknown, makes issuer.name Unknown, saying so: the
// code cannot tell which of the two Azure Policy reads. Self and Unknown
// are never a declared issuer's; the issuer's password, account and admins
// are never read.
//
// azurerm_private_endpoint → Microsoft.Network/privateEndpoints; each
// private_service_connection becomes an element {name, properties
// {privateLinkServiceId (the linked document ID), groupIds
// (subresource_names), requestMessage, privateLinkServiceConnectionState
// {status, description, actionsRequired "None"}}} of
// properties.privateLinkServiceConnections when is_manual_connection is
// false or unset (status "Approved"), of
// properties.manualPrivateLinkServiceConnections when it is true (status
// "Pending": the connection waits for the vault owner's approval).
// subnet_id → properties.subnet.id; ip_configuration →
// properties.ipConfigurations. kvguard emits the endpoint; the assessor
// links it into the vault by privateLinkServiceId.
//
// azurerm_monitor_diagnostic_setting → Microsoft.Insights/diagnosticSettings,
// parent = the resource target_resource_id names:
//
//	enabled_log {category | category_group, retention_policy}   properties.logs [{category | categoryGroup,
//	                                                                enabled true, retentionPolicy}]
//	log {…, enabled} (v3)                                        same, enabled as written (default true)
//	enabled_metric / metric                                      properties.metrics (same shape)
//	(no retention_policy)                                        retentionPolicy {enabled false, days 0}
//	log_analytics_workspace_id, storage_account_id,
//	eventhub_authorization_rule_id, eventhub_name,
//	log_analytics_destination_type, partner_solution_id          workspaceId, storageAccountId,
//	                                                             eventHubAuthorizationRuleId, eventHubName,
//	                                                             logAnalyticsDestinationType, marketplacePartnerId
//
// azurerm_key_vault_managed_hardware_security_module →
// Microsoft.KeyVault/managedHSMs: sku {family "B", name sku_name} at the
// top level; properties tenantId, initialAdminObjectIds
// (admin_object_ids), enableSoftDelete true, softDeleteRetentionInDays
// (default 90), enablePurgeProtection (default false), publicNetworkAccess
// (default "Enabled"), networkAcls {bypass, defaultAction} when written,
// hsmUri. azurerm_key_vault_managed_hardware_security_module_key →
// Microsoft.ManagedHSM.Data/managedHsms/keys, as keys, parent =
// managed_hsm_id.
// azurerm_key_vault_managed_hardware_security_module_key_rotation_policy is
// no document: it gives the key managed_hsm_key_id names (a reference to a
// key of the code, or its literal https://<hsm>.managedhsm.azure.net/keys/
// <name>) the rotationPolicy a vault key's rotation_policy gives:
//
//	time_after_creation, time_before_expiry   lifetimeActions [{trigger {timeAfterCreate | timeBeforeExpiry},
//	                                          action {type "Rotate"}}], and the key's scheduledRotationDate
//	expire_after                              attributes.expiryTime
//
// Both are joined once the whole configuration (or plan) is mapped
// (parts.go); in a plan, the configuration's reference names the key.
//
// # Plans
//
// A plan's resource_changes are read (change.after with after_unknown;
// actions delete and forget skipped, data sources skipped), then its
// deferred_changes (resources Terraform could not plan yet, which may not
// come to exist, like an unknown count above), falling back to
// planned_values (or, for a state, values). An unknown attribute is
// resource.Unknown "known after apply: <attribute path>", except an
// Optional+Computed argument the configuration does not set (network_acls,
// public_network_access_enabled, …), which takes its default as above.
// Secret values present in a plan are dropped as soon as it is decoded.
//
// # Suppressions
//
// A "# kvguard:ignore <recommendation-id> [reason] [exp:YYYY-MM-DD]"
// comment (also //, /* */) on a resource block's header line or in the run
// of comment lines directly above it is attached to every document of that
// resource; in *.tf.json a "//" property of the resource body holds them.
// A malformed one is an input error at its position.
package terraform
