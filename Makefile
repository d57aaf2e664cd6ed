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

lint: ## gofmt and vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

fuzz: ## run each fuzz target for 60s (FUZZTIME=5m for longer)
	@$(GO) list -f '{{.Dir}}' ./... | while read d; do \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$d/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$d $$t"; (cd $$d && $(GO) test -run XXX -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-60s} -fuzzminimizetime 5s .) || exit 1; \
	  done; done

bench: ## run the Go benchmarks (see bench/ for the large-estate scripts)
	$(GO) test -run XXX -bench . -benchmem ./...

tidy-check: ## fail if go.mod/go.sum are not tidy
	$(GO) mod tidy && git diff --exit-code go.mod go.sum

examples: build ## scan the bundled examples
	./kvguard scan ./examples
