#!/usr/bin/env bash
# The whole test suite, as the README's quick start runs it: install the
# real clients the tests drive when they are missing, vet, then test every
# package.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh
go vet ./...
# staticcheck at a pinned version, fetched through the Go module proxy.
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
go test -count=1 -timeout 30m ./...
