package live

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azpolicy "github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/keyvault/armkeyvault"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azcertificates"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"

	"github.com/kvguard/kvguard/internal/resource"
)

// armPageSize is the $top of ARM secret lists: 25, the data plane's
// maximum page, which the Key Vault resource provider relays (the ARM spec
// states no maximum). Key lists take no $top and page the same way.
const armPageSize = 25

// child is a body read for a vault: an ARM-plane secret or key, a
// diagnostic setting, a data-plane certificate.
type child struct {
	body       map[string]any
	apiVersion string
	readAt     time.Time
}

// vaultRead is everything read for one vault.
type vaultRead struct {
	rec      *vaultRecord
	children []child
	gaps     []resource.Gap
}

func (v *vaultRead) gap(part string, err error) {
	v.gaps = append(v.gaps, resource.Gap{Part: part, Err: err.Error()})
}

// readAll reads every vault, Concurrency at a time. Vaults are taken in
// turn from each subscription, so that every subscription's rate limit is
// at work at once rather than one after the other. A vault the scan never
// got to (stopped) is still emitted, with gaps.
func (s *scanner) readAll(ctx context.Context, recs []*vaultRecord) {
	order := interleave(recs)
	work := make(chan *vaultRecord)
	var wg sync.WaitGroup
	for range min(s.opts.Concurrency, max(1, len(order))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				s.finish(s.readVault(ctx, r))
			}
		}()
	}
	dispatched := 0
dispatch:
	for _, r := range order {
		if ctx.Err() != nil {
			break
		}
		select {
		case work <- r:
			dispatched++
		case <-ctx.Done():
			break dispatch
		}
	}
	close(work)
	wg.Wait()
	// Vaults never handed to a worker (the scan was stopped): emit what
	// the inventory knew, with a gap for everything else, so that none is
	// silently lost.
	for _, r := range order[dispatched:] {
		s.finish(s.notRead(ctx, r))
	}
}

// interleave orders records round-robin across subscriptions.
func interleave(recs []*vaultRecord) []*vaultRecord {
	var subs []string
	bySub := map[string][]*vaultRecord{}
	for _, r := range recs {
		k := strings.ToLower(r.sub)
		if _, ok := bySub[k]; !ok {
			subs = append(subs, k)
		}
		bySub[k] = append(bySub[k], r)
	}
	out := make([]*vaultRecord, 0, len(recs))
	for i := 0; len(out) < len(recs); i++ {
		for _, k := range subs {
			if i < len(bySub[k]) {
				out = append(out, bySub[k][i])
			}
		}
	}
	return out
}

// stopped describes why a part was not read when the scan was stopped.
func stopped(ctx context.Context) error {
	return fmt.Errorf("not read: %w", context.Cause(ctx))
}

// notRead is the read of a vault the scan never got to.
func (s *scanner) notRead(ctx context.Context, r *vaultRecord) *vaultRead {
	v := &vaultRead{rec: r}
	err := stopped(ctx)
	if !r.complete {
		v.gap(resource.PartProperties, err)
	}
	for _, p := range s.parts(r) {
		v.gap(p, err)
	}
	return v
}

// parts are the parts read for a vault besides its properties.
func (s *scanner) parts(r *vaultRecord) []string {
	if r.typ == resource.TypeManagedHSM {
		return []string{resource.TypeHSMKey, resource.TypeDiagnosticSetting}
	}
	p := []string{resource.TypeSecret, resource.TypeKey, resource.TypeDiagnosticSetting}
	if s.opts.DataPlane {
		p = append(p, resource.TypeCertificate)
	}
	return p
}

// readVault reads one vault: its body when the inventory's is incomplete,
// its secrets and keys through ARM (a managed HSM's keys too: Resource
// Manager lists them, with their attributes, type, size and curve), its
// diagnostic settings, and with DataPlane its certificates with their
// policies and its keys' rotation policies.
func (s *scanner) readVault(ctx context.Context, r *vaultRecord) *vaultRead {
	v := &vaultRead{rec: r}
	f, err := s.factory(r.sub)
	if err != nil {
		v.gap(resource.PartProperties, err)
		return v
	}
	if !r.complete {
		s.readBody(ctx, f, v)
	}
	if r.typ == resource.TypeVault {
		s.readList(ctx, v, resource.TypeSecret, apiKeyVault,
			f.NewSecretsClient().NewListPager(r.rg, r.name, &armkeyvault.SecretsClientListOptions{Top: ptr(int32(armPageSize))}))
		s.readList(ctx, v, resource.TypeKey, apiKeyVault, f.NewKeysClient().NewListPager(r.rg, r.name, nil))
	} else {
		s.readList(ctx, v, resource.TypeHSMKey, apiKeyVault, f.NewManagedHsmKeysClient().NewListPager(r.rg, r.name, nil))
	}
	s.readList(ctx, v, resource.TypeDiagnosticSetting, apiMonitor, s.diag.NewListPager(r.id, nil))
	if s.opts.DataPlane && r.typ == resource.TypeVault {
		s.readDataPlane(ctx, v)
	}
	return v
}

func (s *scanner) readBody(ctx context.Context, f *armkeyvault.ClientFactory, v *vaultRead) {
	r := v.rec
	var raw *http.Response
	var err error
	if r.typ == resource.TypeManagedHSM {
		_, err = f.NewManagedHsmsClient().Get(azpolicy.WithCaptureResponse(ctx, &raw), r.rg, r.name, nil)
	} else {
		_, err = f.NewVaultsClient().Get(azpolicy.WithCaptureResponse(ctx, &raw), r.rg, r.name, nil)
	}
	if err == nil {
		var body map[string]any
		if body, err = decodeObject(raw); err == nil {
			r.body, r.complete, r.apiVersion, r.readAt = body, true, apiKeyVault, time.Now()
			return
		}
	}
	v.gap(resource.PartProperties, s.partError(ctx, "GET "+r.id, err))
}

type diagListResponse = armmonitor.DiagnosticSettingsClientListResponse

// pager is what readList needs of an SDK pager.
type pager interface {
	More() bool
}

// nextPage fetches the next page of any of the SDK pagers kvguard uses
// and returns its items as Azure sent them (decoded by callPolicy).
func nextPage(ctx context.Context, p pager) ([]map[string]any, error) {
	h := &pageHolder{}
	cctx := context.WithValue(ctx, pageKey{}, h)
	var err error
	switch x := p.(type) {
	case *runtime.Pager[armkeyvault.SecretsClientListResponse]:
		_, err = x.NextPage(cctx)
	case *runtime.Pager[armkeyvault.KeysClientListResponse]:
		_, err = x.NextPage(cctx)
	case *runtime.Pager[armkeyvault.ManagedHsmKeysClientListResponse]:
		_, err = x.NextPage(cctx)
	case *runtime.Pager[diagListResponse]:
		_, err = x.NextPage(cctx)
	case *runtime.Pager[azcertificates.ListCertificatePropertiesResponse]:
		_, err = x.NextPage(cctx)
	default:
		return nil, fmt.Errorf("unsupported pager %T", p)
	}
	return h.items, h.result(err)
}

// readList reads every page of one list into the vault's children; a
// failure becomes a gap for part (what was read before it is kept: the gap
// still makes the verdict Unknown).
func (s *scanner) readList(ctx context.Context, v *vaultRead, part, apiVersion string, p pager) {
	for p.More() {
		items, err := nextPage(ctx, p)
		if err != nil {
			v.gap(part, s.partError(ctx, "list "+listName(part)+" of "+v.rec.id, err))
			return
		}
		now := time.Now()
		for _, it := range items {
			resource.StripSecretValues(it)
			v.children = append(v.children, child{body: it, apiVersion: apiVersion, readAt: now})
		}
	}
}

func listName(part string) string {
	switch part {
	case resource.TypeSecret:
		return "secrets"
	case resource.TypeKey, resource.TypeHSMKey:
		return "keys"
	case resource.TypeCertificate:
		return "certificates"
	case resource.TypeDiagnosticSetting:
		return "diagnostic settings"
	}
	return part
}

// readDataPlane reads certificates and the rotation policies of keys whose
// ARM body has none, from the vault's own vaultUri, never from a URL built
// from a DNS suffix.
func (s *scanner) readDataPlane(ctx context.Context, v *vaultRead) {
	props, _ := v.rec.body["properties"].(map[string]any)
	uri, _ := props["vaultUri"].(string)
	u, err := url.Parse(uri)
	switch {
	case uri == "" || err != nil || u.Scheme != "https":
		v.gap(resource.TypeCertificate, fmt.Errorf("the vault's properties.vaultUri %q is unknown or not https, so its data plane was not read", uri))
		return
	case !s.cloud.vaultHostAllowed(u.Hostname()):
		v.gap(resource.TypeCertificate, fmt.Errorf("vaultUri %s is not under the cloud's Key Vault DNS suffix %s: not sending it a token", uri, s.cloud.KeyVaultDNSSuffix))
		return
	}
	s.meter.registerVault(u.Hostname(), v.rec.sub)
	certs, err := azcertificates.NewClient(uri, s.cred, &azcertificates.ClientOptions{ClientOptions: s.kvOpts})
	if err != nil {
		v.gap(resource.TypeCertificate, err)
		return
	}
	first := len(v.children)
	s.readList(ctx, v, resource.TypeCertificate, "7.6", certs.NewListCertificatePropertiesPager(nil))
	s.readCertificates(ctx, v, certs, uri, v.children[first:])
	keys, err := azkeys.NewClient(uri, s.cred, &azkeys.ClientOptions{ClientOptions: s.kvOpts})
	if err != nil {
		v.gap(resource.PartKeyRotationPolicy, err)
		return
	}
	for _, c := range v.children {
		if !strings.EqualFold(fmt.Sprint(c.body["type"]), resource.TypeARMKey) {
			continue
		}
		kp, _ := c.body["properties"].(map[string]any)
		if kp == nil || kp["rotationPolicy"] != nil {
			continue
		}
		name, _ := c.body["name"].(string)
		var raw *http.Response
		if _, err := keys.GetKeyRotationPolicy(azpolicy.WithCaptureResponse(ctx, &raw), name, nil); err != nil {
			v.gap(resource.PartKeyRotationPolicy, s.partError(ctx, "get the rotation policy of key "+name+" in "+uri, err))
			return
		}
		pol, err := decodeObject(raw)
		if err != nil {
			v.gap(resource.PartKeyRotationPolicy, err)
			return
		}
		delete(pol, "id")
		kp["rotationPolicy"] = pol
	}
}

// readCertificates replaces each listed certificate by its bundle (GET
// /certificates/{name}): its policy (key type, size, curve, validity,
// issuer, lifetime actions) and its public X.509 certificate (cer), whose
// issuer is the CA that signed it. The bundle holds no private key: Key
// Vault keeps that in the backing secret, which kvguard never reads. The
// first failure is a certificate-policy gap (resource.PartCertificatePolicy),
// and the rest are not asked for: the listed certificates keep their
// attributes (what expiry rules read), the rules reading their policies
// are Unknown anyway.
func (s *scanner) readCertificates(ctx context.Context, v *vaultRead, certs *azcertificates.Client, uri string, listed []child) {
	if _, failed := gapFor(v.gaps, resource.TypeCertificate); failed {
		return
	}
	for i := range listed {
		c := &listed[i]
		id, _ := c.body["id"].(string)
		name := resource.ObjectNameFromURL(id)
		if name == "" {
			continue
		}
		var raw *http.Response
		if _, err := certs.GetCertificate(azpolicy.WithCaptureResponse(ctx, &raw), name, "", nil); err != nil {
			v.gap(resource.PartCertificatePolicy, s.partError(ctx, "get certificate "+name+" in "+uri, err))
			return
		}
		bundle, err := decodeObject(raw)
		if err != nil {
			v.gap(resource.PartCertificatePolicy, fmt.Errorf("certificate %s in %s: %w", name, uri, err))
			return
		}
		resource.StripSecretValues(bundle)
		c.body, c.readAt = bundle, time.Now()
	}
}

func gapFor(gaps []resource.Gap, part string) (resource.Gap, bool) {
	for _, g := range gaps {
		if g.Part == part {
			return g, true
		}
	}
	return resource.Gap{}, false
}

// partError words a failed read for a gap: what was asked, the status and
// Azure's error code and message, or why the scan stopped.
func (s *scanner) partError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return stopped(ctx)
	}
	return callFailed(what, err)
}

// callError is a failed Azure call: what was asked, and the SDK's error.
// It reads as describe renders the error (status, code, message) and
// unwraps to it, so that a context's deadline or cancellation, or an
// azcore.ResponseError, is still recognised by errors.Is and errors.As.
type callError struct {
	what string
	err  error
}

func callFailed(what string, err error) error { return &callError{what: what, err: err} }

func (e *callError) Error() string {
	if e.what == "" {
		return describe(e.err)
	}
	return e.what + ": " + describe(e.err)
}
func (e *callError) Unwrap() error { return e.err }

// describe renders an SDK error in one line: "403 AuthorizationFailed:
// message" for an Azure answer, the transport error otherwise.
func describe(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		msg := ""
		if re.RawResponse != nil {
			if body, perr := runtime.Payload(re.RawResponse); perr == nil {
				var e struct {
					Error struct {
						Code    string `json:"code"`
						Message string `json:"message"`
					} `json:"error"`
				}
				if decodeJSON(body, &e) == nil {
					msg = e.Error.Message
				}
			}
		}
		out := fmt.Sprintf("%d %s", re.StatusCode, re.ErrorCode)
		if msg != "" {
			out += ": " + msg
		}
		return out
	}
	return err.Error()
}

// finish writes a vault's bodies to the snapshot and emits its documents.
func (s *scanner) finish(v *vaultRead) {
	r := v.rec
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if r.body == nil {
		r.body = map[string]any{}
	}
	if _, ok := r.body["id"]; !ok {
		r.body["id"] = r.id
	}
	if _, ok := r.body["name"]; !ok {
		r.body["name"] = r.name
	}
	r.body["type"] = r.typ
	if p, ok := r.body["properties"].(map[string]any); ok && s.tenantID == "" {
		s.tenantID, _ = p["tenantId"].(string)
	}
	if s.snap != nil {
		s.snap.add(r.body, r.apiVersion, r.readAt)
	}
	doc := &resource.Document{
		ID: r.id, Type: r.typ, Name: r.name, Body: r.body, Gaps: v.gaps,
		Source: resource.Provenance{Kind: "azure", APIVersion: r.apiVersion, ReadAt: r.readAt},
	}
	if len(v.gaps) > 0 {
		s.unread[kindOf(r.typ)].Add(1)
		for _, g := range v.gaps {
			if s.snap != nil {
				s.snap.gap(r.id, g)
			}
			s.log.Debug("vault part not read", "vault", r.id, "part", g.Part, "err", g.Err)
		}
	} else {
		s.judged[kindOf(r.typ)].Add(1)
	}
	s.emit(doc)
	for _, c := range v.children {
		if s.snap != nil {
			s.snap.add(c.body, c.apiVersion, c.readAt)
		}
		d, ok := fromAzureBody(c.body)
		if !ok {
			continue
		}
		// Components and related resources point at the vault's document
		// exactly as it was emitted.
		if d.Parent.ID != "" {
			d.Parent = resource.Ref{ID: r.id}
		}
		d.Source = resource.Provenance{Kind: "azure", APIVersion: c.apiVersion, ReadAt: c.readAt}
		s.emit(d)
	}
}
