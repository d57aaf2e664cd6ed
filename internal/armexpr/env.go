package armexpr

import (
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
)

// Deployment scopes, the values of Deployment.Scope.
const (
	ScopeResourceGroup   = "resourceGroup"
	ScopeSubscription    = "subscription"
	ScopeManagementGroup = "managementGroup"
	ScopeTenant          = "tenant"
)

// Placeholders used by DefaultDeployment. No verdict depends on them; they
// make names built from the deployment context (uniqueString(resourceGroup().id))
// deterministic, so that resources link up across a template.
const (
	DefaultSubscriptionID  = "00000000-0000-0000-0000-000000000000"
	DefaultTenantID        = "00000000-0000-0000-0000-000000000000"
	DefaultResourceGroup   = "kvguard-rg"
	DefaultLocation        = "eastus"
	DefaultDeploymentName  = "kvguard"
	DefaultManagementGroup = "kvguard-mg"
	DefaultCloud           = "AzureCloud"
)

// Deployment is the deployment context. Unknown parts stay unknown; the
// defaults are fixed placeholders so that names built from them
// (uniqueString(resourceGroup().id)) are deterministic and resources link
// up across a template; no verdict depends on them.
type Deployment struct {
	Scope           string    // "resourceGroup" (default), "subscription", "managementGroup", "tenant"
	SubscriptionID  string    // default "00000000-0000-0000-0000-000000000000"
	TenantID        string    // default "00000000-0000-0000-0000-000000000000"
	ResourceGroup   string    // default "kvguard-rg"
	Location        string    // default "eastus"
	ManagementGroup string    // default (when the scope needs one) "kvguard-mg"
	DeploymentName  string    // default "kvguard"
	Cloud           string    // "AzureCloud" → environment() values for the public cloud
	Now             time.Time // zero → utcNow() is Unknown
}

// DefaultDeployment returns the placeholder context: a resource group
// deployment in the public cloud with the Default* names.
func DefaultDeployment() Deployment {
	return Deployment{
		Scope:          ScopeResourceGroup,
		SubscriptionID: DefaultSubscriptionID,
		TenantID:       DefaultTenantID,
		ResourceGroup:  DefaultResourceGroup,
		Location:       DefaultLocation,
		DeploymentName: DefaultDeploymentName,
		Cloud:          DefaultCloud,
	}
}

// WithDefaults fills the empty fields of d from DefaultDeployment.
func (d Deployment) WithDefaults() Deployment {
	def := DefaultDeployment()
	if d.Scope == "" {
		d.Scope = def.Scope
	}
	if d.SubscriptionID == "" {
		d.SubscriptionID = def.SubscriptionID
	}
	if d.TenantID == "" {
		d.TenantID = def.TenantID
	}
	if d.ResourceGroup == "" {
		d.ResourceGroup = def.ResourceGroup
	}
	if d.Location == "" {
		d.Location = def.Location
	}
	if d.DeploymentName == "" {
		d.DeploymentName = def.DeploymentName
	}
	if d.Cloud == "" {
		d.Cloud = def.Cloud
	}
	return d
}

// managementGroupName is the management group of the context, or the
// placeholder.
func (d Deployment) managementGroupName() string {
	if d.ManagementGroup != "" {
		return d.ManagementGroup
	}
	return DefaultManagementGroup
}

// ScopeID is the resource ID of the deployment's target scope:
// /subscriptions/<sub>/resourceGroups/<rg>, /subscriptions/<sub>,
// /providers/Microsoft.Management/managementGroups/<mg>, or "" for the
// tenant.
func (d Deployment) ScopeID() string {
	d = d.WithDefaults()
	switch strings.ToLower(d.Scope) {
	case "subscription":
		return "/subscriptions/" + d.SubscriptionID
	case "managementgroup":
		return "/providers/Microsoft.Management/managementGroups/" + d.managementGroupName()
	case "tenant":
		return ""
	default:
		return "/subscriptions/" + d.SubscriptionID + "/resourceGroups/" + d.ResourceGroup
	}
}

// Env is what a function call can see.
type Env struct {
	Deployment Deployment
	// Hooks supplied by the evaluator (ARM or Bicep). A nil hook makes the
	// corresponding function fail (Parameter, Variable, CopyIndex,
	// UserFunc) or return resource.Unknown (Reference).
	Parameter func(name string) (any, error)
	Variable  func(name string) (any, error)
	CopyIndex func(loop string, offset int) (any, error)
	Reference func(args []any) (any, error) // reference()/list*: default returns resource.Unknown
	UserFunc  func(namespace, name string, args []any) (any, error)
	// Functions are a dialect's own functions (see Dialect), consulted
	// before the built-ins; nil for templates.
	Functions func(lname string) (Func, bool)
	// Host is the embedding language's evaluation state, for its own
	// functions (the policy engine's current resource and count scopes).
	Host any
	// Placeholders makes format() and string concat() write an unknown
	// argument as "[expression]" instead of making the whole string
	// unknown. Template readers set it when they build resource names and
	// IDs, so that a name with an unknown part ("kv/[parameters('s')[0]]")
	// still has its segments and names its parent.
	Placeholders bool

	// lambdaVars are the lambda parameters in scope (lambdaVariables()).
	lambdaVars map[string]any
	// depth counts nested lambda calls, against runaway recursion.
	depth int
	// calls counts lambda invocations, shared by the lambdas of one
	// evaluation, against runaway loops (map over map over range).
	calls *int
}

// maxLambdaCalls bounds the lambda invocations of one evaluation.
const maxLambdaCalls = 1_000_000

// Func is a template function: it receives evaluated arguments.
type Func func(env *Env, args []any) (any, error)

// Lambda is a function value: what lambda() returns, and what map,
// filter, reduce, sort, toObject, groupBy and mapValues call. A Bicep
// evaluator passes its own lambdas as Lambda values.
type Lambda struct {
	// Params names the lambda's parameters (for messages).
	Params []string
	// Call applies the lambda to args (as many as the function passes:
	// item, or item and index; accumulator and item for reduce).
	Call func(args []any) (any, error)
}

// Placeholder is how an unknown value is written into a name built with
// Env.Placeholders: "[expression]", one name segment (a "/" in the
// expression is written %2F).
func Placeholder(u resource.Unknown) string {
	return "[" + strings.ReplaceAll(u.Expr, "/", "%2F") + "]"
}

// withPlaceholders replaces the unknown arguments by their placeholders
// (a copy of args), when env asks for it; ok is false when it does not, or
// an argument holds an unknown inside an array or object.
func withPlaceholders(env *Env, args []any) ([]any, bool) {
	if env == nil || !env.Placeholders {
		return nil, false
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch x := a.(type) {
		case resource.Unknown:
			out[i] = Placeholder(x)
		case []any, map[string]any:
			if ContainsUnknown(x) {
				return nil, false
			}
			out[i] = a
		default:
			out[i] = a
		}
	}
	return out, true
}

// unknownOf builds the Unknown for a call whose result depends on an
// unknown argument.
func unknownOf(name string, args []any) resource.Unknown {
	return resource.Unknown{Expr: RenderCall(name, args)}
}

// Target is where a deployment's resources go: a resource group, a
// subscription, a management group or the tenant. ARM templates and
// Bicep files move between targets in nested deployments and modules.
type Target struct {
	Kind            string // Scope*
	Subscription    string
	ResourceGroup   string
	ManagementGroup string
}

// TargetOf is the target of a deployment context.
func TargetOf(d Deployment) Target {
	d = d.WithDefaults()
	return Target{Kind: d.Scope, Subscription: d.SubscriptionID, ResourceGroup: d.ResourceGroup, ManagementGroup: d.managementGroupName()}
}

// ID is the resource ID of the target scope ("" for the tenant).
func (t Target) ID() string { return t.Deployment(Deployment{}, "").ScopeID() }

// Deployment is the deployment context of a (nested) deployment named
// name at t; name "" keeps base's.
func (t Target) Deployment(base Deployment, name string) Deployment {
	base.Scope, base.SubscriptionID, base.ResourceGroup, base.ManagementGroup = t.Kind, t.Subscription, t.ResourceGroup, t.ManagementGroup
	if name != "" {
		base.DeploymentName = name
	}
	return base
}
