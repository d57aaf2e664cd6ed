package webauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/store"
)

func TestRole(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    Role
		wantErr bool
	}{
		{"reader", RoleReader, false},
		{"Editor", RoleEditor, false},
		{" ADMIN ", RoleAdmin, false},
		{"none", RoleNone, false},
		{"owner", RoleNone, true},
		{"", RoleNone, true},
	} {
		got, err := ParseRole(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseRole(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err == nil && got != RoleNone && !strings.EqualFold(strings.TrimSpace(tc.in), got.String()) {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
	if RoleNone != 0 || RoleReader != 1 || RoleEditor != 2 || RoleAdmin != 3 {
		t.Error("the roles are not none(0) < reader(1) < editor(2) < admin(3)")
	}
	b, err := json.Marshal(struct{ R Role }{RoleEditor})
	if err != nil || string(b) != `{"R":"editor"}` {
		t.Errorf("JSON %s, %v", b, err)
	}
	if _, err := Role(7).MarshalText(); err == nil {
		t.Error("Role(7) marshalled")
	}
}

func TestParseExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in        string
		want      time.Time
		wantNever bool
		wantErr   string
	}{
		{in: "90d", want: now.Add(90 * 24 * time.Hour)},
		{in: "720h", want: now.Add(720 * time.Hour)},
		{in: "never", wantNever: true},
		{in: "Never", wantNever: true},
		{in: "2027-01-31", want: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)},
		{in: "2027-01-31T10:00:00+01:00", want: time.Date(2027, 1, 31, 9, 0, 0, 0, time.UTC)},
		{in: "", wantErr: "required"},
		{in: "0d", wantErr: "positive"},
		{in: "-5h", wantErr: "not in the future"},
		{in: "2020-01-01", wantErr: "not in the future"},
		{in: "soon", wantErr: "use a duration"},
	} {
		got, never, err := ParseExpiry(tc.in, now)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseExpiry(%q) error %v, want one saying %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || never != tc.wantNever {
			t.Errorf("ParseExpiry(%q) = %s, %v, %v; want %s, %v", tc.in, got, never, err, tc.want, tc.wantNever)
		}
	}
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/scans", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// TestTokenLifecycle: a token is created, used, expires by the clock,
// is revoked; each refusal says why; every change is audited.
func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c := newClock()
			st := openStore(t, e.DSN, c)
			svc, err := New(ctx, Options{Store: st, Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []NewToken{
				{Name: "ci", Role: RoleEditor},
				{Name: "", Role: RoleEditor, Never: true},
				{Name: "ci", Role: RoleNone, Never: true},
				{Name: "ci", Role: RoleEditor, Expires: c.Now().Add(-time.Hour)},
				{Name: "ci", Role: RoleEditor, Expires: c.Now().Add(time.Hour), Never: true},
			} {
				if _, _, err := svc.CreateToken(ctx, "admin", bad); err == nil {
					t.Errorf("CreateToken(%+v) accepted", bad)
				}
			}
			ci, rec, err := svc.CreateToken(ctx, "alice", NewToken{Name: "ci", Role: RoleEditor, Expires: c.Now().Add(24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ci, "kvg_") || len(ci) != 4+43 || rec.Role != "editor" || rec.CreatedBy != "alice" {
				t.Errorf("token %d chars, record %+v", len(ci), rec)
			}
			forever, _, err := svc.CreateToken(ctx, "alice", NewToken{Name: "dashboard", Role: RoleReader, Never: true})
			if err != nil {
				t.Fatal(err)
			}

			id, ok, err := svc.Authenticate(bearer(ci))
			if want := (Identity{Name: "token:ci", Role: RoleEditor, Kind: KindToken}); err != nil || !ok || id != want {
				t.Fatalf("Authenticate = %+v, %v, %v; want %+v", id, ok, err, want)
			}
			used := c.Now()
			c.Add(30 * time.Second)
			_, _, _ = svc.Authenticate(bearer(ci))
			list, _ := svc.Tokens(ctx)
			if !list[0].LastUsed.Equal(used) {
				t.Errorf("last used %s, want %s (written once a minute at most)", list[0].LastUsed, used)
			}
			c.Add(31 * time.Second)
			_, _, _ = svc.Authenticate(bearer(ci))
			list, _ = svc.Tokens(ctx)
			if !list[0].LastUsed.Equal(c.Now()) {
				t.Errorf("last used %s, want %s", list[0].LastUsed, c.Now())
			}

			c.Add(24 * time.Hour)
			if _, ok, err := svc.Authenticate(bearer(ci)); ok || !errors.Is(err, ErrCredential) || !strings.Contains(err.Error(), "expired") {
				t.Errorf("expired token: ok %v, %v", ok, err)
			}
			if id, ok, err := svc.Authenticate(bearer(forever)); !ok || err != nil || id.Role != RoleReader {
				t.Errorf("never-expiring token a day later: %+v, %v, %v", id, ok, err)
			}
			if err := svc.RevokeToken(ctx, "alice", list[1].ID); err != nil {
				t.Fatal(err)
			}
			if err := svc.RevokeToken(ctx, "alice", 999); !errors.Is(err, store.ErrUnknownToken) {
				t.Errorf("revoke unknown: %v", err)
			}

			for _, tc := range []struct {
				name, header, want string
			}{
				{"revoked", "Bearer " + forever, "revoked"},
				{"unknown", "Bearer kvg_" + strings.Repeat("A", 43), "unknown API token"},
				{"not ours", "Bearer eyJhbGciOi.x.y", "not a kvguard API token"},
				{"basic", "Basic YWxpY2U6cHc=", "must be Bearer"},
			} {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("Authorization", tc.header)
				if _, ok, err := svc.Authenticate(r); ok || !errors.Is(err, ErrCredential) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: ok %v, error %v; want one saying %q", tc.name, ok, err, tc.want)
				}
			}
			if _, ok, err := svc.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil)); ok || err != nil {
				t.Errorf("no credential: ok %v, %v; want false, nil", ok, err)
			}

			audit, err := st.Audit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range audit {
				got = append(got, a.Actor+" "+a.Action+" "+a.Entity)
				if strings.Contains(a.Before+a.After, ci[4:]) || strings.Contains(a.Before+a.After, forever[4:]) {
					t.Errorf("the audit log holds a token: %+v", a)
				}
			}
			want := []string{"alice create api-token", "alice create api-token", "alice revoke api-token"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("audit (-want +got):\n%s", diff)
			}
		})
	}
}

// call sends a request with an optional bearer token and JSON body and
// returns the status and the decoded body.
func call(t *testing.T, method, url, token, body string, header ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != `Bearer realm="kvguard"` {
		t.Errorf("%s %s: 401 without the Bearer challenge", method, url)
	}
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// TestTokenAPI: only an admin manages tokens over HTTP; the created token
// is returned once and works; a listing shows neither token nor hash; a
// cross-origin browser request is refused.
func TestTokenAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	st := openStore(t, engines(t)[0].DSN, c)
	svc, err := New(ctx, Options{Store: st, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := server(t, func(string) http.Handler { return protected(svc) })
	admin, _, _ := svc.CreateToken(ctx, "setup", NewToken{Name: "root", Role: RoleAdmin, Never: true})
	reader, _, _ := svc.CreateToken(ctx, "setup", NewToken{Name: "viewer", Role: RoleReader, Never: true})

	for _, tc := range []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"anonymous list", "GET", "/auth/tokens", "", "", http.StatusUnauthorized},
		{"reader list", "GET", "/auth/tokens", reader, "", http.StatusForbidden},
		{"reader create", "POST", "/auth/tokens", reader, `{"name":"x","role":"admin","expires":"never"}`, http.StatusForbidden},
		{"reader revoke", "DELETE", "/auth/tokens/1", reader, "", http.StatusForbidden},
		{"bad token", "GET", "/auth/tokens", "kvg_nope", "", http.StatusUnauthorized},
		{"no expiry", "POST", "/auth/tokens", admin, `{"name":"x","role":"editor"}`, http.StatusBadRequest},
		{"bad role", "POST", "/auth/tokens", admin, `{"name":"x","role":"root","expires":"1d"}`, http.StatusBadRequest},
		{"unknown field", "POST", "/auth/tokens", admin, `{"name":"x","role":"editor","expires":"1d","scope":"all"}`, http.StatusBadRequest},
		{"revoke unknown", "DELETE", "/auth/tokens/999", admin, "", http.StatusNotFound},
	} {
		if got, body := call(t, tc.method, srv.URL+tc.path, tc.token, tc.body); got != tc.want || body["error"] == "" {
			t.Errorf("%s: %d %v; want %d with an error message", tc.name, got, body, tc.want)
		}
	}

	status, created := call(t, "POST", srv.URL+"/auth/tokens", admin, `{"name":"ci","role":"editor","expires":"90d"}`)
	secret, _ := created["token"].(string)
	if status != http.StatusCreated || !strings.HasPrefix(secret, "kvg_") || created["role"] != "editor" || created["createdBy"] != "token:root" {
		t.Fatalf("create: %d %v", status, created)
	}
	if got, body := call(t, "GET", srv.URL+"/auth/me", secret, ""); got != 200 || body["name"] != "token:ci" || body["role"] != "editor" {
		t.Errorf("me with the new token: %d %v", got, body)
	}
	status, list := call(t, "GET", srv.URL+"/auth/tokens", admin, "")
	raw, _ := json.Marshal(list)
	if status != 200 || len(list["tokens"].([]any)) != 3 || strings.Contains(string(raw), secret[4:]) ||
		strings.Contains(string(raw), hashOf(secret)) || strings.Contains(string(raw), `"token"`) {
		t.Errorf("list: %d %s", status, raw)
	}
	// A browser on another site cannot make an admin's browser act.
	if got, _ := call(t, "POST", srv.URL+"/auth/tokens", admin, `{"name":"evil","role":"admin","expires":"never"}`,
		"Sec-Fetch-Site", "cross-site"); got != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", got)
	}
	if got, _ := call(t, "DELETE", srv.URL+"/auth/tokens/3", admin, "", "Origin", "http://evil.example"); got != http.StatusForbidden {
		t.Errorf("cross-origin DELETE: %d, want 403", got)
	}
	id := int(created["id"].(float64))
	if got, _ := call(t, "DELETE", srv.URL+"/auth/tokens/"+strconv.Itoa(id), admin, ""); got != http.StatusNoContent {
		t.Errorf("revoke: %d", got)
	}
	if got, body := call(t, "GET", srv.URL+"/auth/me", secret, ""); got != http.StatusUnauthorized || !strings.Contains(body["error"].(string), "revoked") {
		t.Errorf("revoked token: %d %v", got, body)
	}
}
