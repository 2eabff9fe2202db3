#!/usr/bin/env bash
# RecoveryComms on one machine, without Docker: PostgreSQL and RabbitMQ as local processes on
# loopback, their data under .dev/ (git-ignored), and the three services on their contract ports.
#
#   ./infra/dev.sh up                      install what is missing, start everything, Ctrl-C stops it all
#   ./infra/dev.sh test [dotnet test args] start PostgreSQL and RabbitMQ, run dotnet test RecoveryComms.sln
#   ./infra/dev.sh simulate missed-call --from +15551234567   (also: voicemail, abandoned, sms --body STOP)
#   ./infra/dev.sh infra                   only PostgreSQL and RabbitMQ, until Ctrl-C
#   ./infra/dev.sh bench [load tool args]  the webhook load test of docs/benchmarks.md
#   ./infra/dev.sh bench suppression       the suppression-check load test of docs/benchmarks.md
#   ./infra/dev.sh bench intake|timers      the orchestrator's load tests of docs/benchmarks.md
#
# Every setting comes from the environment first (names in ../shared/docs/api-contract.md), so the
# same command runs against a real Twilio account, broker or database.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEV="$ROOT/.dev"
PG_PORT=${RC_PG_PORT:-5432}
RMQ_PORT=${RC_RABBITMQ_PORT:-5672}
SANDBOX_PORT=${RC_SANDBOX_PORT:-5090}
DEV_AUTH_TOKEN=dev-auth-token
DEV_ACCOUNT_SID=AC00000000000000000000000000000000

log() { printf '\033[1m[dev]\033[0m %s\n' "$*" >&2; }
die() { printf '[dev] error: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_missing() {
  local need=()
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
  command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] || need+=(rabbitmq-server)
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is required (dotnet not on PATH)"
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]} from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  # Debian's package may start a system broker or cluster; ours use their own data and ports.
  as_root pkill -u rabbitmq -f 'rabbit' >/dev/null 2>&1 || true
}

# A folder under .dev/ that the given service account can own. PostgreSQL and RabbitMQ run as their
# own users; when this checkout sits under a folder they cannot enter (mktemp -d makes 0700
# folders), the data goes to a per-checkout folder under /var/tmp with a link from .dev/.
data_dir() {
  local name=$1 user=$2 dir="$DEV/$1"
  mkdir -p "$DEV"
  if [ ! -L "$dir" ] && ! su "$user" -s /bin/sh -c "test -x '$DEV'" 2>/dev/null; then
    local outside
    outside="/var/tmp/recoverycomms-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)/$name"
    mkdir -p "$outside"
    rm -rf "$dir"
    ln -s "$outside" "$dir"
  fi
  mkdir -p "$dir/"
  as_root chown -R "$user:" "$(readlink -f "$dir")"
  readlink -f "$dir"
}

PG_BIN=""
start_postgres() {
  PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")
  local data
  data=$(data_dir pg postgres)
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising PostgreSQL in $data"
    su postgres -s /bin/sh -c "'$PG_BIN/initdb' -D '$data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
  fi
  if su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$data' status" >/dev/null 2>&1; then
    log "PostgreSQL already running"
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$data' -l '$data/server.log' -w -t 60 \
      -o \"-c listen_addresses=127.0.0.1 -p $PG_PORT -k '$data' -c max_connections=300 -c fsync=on\" start" >/dev/null \
      || { tail -n 20 "$data/server.log" >&2; die "PostgreSQL did not start"; }
  fi
  su postgres -s /bin/sh -c "'$PG_BIN/psql' -h 127.0.0.1 -p $PG_PORT -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='recoverycomms'\"" | grep -q 1 \
    || su postgres -s /bin/sh -c "'$PG_BIN/createdb' -h 127.0.0.1 -p $PG_PORT -U postgres recoverycomms"
}

stop_postgres() {
  [ -n "$PG_BIN" ] || return 0
  su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$(readlink -f "$DEV/pg")' -m fast stop" >/dev/null 2>&1 || true
}

rmq_env() {
  local data
  data=$(readlink -f "$DEV/rabbitmq")
  echo "RABBITMQ_NODENAME=rc@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$RMQ_PORT \
RABBITMQ_DIST_PORT=$((RMQ_PORT + 20000)) RABBITMQ_MNESIA_BASE=$data/mnesia RABBITMQ_LOG_BASE=$data/log \
RABBITMQ_PID_FILE=$data/rabbit.pid RABBITMQ_ENABLED_PLUGINS_FILE=$data/enabled_plugins \
RABBITMQ_CONFIG_FILE=$data/rabbitmq HOME=/var/lib/rabbitmq ERL_EPMD_ADDRESS=127.0.0.1 \
RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'"
}

start_rabbitmq() {
  local data
  data=$(data_dir rabbitmq rabbitmq)
  [ -f "$data/enabled_plugins" ] || echo '[].' > "$data/enabled_plugins"
  printf 'loopback_users.guest = true\nlisteners.tcp.1 = 127.0.0.1:%s\n' "$RMQ_PORT" > "$data/rabbitmq.conf"
  as_root chown -R rabbitmq: "$data"
  if su rabbitmq -s /bin/sh -c "env $(rmq_env) /usr/lib/rabbitmq/bin/rabbitmq-diagnostics -q ping" >/dev/null 2>&1; then
    log "RabbitMQ already running"
    return
  fi
  log "starting RabbitMQ on 127.0.0.1:$RMQ_PORT"
  su rabbitmq -s /bin/sh -c "cd /var/lib/rabbitmq && env $(rmq_env) /usr/lib/rabbitmq/bin/rabbitmq-server -detached" >/dev/null 2>&1
  local i
  for i in $(seq 1 90); do
    su rabbitmq -s /bin/sh -c "env $(rmq_env) /usr/lib/rabbitmq/bin/rabbitmqctl -q --timeout 60 await_startup" >/dev/null 2>&1 && return 0
    sleep 1
  done
  tail -n 30 "$data"/log/*.log >&2 || true
  die "RabbitMQ did not start" 
}

stop_rabbitmq() {
  [ -e "$DEV/rabbitmq/rabbit.pid" ] || return 0
  su rabbitmq -s /bin/sh -c "env $(rmq_env) /usr/lib/rabbitmq/bin/rabbitmqctl -q stop" >/dev/null 2>&1 || true
}

export_settings() {
  export ConnectionStrings__Postgres=${ConnectionStrings__Postgres:-"Host=127.0.0.1;Port=$PG_PORT;Database=recoverycomms;Username=postgres;Password=postgres"}
  export RabbitMq__Host=${RabbitMq__Host:-127.0.0.1} RabbitMq__Port=${RabbitMq__Port:-$RMQ_PORT}
  export RabbitMq__Username=${RabbitMq__Username:-guest} RabbitMq__Password=${RabbitMq__Password:-guest}
  export Twilio__PublicBaseUrl=${Twilio__PublicBaseUrl:-http://127.0.0.1:5080}
  export Auth__BootstrapAdminKey=${Auth__BootstrapAdminKey:-dev-bootstrap-admin-key}
  # The consent ledger's checkpoint signing key: kept out of the database by design (docs/consent.md).
  if [ -z "${Consent__CheckpointKey:-}" ]; then
    [ -s "$DEV/checkpoint.key" ] || ( umask 077; head -c 32 /dev/urandom | base64 > "$DEV/checkpoint.key" )
    Consent__CheckpointKey=$(cat "$DEV/checkpoint.key")
    export Consent__CheckpointKey
  fi
  # A demo shop: one line, a two-phone ring group, Chicago hours. Set your own in the environment.
  export Business__ShopLines__0=${Business__ShopLines__0:-+15550001111}
  export Business__TimeZone=${Business__TimeZone:-America/Chicago}
  export Webhooks__RingGroup__0=${Webhooks__RingGroup__0:-+15550002222}
  export Webhooks__RingGroup__1=${Webhooks__RingGroup__1:-+15550003333}
}

INFRA_STARTED=0
infra_up() {
  install_missing
  start_postgres
  start_rabbitmq
  INFRA_STARTED=1
}

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$INFRA_STARTED" = 1 ]; then log "stopping RabbitMQ and PostgreSQL"; stop_rabbitmq; stop_postgres; fi
}

cmd_up() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  infra_up
  export_settings
  log "building"
  dotnet build "$ROOT/RecoveryComms.sln" -c Release -v q -nologo >/dev/null
  if [ -z "${Twilio__AccountSid:-}" ]; then
    log "no Twilio credentials: Twilio's REST API is the local sandbox at http://127.0.0.1:$SANDBOX_PORT"
    export Twilio__AccountSid=$DEV_ACCOUNT_SID Twilio__AuthToken=$DEV_AUTH_TOKEN
    export Twilio__ApiBaseUrl=http://127.0.0.1:$SANDBOX_PORT
    dotnet "$ROOT/tools/RecoveryComms.DevTools/bin/Release/net10.0/RecoveryComms.DevTools.dll" sandbox --port "$SANDBOX_PORT" &
    PIDS+=($!)
  fi
  local svc port
  for svc in Webhooks:5080 Orchestrator:5081 Consent:5082; do
    port=${svc#*:}; svc=${svc%:*}
    ( cd "$ROOT/services/RecoveryComms.$svc" && exec dotnet "bin/Release/net10.0/RecoveryComms.$svc.dll" --urls "http://127.0.0.1:$port" ) &
    PIDS+=($!)
  done
  for port in 5080 5081 5082; do
    for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  done
  cat >&2 <<EOF

  Webhooks      http://127.0.0.1:5080   (Twilio posts here; public base URL $Twilio__PublicBaseUrl)
  Orchestrator  http://127.0.0.1:5081   (CSR API and console)
  Consent       http://127.0.0.1:5082   (consent and compliance API)
  PostgreSQL    127.0.0.1:$PG_PORT   RabbitMQ  127.0.0.1:$RMQ_PORT
  Bootstrap admin key: $Auth__BootstrapAdminKey

  Try: ./infra/dev.sh simulate missed-call --from +15551234567
  Ctrl-C stops everything.
EOF
  wait -n "${PIDS[@]}" || true
  log "a process ended; stopping"
}

cmd_test() {
  trap cleanup EXIT
  infra_up
  export RECOVERYCOMMS_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Database=postgres;Username=postgres;Password=postgres;Timeout=5"
  export RECOVERYCOMMS_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$RMQ_PORT/"
  dotnet test "$ROOT/RecoveryComms.sln" "$@"
}

cmd_infra() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  infra_up
  log "PostgreSQL 127.0.0.1:$PG_PORT and RabbitMQ 127.0.0.1:$RMQ_PORT are up; Ctrl-C stops them"
  while :; do sleep 3600 & wait $!; done
}

cmd_simulate() {
  export Twilio__AuthToken=${Twilio__AuthToken:-$DEV_AUTH_TOKEN}
  export Twilio__PublicBaseUrl=${Twilio__PublicBaseUrl:-http://127.0.0.1:5080}
  export RC_WEBHOOKS_URL=${RC_WEBHOOKS_URL:-http://127.0.0.1:5080}
  dotnet build "$ROOT/tools/RecoveryComms.DevTools" -c Release -v q -nologo >/dev/null
  dotnet "$ROOT/tools/RecoveryComms.DevTools/bin/Release/net10.0/RecoveryComms.DevTools.dll" simulate "$@"
}

cmd_bench() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  infra_up
  export_settings
  case "${1:-}" in
    suppression) shift; bench_suppression "$@"; return ;;
    intake) shift; bench_orchestrator intake "$@"; return ;;
    timers) shift; bench_orchestrator timers "$@"; return ;;
  esac
  export Twilio__AccountSid=$DEV_ACCOUNT_SID Twilio__AuthToken=$DEV_AUTH_TOKEN Twilio__ApiBaseUrl=http://127.0.0.1:$SANDBOX_PORT
  export Benchmark__BaselineEndpoint=true Logging__LogLevel__Default=Warning
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Database=recoverycomms_bench;Username=postgres;Password=postgres;Maximum Pool Size=64"
  su postgres -s /bin/sh -c "'$PG_BIN/psql' -h 127.0.0.1 -p $PG_PORT -U postgres -qc 'DROP DATABASE IF EXISTS recoverycomms_bench WITH (FORCE)' -c 'CREATE DATABASE recoverycomms_bench'" >/dev/null
  dotnet build "$ROOT/RecoveryComms.sln" -c Release -v q -nologo >/dev/null
  ( cd "$ROOT/services/RecoveryComms.Webhooks" && exec dotnet bin/Release/net10.0/RecoveryComms.Webhooks.dll --urls http://127.0.0.1:5080 ) &
  PIDS+=($!)
  for _ in $(seq 1 120); do curl -fs http://127.0.0.1:5080/health/ready >/dev/null 2>&1 && break; sleep 0.5; done
  dotnet "$ROOT/tests/RecoveryComms.LoadTest/bin/Release/net10.0/RecoveryComms.LoadTest.dll" \
    --url http://127.0.0.1:5080 --token "$DEV_AUTH_TOKEN" --rabbit "amqp://guest:guest@127.0.0.1:$RMQ_PORT/" "$@"
}

# The orchestrator's figures: intake (event → item on the live feed) and timer lag. Orchestrator and consent
# in Release on a fresh bench database, the load tool pinned to one core when taskset is there.
bench_orchestrator() {
  local scenario=$1; shift
  export Twilio__AccountSid=$DEV_ACCOUNT_SID Twilio__AuthToken=$DEV_AUTH_TOKEN Twilio__ApiBaseUrl=http://127.0.0.1:$SANDBOX_PORT
  export Logging__LogLevel__Default=Warning
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Database=recoverycomms_bench;Username=postgres;Password=postgres"
  su postgres -s /bin/sh -c "'$PG_BIN/psql' -h 127.0.0.1 -p $PG_PORT -U postgres -qc 'DROP DATABASE IF EXISTS recoverycomms_bench WITH (FORCE)' -c 'CREATE DATABASE recoverycomms_bench'" >/dev/null
  dotnet build "$ROOT/RecoveryComms.sln" -c Release -v q -nologo >/dev/null
  local svc port
  for svc in Orchestrator:5081 Consent:5082; do
    port=${svc#*:}; svc=${svc%:*}
    ( cd "$ROOT/services/RecoveryComms.$svc" && exec dotnet "bin/Release/net10.0/RecoveryComms.$svc.dll" --urls "http://127.0.0.1:$port" ) &
    PIDS+=($!)
    for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  done
  local pin=()
  command -v taskset >/dev/null 2>&1 && pin=(taskset -c 1)
  "${pin[@]}" dotnet "$ROOT/tests/RecoveryComms.LoadTest/bin/Release/net10.0/RecoveryComms.LoadTest.dll" --scenario "$scenario" \
    --bootstrap-key "$Auth__BootstrapAdminKey" --rabbit "amqp://guest:guest@127.0.0.1:$RMQ_PORT/" --postgres "$ConnectionStrings__Postgres" "$@"
}

bench_suppression() {
  export Twilio__AccountSid=$DEV_ACCOUNT_SID Twilio__AuthToken=$DEV_AUTH_TOKEN Twilio__ApiBaseUrl=http://127.0.0.1:$SANDBOX_PORT
  export Logging__LogLevel__Default=Warning
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Database=recoverycomms_bench;Username=postgres;Password=postgres"
  su postgres -s /bin/sh -c "'$PG_BIN/psql' -h 127.0.0.1 -p $PG_PORT -U postgres -qc 'DROP DATABASE IF EXISTS recoverycomms_bench WITH (FORCE)' -c 'CREATE DATABASE recoverycomms_bench'" >/dev/null
  dotnet build "$ROOT/RecoveryComms.sln" -c Release -v q -nologo >/dev/null
  local svc port
  for svc in Orchestrator:5081 Consent:5082; do
    port=${svc#*:}; svc=${svc%:*}
    ( cd "$ROOT/services/RecoveryComms.$svc" && exec dotnet "bin/Release/net10.0/RecoveryComms.$svc.dll" --urls "http://127.0.0.1:$port" ) &
    PIDS+=($!)
    for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  done
  dotnet "$ROOT/tests/RecoveryComms.LoadTest/bin/Release/net10.0/RecoveryComms.LoadTest.dll" --scenario suppression \
    --bootstrap-key "$Auth__BootstrapAdminKey" "$@"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  test) shift; cmd_test "$@" ;;
  infra) shift; cmd_infra "$@" ;;
  simulate) shift; cmd_simulate "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
