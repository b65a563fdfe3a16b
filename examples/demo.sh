#!/usr/bin/env bash
# Runs tagguard on the bundled example data: a release pipeline's re-run, a release that
# would move an immutable tag, a rule that is broken in Harbor, and the linter's view.
# Uses `tagguard` from PATH (`make demo` puts the project's venv first).
set -u
cd "$(dirname "$0")"
command -v tagguard >/dev/null || { echo "demo.sh: tagguard is not on PATH; run 'make demo'" >&2; exit 2; }
OFFLINE=(--rules-file rules.json --state-file state.json)
API_V140=sha256:89372259109eefefa44d3695375cac96ea8656383a9e2ab84b18def78d2ba6c0
API_NEXT=sha256:88c54d88a2e99a247f5e1ae2cfd43d31ca6234163289b920b722bf4f1866bd55

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
step() { printf '\n%s$ %s%s\n' "$BOLD" "$*" "$PLAIN"; "$@"; echo "(exit $?)"; }

echo "== A re-run of the v1.4.0 release: the same image is already there (skip), a new tag is fine (allow)"
step tagguard push harbor.example.com/platform/api:v1.4.0 harbor.example.com/platform/api:latest \
  harbor.example.com/platform/api:v1.4.1 --digest "$API_V140" "${OFFLINE[@]}"

echo
echo "== A build that would move the immutable v1.4.0 to a new image (block), and latest with it (allow)"
step tagguard push harbor.example.com/platform/api:v1.4.0 harbor.example.com/platform/api:latest \
  --digest "$API_NEXT" "${OFFLINE[@]}"

echo
echo "== legacy/app:1.0 looks protected, but rule 7 is broken: Harbor fails open and skips rule 8"
step tagguard explain harbor.example.com/legacy/app:1.0 "${OFFLINE[@]}"

echo
echo "== What the rules' authors most likely did not mean"
step tagguard lint --rules-file rules.json
