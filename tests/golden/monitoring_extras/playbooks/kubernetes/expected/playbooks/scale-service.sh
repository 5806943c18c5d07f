#!/usr/bin/env bash
# Scale a service (alerts: latency SLO burn, saturation). Dry run unless approved.
# Usage: scale-service.sh SERVICE REPLICAS [--approve --approver NAME --reason TEXT]
set -euo pipefail

max_replicas=20

usage() {
  echo "usage: $0 SERVICE REPLICAS [--approve --approver NAME --reason TEXT]" >&2
  echo 'services: admin checkout worker' >&2
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

[ "$#" -ge 2 ] || { usage; exit 2; }
service="$1"
replicas="$2"
shift 2
parse_safeguards "$@"
namespace="${NAMESPACE:-default}"
case "$replicas" in
  ''|*[!0-9]*) echo "REPLICAS must be a whole number" >&2; exit 2 ;;
esac
if [ "$replicas" -lt 1 ] || [ "$replicas" -gt "$max_replicas" ]; then
  echo "REPLICAS must be between 1 and $max_replicas" >&2
  exit 2
fi

case "$service" in
  admin)
    echo "admin runs on a host: add hosts behind its load balancer instead" >&2
    exit 2
    ;;
  checkout)
    run kubectl --namespace "$namespace" scale deployment/checkout --replicas="$replicas"
    ;;
  worker)
    run kubectl --namespace "$namespace" scale deployment/worker --replicas="$replicas"
    ;;
  *) echo "unknown service: $service" >&2; usage; exit 2 ;;
esac
