#!/usr/bin/env bash
# Rotate a host service's logs now (alerts: log volume filling the disk). Dry run unless approved.
# Usage: rotate-logs.sh SERVICE [--approve --approver NAME --reason TEXT]
set -euo pipefail

usage() {
  echo "usage: $0 SERVICE [--approve --approver NAME --reason TEXT]" >&2
  echo 'services: admin' >&2
}

# Safeguards: dry run unless --approve; approval names a second person and a reason; every run is audited.
mode="dry-run"
approver=""
reason=""
operator="$(id -un 2>/dev/null || echo unknown)"
audit_log="${AUDIT_LOG:-/var/log/devops-bot/playbooks.log}"

json() {
  printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\n\r'
}

audit() {
  line="$(printf '{"time":"%s","playbook":"%s","operator":"%s","approver":"%s","reason":"%s","mode":"%s","action":"%s"}' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(json "$(basename "$0")")" "$(json "$operator")" "$(json "$approver")" \
    "$(json "$reason")" "$mode" "$(json "$1")")"
  if ! { mkdir -p "$(dirname "$audit_log")" && printf '%s\n' "$line" >>"$audit_log"; } 2>/dev/null; then
    echo "audit log $audit_log is not writable; recording on stderr" >&2
  fi
  printf 'audit: %s\n' "$line" >&2
}

run() {
  audit "$*"
  if [ "$mode" = "execute" ]; then
    "$@"
  else
    printf 'DRY RUN (add --approve --approver NAME --reason TEXT to execute): %s\n' "$*"
  fi
}

parse_safeguards() {
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --approve) mode="execute" ;;
      --approver) approver="${2:-}"; shift ;;
      --reason) reason="${2:-}"; shift ;;
      *) echo "unknown option: $1" >&2; usage; exit 2 ;;
    esac
    shift
  done
  if [ "$mode" = "execute" ]; then
    if [ -z "$approver" ] || [ -z "$reason" ]; then
      echo "--approve needs --approver NAME and --reason TEXT" >&2
      exit 2
    fi
    if [ "$approver" = "$operator" ]; then
      echo "the approver must be a second person, not the operator ($operator)" >&2
      exit 2
    fi
  fi
}

[ "$#" -ge 1 ] || { usage; exit 2; }
service="$1"
shift
parse_safeguards "$@"

case "$service" in
  admin)
    config="/etc/logrotate.d/admin"
    ;;
  *) echo "unknown service: $service" >&2; usage; exit 2 ;;
esac
[ -f "$config" ] || { echo "$config is missing: install playbooks/logrotate/$(basename "$config").conf there" >&2; exit 1; }
logrotate --debug "$config"
run logrotate --force "$config"
