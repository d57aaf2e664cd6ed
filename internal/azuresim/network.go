package azuresim

import (
	"net"
	"net/http"
	"strings"
)

// networkRefusal applies a vault's network rules to a data-plane request,
// as Key Vault's front end does before it looks at the request: public
// network access disabled refuses every caller that does not come through
// a private endpoint (none comes through one here), and a firewall whose
// default action is Deny refuses callers whose address is not in its IP
// rules. It returns the 403's message and inner error code, or ok.
//
// The caller's address is the connection's: 127.0.0.1 (or ::1) for every
// client of the simulator, so a snapshot whose vault allows 127.0.0.1 in
// ipRules is readable, as a vault that allows a scanner's address is.
func networkRefusal(v *Vault, r *http.Request) (msg, code string, refused bool) {
	p := props(v.Body)
	if p == nil {
		return "", "", false
	}
	if pna, _ := p["publicNetworkAccess"].(string); strings.EqualFold(pna, "Disabled") {
		return "Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: " + callerOf(r) + "\r\nVault: " + v.Name,
			"ForbiddenByConnection", true
	}
	acls, _ := p["networkAcls"].(map[string]any)
	if acls == nil {
		return "", "", false
	}
	if da, _ := acls["defaultAction"].(string); !strings.EqualFold(da, "Deny") {
		return "", "", false
	}
	client := clientIP(r)
	rules, _ := acls["ipRules"].([]any)
	for _, rule := range rules {
		m, _ := rule.(map[string]any)
		value, _ := m["value"].(string)
		if ipMatches(client, value) {
			return "", "", false
		}
	}
	return "Client address is not authorized and caller is not a trusted service.\r\nClient address: " + client.String() + "\r\nCaller: " + callerOf(r) + "\r\nVault: " + v.Name,
		"ForbiddenByFirewall", true
}

func clientIP(r *http.Request) net.IP {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return net.ParseIP(host)
}

// ipMatches reports whether ip is the address or inside the CIDR range of
// an ipRules value (Key Vault takes both forms).
func ipMatches(ip net.IP, value string) bool {
	if ip == nil || value == "" {
		return false
	}
	if strings.Contains(value, "/") {
		_, n, err := net.ParseCIDR(value)
		return err == nil && n.Contains(ip)
	}
	other := net.ParseIP(value)
	return other != nil && other.Equal(ip)
}

// callerOf names the caller as Key Vault's refusals do, without any
// credential material: the bearer token's subject is not echoed.
func callerOf(r *http.Request) string {
	if r.Header.Get("Authorization") == "" {
		return "anonymous"
	}
	return "appid=<the signed-in application>"
}
