package armexpr

import (
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

func scopeFuncs() map[string]Func {
	return map[string]Func{
		"parameters": func(env *Env, a []any) (any, error) {
			name, err := hookName(a)
			if err != nil || resource.IsUnknown(a[0]) {
				return unknownOrErr("parameters", a, err)
			}
			if env == nil || env.Parameter == nil {
				return nil, argError("parameter %q is not available here", name)
			}
			return env.Parameter(name)
		},
		"variables": func(env *Env, a []any) (any, error) {
			name, err := hookName(a)
			if err != nil || resource.IsUnknown(a[0]) {
				return unknownOrErr("variables", a, err)
			}
			if env == nil || env.Variable == nil {
				return nil, argError("variable %q is not available here", name)
			}
			return env.Variable(name)
		},
		"lambdaVariables": func(env *Env, a []any) (any, error) {
			name, err := hookName(a)
			if err != nil {
				return nil, err
			}
			if env != nil {
				if v, ok := env.lambdaVars[strings.ToLower(name)]; ok {
					return v, nil
				}
			}
			return nil, argError("%q is not a parameter of an enclosing lambda", name)
		},
		"copyIndex": copyIndexFunc,
		"reference": func(env *Env, a []any) (any, error) {
			if err := nargs(a, 1, 3); err != nil {
				return nil, err
			}
			if env != nil && env.Reference != nil {
				return env.Reference(a)
			}
			return unknownOf("reference", a), nil
		},
		"resourceId":                idFunc("resourceId", 2, resourceIDFunc),
		"subscriptionResourceId":    idFunc("subscriptionResourceId", 2, subscriptionResourceIDFunc),
		"tenantResourceId":          idFunc("tenantResourceId", 2, tenantResourceIDFunc),
		"extensionResourceId":       idFunc("extensionResourceId", 3, extensionResourceIDFunc),
		"managementGroupResourceId": idFunc("managementGroupResourceId", 2, managementGroupResourceIDFunc),
		"resourceGroup": func(env *Env, a []any) (any, error) {
			if err := nargs(a, 0, 0); err != nil {
				return nil, err
			}
			d := deploymentOf(env)
			return map[string]any{
				"id":         "/subscriptions/" + d.SubscriptionID + "/resourceGroups/" + d.ResourceGroup,
				"name":       d.ResourceGroup,
				"type":       "Microsoft.Resources/resourceGroups",
				"location":   d.Location,
				"managedBy":  resource.Unknown{Expr: "resourceGroup().managedBy"},
				"tags":       resource.Unknown{Expr: "resourceGroup().tags"},
				"properties": map[string]any{"provisioningState": "Succeeded"},
			}, nil
		},
		"subscription": func(env *Env, a []any) (any, error) {
			if err := nargs(a, 0, 0); err != nil {
				return nil, err
			}
			d := deploymentOf(env)
			return map[string]any{
				"id":             "/subscriptions/" + d.SubscriptionID,
				"subscriptionId": d.SubscriptionID,
				"tenantId":       d.TenantID,
				"displayName":    resource.Unknown{Expr: "subscription().displayName"},
			}, nil
		},
		"tenant": func(env *Env, a []any) (any, error) {
			if err := nargs(a, 0, 0); err != nil {
				return nil, err
			}
			d := deploymentOf(env)
			return map[string]any{
				"id":          "/tenants/" + d.TenantID,
				"tenantId":    d.TenantID,
				"countryCode": resource.Unknown{Expr: "tenant().countryCode"},
				"displayName": resource.Unknown{Expr: "tenant().displayName"},
			}, nil
		},
		"managementGroup": strict("managementGroup", 0, 1, func(env *Env, a []any) (any, error) {
			d := deploymentOf(env)
			name := d.managementGroupName()
			if len(a) == 1 {
				s, err := argString(a, 0)
				if err != nil {
					return nil, err
				}
				name = s
			}
			return map[string]any{
				"id":   "/providers/Microsoft.Management/managementGroups/" + name,
				"name": name,
				"type": "Microsoft.Management/managementGroups",
				"properties": map[string]any{
					"tenantId":    d.TenantID,
					"displayName": resource.Unknown{Expr: "managementGroup().properties.displayName"},
					"details":     resource.Unknown{Expr: "managementGroup().properties.details"},
				},
			}, nil
		}),
		"deployment": func(env *Env, a []any) (any, error) {
			if err := nargs(a, 0, 0); err != nil {
				return nil, err
			}
			d := deploymentOf(env)
			out := map[string]any{
				"name": d.DeploymentName,
				"properties": map[string]any{
					"templateLink": map[string]any{
						"uri":            resource.Unknown{Expr: "deployment().properties.templateLink.uri"},
						"contentVersion": "1.0.0.0",
					},
					"template":          map[string]any{"contentVersion": "1.0.0.0"},
					"templateHash":      resource.Unknown{Expr: "deployment().properties.templateHash"},
					"parameters":        map[string]any{},
					"mode":              "Incremental",
					"provisioningState": "Accepted",
				},
			}
			if !strings.EqualFold(d.Scope, ScopeResourceGroup) {
				out["location"] = d.Location
			}
			return out, nil
		},
		"deployer": func(env *Env, a []any) (any, error) {
			if err := nargs(a, 0, 0); err != nil {
				return nil, err
			}
			d := deploymentOf(env)
			return map[string]any{
				"objectId":          resource.Unknown{Expr: "deployer().objectId"},
				"tenantId":          d.TenantID,
				"userPrincipalName": resource.Unknown{Expr: "deployer().userPrincipalName"},
			}, nil
		},
		"environment": func(env *Env, a []any) (any, error) {
			if err := nargs(a, 0, 0); err != nil {
				return nil, err
			}
			return Environment(deploymentOf(env).Cloud), nil
		},
		"providers":       unknownFunc("providers"),
		"pickZones":       unknownFunc("pickZones"),
		"toLogicalZone":   unknownFunc("toLogicalZone"),
		"toLogicalZones":  unknownFunc("toLogicalZones"),
		"toPhysicalZone":  unknownFunc("toPhysicalZone"),
		"toPhysicalZones": unknownFunc("toPhysicalZones"),
		"resourceInfo":    unknownFunc("resourceInfo"),
		"fail": func(_ *Env, a []any) (any, error) {
			if err := nargs(a, 1, 1); err != nil {
				return nil, err
			}
			if resource.IsUnknown(a[0]) {
				return unknownOf("fail", a), nil
			}
			return nil, argError("the template failed on purpose: %s", Stringify(a[0]))
		},
	}
}

func unknownFunc(name string) Func {
	return func(_ *Env, a []any) (any, error) { return unknownOf(name, a), nil }
}

func deploymentOf(env *Env) Deployment {
	if env == nil {
		return DefaultDeployment()
	}
	return env.Deployment.WithDefaults()
}

func hookName(a []any) (string, error) {
	if err := nargs(a, 1, 1); err != nil {
		return "", err
	}
	if resource.IsUnknown(a[0]) {
		return "", nil
	}
	return argString(a, 0)
}

func unknownOrErr(name string, a []any, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return unknownOf(name, a), nil
}

func copyIndexFunc(env *Env, a []any) (any, error) {
	if err := nargs(a, 0, 2); err != nil {
		return nil, err
	}
	if anyUnknown(a) {
		return unknownOf("copyIndex", a), nil
	}
	loop, offset := "", int64(0)
	switch len(a) {
	case 1:
		if s, ok := a[0].(string); ok {
			loop = s
		} else {
			n, err := argInt(a, 0)
			if err != nil {
				return nil, argError("expects a loop name or an offset, not %s", TypeName(a[0]))
			}
			offset = n
		}
	case 2:
		s, err := argString(a, 0)
		if err != nil {
			return nil, err
		}
		loop = s
		if offset, err = argInt(a, 1); err != nil {
			return nil, err
		}
	}
	if env == nil || env.CopyIndex == nil {
		return nil, argError("copyIndex() is only valid inside a copy loop")
	}
	return env.CopyIndex(loop, int(offset))
}

// idFunc wraps a resource ID function: strict, except that with
// Env.Placeholders an unknown name or scope is written as a placeholder,
// so that an ID built from an unknown name still names its resource
// ("/subscriptions/…/servers/[parameters('s').name]/databases/master").
func idFunc(name string, lo int, f func(env *Env, args []any) (any, error)) Func {
	s := strict(name, lo, -1, f)
	return func(env *Env, a []any) (any, error) {
		if len(a) >= lo && anyUnknown(a) {
			if p, ok := withPlaceholders(env, a); ok && sameTypeIndex(a, p) {
				return f(env, p)
			}
		}
		return s(env, a)
	}
}

// sameTypeIndex reports whether the resource type is the same argument
// before and after placeholders are written in: a placeholder holding a
// "/" must not be taken for the type.
func sameTypeIndex(orig, p []any) bool {
	want := -1
	for i, v := range orig {
		if s, ok := v.(string); ok && strings.Contains(s, "/") {
			want = i
			break
		}
	}
	got, err := typeIndex(p)
	return want >= 0 && err == nil && got == want
}

// typeIndex finds the argument holding the resource type: the first one
// with a '/'.
func typeIndex(a []any) (int, error) {
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			return 0, argError("argument %d must be a string, not %s", i+1, TypeName(v))
		}
		if strings.Contains(s, "/") {
			return i, nil
		}
	}
	return 0, argError("no argument is a resource type (namespace/type)")
}

func stringsOf(a []any) []string {
	out := make([]string, len(a))
	for i, v := range a {
		out[i], _ = v.(string)
	}
	return out
}

func resourceIDFunc(env *Env, a []any) (any, error) {
	t, err := typeIndex(a)
	if err != nil {
		return nil, err
	}
	s := stringsOf(a)
	d := deploymentOf(env)
	var scope string
	switch t {
	case 0:
		switch strings.ToLower(d.Scope) {
		case "subscription":
			scope = "/subscriptions/" + d.SubscriptionID
		case "managementgroup":
			scope = "/providers/Microsoft.Management/managementGroups/" + d.managementGroupName()
		case "tenant":
			scope = ""
		default:
			scope = "/subscriptions/" + d.SubscriptionID + "/resourceGroups/" + d.ResourceGroup
		}
	case 1:
		scope = "/subscriptions/" + d.SubscriptionID + "/resourceGroups/" + s[0]
	case 2:
		scope = "/subscriptions/" + s[0] + "/resourceGroups/" + s[1]
	default:
		return nil, argError("expects at most a subscription ID and a resource group name before the resource type")
	}
	return resource.JoinID(scope, s[t], s[t+1:]...), nil
}

func subscriptionResourceIDFunc(env *Env, a []any) (any, error) {
	t, err := typeIndex(a)
	if err != nil {
		return nil, err
	}
	s := stringsOf(a)
	sub := deploymentOf(env).SubscriptionID
	switch t {
	case 0:
	case 1:
		sub = s[0]
	default:
		return nil, argError("expects at most a subscription ID before the resource type")
	}
	return resource.JoinID("/subscriptions/"+sub, s[t], s[t+1:]...), nil
}

func tenantResourceIDFunc(_ *Env, a []any) (any, error) {
	t, err := typeIndex(a)
	if err != nil {
		return nil, err
	}
	if t != 0 {
		return nil, argError("expects the resource type first")
	}
	s := stringsOf(a)
	return resource.JoinID("", s[0], s[1:]...), nil
}

func extensionResourceIDFunc(_ *Env, a []any) (any, error) {
	s := stringsOf(a)
	for i, v := range a {
		if _, ok := v.(string); !ok {
			return nil, argError("argument %d must be a string, not %s", i+1, TypeName(v))
		}
	}
	return resource.JoinID(strings.TrimRight(s[0], "/"), s[1], s[2:]...), nil
}

func managementGroupResourceIDFunc(env *Env, a []any) (any, error) {
	t, err := typeIndex(a)
	if err != nil {
		return nil, err
	}
	s := stringsOf(a)
	mg := deploymentOf(env).managementGroupName()
	switch t {
	case 0:
	case 1:
		mg = s[0]
	default:
		return nil, argError("expects at most a management group name before the resource type")
	}
	return resource.JoinID("/providers/Microsoft.Management/managementGroups/"+mg, s[t], s[t+1:]...), nil
}

// Environment returns environment() for a cloud: AzureCloud (the
// default), AzureUSGovernment or AzureChinaCloud.
func Environment(cloud string) map[string]any {
	type cloudInfo struct {
		name, portal, arm, login, graph, graphAudience, msGraph, kv, sql, storage, acr, gallery, batch, media, frontDoor, dla, dls, kvAudience string
	}
	c := cloudInfo{
		name: "AzureCloud", portal: "https://portal.azure.com", arm: "https://management.azure.com/",
		login: "https://login.microsoftonline.com/", graph: "https://graph.windows.net/", graphAudience: "https://graph.windows.net/",
		msGraph: "https://graph.microsoft.com/", kv: ".vault.azure.net", sql: ".database.windows.net", storage: "core.windows.net",
		acr: ".azurecr.io", gallery: "https://gallery.azure.com/", batch: "https://batch.core.windows.net/",
		media: "https://rest.media.azure.net", frontDoor: "azurefd.net", dla: "azuredatalakeanalytics.net", dls: "azuredatalakestore.net",
		kvAudience: "https://vault.azure.net",
	}
	switch strings.ToLower(cloud) {
	case "azureusgovernment":
		c = cloudInfo{
			name: "AzureUSGovernment", portal: "https://portal.azure.us", arm: "https://management.usgovcloudapi.net/",
			login: "https://login.microsoftonline.us/", graph: "https://graph.windows.net/", graphAudience: "https://graph.windows.net/",
			msGraph: "https://graph.microsoft.us/", kv: ".vault.usgovcloudapi.net", sql: ".database.usgovcloudapi.net", storage: "core.usgovcloudapi.net",
			acr: ".azurecr.us", gallery: "https://gallery.usgovcloudapi.net/", batch: "https://batch.core.usgovcloudapi.net/",
			media: "https://rest.media.usgovcloudapi.net", frontDoor: "azurefd.us", kvAudience: "https://vault.usgovcloudapi.net",
		}
	case "azurechinacloud":
		c = cloudInfo{
			name: "AzureChinaCloud", portal: "https://portal.azure.cn", arm: "https://management.chinacloudapi.cn/",
			login: "https://login.chinacloudapi.cn/", graph: "https://graph.chinacloudapi.cn/", graphAudience: "https://graph.chinacloudapi.cn/",
			msGraph: "https://microsoftgraph.chinacloudapi.cn/", kv: ".vault.azure.cn", sql: ".database.chinacloudapi.cn", storage: "core.chinacloudapi.cn",
			acr: ".azurecr.cn", gallery: "https://gallery.chinacloudapi.cn/", batch: "https://batch.chinacloudapi.cn/",
			media: "https://rest.media.chinacloudapi.cn", frontDoor: "azurefd.cn", kvAudience: "https://vault.azure.cn",
		}
	}
	suffixes := map[string]any{
		"acrLoginServer":               c.acr,
		"keyvaultDns":                  c.kv,
		"sqlServerHostname":            c.sql,
		"storage":                      c.storage,
		"azureFrontDoorEndpointSuffix": c.frontDoor,
	}
	if c.dla != "" {
		suffixes["azureDatalakeAnalyticsCatalogAndJob"] = c.dla
		suffixes["azureDatalakeStoreFileSystem"] = c.dls
	}
	return map[string]any{
		"name":                    c.name,
		"gallery":                 c.gallery,
		"graph":                   c.graph,
		"portal":                  c.portal,
		"graphAudience":           c.graphAudience,
		"batch":                   c.batch,
		"media":                   c.media,
		"resourceManager":         c.arm,
		"vmImageAliasDoc":         "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
		"sqlManagement":           strings.Replace(c.arm, "management.", "management.core.", 1),
		"activeDirectoryDataLake": "https://datalake.azure.net/",
		"authentication": map[string]any{
			"loginEndpoint":    c.login,
			"audiences":        []any{c.arm, strings.TrimSuffix(c.arm, "/")},
			"tenant":           "common",
			"identityProvider": "AAD",
		},
		"microsoftGraphResourceId": c.msGraph,
		"suffixes":                 suffixes,
		"keyVaultAudience":         c.kvAudience,
	}
}
