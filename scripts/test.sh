#!/usr/bin/env bash
# The whole test suite, as the README's quick start runs it: install the
# real clients the tests drive when they are missing, vet, then test every
# package.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh
# The tests ingest the shared corpus, found as ../shared/corpus. A clone
# made elsewhere from a local checkout finds it beside that checkout.
if [ -z "${MUSTER_CORPUS:-}" ] && [ ! -d ../shared/corpus ]; then
	origin=$(git config --get remote.origin.url 2>/dev/null || true)
	if [ -n "$origin" ] && [ -d "$origin/../shared/corpus" ]; then
		export MUSTER_CORPUS="$(cd "$origin/../shared/corpus" && pwd)"
	fi
fi
go vet ./...
# staticcheck at a pinned version, fetched through the Go module proxy.
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
go test -count=1 -timeout 30m ./...
