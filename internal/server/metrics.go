package server

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/kvguard/kvguard/internal/store"
)

// metrics are the Prometheus series the server exposes, written by hand
// in the text exposition format: the API's latency by route, the
// durations of finished scans, and (read at scrape time) the findings by
// status and the running scans.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]*histogram // route, status class
	scans    map[string]*histogram    // scan status
}

var (
	requestBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5}
	scanBuckets    = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600}
)

type histogram struct {
	buckets []float64
	counts  []uint64
	sum     float64
	n       uint64
}

func (h *histogram) observe(v float64) {
	for i, b := range h.buckets {
		if v <= b {
			h.counts[i]++
		}
	}
	h.sum += v
	h.n++
}

func newHistogram(b []float64) *histogram {
	return &histogram{buckets: b, counts: make([]uint64, len(b))}
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]*histogram{}, scans: map[string]*histogram{}}
}

func (m *metrics) observeRequest(route string, status int, seconds float64) {
	k := [2]string{route, strconv.Itoa(status/100) + "xx"}
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.requests[k]
	if h == nil {
		h = newHistogram(requestBuckets)
		m.requests[k] = h
	}
	h.observe(seconds)
}

func (m *metrics) observeScan(status string, seconds float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.scans[status]
	if h == nil {
		h = newHistogram(scanBuckets)
		m.scans[status] = h
	}
	h.observe(seconds)
}

func writeHistogram(w io.Writer, name, labels string, h *histogram) {
	for i, b := range h.buckets {
		fmt.Fprintf(w, "%s_bucket{%sle=%q} %d\n", name, labels, strconv.FormatFloat(b, 'g', -1, 64), h.counts[i])
	}
	fmt.Fprintf(w, "%s_bucket{%sle=\"+Inf\"} %d\n", name, labels, h.n)
	fmt.Fprintf(w, "%s_sum{%s} %g\n", name, trimComma(labels), h.sum)
	fmt.Fprintf(w, "%s_count{%s} %d\n", name, trimComma(labels), h.n)
}

func trimComma(s string) string {
	if s != "" && s[len(s)-1] == ',' {
		return s[:len(s)-1]
	}
	return s
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP kvguard_http_request_duration_seconds Time to answer a request, by route and status class.")
	fmt.Fprintln(w, "# TYPE kvguard_http_request_duration_seconds histogram")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if a[0] != b[0] {
			return compare(a[0], b[0])
		}
		return compare(a[1], b[1])
	})
	for _, k := range keys {
		writeHistogram(w, "kvguard_http_request_duration_seconds", fmt.Sprintf("route=%q,code=%q,", k[0], k[1]), m.requests[k])
	}
	fmt.Fprintln(w, "# HELP kvguard_scan_duration_seconds Time from a scan's start to its end, by outcome.")
	fmt.Fprintln(w, "# TYPE kvguard_scan_duration_seconds histogram")
	statuses := make([]string, 0, len(m.scans))
	for k := range m.scans {
		statuses = append(statuses, k)
	}
	slices.Sort(statuses)
	for _, st := range statuses {
		writeHistogram(w, "kvguard_scan_duration_seconds", fmt.Sprintf("status=%q,", st), m.scans[st])
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	sum, err := s.st.Summary(r.Context(), store.ViewFilter{})
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, err.Error())
		return
	}
	scans, _, err := s.st.ScansPage(r.Context(), 0, 100)
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w)
	fmt.Fprintln(w, "# HELP kvguard_findings Resources' current verdicts, by recommendation, severity and effective status.")
	fmt.Fprintln(w, "# TYPE kvguard_findings gauge")
	for _, row := range sum {
		for _, st := range statusOrder {
			fmt.Fprintf(w, "kvguard_findings{recommendation=%q,severity=%q,status=%q} %d\n",
				row.Recommendation.ID, row.Recommendation.Severity, st, countOf(row, st))
		}
	}
	running := 0
	for _, sc := range scans {
		if sc.Status == store.Running {
			running++
		}
	}
	fmt.Fprintln(w, "# HELP kvguard_scans_running Scans running now (among the last 100).")
	fmt.Fprintln(w, "# TYPE kvguard_scans_running gauge")
	fmt.Fprintf(w, "kvguard_scans_running %d\n", running)
}

// countOf is a summary row's count of an effective status.
func countOf(r store.SummaryRow, st string) int64 {
	switch st {
	case "Healthy":
		return r.Healthy
	case "Unhealthy":
		return r.Unhealthy
	case "Unknown":
		return r.Unknown
	case "NotApplicable":
		return r.NotApplicable
	case "Exempt":
		return r.Exempt
	}
	return 0
}
