package saved

import "github.com/kvguard/kvguard/internal/resource"

// The az CLI prints the Azure SDK for Python's models, and those models
// flatten "properties" for some types: az network private-endpoint show
// prints privateLinkServiceConnections at the top level, az monitor
// diagnostic-settings list prints logs and workspaceId there, and the
// private endpoint connections inside az keyvault show print
// privateLinkServiceConnectionState without the "properties" level the
// ARM body (and so the policy aliases) has. Read as they are, an approved
// private endpoint would look absent, so these bodies are put back into
// ARM shape. A body that already has "properties" is left alone.

// envelope are the members ARM keeps outside "properties".
var envelope = map[string]bool{
	"id": true, "name": true, "type": true, "location": true, "tags": true, "etag": true,
	"kind": true, "sku": true, "identity": true, "managedBy": true, "plan": true, "zones": true,
	"systemData": true, "extendedLocation": true, "resourceGroup": true, "subscriptionId": true,
	"tenantId": true,
}

// flattened lists, per type, members that only a flattened body has at the
// top level; one of them present (and no "properties") marks the body.
var flattened = map[string][]string{
	resource.TypePrivateEndpoint:     {"privateLinkServiceConnections", "manualPrivateLinkServiceConnections", "subnet", "customDnsConfigs", "networkInterfaces"},
	resource.TypeDiagnosticSetting:   {"logs", "metrics", "workspaceId", "storageAccountId", "eventHubAuthorizationRuleId", "serviceBusRuleId"},
	resource.TypeVaultPEConnection:   {"privateLinkServiceConnectionState", "privateEndpoint"},
	resource.TypeHSMPEConnection:     {"privateLinkServiceConnectionState", "privateEndpoint"},
	resource.TypePrivateDNSZoneGroup: {"privateDnsZoneConfigs"},
}

// unflatten puts a flattened az body of typ back into ARM shape.
func unflatten(typ string, body map[string]any) {
	marks, ok := flattened[typ]
	if !ok || !isFlat(body, marks) {
		return
	}
	props := map[string]any{}
	for k, v := range body {
		if !envelope[k] {
			props[k] = v
			delete(body, k)
		}
	}
	body["properties"] = props
	if typ == resource.TypePrivateDNSZoneGroup {
		// az network private-endpoint dns-zone-group list flattens each
		// config's properties too.
		if confs, ok := props["privateDnsZoneConfigs"].([]any); ok {
			for _, c := range confs {
				if m, ok := c.(map[string]any); ok {
					unflattenItem(m, "privateDnsZoneId", "recordSets")
				}
			}
		}
	}
	if typ == resource.TypePrivateEndpoint {
		for _, k := range [...]string{"privateLinkServiceConnections", "manualPrivateLinkServiceConnections"} {
			if conns, ok := props[k].([]any); ok {
				for _, c := range conns {
					if m, ok := c.(map[string]any); ok {
						unflattenItem(m, "privateLinkServiceId", "groupIds", "privateLinkServiceConnectionState", "requestMessage", "provisioningState")
					}
				}
			}
		}
	}
}

func isFlat(body map[string]any, marks []string) bool {
	if p, ok := body["properties"]; ok && p != nil {
		return false
	}
	for _, k := range marks {
		if _, ok := body[k]; ok {
			return true
		}
	}
	return false
}

// unflattenConnections puts the private endpoint connections of a vault or
// HSM body (as az keyvault show prints them) back into ARM shape.
func unflattenConnections(props map[string]any) {
	conns, ok := props["privateEndpointConnections"].([]any)
	if !ok {
		return
	}
	for _, c := range conns {
		if m, ok := c.(map[string]any); ok {
			unflattenItem(m, "privateEndpoint", "privateLinkServiceConnectionState", "provisioningState")
		}
	}
}

// unflattenItem moves the named members of a flattened list item under
// its "properties".
func unflattenItem(m map[string]any, keys ...string) {
	if p, ok := m["properties"]; ok && p != nil {
		return
	}
	props := map[string]any{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			props[k] = v
			delete(m, k)
		}
	}
	if len(props) > 0 {
		m["properties"] = props
	}
}
