# kvguard developer tasks. `make help` lists them.
GO ?= go

.PHONY: help build test race golden lint fuzz bench tidy-check examples

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

build: ## build ./kvguard
	$(GO) build -o kvguard ./cmd/kvguard

test: ## vet and run every test with the race detector (what CI runs)
	$(GO) vet ./... && $(GO) test -race ./...

golden: ## regenerate golden files after an intended output change
	$(GO) test ./... -update

lint: ## gofmt, vet and golangci-lint (pinned in tools/go.mod; what CI runs)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) tool -modfile=tools/go.mod golangci-lint run ./...

# FUZZTIME is how long each fuzz target runs. -timeout 0: go test's
# default of 10m would stop a longer run.
FUZZTIME ?= 2m

fuzz: ## run every fuzz target for FUZZTIME each (default 2m); fails if any fails, whose input Go keeps in testdata/fuzz/<Target>/
	@pkgs=$$($(GO) list -f '{{.ImportPath}}={{.Dir}}' ./...) || exit 1; failed=; \
	for p in $$pkgs; do pkg=$${p%%=*}; dir=$${p#*=}; \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$dir/*_test.go 2>/dev/null); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s -timeout 0 $$pkg \
	      || failed="$$failed $$pkg.$$t"; \
	  done; done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed (inputs kept under each package's testdata/fuzz/; commit them with the fix)"; exit 1; fi

bench: ## run the Go benchmarks (see bench/ for the large-estate scripts)
	$(GO) test -run XXX -bench . -benchmem ./...

tidy-check: ## fail if go.mod/go.sum are not tidy
	$(GO) mod tidy && git diff --exit-code go.mod go.sum

examples: build ## scan the bundled examples
	./kvguard scan ./examples
