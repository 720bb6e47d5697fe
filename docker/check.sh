#!/usr/bin/env bash
# Build the images and run the compose set-up end to end on this machine's Docker engine:
# PostgreSQL, the web app and two worker containers; a scan dropped into the inbox must
# become a proposal, the web must answer, every container must report healthy.
#   bash docker/check.sh            (make docker-check)
# Needs a running Docker engine (Debian: apt-get install docker.io docker-compose;
# dockerd). Prints what it checked; exits non-zero at the first thing that fails.
set -euo pipefail
cd "$(dirname "$0")/.."
COMPOSE=$(docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
export SIGNREG_BASE=${SIGNREG_BASE:-signreg-base:bookworm}
export SIGNREG_IMAGE=${SIGNREG_IMAGE:-signatory-registry:check}
export SIGNREG_PG_IMAGE=${SIGNREG_PG_IMAGE:-signatory-registry-postgres:15}
export SIGNREG_PORT=${SIGNREG_PORT:-18080}
export SIGNREG_INBOX_DIR=$(mktemp -d /tmp/signreg-docker-inbox.XXXXXX)
chmod 777 "$SIGNREG_INBOX_DIR"
project=signreg-check-$$
dc() { $COMPOSE -p "$project" -f docker/compose.yaml "$@"; }
cleanup() { dc down -v --remove-orphans >/dev/null 2>&1 || true; rm -rf "$SIGNREG_INBOX_DIR"; }
trap cleanup EXIT
t0=$(date +%s)
make -s docker SIGNREG_BASE="$SIGNREG_BASE" SIGNREG_IMAGE="$SIGNREG_IMAGE" SIGNREG_PG_IMAGE="$SIGNREG_PG_IMAGE"
echo "images built in $(( $(date +%s) - t0 )) s"
t0=$(date +%s)
dc up -d --scale worker=2
for i in $(seq 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SIGNREG_PORT/healthz" || true)
  [ "$code" = 200 ] && break; sleep 2
done
[ "$code" = 200 ] || { dc logs --tail 50; echo "the web never answered /healthz"; exit 1; }
echo "web healthy $(( $(date +%s) - t0 )) s after up"
cp samples/committed/bw-g4-table.pdf "$SIGNREG_INBOX_DIR/scan.pdf"
t0=$(date +%s)
for i in $(seq 120); do
  subs=$(dc exec -T web signreg submissions --json)
  echo "$subs" | grep -q '"status": "proposed"' && break; sleep 2
done
echo "$subs" | grep -q '"status": "proposed"' || { dc logs --tail 80 worker; echo "$subs"; exit 1; }
echo "scan proposed $(( $(date +%s) - t0 )) s after it was dropped: $subs"
curl -sf "http://127.0.0.1:$SIGNREG_PORT/api/v1/signatories" >/dev/null
[ -z "$(ls -A "$SIGNREG_INBOX_DIR" | grep -v '^\.signreg')" ] || { echo "files left in the inbox"; exit 1; }
for i in $(seq 60); do  # the workers' health check (signreg doctor) runs once a minute
  states=$(docker ps --filter "label=com.docker.compose.project=$project" --format '{{.Names}} {{.Status}}')
  echo "$states" | grep -q "health: starting" || break; sleep 5
done
echo "$states"
echo "$states" | grep -qv "(healthy)" && { echo "a container is not healthy"; exit 1; }
echo "docker check: all well"
