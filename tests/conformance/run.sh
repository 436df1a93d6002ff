#!/usr/bin/env bash
# Runs the pinned MCP conformance suite (server mode) against a Streamable
# HTTP MCP endpoint and exits with the suite's own exit code.
#
#   tests/conformance/run.sh URL [EXPECTED_FAILURES_FILE]
#
# Example: tests/conformance/run.sh http://127.0.0.1:8931/mcp expected-failures-direct.yml
# A relative EXPECTED_FAILURES_FILE is looked up in the caller's directory
# first, then beside this script. Extra suite flags may follow in
# CONFORMANCE_ARGS, e.g. CONFORMANCE_ARGS="--scenario tools-list" or
# CONFORMANCE_ARGS="--suite all -o results".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 URL [EXPECTED_FAILURES_FILE]" >&2
    exit 2
fi
url="$1"

suite="$here/node_modules/.bin/conformance"
if [[ ! -x "$suite" ]]; then
    echo "error: conformance suite not installed; run \`npm ci\` in $here" >&2
    exit 2
fi

args=(server --url "$url")
if [[ $# -eq 2 ]]; then
    baseline="$2"
    if [[ ! -f "$baseline" && -f "$here/$baseline" ]]; then
        baseline="$here/$baseline"
    fi
    if [[ ! -f "$baseline" ]]; then
        echo "error: expected-failures file \`$2\` not found" >&2
        exit 2
    fi
    args+=(--expected-failures "$(cd "$(dirname "$baseline")" && pwd)/$(basename "$baseline")")
fi

# shellcheck disable=SC2086 # CONFORMANCE_ARGS is split on purpose
"$suite" "${args[@]}" ${CONFORMANCE_ARGS:-}
