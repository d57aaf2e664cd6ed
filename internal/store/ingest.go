package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"iter"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

// ResourceInfo describes a judged resource. It holds names, types and
// places in code: never a value.
type ResourceInfo struct {
	ID string
	// Deployment tells apart the copies of a planned (IaC) resource
	// declared by several deployments; "" for resources that exist.
	Deployment  string
	Name        string
	Type        string
	SourceKind  string
	File        string
	Line        int
	Address     string
	Placeholder bool
	// Tags feed owner rules; the result model has none, the server may
	// add them.
	Tags map[string]string
}

// Row is one verdict: a recommendation on a resource, or on one of its
// components (secret, key, certificate) when Component names it.
type Row struct {
	Resource       *ResourceInfo
	Recommendation string
	Component      string
	Status         assess.Status
	Reason         string
}

// RecommendationInfo is what the store keeps of a recommendation.
type RecommendationInfo struct {
	ID, Title, Severity, Type string
}

// Resource numbers. Each ingest call numbers the resources it stages
// from a random base, upwards: its rows are appended to the staging
// index instead of scattered through it. A resource an earlier ingest of
// the scan staged keeps that ingest's number (see renumber). Bases are
// multiples of noSpan drawn from 2^40 values: two ingests of one scan
// drawing the same base (one chance in 10^6 with a thousand ingests) are
// refused by the unique index staged_resources_no, never merged.
const noSpan = 1 << 22

func randomBase() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return int64(1+binary.LittleEndian.Uint64(b[:])%(1<<40-1)) * noSpan
}

// stagedResource is a resource this ingest staged, and its number.
type stagedResource struct {
	ri *ResourceInfo
	no int64
}

// stager writes one Ingest call's rows into the scan's staging tables.
type stager struct {
	sc        *Scan
	resources *batch
	results   *batch
	// seen holds the resources staged by this call, by the hash of their
	// ID and deployment.
	seen map[uint64][]stagedResource
	// bases are the bases this call drew, base the latest; next is the
	// next number.
	bases      []int64
	base, next int64
	// last is the resource of the previous row (rows come grouped by
	// resource), and lastNo its number.
	last   *ResourceInfo
	lastNo int64
}

func (sc *Scan) newStager(tx *sql.Tx) *stager {
	s := sc.s
	base := randomBase()
	return &stager{sc: sc, seen: map[uint64][]stagedResource{}, bases: []int64{base}, base: base, next: base,
		resources: s.newBatch(tx, `INSERT INTO staged_resources (scan_id, resource_id, deployment, resource_no, latest_no,
			name, type, subscription, resource_group, source_kind, file, line, address, placeholder, tags) VALUES `,
			`ON CONFLICT (scan_id, resource_id, deployment) DO UPDATE SET latest_no = excluded.latest_no,
			name = excluded.name, type = excluded.type,
			subscription = excluded.subscription, resource_group = excluded.resource_group,
			source_kind = excluded.source_kind, file = excluded.file, line = excluded.line,
			address = excluded.address, placeholder = excluded.placeholder, tags = excluded.tags`, 15),
		results: s.newBatch(tx, `INSERT INTO staged_results (scan_id, resource_no, recommendation_id,
			component, status, reason) VALUES `,
			`ON CONFLICT (scan_id, resource_no, recommendation_id, component)
			DO UPDATE SET status = excluded.status, reason = excluded.reason`, 6),
	}
}

func checkRow(r Row) error {
	if r.Resource == nil || r.Resource.ID == "" {
		return fmt.Errorf("a row of recommendation %q has no resource ID", r.Recommendation)
	}
	if r.Recommendation == "" {
		return fmt.Errorf("%s: a row has no recommendation", r.Resource.ID)
	}
	switch r.Status {
	case assess.Healthy, assess.Unhealthy, assess.NotApplicable, assess.Unknown, assess.Exempt:
	default:
		return fmt.Errorf("%s: recommendation %s: unknown status %q", r.Resource.ID, r.Recommendation, r.Status)
	}
	return nil
}

// resource stages ri the first time this call meets it and returns its
// number.
func (st *stager) resource(ctx context.Context, ri *ResourceInfo) (int64, error) {
	if ri == st.last {
		return st.lastNo, nil
	}
	h := hashKey(ri.ID, ri.Deployment)
	for _, x := range st.seen[h] {
		if x.ri.ID == ri.ID && x.ri.Deployment == ri.Deployment {
			st.last, st.lastNo = ri, x.no
			return x.no, nil
		}
	}
	if st.next == st.base+noSpan {
		st.base = randomBase()
		st.next = st.base
		st.bases = append(st.bases, st.base)
	}
	no := st.next
	st.next++
	st.seen[h] = append(st.seen[h], stagedResource{ri, no})
	st.last, st.lastNo = ri, no
	sub, rg := scopeOf(ri.ID)
	tags, err := tagsJSON(ri.Tags)
	if err != nil {
		return 0, fmt.Errorf("%s: tags: %w", ri.ID, err)
	}
	placeholder := 0
	if ri.Placeholder {
		placeholder = 1
	}
	if err := st.resources.addHashed(ctx, h, st.sc.id, ri.ID, ri.Deployment, no, no, ri.Name, ri.Type,
		sub, rg, ri.SourceKind, ri.File, ri.Line, ri.Address, placeholder, tags); err != nil {
		return 0, err
	}
	return no, nil
}

func (st *stager) add(ctx context.Context, r Row) error {
	if err := checkRow(r); err != nil {
		return err
	}
	no, err := st.resource(ctx, r.Resource)
	if err != nil {
		return err
	}
	key := hashKey(r.Recommendation, r.Component) ^ uint64(no)
	return st.results.addHashed(ctx, key, st.sc.id, no, r.Recommendation, r.Component, string(r.Status), r.Reason)
}

// renumber gives the rows of the resources an earlier ingest of the scan
// staged (a retried job) that ingest's number, the rows they replace
// deleted: a retry overwrites verdicts, never duplicates them. Without
// a retry it reads this ingest's resources and changes nothing. It
// returns how many staged rows it deleted.
func (st *stager) renumber(ctx context.Context) (deleted int64, err error) {
	s, tx := st.sc.s, st.resources.tx
	rows, err := tx.QueryContext(ctx, s.q(`SELECT resource_no, latest_no FROM staged_resources
		WHERE scan_id = ? AND latest_no <> resource_no`), st.sc.id)
	if err != nil {
		return 0, fmt.Errorf("retried resources: %w", err)
	}
	type pair struct{ old, new int64 }
	var retried []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.old, &p.new); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("retried resources: %w", err)
		}
		if st.ours(p.new) {
			retried = append(retried, p)
		}
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("retried resources: %w", err)
	}
	for _, p := range retried {
		for _, q := range []string{
			`DELETE FROM staged_results WHERE scan_id = ? AND resource_no = ? AND EXISTS (SELECT 1 FROM staged_results n
				WHERE n.scan_id = staged_results.scan_id AND n.resource_no = ?
				AND n.recommendation_id = staged_results.recommendation_id AND n.component = staged_results.component)`,
			`UPDATE staged_results SET resource_no = ? WHERE scan_id = ? AND resource_no = ?`,
			`UPDATE staged_resources SET latest_no = resource_no WHERE scan_id = ? AND resource_no = ?`,
		} {
			args := []any{st.sc.id, p.old, p.new}
			switch {
			case strings.HasPrefix(q, "UPDATE staged_results"):
				args = []any{p.old, st.sc.id, p.new}
			case strings.HasPrefix(q, "UPDATE staged_resources"):
				args = []any{st.sc.id, p.old}
			}
			res, err := tx.ExecContext(ctx, s.q(q), args...)
			if err != nil {
				return 0, fmt.Errorf("renumber retried resource: %w", err)
			}
			if strings.HasPrefix(q, "DELETE") {
				n, err := res.RowsAffected()
				if err != nil {
					return 0, fmt.Errorf("renumber retried resource: %w", err)
				}
				deleted += n
			}
		}
	}
	return deleted, nil
}

// ours reports whether this ingest gave out number no.
func (st *stager) ours(no int64) bool {
	for _, b := range st.bases {
		if no >= b && no < b+noSpan {
			return true
		}
	}
	return false
}

func (st *stager) close() { st.resources.close(); st.results.close() }

func tagsJSON(tags map[string]string) (string, error) {
	if len(tags) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(tags) // map keys are sorted: the same tags, the same text
	return string(b), err
}

// scopeOf returns the subscription ID and the resource group's ID
// (lower case, as Azure compares them) of an Azure resource ID, or "".
func scopeOf(id string) (sub, rg string) {
	parts := strings.Split(strings.ToLower(id), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "subscriptions" && sub == "" {
			sub = parts[i+1]
		}
		if parts[i] == "resourcegroups" && sub != "" && rg == "" {
			rg = "/subscriptions/" + sub + "/resourcegroups/" + parts[i+1]
		}
	}
	return sub, rg
}

// IngestRows stages rows in one transaction: when it returns nil they
// are acknowledged (they survive a crash) but not current until
// Complete. Ingesting the same rows again (a retried job) overwrites
// them: rows are keyed by scan × resource × recommendation × component.
func (sc *Scan) IngestRows(ctx context.Context, rows iter.Seq[Row], recs []RecommendationInfo, errs []*resource.InputError) error {
	return sc.ingest(ctx, rows, func() ([]RecommendationInfo, []*resource.InputError, error) { return recs, errs, nil })
}

// ingest stages rows, then what tail returns once they are read (a
// streamed report names its recommendations and errors anywhere), all in
// one transaction; an error from tail rolls everything back.
func (sc *Scan) ingest(ctx context.Context, rows iter.Seq[Row], tail func() ([]RecommendationInfo, []*resource.InputError, error)) error {
	s := sc.s
	return s.inConnTx(ctx, fmt.Sprintf("ingest into scan %d", sc.id), func(conn *sql.Conn, tx *sql.Tx) error {
		if err := sc.checkRunning(ctx, tx); err != nil {
			return err
		}
		st := sc.newStager(tx)
		defer st.close()
		if s.engine == Postgres {
			copyInto(st.results, conn, "staged_results",
				[]string{"scan_id", "resource_no", "recommendation_id", "component", "status", "reason"},
				func(row []any) string { return fmt.Sprint(row[1], "\x00", row[2], "\x00", row[3]) })
		}
		if err := stage(ctx, st, rows); err != nil {
			return err
		}
		deleted, err := st.renumber(ctx)
		if err != nil {
			return err
		}
		recs, errs, err := tail()
		if err != nil {
			return err
		}
		if err := s.putRecommendations(ctx, tx, recs); err != nil {
			return err
		}
		if err := sc.putErrors(ctx, tx, errs); err != nil {
			return err
		}
		// The scan's staged rows: on PostgreSQL, when every row was
		// COPYed (new rows, numbered by this ingest), added up, less the
		// rows a retry replaced; that is exact with ingests of the scan
		// committing side by side, and spares counting a million rows
		// (0.2–0.4 s). Otherwise, or on SQLite, counted.
		results := "(SELECT COUNT(*) FROM staged_results WHERE scan_id = ?)"
		arg := any(sc.id)
		switch {
		case s.engine == Postgres && st.results.copy != nil && !st.results.fellBack:
			results, arg = "results + ?", st.results.copied-deleted
		default:
			// The count must see another ingest of the scan committing
			// meanwhile (that ingest holds the row until it commits).
			if err := sc.lockRow(ctx, tx); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE scans SET results = `+results+`,
			input_errors = (SELECT COUNT(*) FROM scan_errors WHERE scan_id = ?), lease_until = ? WHERE id = ?`),
			arg, sc.id, s.now()+s.opts.Lease.Milliseconds(), sc.id)
		return err
	})
}

// checkRunning refuses to ingest into a scan that was failed, completed
// or taken over.
func (sc *Scan) checkRunning(ctx context.Context, tx *sql.Tx) error {
	var status string
	if err := tx.QueryRowContext(ctx, sc.s.q("SELECT status FROM scans WHERE id = ?"), sc.id).Scan(&status); err != nil {
		return err
	}
	if status != string(Running) {
		return fmt.Errorf("scan is %s: %w", status, errNotRunning)
	}
	return nil
}

func (s *Store) putRecommendations(ctx context.Context, tx *sql.Tx, recs []RecommendationInfo) error {
	b := s.newBatch(tx, "INSERT INTO recommendations (id, title, severity, type) VALUES ",
		"ON CONFLICT (id) DO UPDATE SET title = excluded.title, severity = excluded.severity, type = excluded.type", 4)
	defer b.close()
	for _, r := range recs {
		if err := b.add(ctx, r.ID, r.ID, r.Title, r.Severity, r.Type); err != nil {
			return err
		}
	}
	return b.flush(ctx)
}

// putErrors stores input problems keyed by a hash of their content, so
// that a retried ingest does not repeat them.
func (sc *Scan) putErrors(ctx context.Context, tx *sql.Tx, errs []*resource.InputError) error {
	b := sc.s.newBatch(tx, "INSERT INTO scan_errors (scan_id, seq, severity, file, line, col, resource_id, message) VALUES ",
		"ON CONFLICT (scan_id, seq) DO NOTHING", 8)
	defer b.close()
	for _, e := range errs {
		sev := "error"
		if e.Warning {
			sev = "warning"
		}
		msg := e.Msg // the message the JSON report writes
		h := fnv.New64a()
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%s\x00%s", sev, e.Pos.File, e.Pos.Line, e.Pos.Col, e.ResourceID, msg)
		seq := int64(h.Sum64() >> 1)
		if err := b.add(ctx, fmt.Sprint(seq), sc.id, seq, sev, e.Pos.File, e.Pos.Line, e.Pos.Col, e.ResourceID, msg); err != nil {
			return err
		}
	}
	return b.flush(ctx)
}

// Ingest stages a scan's result model (see IngestRows): every
// assessment, each of its components, the recommendations and the
// input problems. It reads the assessments through Result.All, as the
// report writers do.
func (sc *Scan) Ingest(ctx context.Context, res *assess.Result) error {
	recs := make([]RecommendationInfo, 0, len(res.Recommendations))
	for _, r := range res.Recommendations {
		recs = append(recs, RecommendationInfo{ID: r.ID, Title: r.Title, Severity: string(r.Severity), Type: r.Type})
	}
	var errs []*resource.InputError
	for e := range res.AllErrors() {
		errs = append(errs, e)
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("ingest into scan %d: read the input problems: %w", sc.id, err)
	}
	if err := sc.IngestRows(ctx, resultRows(res), recs, errs); err != nil {
		return err
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("ingest into scan %d: read the assessments back: %w", sc.id, err)
	}
	return nil
}

// resultRows turns assessments into rows, sharing one ResourceInfo per
// resource so it is staged once.
func resultRows(res *assess.Result) iter.Seq[Row] {
	return func(yield func(Row) bool) {
		var last *ResourceInfo
		for a := range res.All() {
			r := &a.Resource
			if last == nil || last.ID != r.ID || last.Deployment != r.Deployment {
				last = &ResourceInfo{ID: r.ID, Deployment: r.Deployment, Name: r.Name, Type: r.Type,
					SourceKind: r.Source.Kind, File: r.Source.File, Line: r.Source.StartLine, Address: r.Source.Address,
					Placeholder: r.Placeholder}
			}
			if !yield(Row{Resource: last, Recommendation: a.Recommendation.ID, Status: a.Status, Reason: a.Reason}) {
				return
			}
			for i := range a.Components {
				c := &a.Components[i]
				if !yield(Row{Resource: last, Recommendation: a.Recommendation.ID, Component: c.Name, Status: c.Status, Reason: c.Reason}) {
					return
				}
			}
		}
	}
}
