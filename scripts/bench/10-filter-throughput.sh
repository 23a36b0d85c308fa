#!/usr/bin/env bash
# Filter throughput (issue 3 item 8): bp-filter file mode vs a plain PCRE2-JIT loop.
exec bash "$(dirname "$0")/../bench-filter.sh"
