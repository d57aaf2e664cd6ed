#!/bin/sh
# Benchmarks the Bicep reader: a generated tree (throughput of the whole
# reader), then the package benchmarks (parsing the corpus and the
# compiler's samples, reading them, and the parser's linearity).
#
#   bench/bicep/run.sh            # from the repository root
set -eu
cd "$(dirname "$0")/../.."
go run ./bench/bicep -files 1000 -vaults 20
go test -run '^$' -bench . -benchtime 5x -benchmem ./internal/source/bicep/
