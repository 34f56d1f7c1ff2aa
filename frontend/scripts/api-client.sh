#!/usr/bin/env bash
# Regenerates the typed API client from the backend's OpenAPI document, or (with --check) fails when the
# committed client no longer matches the backend.
set -euo pipefail
cd "$(dirname "$0")/.."

spec=openapi.json
types=src/lib/api/schema.d.ts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd .. && env -i PATH="$PATH" HOME="$HOME" uv run --frozen --quiet scrapeflow openapi) >"$work/openapi.json"
npx --no-install openapi-typescript "$work/openapi.json" -o "$work/schema.d.ts" >/dev/null
npx --no-install prettier --log-level warn --write "$work/schema.d.ts"

if [[ "${1:-}" == "--check" ]]; then
  if ! cmp -s "$work/openapi.json" "$spec" || ! cmp -s "$work/schema.d.ts" "$types"; then
    echo "The API client is stale: run 'npm run api:generate' in frontend/ and commit the result." >&2
    exit 1
  fi
  echo "API client matches the backend."
else
  cp "$work/openapi.json" "$spec"
  cp "$work/schema.d.ts" "$types"
  echo "Wrote $spec and $types."
fi
