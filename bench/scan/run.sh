#!/bin/sh
# The whole scan of issue 2's estate: 10,000 vaults and 1,000,000 secrets
# (a 681 MB kvguard snapshot), read, judged and written as a JSON report.
# Generates the estate if it is absent, builds kvguard, runs
#
#   kvguard scan DIR/estate.json --format json -o DIR/out.json
#
# under /usr/bin/time -v and prints wall, user and system time, peak RSS,
# the report's size and the machine's load average before and after: on a
# shared machine, wall time measures the neighbours too.
#
#   bench/scan/run.sh            # estate in a temporary directory, removed after
#   bench/scan/run.sh DIR        # estate in DIR, kept (and reused next time)
#   RUNS=3 bench/scan/run.sh DIR # three scans in a row
#
# Targets (issue 2): under 5 s wall on 2 cores, peak RSS under 1 GiB.
set -eu
cd "$(dirname "$0")/../.."

dir=${1:-}
if [ -z "$dir" ]; then
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"
if [ ! -s "$dir/estate.json" ]; then
	go run ./bench/estate -vaults 10000 -secrets 1000000 -out "$dir"
fi
go build -o "$dir/kvguard" ./cmd/kvguard

runs=${RUNS:-1}
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	before=$(uptime)
	# Exit status 1 is expected: the estate has findings.
	/usr/bin/time -v "$dir/kvguard" scan "$dir/estate.json" --format json -o "$dir/out.json" \
		>/dev/null 2>"$dir/time.txt" || [ $? -eq 1 ]
	after=$(uptime)
	awk -F': ' -v size="$(wc -c <"$dir/out.json")" -v before="$before" -v after="$after" -v run="$i" '
		/Elapsed \(wall clock\)/ { wall = $2 }
		/User time/ { user = $2 }
		/System time/ { sys = $2 }
		/Maximum resident set size/ { rss = $2 }
		END {
			printf "run %d: wall %s  user %s s  sys %s s  peak RSS %.0f MiB  report %.0f MB\n", run, wall, user, sys, rss / 1024, size / 1e6
			printf "  before:%s\n  after: %s\n", before, after
		}' "$dir/time.txt"
done
