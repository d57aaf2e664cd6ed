package azuresim

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// outcome requests url and says how it was answered: a status, or
// "dropped".
func outcome(t *testing.T, s *Simulator, url string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer principal-a")
	resp, err := s.Client().Do(req)
	if err != nil {
		return "dropped"
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
		t.Errorf("%s: 429 without Retry-After", url)
	}
	return resp.Status[:3]
}

// TestFaultsAreReproducible: which attempt at which request fails depends
// on the seed and the request alone, not on the order requests arrive
// in; a request throttled by ThrottleRate is served on its retry.
func TestFaultsAreReproducible(t *testing.T) {
	t.Parallel()
	e := small()
	var urls []string
	for _, v := range e.Vaults() {
		for _, part := range []string{"", "/secrets", "/keys", "/providers/Microsoft.Insights/diagnosticSettings"} {
			urls = append(urls, v.ID+part+"?api-version=2024-11-01")
		}
	}
	opts := Options{FailRate: 0.2, DropRate: 0.1, ThrottleRate: 0.3, Seed: 7}
	run := func(order []string) map[string][]string {
		s := start(t, e, opts)
		got := map[string][]string{}
		for range 3 {
			for _, u := range order {
				got[u] = append(got[u], outcome(t, s, s.URL()+u))
			}
		}
		return got
	}
	forward := run(urls)
	reversed := slices.Clone(urls)
	slices.Reverse(reversed)
	backward := run(reversed)
	if diff := cmp.Diff(forward, backward); diff != "" {
		t.Errorf("the faults depend on the order of the requests (-forward +backward):\n%s", diff)
	}
	kinds := map[string]int{}
	for _, u := range urls {
		for i, o := range forward[u] {
			kinds[o]++
			if o == "429" && i > 0 {
				t.Errorf("%s: attempt %d throttled; only a first attempt is", u, i+1)
			}
		}
	}
	for _, k := range []string{"200", "429", "500", "503", "dropped"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among %v", k, kinds)
		}
	}

	// Throttling alone: every throttled request is served when retried.
	s := start(t, e, Options{ThrottleRate: 0.5, Seed: 1})
	throttled := 0
	for _, u := range urls {
		first := outcome(t, s, s.URL()+u)
		if first == "429" {
			throttled++
			if again := outcome(t, s, s.URL()+u); again != "200" {
				t.Errorf("%s: %s after a 429, want 200", u, again)
			}
		}
	}
	if throttled == 0 || throttled == len(urls) {
		t.Errorf("%d of %d requests throttled at a rate of 0.5", throttled, len(urls))
	}
}
