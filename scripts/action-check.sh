#!/usr/bin/env bash
# The script step of bounded's GitHub Action (action.yml at the repository root): run
# `bounded check` over the given paths, write a SARIF report for code scanning, and exit
#   0  no findings, or findings with fail-on-findings false
#   1  findings, with fail-on-findings true (the default)
#   2+ bounded check could not run (a usage error, an invalid policy, an internal error):
#      always a failure, whatever fail-on-findings says.
# The action's inputs arrive as environment variables:
#   BOUNDED_ACTION_PATHS             files and folders to check, separated by whitespace or newlines (default .)
#   BOUNDED_ACTION_POLICY            the policy file (default: the nearest bounded.policy.yaml, else the embedded defaults)
#   BOUNDED_ACTION_CONFIG            recommended, strict or all (default recommended)
#   BOUNDED_ACTION_FAIL_ON_FINDINGS  true or false (default true)
#   BOUNDED_ACTION_SARIF             where to write the report (default bounded.sarif)
#   BOUNDED_ACTION_VERSION           the bounded version npx runs (default latest)
#   BOUNDED_ACTION_ANNOTATE          true: one workflow annotation per finding (when code scanning is not used)
#   BOUNDED_BIN                      run this bounded executable instead of `npx bounded@VERSION` (the tests use cli/dist/bin.js)
# and it reports through GITHUB_OUTPUT (findings, sarif-file, exit-code) and GITHUB_STEP_SUMMARY when they are set.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sarif="${BOUNDED_ACTION_SARIF:-bounded.sarif}"
fail_on_findings="${BOUNDED_ACTION_FAIL_ON_FINDINGS:-true}"
annotate="${BOUNDED_ACTION_ANNOTATE:-false}"

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >> "$GITHUB_OUTPUT"; fi
}

for flag in "fail-on-findings=$fail_on_findings" "annotate=$annotate"; do
  case "${flag#*=}" in
    true | false) ;;
    *) echo "::error::bounded action: ${flag%%=*} must be true or false, got \"${flag#*=}\""; exit 2 ;;
  esac
done

# Paths are split on whitespace and never glob-expanded.
set -f
read -r -d '' -a paths <<< "${BOUNDED_ACTION_PATHS:-.}" || true
set +f
if [ "${#paths[@]}" -eq 0 ]; then paths=(.); fi

if [ -n "${BOUNDED_BIN:-}" ]; then
  bounded=("$BOUNDED_BIN")
else
  bounded=(npx --yes "bounded@${BOUNDED_ACTION_VERSION:-latest}")
fi
args=(check --format sarif --output "$sarif")
if [ -n "${BOUNDED_ACTION_POLICY:-}" ]; then args+=(--policy "$BOUNDED_ACTION_POLICY"); fi
if [ -n "${BOUNDED_ACTION_CONFIG:-}" ]; then args+=(--config "$BOUNDED_ACTION_CONFIG"); fi
args+=(-- "${paths[@]}")

echo "bounded check ${paths[*]} (SARIF: $sarif)"
rm -f -- "$sarif"
set +e
"${bounded[@]}" "${args[@]}"
code=$?
set -e
output exit-code "$code"

# 0 and 1 are the two answers; anything else, or no report, means the check did not run.
if { [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; } || [ ! -s "$sarif" ]; then
  echo "::error::bounded check failed (exit $code) and wrote no report; see its message above"
  # bounded check says 1 for an invalid policy too: without a report, that is not a findings answer.
  if [ "$code" -le 1 ]; then exit 2; fi
  exit "$code"
fi

findings="$(node "$here/action-report.mjs" count "$sarif")"
output findings "$findings"
output sarif-file "$sarif"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then node "$here/action-report.mjs" summary "$sarif" >> "$GITHUB_STEP_SUMMARY"; fi
if [ "$annotate" = true ]; then node "$here/action-report.mjs" annotate "$sarif"; fi

if [ "$findings" -eq 0 ]; then
  echo "bounded check: no findings"
  exit 0
fi
if [ "$fail_on_findings" = true ]; then
  echo "::error::bounded check: $findings finding(s); see the report above or the code scanning alerts"
  exit 1
fi
echo "::warning::bounded check: $findings finding(s) (fail-on-findings is false)"
exit 0
