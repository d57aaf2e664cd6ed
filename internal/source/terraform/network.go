package terraform

import (
	"strconv"

	"github.com/kvguard/kvguard/internal/resource"
)

func mapPrivateEndpoint(in *input) *built { //nolint:funlen // table-like attribute mapping of azurerm_private_endpoint
	a := in.attrs
	id := docID(in.sub, a["resource_group_name"], resource.TypePrivateEndpoint, a["name"], in.address)
	props := map[string]any{}
	if s, ok := get(a, "subnet_id"); ok {
		props["subnet"] = map[string]any{"id": s}
	}
	put(props, "customNetworkInterfaceName", a["custom_network_interface_name"])
	auto, manual := []any{}, []any{}
	list, unk := blocks(a, "private_service_connection")
	for i, psc := range list {
		path := "private_service_connection." + strconv.Itoa(i) + "."
		cp := map[string]any{}
		if target := in.ref(path + "private_connection_resource_id"); target != "" {
			cp["privateLinkServiceId"] = target
		}
		put(cp, "groupIds", psc["subresource_names"])
		put(cp, "requestMessage", psc["request_message"])
		isManual := or(psc, "is_manual_connection", false)
		state := map[string]any{"description": "", "actionsRequired": "None"}
		conn := map[string]any{"name": psc["name"], "properties": cp}
		cp["privateLinkServiceConnectionState"] = state
		switch {
		case in.maybe != "":
			state["status"] = resource.Unknown{Expr: in.maybe}
			if isManual == true {
				manual = append(manual, conn)
			} else {
				auto = append(auto, conn)
			}
		case isManual == true:
			// A manual connection waits for the vault owner's approval.
			state["status"] = "Pending"
			state["description"] = "Awaiting approval"
			manual = append(manual, conn)
		case isManual == false:
			state["status"] = "Approved"
			state["description"] = "Auto-Approved"
			auto = append(auto, conn)
		default:
			// Unknown: is_manual_connection decides, between a connection
			// waiting for approval and an approved one.
			state["status"] = isManual
			if u, ok := isManual.(resource.Unknown); ok && u.Choices != nil {
				statuses := make([]any, len(u.Choices.Values))
				for i, c := range u.Choices.Values {
					statuses[i] = "Approved"
					if c == true {
						statuses[i] = "Pending"
					}
				}
				state["status"] = resource.UnknownOneOf(u.Expr, statuses...)
			}
			auto = append(auto, conn)
		}
	}
	if u, ok := unk.(resource.Unknown); ok {
		props["privateLinkServiceConnections"] = resource.Unknown{Expr: u.Expr}
	} else {
		props["privateLinkServiceConnections"] = auto
		props["manualPrivateLinkServiceConnections"] = manual
	}
	if ips, _ := blocks(a, "ip_configuration"); len(ips) > 0 {
		out := make([]any, 0, len(ips))
		for _, ip := range ips {
			p := map[string]any{}
			put(p, "privateIPAddress", ip["private_ip_address"])
			put(p, "groupId", ip["subresource_name"])
			put(p, "memberName", ip["member_name"])
			out = append(out, map[string]any{"name": ip["name"], "properties": p})
		}
		props["ipConfigurations"] = out
	}
	body := topLevel(in, id, resource.TypePrivateEndpoint)
	body["properties"] = props
	return withZoneGroups(in, &built{doc: &resource.Document{ID: id, Type: resource.TypePrivateEndpoint, Name: nameOf(a["name"], in.address), Body: body}})
}

// defaultRetention is the retentionPolicy Azure returns for a log or
// metric setting written without one.
func defaultRetention() map[string]any { return map[string]any{"enabled": false, "days": int64(0)} }

func retention(b map[string]any) any {
	rp, unk := first(b, "retention_policy")
	if unk != nil {
		return unk
	}
	if rp == nil {
		return defaultRetention()
	}
	return map[string]any{"enabled": or(rp, "enabled", false), "days": or(rp, "days", int64(0))}
}

// diagEntries maps enabled_log/log or enabled_metric/metric blocks.
// enabled_* blocks are enabled by being there; the legacy blocks carry an
// enabled argument (default true).
func diagEntries(a map[string]any, enabledBlock, legacyBlock string) any {
	out := []any{}
	for _, bt := range []string{enabledBlock, legacyBlock} {
		list, unk := blocks(a, bt)
		if unk != nil {
			return unk
		}
		for _, b := range list {
			e := map[string]any{}
			put(e, "category", b["category"])
			put(e, "categoryGroup", b["category_group"])
			if bt == legacyBlock {
				e["enabled"] = or(b, "enabled", true)
			} else {
				e["enabled"] = true
			}
			e["retentionPolicy"] = retention(b)
			out = append(out, e)
		}
	}
	return out
}

func mapDiagnosticSetting(in *input) *built {
	a := in.attrs
	target := in.ref("target_resource_id")
	id, suffix := "terraform:"+in.address, ""
	if n, ok := a["name"].(string); ok && n != "" && target != "" {
		suffix = "/providers/Microsoft.Insights/diagnosticSettings/" + n
		id = target + suffix
	}
	props := map[string]any{
		"logs":    diagEntries(a, "enabled_log", "log"),
		"metrics": diagEntries(a, "enabled_metric", "metric"),
	}
	if in.maybe != "" {
		props["logs"] = resource.Unknown{Expr: in.maybe}
	}
	put(props, "workspaceId", a["log_analytics_workspace_id"])
	put(props, "storageAccountId", a["storage_account_id"])
	put(props, "eventHubAuthorizationRuleId", a["eventhub_authorization_rule_id"])
	put(props, "eventHubName", a["eventhub_name"])
	put(props, "logAnalyticsDestinationType", a["log_analytics_destination_type"])
	put(props, "marketplacePartnerId", a["partner_solution_id"])
	body := map[string]any{"id": id, "type": resource.TypeDiagnosticSetting, "properties": props}
	put(body, "name", a["name"])
	d := &resource.Document{ID: id, Type: resource.TypeDiagnosticSetting, Name: nameOf(a["name"], in.address), Body: body, Parent: resource.Ref{ID: target}}
	return &built{doc: d, suffix: suffix}
}
