package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	azpolicy "github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/managementgroups/armmanagementgroups"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"

	"github.com/kvguard/kvguard/internal/resource"
)

// vaultRecord is a vault (or managed HSM) found by the inventory, with
// what the inventory already knows of it.
type vaultRecord struct {
	id, sub, rg, name, typ string
	// body is the vault's body as the inventory returned it; complete
	// says whether it has every property the recommendations read, so
	// that no ARM GET is needed.
	body     map[string]any
	complete bool
	// apiVersion of the body ("" for a Resource Graph row) and when it
	// was read.
	apiVersion string
	readAt     time.Time
}

// The API versions of the bodies kvguard reads (those of the SDK modules).
const (
	apiKeyVault = "2024-11-01"
	apiMonitor  = "2021-05-01-preview"
)

// graphQuery lists vaults and managed HSMs with the columns of their ARM
// body. id is projected and ordered on, as Resource Graph's paging needs.
const graphQuery = `resources
| where type in~ ('microsoft.keyvault/vaults', 'microsoft.keyvault/managedhsms')
| project id, name, type, location, tags, sku, properties, subscriptionId, resourceGroup
| order by id asc`

// graphBatch is how many subscriptions go into one Resource Graph query:
// Microsoft's guidance is to batch them in groups of fewer than 300.
const graphBatch = 250

// scope resolves the subscriptions to read: those given, those below the
// management groups given, or every subscription the identity can read.
func (s *scanner) scope(ctx context.Context) ([]string, error) {
	subs := dedupe(s.opts.Subscriptions)
	if len(s.opts.ManagementGroups) > 0 {
		mgSubs, err := s.managementGroupSubscriptions(ctx)
		if err != nil {
			if s.opts.NoResourceGraph {
				return nil, err
			}
			// Resource Graph can still query the groups themselves.
			s.log.Warn("could not list the subscriptions of the management groups; counting those Resource Graph reports", "err", err)
		}
		subs = dedupe(append(subs, mgSubs...))
		s.nSubs.Store(int64(len(subs)))
		return subs, nil
	}
	if len(subs) > 0 {
		s.nSubs.Store(int64(len(subs)))
		return subs, nil
	}
	c, err := armsubscriptions.NewClient(s.cred, s.armOpts)
	if err != nil {
		return nil, err
	}
	pager := c.NewListPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, callFailed("list subscriptions", err)
		}
		for _, sub := range page.Value {
			if sub.SubscriptionID == nil {
				continue
			}
			if sub.State != nil && (*sub.State == armsubscriptions.SubscriptionStateDisabled || *sub.State == armsubscriptions.SubscriptionStateDeleted) {
				s.log.Info("skipping subscription", "subscription", *sub.SubscriptionID, "state", *sub.State)
				continue
			}
			subs = append(subs, *sub.SubscriptionID)
			if sub.TenantID != nil && s.tenantID == "" {
				s.tenantID = *sub.TenantID
			}
		}
	}
	if len(subs) == 0 {
		return nil, errors.New("the identity can read no subscription: grant it Reader on the subscriptions to scan, or name them with --subscription")
	}
	s.nSubs.Store(int64(len(subs)))
	return subs, nil
}

func (s *scanner) managementGroupSubscriptions(ctx context.Context) ([]string, error) {
	c, err := armmanagementgroups.NewClient(s.cred, s.armOpts)
	if err != nil {
		return nil, err
	}
	var subs []string
	for _, mg := range s.opts.ManagementGroups {
		pager := c.NewGetDescendantsPager(mg, nil)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return nil, callFailed("list management group "+mg, err)
			}
			for _, d := range page.Value {
				if d.Type != nil && d.Name != nil && strings.HasSuffix(strings.ToLower(*d.Type), "/subscriptions") {
					subs = append(subs, *d.Name)
				}
			}
		}
	}
	return subs, nil
}

// inventory finds the vaults in scope: through Resource Graph, or per
// subscription through ARM when asked to or when Resource Graph refuses.
// The error joins the subscriptions whose vaults could not be listed.
func (s *scanner) inventory(ctx context.Context, subs []string) ([]*vaultRecord, error) {
	if !s.opts.NoResourceGraph {
		recs, err := s.graphInventory(ctx, subs)
		if err == nil {
			if len(s.opts.ManagementGroups) > 0 && len(subs) == 0 {
				s.nSubs.Store(int64(countSubs(recs)))
			}
			return recs, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if len(subs) == 0 {
			return nil, fmt.Errorf("resource graph: %w (and the management groups' subscriptions are unknown, so there is no ARM fallback)", err)
		}
		s.log.Warn("Resource Graph refused the inventory query; listing vaults per subscription through ARM", "err", err)
	}
	return s.armInventory(ctx, subs)
}

func countSubs(recs []*vaultRecord) int {
	seen := map[string]bool{}
	for _, r := range recs {
		seen[strings.ToLower(r.sub)] = true
	}
	return len(seen)
}

func (s *scanner) graphInventory(ctx context.Context, subs []string) ([]*vaultRecord, error) {
	c, err := armresourcegraph.NewClient(s.cred, s.armOpts)
	if err != nil {
		return nil, err
	}
	var recs []*vaultRecord
	seen := map[string]bool{}
	add := func(rows []map[string]any, readAt time.Time) {
		for _, row := range rows {
			if r := graphRecord(row, readAt); r != nil && !seen[resource.Key(r.id)] {
				seen[resource.Key(r.id)] = true
				recs = append(recs, r)
			}
		}
	}
	// Management groups are queried as such (Resource Graph expands them
	// and applies the identity's access); subscriptions in batches, or,
	// besides groups, only those named on the command line.
	batches := subs
	if len(s.opts.ManagementGroups) > 0 {
		req := armresourcegraph.QueryRequest{Query: ptr(graphQuery), ManagementGroups: ptrs(s.opts.ManagementGroups)}
		if err := s.graphPages(ctx, c, req, add); err != nil {
			return nil, err
		}
		batches = dedupe(s.opts.Subscriptions)
	}
	for i := 0; i < len(batches); i += graphBatch {
		batch := batches[i:min(i+graphBatch, len(batches))]
		req := armresourcegraph.QueryRequest{Query: ptr(graphQuery), Subscriptions: ptrs(batch)}
		if err := s.graphPages(ctx, c, req, add); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// graphPages runs one query through all its pages ($skipToken; each page
// costs a query of the quota, which the meter paces).
func (s *scanner) graphPages(ctx context.Context, c *armresourcegraph.Client, req armresourcegraph.QueryRequest, add func([]map[string]any, time.Time)) error {
	format := armresourcegraph.ResultFormatObjectArray
	req.Options = &armresourcegraph.QueryRequestOptions{ResultFormat: &format, Top: ptr(int32(1000))}
	for {
		// callPolicy decodes the rows once, for kvguard; the SDK decodes
		// only the paging members.
		h := &pageHolder{member: "data"}
		resp, err := c.Resources(context.WithValue(ctx, pageKey{}, h), req, nil)
		if err != nil {
			return callFailed("", err)
		}
		if err := h.result(nil); err != nil {
			return fmt.Errorf("resource graph answer: %w", err)
		}
		add(h.items, time.Now())
		if resp.SkipToken == nil || *resp.SkipToken == "" {
			return nil
		}
		req.Options.SkipToken = resp.SkipToken
	}
}

// graphRecord turns a Resource Graph row into a record. The body keeps the
// columns of an ARM body (id, name, type, location, tags, sku,
// properties), with the type spelled as ARM spells it.
func graphRecord(row map[string]any, readAt time.Time) *vaultRecord {
	id, _ := row["id"].(string)
	pid, ok := resource.ParseID(id)
	if !ok {
		return nil
	}
	typ, _ := row["type"].(string)
	body := map[string]any{"id": id, "type": resource.CanonicalType(typ)}
	for _, k := range []string{"name", "location", "tags", "sku", "properties"} {
		if v, ok := row[k]; ok && v != nil {
			body[k] = v
		}
	}
	r := newRecord(id, pid, body)
	r.readAt = readAt
	return r
}

func newRecord(id string, pid resource.ID, body map[string]any) *vaultRecord {
	typ := resource.CanonicalType(pid.FullType())
	return &vaultRecord{
		id: id, sub: pid.Subscription, rg: pid.ResourceGroup, name: pid.Name(), typ: typ,
		body: body, complete: completeBody(typ, body),
	}
}

// completeBody reports whether a vault body has the properties Azure
// always returns for a readable vault (tenantId, sku, and its URI). A
// Resource Graph row for a vault created a moment ago, or one whose
// properties are hidden, lacks them: its body is then read through ARM.
func completeBody(typ string, body map[string]any) bool {
	p, ok := body["properties"].(map[string]any)
	if !ok {
		return false
	}
	uri := "vaultUri"
	if typ == resource.TypeManagedHSM {
		uri = "hsmUri"
	}
	for _, k := range []string{"tenantId", uri} {
		if _, ok := p[k]; !ok {
			return false
		}
	}
	return true
}

// armInventory lists vaults and managed HSMs per subscription through
// ARM (vaults list by subscription at 2024-11-01, which returns full
// bodies; the generic /resources list would not).
func (s *scanner) armInventory(ctx context.Context, subs []string) ([]*vaultRecord, error) {
	var (
		mu   sync.Mutex
		recs []*vaultRecord
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, s.opts.Concurrency)
	)
	for _, sub := range subs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			got, err := s.listSubscriptionVaults(ctx, sub)
			mu.Lock()
			defer mu.Unlock()
			recs = append(recs, got...)
			if err != nil {
				errs = append(errs, &resource.InputError{ResourceID: "/subscriptions/" + sub,
					Msg: "could not list its vaults, which are therefore not judged: " + err.Error(), Err: err})
			}
		}()
	}
	wg.Wait()
	sort.Slice(recs, func(i, j int) bool { return resource.Key(recs[i].id) < resource.Key(recs[j].id) })
	return recs, errors.Join(errs...)
}

func (s *scanner) listSubscriptionVaults(ctx context.Context, sub string) ([]*vaultRecord, error) {
	f, err := s.factory(sub)
	if err != nil {
		return nil, err
	}
	var recs []*vaultRecord
	add := func(raw *http.Response) error {
		items, err := decodeList(raw)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, body := range items {
			id, _ := body["id"].(string)
			pid, ok := resource.ParseID(id)
			if !ok {
				continue
			}
			r := newRecord(id, pid, body)
			r.apiVersion, r.readAt = apiKeyVault, now
			recs = append(recs, r)
		}
		return nil
	}
	vp := f.NewVaultsClient().NewListBySubscriptionPager(nil)
	for vp.More() {
		var raw *http.Response
		if _, err := vp.NextPage(azpolicy.WithCaptureResponse(ctx, &raw)); err != nil {
			return recs, callFailed("list vaults", err)
		}
		if err := add(raw); err != nil {
			return recs, err
		}
	}
	hp := f.NewManagedHsmsClient().NewListBySubscriptionPager(nil)
	for hp.More() {
		var raw *http.Response
		if _, err := hp.NextPage(azpolicy.WithCaptureResponse(ctx, &raw)); err != nil {
			return recs, callFailed("list managed HSMs", err)
		}
		if err := add(raw); err != nil {
			return recs, err
		}
	}
	return recs, nil
}

// decodeList reads the value array of a captured ARM or Key Vault list
// page, numbers as int64/float64 and secret values dropped.
func decodeList(raw *http.Response) ([]map[string]any, error) {
	body, err := payload(raw)
	if err != nil {
		return nil, err
	}
	page, err := decodeMap(body)
	if err != nil {
		return nil, err
	}
	return objects(page, "value"), nil
}

// decodeObject reads one captured JSON object.
func decodeObject(raw *http.Response) (map[string]any, error) {
	body, err := payload(raw)
	if err != nil {
		return nil, err
	}
	return decodeMap(body)
}

func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

func ptr[T any](v T) *T { return &v }

func ptrs(ss []string) []*string {
	out := make([]*string, len(ss))
	for i := range ss {
		out[i] = &ss[i]
	}
	return out
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s == "" || seen[strings.ToLower(s)] {
			continue
		}
		seen[strings.ToLower(s)] = true
		out = append(out, s)
	}
	return out
}
