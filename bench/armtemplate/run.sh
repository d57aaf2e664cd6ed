#!/bin/sh
# Benchmarks the ARM template reader over a generated tree of 10,000
# templates (see gen.go): once as a command that prints throughput, once
# as Go benchmarks (throughput, and linearity in count and in size).
#
#   bench/armtemplate/run.sh            # from the repository root
set -eu
cd "$(dirname "$0")/../.."
go run ./bench/armtemplate -n 10000 -resources 12
GOMAXPROCS=1 go test -run '^$' -bench . -benchtime 3x -benchmem ./bench/armtemplate/
