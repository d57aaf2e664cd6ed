package azuresim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// tokenClaims is what a simulator token says. Tokens are opaque to
// clients, as Azure's are to azidentity.
type tokenClaims struct {
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	Tenant   string `json:"tid"`
	Expires  int64  `json:"exp"`
}

const tokenPrefix = "kvsim."

func (s *Simulator) issue(c tokenClaims) string {
	payload, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.signKey)
	mac.Write([]byte(p))
	return tokenPrefix + p + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verify checks a token the simulator issued. ok is false for a token it
// did not issue (foreign) or one that is forged or expired (bad).
func (s *Simulator) verify(tok string) (c tokenClaims, foreign, ok bool) {
	rest, found := strings.CutPrefix(tok, tokenPrefix)
	if !found {
		return c, true, false
	}
	p, sig, found := strings.Cut(rest, ".")
	if !found {
		return c, false, false
	}
	mac := hmac.New(sha256.New, s.signKey)
	mac.Write([]byte(p))
	want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return c, false, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return c, false, false
	}
	return c, false, time.Now().Unix() < c.Expires
}

// serveToken answers Entra ID's OpenID configuration and the v2.0 token
// endpoint for the client-credentials grant, the flow of
// azidentity.ClientSecretCredential and EnvironmentCredential.
func (s *Simulator) serveToken(w http.ResponseWriter, r *http.Request) {
	segs := segments(r.URL.Path)
	// "adfs" is the authority of an Azure Stack (AD FS) cloud, which has
	// no tenant in its path. Clients that take it (the Azure CLI, when a
	// cloud's activeDirectory endpoint ends in /adfs) skip Entra ID's
	// instance discovery at login.microsoftonline.com, so they can sign in
	// to the simulator without reaching for a real host.
	adfs := len(segs) > 0 && strings.EqualFold(segs[0], "adfs")
	if len(segs) == 0 || (!adfs && !strings.EqualFold(segs[0], s.estate.TenantID)) {
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found. The simulator serves tenant " + s.estate.TenantID + " only.",
		})
		return
	}
	base := s.baseURL + "/" + s.estate.TenantID
	if adfs {
		base = s.baseURL + "/adfs"
	}
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		writeJSON(w, http.StatusOK, map[string]any{
			"token_endpoint":                        base + "/oauth2/v2.0/token",
			"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
			"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
			"issuer":                                base + "/v2.0",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
			"response_types_supported":              []string{"code", "token"},
			"tenant_region_scope":                   "EU",
		})
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
		s.grant(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "not_found", "error_description": "the simulator serves the client-credentials token endpoint only"})
	}
}

func (s *Simulator) grant(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type",
			"error_description": "AADSTS70003: the simulator supports the client_credentials grant only, not " + gt})
		return
	}
	if r.PostForm.Get("client_id") != s.opts.ClientID || r.PostForm.Get("client_secret") != s.opts.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client",
			"error_description": "AADSTS7000215: Invalid client secret provided, or unknown client."})
		return
	}
	aud := ""
	for _, sc := range strings.Fields(r.PostForm.Get("scope")) {
		if a, ok := strings.CutSuffix(sc, "/.default"); ok {
			aud = a
			break
		}
	}
	if aud == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_scope",
			"error_description": "AADSTS1002012: the scope must be <resource>/.default"})
		return
	}
	const lifetime = time.Hour
	tok := s.issue(tokenClaims{Subject: s.opts.ClientID, Audience: aud, Tenant: s.estate.TenantID, Expires: time.Now().Add(lifetime).Unix()})
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": int(lifetime.Seconds()) - 1, "ext_expires_in": int(lifetime.Seconds()) - 1,
		"access_token": tok,
	})
}

// authenticate checks the bearer token of an ARM, Resource Graph or data
// plane request and returns the principal it names. Tokens the simulator
// issued must be unexpired and for the right audience; any other bearer
// token is accepted as its own principal, so that tests can use a static
// credential. A data-plane request without a token gets Key Vault's 401
// challenge.
func (s *Simulator) authenticate(w http.ResponseWriter, r *http.Request, plane string) (string, bool) {
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found || tok == "" {
		if plane == "dataplane" {
			w.Header().Set("WWW-Authenticate",
				`Bearer authorization="`+s.baseURL+"/"+s.estate.TenantID+`", resource="`+s.vaultResource+`"`)
			kvError(w, http.StatusUnauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", "")
			return "", false
		}
		armError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
		return "", false
	}
	c, foreign, ok := s.verify(tok)
	if foreign {
		sum := sha256.Sum256([]byte(tok))
		return "bearer-" + hex.EncodeToString(sum[:6]), true
	}
	if !ok {
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid or has expired.")
		return "", false
	}
	want := s.armAudience
	if plane == "dataplane" {
		want = s.vaultResource
	}
	if !sameAudience(c.Audience, want) {
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationTokenAudience",
			"The access token has been obtained for the wrong audience or resource '"+c.Audience+"'. It should exactly match '"+want+"'.")
		return c.Subject, false
	}
	return c.Subject, true
}

func sameAudience(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}
