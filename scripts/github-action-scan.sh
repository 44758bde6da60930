#!/usr/bin/env bash
# The scan step of action.yml. Reads the action's inputs from the environment as GitHub passes
# them (INPUT_PATHS, INPUT_ARGS, INPUT_SARIF_FILE), writes the SARIF report, a text summary in
# the job log, and `exit-code` and `sarif-file` to $GITHUB_OUTPUT. It exits 0 when the scan
# ran (findings or not: the action's last step decides whether they fail the job) and with
# the scan's own code on usage or input errors (2; a report that was written is still named,
# so the upload step sends it).
set -uo pipefail

paths="${INPUT_PATHS:-.}"
sarif="${INPUT_SARIF_FILE:-kubeward.sarif}"
out="${GITHUB_OUTPUT:-/dev/null}"
# Word splitting on purpose: paths and options are space-separated lists (no globbing).
set -f
# shellcheck disable=SC2206
path_list=($paths)
# shellcheck disable=SC2206
arg_list=(${INPUT_ARGS:-})
set +f

kubeward scan "${path_list[@]}" "${arg_list[@]}" --format sarif --output "$sarif"
code=$?
echo "exit-code=$code" >>"$out"
# An input error still leaves a report of everything else (and the errors): upload it.
if [ -s "$sarif" ]; then
  echo "sarif-file=$sarif" >>"$out"
fi
if [ "$code" -ge 2 ]; then
  echo "::error::kubeward reported usage or input errors (exit code $code): see the messages above"
  exit "$code"
fi
# The findings in the job log too, as text (never fails this step).
kubeward scan "${path_list[@]}" "${arg_list[@]}" --format text --color never || true
exit 0
