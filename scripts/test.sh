#!/usr/bin/env bash
# The whole test suite, as the README's quick start runs it: install the
# real clients the tests drive when they are missing, vet, then test every
# package.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh
go vet ./...
go test -count=1 -timeout 30m ./...
