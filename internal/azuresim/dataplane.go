package azuresim

import (
	"net/http"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// serveDataPlane answers a vault's data plane, reached at
// https://<vault>.vault.azuresim.test/: the secret, key and certificate
// lists (metadata only), key rotation policies, and certificates with
// their policies (certificates.go). A request for one
// secret, which would carry its value, is refused (403) and recorded: the
// simulator has no values and kvguard must never ask.
func (s *Simulator) serveDataPlane(w http.ResponseWriter, r *http.Request) {
	v := s.hosts[strings.ToLower(hostOnly(r.Host))]
	if v == nil || v.Type != resource.TypeVault {
		kvError(w, http.StatusNotFound, "VaultNotFound", "No vault at "+r.Host+" in the simulated estate.", "")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		kvError(w, http.StatusBadRequest, "BadParameter", "The 'api-version' query parameter is required.", "")
		return
	}
	if r.Method != http.MethodGet {
		kvError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The simulator is read-only.", "")
		return
	}
	if msg, code, refused := networkRefusal(v, r); refused && !s.opts.TrustedNetwork {
		kvError(w, http.StatusForbidden, "Forbidden", msg, code)
		return
	}
	segs := segments(strings.ToLower(r.URL.Path))
	switch {
	case len(segs) == 1 && segs[0] == "secrets":
		s.listItems(w, r, v, resource.TypeSecret, v.Secrets, s.dataPlaneSecret)
	case len(segs) >= 2 && segs[0] == "secrets":
		kvError(w, http.StatusForbidden, "Forbidden",
			"The kvguard simulator never serves a secret's value, and kvguard must never ask for one.", "SecretValueRefused")
	case len(segs) == 1 && segs[0] == "keys":
		s.listItems(w, r, v, resource.TypeKey, v.Keys, s.dataPlaneKey)
	case len(segs) == 3 && segs[0] == "keys" && segs[2] == "rotationpolicy":
		s.rotationPolicy(w, v, segs[1])
	case len(segs) == 1 && segs[0] == "certificates":
		s.listItems(w, r, v, resource.TypeCertificate, v.Certificates, s.dataPlaneCertificate)
	case (len(segs) == 2 || len(segs) == 3) && segs[0] == "certificates":
		s.serveCertificate(w, v, segs)
	default:
		kvError(w, http.StatusNotFound, "NotFound", "The simulator does not serve "+r.URL.Path, "")
	}
}

func (s *Simulator) listItems(w http.ResponseWriter, r *http.Request, v *Vault, part string, objs []Object, render renderFunc) {
	if msg, ok := s.forbiddenPart(v, part); ok {
		if code, message, ok := recordedAnswer(msg); ok {
			kvError(w, http.StatusForbidden, code, message, "")
			return
		}
		kvError(w, http.StatusForbidden, "Forbidden",
			"Client address is not authorized and caller is not a trusted service ("+msg+").", "ForbiddenByFirewall")
		return
	}
	start, end, next := s.page(r, len(objs), s.opts.ObjectPageSize, 25, "maxresults")
	items := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		items = append(items, render(v, &objs[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": items, "nextLink": next})
}

func (s *Simulator) dataPlaneSecret(v *Vault, o *Object) map[string]any {
	item := map[string]any{"id": "https://" + s.vaultHost(v) + "/secrets/" + o.Name, "attributes": attributes(o, true)}
	if o.ContentType != "" {
		item["contentType"] = o.ContentType
	}
	if o.Managed {
		item["managed"] = true
	}
	if t := tagsOf(o); t != nil {
		item["tags"] = t
	}
	return item
}

func (s *Simulator) dataPlaneKey(v *Vault, o *Object) map[string]any {
	item := map[string]any{"kid": "https://" + s.vaultHost(v) + "/keys/" + o.Name, "attributes": attributes(o, true)}
	if o.Managed {
		item["managed"] = true
	}
	if t := tagsOf(o); t != nil {
		item["tags"] = t
	}
	return item
}

func (s *Simulator) dataPlaneCertificate(v *Vault, o *Object) map[string]any {
	item := map[string]any{"id": "https://" + s.vaultHost(v) + "/certificates/" + o.Name, "attributes": attributes(o, true)}
	if o.X5t != "" {
		item["x5t"] = o.X5t
	}
	if t := tagsOf(o); t != nil {
		item["tags"] = t
	}
	return item
}

// rotationPolicy answers GET /keys/{name}/rotationpolicy. A key without a
// policy of its own has Key Vault's default: notify 30 days before expiry.
func (s *Simulator) rotationPolicy(w http.ResponseWriter, v *Vault, name string) {
	if msg, ok := s.forbiddenPart(v, resource.TypeKey); ok {
		kvError(w, http.StatusForbidden, "Forbidden", "Caller is not authorized ("+msg+").", "ForbiddenByRbac")
		return
	}
	for i := range v.Keys {
		o := &v.Keys[i]
		if !strings.EqualFold(o.Name, name) {
			continue
		}
		p := map[string]any{
			"id": "https://" + s.vaultHost(v) + "/keys/" + o.Name + "/rotationpolicy",
			"lifetimeActions": []any{map[string]any{
				"trigger": map[string]any{"timeBeforeExpiry": "P30D"},
				"action":  map[string]any{"type": "Notify"},
			}},
			"attributes": map[string]any{},
		}
		for k, e := range o.RotationPolicy {
			p[k] = e
		}
		writeJSON(w, http.StatusOK, p)
		return
	}
	kvError(w, http.StatusNotFound, "KeyNotFound", "A key with (name/id) "+name+" was not found in this key vault.", "")
}
