#!/usr/bin/env bash
# The GitHub Action's steps: `github-action.sh install` and `github-action.sh check`.
#
# Every input arrives through the environment (INPUT_*, TAGGUARD_*), never spliced into a
# script, so no input can run as code. Written for bash 3.2 as well (macOS runners'
# /bin/bash): no mapfile, no associative arrays, and an empty array is never expanded bare
# under `set -u` (bash before 4.4 calls that unbound). Windows runners run this under Git
# for Windows' bash, where a venv keeps its programs in Scripts/ with .exe names.
set -uo pipefail

# Exit codes of tagguard (and of this step): 0 nothing blocked, 1 blocked, 2 undecided.
UNDECIDED=2

venv_dir() {
  printf '%s/tagguard-venv' "$RUNNER_TEMP"
}

# A program of the venv, by name: bin/NAME on Linux and macOS, Scripts/NAME.exe on Windows.
venv_program() {
  if [ "${RUNNER_OS:-}" = Windows ]; then
    printf '%s/Scripts/%s.exe' "$(venv_dir)" "$1"
  else
    printf '%s/bin/%s' "$(venv_dir)" "$1"
  fi
}

# Text for the data part of a workflow command: the runner decodes %25, %0D and %0A.
escape_data() {
  local value=$1
  value=${value//%/%25}
  value=${value//$'\r'/%0D}
  value=${value//$'\n'/%0A}
  printf '%s' "$value"
}

# Text for Markdown: a backslash before each ASCII punctuation mark that Markdown reads, so
# a message cannot become a link, an image, HTML or a table cell border.
escape_markdown() {
  printf '%s' "$1" | tr '\r\n' '  ' | sed -e 's/[][\\`*_{}()#+!|<>&~-]/\\&/g'
}

# Prints text that came from outside (tagguard's stderr) so that the runner reads no
# command in it, `::` or `##[`: between stop-commands and a fresh token.
print_inert() {
  local file=$1 token
  [ -s "$file" ] || return 0
  token="tagguard-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  printf '::stop-commands::%s\n' "$token"
  cat "$file"
  printf '\n::%s::\n' "$token"
}

# One output line, in the runner's delimiter syntax so that any value is safe.
set_output() {
  local name=$1 value=$2 delimiter
  [ -n "${GITHUB_OUTPUT:-}" ] || return 0
  delimiter="tagguard_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s<<%s\n%s\n%s\n' "$name" "$delimiter" "$value" "$delimiter" >> "$GITHUB_OUTPUT"
}

# Undecided: an error annotation, a summary section and the outputs, then exit 2.
undecided() {
  local message=$1
  printf '::error title=tagguard::%s\n' "$(escape_data "$message")"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '### tagguard could not decide\n\n%s\n' "$(escape_markdown "$message")" \
      >> "$GITHUB_STEP_SUMMARY"
  fi
  set_output exit-code "$UNDECIDED"
  set_output error "$message"
  exit "$UNDECIDED"
}

# The venv is the job's (under RUNNER_TEMP); a second use of the action in the job with the
# same Python and the same action reuses it, anything else rebuilds it from scratch.
install() {
  local python stamp wanted
  python=$(venv_program python)
  stamp="$(venv_dir)/tagguard-installed"
  wanted="$TAGGUARD_PYTHON $GITHUB_ACTION_PATH"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$(venv_program tagguard)" ]; then
    echo "tagguard: reusing $(venv_dir)"
    return 0
  fi
  # Refused before any venv is made: else pip's own line, deep in the log, is all that says
  # why (python-version below 3.11).
  if ! "$TAGGUARD_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    undecided "tagguard needs Python 3.11 or later, not $("$TAGGUARD_PYTHON" -V 2>&1): set python-version"
  fi
  "$TAGGUARD_PYTHON" -m venv --clear "$(venv_dir)" \
    || undecided "could not make a venv in $(venv_dir) with $TAGGUARD_PYTHON"
  "$python" -m pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH" \
    || undecided "pip could not install tagguard from $GITHUB_ACTION_PATH (its messages are above)"
  printf '%s' "$wanted" > "$stamp"
}

# A folder of this step's own: two uses of the action in one job never share a report.
step_dir() {
  local name
  name=$(printf '%s' "${GITHUB_ACTION:-tagguard}" | tr -c 'A-Za-z0-9_-' '_')
  mktemp -d "$RUNNER_TEMP/tagguard-$name.XXXXXX"
}

# INPUT_ARGS split as a POSIX shell splits words (quotes and backslashes), by Python's
# shlex, never by eval: the words come back NUL-separated into the array `extra`.
split_args() {
  local python=$1 words word
  extra=()
  [ -n "${INPUT_ARGS:-}" ] || return 0
  words=$(mktemp "$RUNNER_TEMP/tagguard-args.XXXXXX")
  if ! "$python" -c '
import os, shlex, sys
try:
    words = shlex.split(os.environ["INPUT_ARGS"])
except ValueError as error:
    sys.stderr.write(f"args: {error} (quote as a POSIX shell does)\n")
    sys.exit(2)
sys.stdout.buffer.write(b"".join(w.encode() + b"\0" for w in words))
' > "$words" 2> "$words.err"; then
    undecided "$(head -n 1 "$words.err")"
  fi
  while IFS= read -r -d '' word; do
    extra+=("$word")
  done < "$words"
  rm -f "$words" "$words.err"
}

# Warn mode: tagguard's block annotations become warnings (only the command name changes).
annotate() {
  if [ "$1" = warn ]; then
    sed -e 's/^\([[:space:]]*\)::error\([ :]\)/\1::warning\2/'
  else
    cat
  fi
}

check() {
  local mode dir tagguard python refs status message
  mode="${INPUT_MODE:-enforce}"
  case "$mode" in
    enforce|warn) ;;
    *) undecided "mode must be enforce or warn, not '$mode'" ;;
  esac
  tagguard=$(venv_program tagguard)
  python=$(venv_program python)
  dir=$(step_dir) || undecided "cannot make a folder under RUNNER_TEMP ($RUNNER_TEMP)"

  options=(--format github --report "json=$dir/tagguard-report.json")
  if [ -n "${INPUT_HARBOR_URL:-}" ]; then options+=(--harbor-url "$INPUT_HARBOR_URL"); fi
  # Warn mode softens blocks only: an undecided check (exit 2) fails the step in either mode,
  # so it never adds --on-error warn (that would turn "could not decide" into exit 0).
  split_args "$python"

  # The plan file goes last, after `--`: a path such as `-release.yml` is no option.
  plan=()
  if [ -n "${INPUT_PLAN:-}" ]; then
    operation=(plan)
    plan=(-- "$INPUT_PLAN")
  else
    refs="${INPUT_REFS:-${DOCKER_METADATA_OUTPUT_TAGS:-}}"
    if [ -z "$refs" ]; then
      undecided "no references to check: set refs or plan, or run docker/metadata-action first"
    fi
    printf '%s\n' "$refs" > "$dir/refs.txt"
    operation=(push --refs-file "$dir/refs.txt")
    if [ -n "${INPUT_DIGEST:-}" ]; then operation+=(--digest "$INPUT_DIGEST"); fi
  fi

  "$tagguard" "${operation[@]}" "${options[@]}" ${extra[@]+"${extra[@]}"} \
    ${plan[@]+"${plan[@]}"} 2> "$dir/stderr.txt" | annotate "$mode"
  status=${PIPESTATUS[0]}
  print_inert "$dir/stderr.txt" >&2
  # A verdict (0 or 1) comes with tagguard's report. Without one tagguard ended before it
  # decided: Python's own exit 1, for a traceback while starting, must not read as "blocked".
  if [ -s "$dir/tagguard-report.json" ]; then
    set_output exit-code "$status"
    case "$status" in
      0) exit 0 ;;
      1)
        if [ "$mode" = warn ]; then
          echo "::warning title=tagguard::blocked references found; mode is warn, so the workflow goes on"
          exit 0
        fi
        exit 1
        ;;
    esac
  fi
  message=$(sed -n 's/^tagguard: \(internal \)\{0,1\}error: //p' "$dir/stderr.txt" | head -n 1)
  undecided "${message:-tagguard ended with exit code $status without a verdict}"
}

case "${1:-check}" in
  install) install ;;
  check) check ;;
  *) undecided "unknown step '$1' (install or check)" ;;
esac
