#!/usr/bin/env bash
# The GitHub Action's step: every input arrives through the environment (INPUT_*, TAGGUARD_*),
# never spliced into a script, so no input can run as code.
set -uo pipefail

tagguard="$RUNNER_TEMP/tagguard-venv/bin/tagguard"
mode="${INPUT_MODE:-enforce}"
case "$mode" in
  enforce|warn) ;;
  *) echo "::error title=tagguard::mode must be enforce or warn, not '$mode'"; exit 2 ;;
esac

options=(--format github --report "json=$RUNNER_TEMP/tagguard-report.json")
[ -n "${INPUT_HARBOR_URL:-}" ] && options+=(--harbor-url "$INPUT_HARBOR_URL")
[ "$mode" = warn ] && options+=(--on-error warn)
extra=()
[ -n "${INPUT_ARGS:-}" ] && read -r -a extra <<< "$INPUT_ARGS"

if [ -n "${INPUT_PLAN:-}" ]; then
  command=(plan "$INPUT_PLAN")
else
  refs="${INPUT_REFS:-${DOCKER_METADATA_OUTPUT_TAGS:-}}"
  if [ -z "$refs" ]; then
    echo "::error title=tagguard::no references to check: set refs or plan, or run docker/metadata-action first"
    exit 2
  fi
  printf '%s\n' "$refs" > "$RUNNER_TEMP/tagguard-refs.txt"
  command=(push --refs-file "$RUNNER_TEMP/tagguard-refs.txt")
  [ -n "${INPUT_DIGEST:-}" ] && command+=(--digest "$INPUT_DIGEST")
fi

"$tagguard" "${command[@]}" "${options[@]}" "${extra[@]}"
status=$?
if [ "$status" = 1 ] && [ "$mode" = warn ]; then
  echo "::warning title=tagguard::blocked references found; mode is warn, so the workflow goes on"
  exit 0
fi
exit "$status"
