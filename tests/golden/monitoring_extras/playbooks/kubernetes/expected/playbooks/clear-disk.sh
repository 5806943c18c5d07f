#!/usr/bin/env bash
# Free disk space on a host (alerts: disk filling up, predicted full). Dry run unless approved.
# Removes only rotated service logs older than DAYS, the systemd journal beyond 500 MB and unused container images.
# Usage: clear-disk.sh [DAYS] [--approve --approver NAME --reason TEXT]
set -euo pipefail

usage() {
  echo "usage: $0 [DAYS] [--approve --approver NAME --reason TEXT]" >&2
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

days=7
if [ "$#" -ge 1 ] && [ "${1#--}" = "$1" ]; then
  days="$1"
  shift
fi
case "$days" in
  ''|*[!0-9]*) echo "DAYS must be a whole number" >&2; exit 2 ;;
esac
[ "$days" -ge 1 ] || { echo "DAYS must be at least 1" >&2; exit 2; }
parse_safeguards "$@"

df -h /
clean_rotated_logs() {
  if [ -d "$1" ]; then
    echo "rotated logs older than $days days in $1:"
    find "$1" -type f -name '*.gz' -mtime +"$days" -print
    run find "$1" -type f -name '*.gz' -mtime +"$days" -delete
  fi
}

clean_rotated_logs /var/log/admin
if command -v journalctl >/dev/null 2>&1; then
  run journalctl --vacuum-size=500M
fi
if command -v docker >/dev/null 2>&1; then
  run docker image prune --force --filter until=168h
fi
