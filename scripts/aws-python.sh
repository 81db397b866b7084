#!/usr/bin/env bash
# Prints a Python interpreter that finds every module named (default: the AWS
# test tools: moto's server, cfn-lint, boto3 and the AWS CLI), or exits 1.
# Looked for in order: $EB_AWS_PYTHON, the virtual environment that
# scripts/install-deps.sh makes when the machine has none ($EB_AWS_VENV,
# default /opt/eventbarrier/aws-venv), python3 on PATH, pyenv's python3.
#   scripts/aws-python.sh [MODULE ...]
set -uo pipefail
MODULES=("$@")
[ ${#MODULES[@]} -gt 0 ] || MODULES=(moto.server cfnlint boto3 awscli)
FIND="import importlib.util as u, sys
sys.exit(1) if any(u.find_spec(m) is None for m in sys.argv[1:]) else print(sys.executable)"
VENV="${EB_AWS_VENV:-/opt/eventbarrier/aws-venv}"
for p in "${EB_AWS_PYTHON:-}" "$VENV/bin/python3" "$(command -v python3)" \
         "$HOME/.pyenv/shims/python3" /usr/bin/python3; do
  [ -n "$p" ] && [ -x "$p" ] || continue
  "$p" -c "$FIND" "${MODULES[@]}" 2>/dev/null && exit 0
done
exit 1
