#!/usr/bin/env bash
# RecoveryComms on one machine, without Docker: PostgreSQL and RabbitMQ as local processes on
# loopback, their data under .dev/ (git-ignored), and the three services on their contract ports.
#
#   ./infra/dev.sh up                      install what is missing, start everything, Ctrl-C stops it all
#   ./infra/dev.sh up --replicas N         N = 1 to 3 processes of each service (replica i on 5080+100·i, 5081+100·i,
#                                          5082+100·i, pid in .dev/run/<service>-<i>.pid, restarted when it exits) behind
#                                          the proxy on 5080–5082; 1 is the plain layout. RC_EXTERNAL_INFRA=1: use the
#                                          PostgreSQL and RabbitMQ the ConnectionStrings__*/RabbitMq__* variables name
#   ./infra/dev.sh test [dotnet test args] start PostgreSQL and RabbitMQ, run dotnet test RecoveryComms.sln (Chromium too)
#   ./infra/dev.sh simulate missed-call --from +15551234567   (also: voicemail, abandoned, sms --body STOP)
#   ./infra/dev.sh infra                   only PostgreSQL and RabbitMQ, until Ctrl-C
#   ./infra/dev.sh bench [load tool args]  the webhook load test of docs/benchmarks.md
#   ./infra/dev.sh bench suppression       the suppression-check load test of docs/benchmarks.md
#   ./infra/dev.sh bench intake|timers      the orchestrator's load tests of docs/benchmarks.md
#   ./infra/dev.sh bench console           the console in Chromium: queue page load, missed calls arriving live
#   ./infra/dev.sh replay-errors           move the messages parked in *_error queues back to their queues
#   ./infra/dev.sh faults [scenario ...]   the fault suite (docs/reliability.md): 2 replicas of each service, PostgreSQL,
#                                          RabbitMQ and replicas stopped, killed and frozen, Twilio faulted in the sandbox; one
#                                          pass/fail line each; a run of every scenario is written into docs/reliability.md.
#                                          RC_FAULT_PG_SECONDS (300), RC_FAULT_TRIALS (stop-vs-send, 1000);
#                                          RC_PG_PORT/RC_RABBITMQ_PORT to run beside another checkout
#
# Every setting comes from the environment first (names in ../shared/docs/api-contract.md), so the
# same command runs against a real Twilio account, broker or database.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEV="$ROOT/.dev"
PG_PORT=${RC_PG_PORT:-5432}
RMQ_PORT=${RC_RABBITMQ_PORT:-5672}
SANDBOX_PORT=${RC_SANDBOX_PORT:-5090}
# The services' ports in the orchestrator benches: the contract's by default; other values let a bench run beside
# services already listening there.
WEBHOOKS_PORT=${RC_WEBHOOKS_PORT:-5080}
ORCHESTRATOR_PORT=${RC_ORCHESTRATOR_PORT:-5081}
CONSENT_PORT=${RC_CONSENT_PORT:-5082}
DEV_AUTH_TOKEN=dev-auth-token
DEV_ACCOUNT_SID=AC00000000000000000000000000000000

log() { printf '\033[1m[dev]\033[0m %s\n' "$*" >&2; }
die() { printf '[dev] error: %s\n' "$*" >&2; exit 1; }

# Who runs what. As root (CI here), PostgreSQL and RabbitMQ run as their service accounts (PostgreSQL refuses
# to run as root). As an ordinary user they run as that user, with data under .dev/, and sudo is needed only
# to install missing packages. The .NET services always run as the invoking user.
ME=$(id -un)
if [ "$(id -u)" = 0 ]; then PG_USER=postgres RMQ_USER=rabbitmq; else PG_USER=$ME RMQ_USER=$ME; fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_user() { local user=$1; shift; if [ "$user" = "$ME" ]; then "$@"; else (cd / && runuser -u "$user" -- "$@"); fi; }

WANT_BROWSER=0
install_missing() {
  local need=()
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
  # Chromium only for the tests and the console bench; a developer's own browser does for 'up'.
  if [ "$WANT_BROWSER" = 1 ] && [ -z "${RECOVERYCOMMS_CHROMIUM:-}" ]; then
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
  fi
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is required (dotnet not on PATH)"
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]} from Debian's packages"
    # Note: Debian's packages start a system cluster and broker on the default ports; a policy-rc.d that
    # answers 101 keeps them from starting, and it exists only during the install (ours run with their own data).
    local policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      policy=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
      as_root chmod 0755 "$policy"
    fi
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || { [ -z "$policy" ] || as_root rm -f "$policy"; die "apt-get install failed"; }
    [ -z "$policy" ] || as_root rm -f "$policy"
  fi
}

# The folder for one server's data, owned by the account that runs it, never a path someone else prepared.
# Normally .dev/<name>. When the service account cannot enter .dev/ (a checkout under a 0700 folder, as root),
# a fresh mktemp -d folder under /var/tmp, whose path is kept in .dev/<name>.location; a recorded folder is used
# again only if it is still a real folder (no link) owned by that account in a folder nobody else can write.
data_dir() {
  local name=$1 user=$2 dir="$DEV/$1" record="$DEV/$1.location"
  mkdir -p "$DEV"
  if [ -L "$dir" ]; then
    die "$dir is a link (an earlier dev.sh made it); remove it (and the folder it points to, if it is yours) and run again"
  fi
  if [ -e "$dir" ] || [ "$user" = "$ME" ] || as_user "$user" test -x "$DEV"; then
    if [ ! -e "$dir" ]; then
      mkdir -m 0700 "$dir"
      [ "$user" = "$ME" ] || chown -h "$user:" "$dir"
    fi
    owned_folder "$dir" "$user" || die "$dir is not a folder owned by $user; refusing to use it"
    printf '%s\n' "$dir"
    return
  fi
  local outside=""
  if [ -f "$record" ]; then
    outside=$(cat "$record")
    owned_folder "$outside" "$user" || die "$outside (from $record) is not a folder owned by $user; refusing to use it (delete $record to start afresh)"
  else
    outside=$(mktemp -d "/var/tmp/recoverycomms-$name.XXXXXXXX")
    chown -h "$user:" "$outside"
    printf '%s\n' "$outside" > "$record"
  fi
  printf '%s\n' "$outside"
}

# True when $1 is a real folder (not a link, nor inside one) owned by $2, that only its owner can write, in a
# parent folder only root or $2 can write (or a sticky one such as /var/tmp).
owned_folder() {
  local path=$1 user=$2 parent
  [ -d "$path" ] && [ ! -L "$path" ] || return 1
  [ "$(readlink -f "$path")" = "$path" ] || return 1
  [ "$(stat -c %U "$path")" = "$user" ] || return 1
  [ $(( 0$(stat -c %a "$path") & 022 )) = 0 ] || return 1
  parent=$(dirname "$path")
  case "$(stat -c %U "$parent")" in root | "$user" | "$ME") ;; *) return 1 ;; esac
  [ $(( 0$(stat -c %a "$parent") & 022 )) = 0 ] || [ -k "$parent" ]
}

# Generated once, kept under .dev/secrets (0700, files 0600), read by every later run.
secret() {
  local file="$DEV/secrets/$1"
  if [ ! -s "$file" ]; then
    ( umask 077; mkdir -p "$DEV/secrets"; head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 > "$file" )
  fi
  chmod 0700 "$DEV/secrets"; chmod 0600 "$file"
  cat "$file"
}

PG_BIN="" PG_DATA="" PG_STARTED=0
psql_admin() { as_user "$PG_USER" "$PG_BIN/psql" -h "$PG_DATA" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

start_postgres() {
  PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")
  PG_DATA=$(data_dir pg "$PG_USER")
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initialising PostgreSQL in $PG_DATA"
    local pwfile
    pwfile=$(mktemp)
    secret postgres > "$pwfile"
    [ "$PG_USER" = "$ME" ] || chown -h "$PG_USER:" "$pwfile"
    as_user "$PG_USER" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  # Note: TCP on loopback needs a password (scram-sha-256). The socket lives in the data folder (0700), which only
  # the account running PostgreSQL can enter, so it alone uses it, without a password, to set the roles up.
  printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 scram-sha-256" "host all all ::1/128 scram-sha-256" \
    | as_user "$PG_USER" tee "$PG_DATA/pg_hba.conf" >/dev/null
  if as_user "$PG_USER" "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "PostgreSQL already running (left running when this run ends)"
    as_user "$PG_USER" "$PG_BIN/pg_ctl" -D "$PG_DATA" reload >/dev/null
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    pg_ctl_start || { tail -n 20 "$PG_DATA/server.log" >&2; die "PostgreSQL did not start"; }
    PG_STARTED=1
  fi
  setup_roles
  create_database recoverycomms
}

pg_ctl_start() {
  as_user "$PG_USER" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DATA -c unix_socket_permissions=0700 -c max_connections=300 -c fsync=on -c password_encryption=scram-sha-256" \
    start >/dev/null
}

# recoverycomms_owner runs the migrations (`dotnet <service>.dll migrate`) and owns the schemas. Each service logs in
# with a login of its own (recoverycomms_webhooks, _orchestrator, _consent), a member of its schema's group
# (recoverycomms_<schema>_app): the migrations grant that group its own schema's rows only (docs/security.md). The
# login every service shared before (recoverycomms_service) may no longer log in.
SERVICES=(Webhooks Orchestrator Consent)
setup_roles() {
  local admin owner webhooks orchestrator consent
  admin=$(secret postgres) owner=$(secret recoverycomms_owner)
  webhooks=$(secret recoverycomms_webhooks) orchestrator=$(secret recoverycomms_orchestrator) consent=$(secret recoverycomms_consent)
  psql_admin -v admin="$admin" -v owner="$owner" -v webhooks="$webhooks" -v orchestrator="$orchestrator" -v consent="$consent" >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT format('CREATE ROLE %I NOLOGIN', r) FROM unnest(ARRAY['recoverycomms_app', 'recoverycomms_webhooks_app', 'recoverycomms_orchestrator_app', 'recoverycomms_consent_app']) r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
SELECT format('CREATE ROLE %I LOGIN', r) FROM unnest(ARRAY['recoverycomms_owner', 'recoverycomms_webhooks', 'recoverycomms_orchestrator', 'recoverycomms_consent']) r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE postgres PASSWORD :'admin';
ALTER ROLE recoverycomms_owner NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'owner';
ALTER ROLE recoverycomms_webhooks NOSUPERUSER NOCREATEROLE NOCREATEDB INHERIT PASSWORD :'webhooks';
ALTER ROLE recoverycomms_orchestrator NOSUPERUSER NOCREATEROLE NOCREATEDB INHERIT PASSWORD :'orchestrator';
ALTER ROLE recoverycomms_consent NOSUPERUSER NOCREATEROLE NOCREATEDB INHERIT PASSWORD :'consent';
GRANT recoverycomms_webhooks_app TO recoverycomms_webhooks;
GRANT recoverycomms_orchestrator_app TO recoverycomms_orchestrator;
GRANT recoverycomms_consent_app TO recoverycomms_consent;
SELECT 'ALTER ROLE recoverycomms_service NOLOGIN' WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recoverycomms_service') \gexec
SELECT 'REVOKE recoverycomms_app FROM recoverycomms_service' FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
 WHERE g.rolname = 'recoverycomms_app' AND u.rolname = 'recoverycomms_service' \gexec
SQL
}

# A database owned by recoverycomms_owner. One made by an earlier dev.sh (owned by postgres) is handed over,
# schemas and everything in them, so its next migrations run as the owner too.
create_database() {
  local db=$1
  psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
    || psql_admin -c "CREATE DATABASE $db OWNER recoverycomms_owner"
  psql_admin -d "$db" >/dev/null <<'SQL'
DO $$
DECLARE s text; o record;
BEGIN
    EXECUTE format('ALTER DATABASE %I OWNER TO recoverycomms_owner', current_database());
    FOREACH s IN ARRAY ARRAY['webhooks', 'orchestrator', 'consent'] LOOP
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = s);
        EXECUTE format('ALTER SCHEMA %I OWNER TO recoverycomms_owner', s);
        FOR o IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = s AND c.relkind IN ('r', 'p', 'v', 'S') AND pg_get_userbyid(c.relowner) <> 'recoverycomms_owner'
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
        LOOP
            EXECUTE format('ALTER %s %I.%I OWNER TO recoverycomms_owner',
                CASE o.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, s, o.relname);
        END LOOP;
        FOR o IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = s AND pg_get_userbyid(p.proowner) <> 'recoverycomms_owner'
        LOOP
            EXECUTE format('ALTER FUNCTION %s OWNER TO recoverycomms_owner', o.f);
        END LOOP;
    END LOOP;
END $$;
SQL
}

# Stops our cluster only (by its data folder), and only if this run started it.
stop_postgres() {
  [ "$PG_STARTED" = 1 ] && [ -n "$PG_DATA" ] || return 0
  as_user "$PG_USER" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
}

# Note: the node name and the distribution port derive from the AMQP port, so two checkouts on different ports
# (or a system broker) never share a node; HOME is the data folder, so each node has its own Erlang cookie.
RMQ_DATA=""
rmq() {
  local tool=$1; shift
  as_user "$RMQ_USER" env RABBITMQ_NODENAME="rc$RMQ_PORT@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$RMQ_PORT" \
    RABBITMQ_DIST_PORT=$((RMQ_PORT + 20000)) RABBITMQ_MNESIA_BASE="$RMQ_DATA/mnesia" RABBITMQ_LOG_BASE="$RMQ_DATA/log" \
    RABBITMQ_PID_FILE="$RMQ_DATA/rabbit.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DATA/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$RMQ_DATA/rabbitmq" HOME="$RMQ_DATA" ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' \
    "/usr/lib/rabbitmq/bin/$tool" "$@"
}

RMQ_STARTED=0
start_rabbitmq() {
  RMQ_DATA=$(data_dir rabbitmq "$RMQ_USER")
  as_user "$RMQ_USER" sh -c 'cd "$1" && { [ -f enabled_plugins ] || echo "[]." > enabled_plugins; } && printf "loopback_users.guest = true\nlisteners.tcp.1 = 127.0.0.1:%s\n" "$2" > rabbitmq.conf' \
    sh "$RMQ_DATA" "$RMQ_PORT"
  if rmq rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
    log "RabbitMQ already running (node rc$RMQ_PORT@localhost; left running when this run ends)"
    migrate_classic_queues
    return
  fi
  log "starting RabbitMQ on 127.0.0.1:$RMQ_PORT (node rc$RMQ_PORT@localhost)"
  rmq rabbitmq-server -detached >/dev/null 2>&1
  RMQ_STARTED=1
  local i
  for i in $(seq 1 90); do
    rmq rabbitmqctl -q --timeout 60 await_startup >/dev/null 2>&1 && { migrate_classic_queues; return 0; }
    sleep 1
  done
  tail -n 30 "$RMQ_DATA"/log/*.log >&2 || true
  die "RabbitMQ did not start"
}

# Note: the services declare their queues as quorum queues (docs/reliability.md). A broker an older dev.sh used still
# has them as classic queues, and RabbitMQ refuses to declare a queue again with another type: empty ones of ours are
# deleted so the services declare them anew; one that still holds messages is named and left alone.
migrate_classic_queues() {
  local name type messages
  while read -r name type messages; do
    case $name in webhooks-* | orchestrator-* | consent-*) ;; *) continue ;; esac
    [ "$type" = classic ] || continue
    if [ "$messages" = 0 ]; then
      rmq rabbitmqctl -q delete_queue "$name" >/dev/null 2>&1 && log "deleted the empty classic queue $name (declared again as a quorum queue)"
    else
      log "warning: the classic queue $name holds $messages message(s); drain it (or shovel it to a quorum queue) and delete it, or its service cannot consume"
    fi
  done < <(rmq rabbitmqctl -q list_queues --no-table-headers name type messages 2>/dev/null)
}

# Stops our node only (by its name and cookie), and only if this run started it.
stop_rabbitmq() {
  [ "$RMQ_STARTED" = 1 ] && [ -n "$RMQ_DATA" ] || return 0
  rmq rabbitmqctl -q stop "$RMQ_DATA/rabbit.pid" >/dev/null 2>&1 || true
}

pg_connection() { # user database
  local password
  password=$(secret "$1")
  # Note: Keepalive pings an idle pooled connection every 30 s and Tcp Keepalive lets the kernel notice a vanished peer
  # during a query, so neither side keeps a dead session (and its locks) for the kernel's two hours (npgsql.org/doc/keepalive.html).
  printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=%s;Password=%s;Keepalive=30;Tcp Keepalive=true' "$PG_PORT" "$2" "$1" "$password"
}

export_broker_settings() {
  export RabbitMq__Host=${RabbitMq__Host:-127.0.0.1} RabbitMq__Port=${RabbitMq__Port:-$RMQ_PORT}
  export RabbitMq__Username=${RabbitMq__Username:-guest} RabbitMq__Password=${RabbitMq__Password:-guest}
}

PG_DB=recoverycomms   # the database the services use; bench and faults set their own
PG_EXTRA=""           # appended to each service's connection string (the bench's pool size)
export_settings() {
  # Note: the owner's connection string is for the migrate step alone (migrate_schemas); no service is given it.
  if [ -z "${ConnectionStrings__PostgresMigrations:-}" ] || [ "${RC_EXTERNAL_INFRA:-0}" != 1 ]; then
    export ConnectionStrings__PostgresMigrations; ConnectionStrings__PostgresMigrations=$(pg_connection recoverycomms_owner "$PG_DB")
  fi
  export_broker_settings
  # Note: the dev stack runs with the public development secrets below; outside it a service refuses them
  # (Hosting/DevelopmentSecrets.cs), so a copy of these settings in production fails at start, not in an attack.
  export RecoveryComms__AllowDevelopmentSecrets=true
  export Twilio__PublicBaseUrl=${Twilio__PublicBaseUrl:-http://127.0.0.1:5080}
  export Auth__BootstrapAdminKey=${Auth__BootstrapAdminKey:-dev-bootstrap-admin-key}
  # The consent ledger's checkpoint signing key: kept out of the database by design (docs/consent.md).
  if [ -z "${Consent__CheckpointKey:-}" ]; then
    [ -s "$DEV/checkpoint.key" ] || ( umask 077; mkdir -p "$DEV"; head -c 32 /dev/urandom | base64 > "$DEV/checkpoint.key" )
    Consent__CheckpointKey=$(cat "$DEV/checkpoint.key")
    export Consent__CheckpointKey
  fi
  # The pair that signs and checks the API key events (ECDSA P-256, docs/consent.md); start_replica gives the private
  # key to the orchestrator only.
  if [ -z "${Auth__KeyEventSigningKey:-}" ]; then
    [ -s "$DEV/secrets/key-events.pem" ] || ( umask 077; mkdir -p "$DEV/secrets"
      openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt > "$DEV/secrets/key-events.pem" )
    export Auth__KeyEventSigningKey; Auth__KeyEventSigningKey=$(cat "$DEV/secrets/key-events.pem")
  fi
  export Auth__KeyEventPublicKey; Auth__KeyEventPublicKey=${Auth__KeyEventPublicKey:-$(printf '%s\n' "$Auth__KeyEventSigningKey" | openssl ec -pubout 2>/dev/null)}
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

# RC_EXTERNAL_INFRA=1 (up only): PostgreSQL and RabbitMQ are someone else's (a server, another checkout's dev.sh), so
# nothing is installed, started or stopped here; the environment names them, and both must answer.
external_infra() {
  [ -n "${ConnectionStrings__PostgresMigrations:-}" ] \
    || die "RC_EXTERNAL_INFRA=1 needs ConnectionStrings__PostgresMigrations (the schemas' owner, for the migrate step) and each service's login: RC_POSTGRES_WEBHOOKS, RC_POSTGRES_ORCHESTRATOR, RC_POSTGRES_CONSENT (docs/security.md)"
  local svc var
  for svc in "${SERVICES[@]}"; do
    var=RC_POSTGRES_${svc^^}
    [ -n "${!var:-}" ] || die "RC_EXTERNAL_INFRA=1 needs $var: the $svc service's own login (docs/security.md)"
  done
  export_broker_settings
  local host port
  host=$(sed -n 's/.*\bHost=\([^;,:]*\).*/\1/Ip' <<<"$ConnectionStrings__PostgresMigrations")
  port=$(sed -n 's/.*\bPort=\([0-9]*\).*/\1/Ip' <<<"$ConnectionStrings__PostgresMigrations")
  host=${host:-127.0.0.1} port=${port:-5432}
  answers "$host" "$port" || die "PostgreSQL does not answer on $host:$port (ConnectionStrings__PostgresMigrations)"
  answers "$RabbitMq__Host" "$RabbitMq__Port" || die "RabbitMQ does not answer on $RabbitMq__Host:$RabbitMq__Port (RabbitMq__Host, RabbitMq__Port)"
  log "PostgreSQL $host:$port and RabbitMQ $RabbitMq__Host:$RabbitMq__Port from the environment (RC_EXTERNAL_INFRA=1; left as they are)"
}
answers() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; }

PIDS=()
# What `up` keeps running, by name (webhooks-1 … consent-3, proxy, sandbox): its pid, and the command that starts it again.
declare -A SUPERVISED=() STARTS=()
RUN="$DEV/run"
SUPERVISOR=""
cleanup() {
  local pid name
  # Note: the supervisor runs in a background subshell and restarts processes there, so this shell knows a restarted
  # process by its pid file only: the supervisor is stopped first (nothing restarts any more), then every pid file's process.
  if [ -n "$SUPERVISOR" ]; then kill "$SUPERVISOR" 2>/dev/null || true; wait "$SUPERVISOR" 2>/dev/null || true; fi
  for name in "${!SUPERVISED[@]}"; do
    [ -s "$RUN/$name.pid" ] && SUPERVISED[$name]=$(cat "$RUN/$name.pid")
    kill -CONT "${SUPERVISED[$name]}" 2>/dev/null || true   # a frozen replica (the fault suite) cannot handle SIGTERM
  done
  for pid in "${PIDS[@]}" "${SUPERVISED[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}" "${SUPERVISED[@]}"; do
    wait "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  for name in "${!SUPERVISED[@]}"; do rm -f "$RUN/$name.pid"; done
  if [ "$INFRA_STARTED" = 1 ]; then log "stopping what this run started"; stop_rabbitmq; stop_postgres; fi
}

# Replica i of a service: its own port (the contract port + 100·i; the contract port itself when there is one replica), its
# own instance name and, with replicas, its own webhook journal (a journal belongs to one process: docs/capture.md).
# A Release build, quiet; on failure its errors are shown (they were thrown away with the rest of the output).
build_release() { # project-or-solution
  local out
  out=$(dotnet build "$1" -c Release -v q -nologo 2>&1) || { grep -E ' error |error:' <<<"$out" | sort -u >&2; die "the build of $1 failed (above)"; }
}

# The connection string a service runs with: its own login (RC_POSTGRES_<SERVICE> when set), never the owner's.
service_connection() { # Webhooks|Orchestrator|Consent
  local var=RC_POSTGRES_${1^^}
  if [ -n "${!var:-}" ]; then printf '%s' "${!var}"; return; fi
  printf '%s%s' "$(pg_connection "recoverycomms_${1,,}" "$PG_DB")" "$PG_EXTRA"
}

# Replaces the calling subshell with a service (Release build; run from its folder, so it finds its appsettings).
service_exec() { # Webhooks|Orchestrator|Consent dotnet-arguments...
  local svc=$1; shift
  cd "$ROOT/services/RecoveryComms.$svc"
  export ConnectionStrings__Postgres; ConnectionStrings__Postgres=$(service_connection "$svc")
  unset ConnectionStrings__PostgresMigrations
  # Note: the key that signs key events is the orchestrator's alone (docs/consent.md).
  [ "$svc" = Orchestrator ] || unset Auth__KeyEventSigningKey
  exec dotnet "bin/${BUILD_CONFIGURATION:-Release}/net10.0/RecoveryComms.$svc.dll" "$@"
}

# The migrate step: each service's migrations as the schemas' owner, before any service starts (docs/security.md).
migrate_schemas() {
  local svc
  for svc in "${SERVICES[@]}"; do
    if ! ( cd "$ROOT/services/RecoveryComms.$svc"
      exec dotnet "bin/${BUILD_CONFIGURATION:-Release}/net10.0/RecoveryComms.$svc.dll" migrate --wait 60 ) 2>&1 | sed 's/^/[migrate] /' >&2; then
      die "the $svc migrations failed (above)"
    fi
  done
}

start_replica() { # Webhooks|Orchestrator|Consent i
  local svc=$1 i=$2 name port
  name=${svc,,}-$i
  case $svc in Webhooks) port=5080 ;; Orchestrator) port=5081 ;; Consent) port=5082 ;; esac
  [ "$REPLICAS" = 1 ] || port=$((port + 100 * i))
  (
    cd "$ROOT/services/RecoveryComms.$svc"
    export RecoveryComms__Instance=$name
    if [ "$svc" = Webhooks ] && [ "$REPLICAS" != 1 ]; then export Webhooks__JournalPath="$DEV/journal/$name.jsonl"; fi
    [ -z "$SERVICE_LOGS" ] || exec >>"$SERVICE_LOGS/$name.log" 2>&1
    service_exec "$svc" --urls "http://127.0.0.1:$port"
  ) &
  supervised "$name" "start_replica $svc $i" $!
}

SERVICE_LOGS=""   # a folder: each process's output goes to <name>.log there (the fault suite), not to the terminal
start_proxy() {
  ( [ -z "$SERVICE_LOGS" ] || exec >>"$SERVICE_LOGS/proxy.log" 2>&1; cd "$ROOT/tools/RecoveryComms.Proxy" && exec dotnet bin/Release/net10.0/RecoveryComms.Proxy.dll --replicas "$REPLICAS" ) &
  supervised proxy start_proxy $!
}

start_sandbox() {
  ( [ -z "$SERVICE_LOGS" ] || exec >>"$SERVICE_LOGS/sandbox.log" 2>&1
    exec dotnet "$ROOT/tools/RecoveryComms.DevTools/bin/Release/net10.0/RecoveryComms.DevTools.dll" sandbox --port "$SANDBOX_PORT" ) &
  supervised sandbox start_sandbox $!
}

supervised() { # name start-command pid
  SUPERVISED[$1]=$3 STARTS[$1]=$2
  printf '%s\n' "$3" > "$RUN/$1.pid"
}

# Polls every second: a process that exited is started again at once while the others keep serving, so a replica is
# back within about a second plus its start-up, and its readiness probe puts it back behind the proxy. It runs in the
# background (start_supervisor) until cleanup stops it: `up` waits for it, the fault suite runs its scenarios meanwhile.
start_supervisor() {
  supervise &
  SUPERVISOR=$!
}
supervise() {
  trap - EXIT INT TERM
  local name pid status
  while true; do
    for name in "${!SUPERVISED[@]}"; do
      pid=${SUPERVISED[$name]}
      kill -0 "$pid" 2>/dev/null && continue
      status=0; wait "$pid" 2>/dev/null || status=$?
      # Note: a process the calling shell started is not this subshell's child, so its status is unknown here (127).
      if [ "$status" = 127 ]; then log "$name (pid $pid) exited; starting it again"; else log "$name (pid $pid) exited with status $status; starting it again"; fi
      ${STARTS[$name]}
    done
    sleep 1
  done
}

wait_ready() { # port…
  local port
  for port in "$@"; do
    for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  done
}

REPLICAS=1
cmd_up() {
  while [ $# -gt 0 ]; do
    case $1 in
      --replicas) [ $# -ge 2 ] || die "--replicas needs a number: 1, 2 or 3"; REPLICAS=$2; shift 2 ;;
      --replicas=*) REPLICAS=${1#*=}; shift ;;
      *) die "up: unknown argument '$1' (usage: ./infra/dev.sh up [--replicas 1|2|3])" ;;
    esac
  done
  case $REPLICAS in 1 | 2 | 3) ;; *) die "--replicas must be 1, 2 or 3, not '$REPLICAS'" ;; esac
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  if [ "${RC_EXTERNAL_INFRA:-0}" = 1 ]; then external_infra; else infra_up; fi
  export_settings
  log "building"
  build_release "$ROOT/RecoveryComms.sln"
  migrate_schemas
  mkdir -p "$RUN" "$DEV/journal"
  if [ -z "${Twilio__AccountSid:-}" ]; then
    log "no Twilio credentials: Twilio's REST API is the local sandbox at http://127.0.0.1:$SANDBOX_PORT"
    export Twilio__AccountSid=$DEV_ACCOUNT_SID Twilio__AuthToken=$DEV_AUTH_TOKEN
    export Twilio__ApiBaseUrl=http://127.0.0.1:$SANDBOX_PORT
    start_sandbox
  fi
  local svc i
  for i in $(seq 1 "$REPLICAS"); do
    for svc in Webhooks Orchestrator Consent; do start_replica "$svc" "$i"; done
  done
  if [ "$REPLICAS" != 1 ]; then
    for i in $(seq 1 "$REPLICAS"); do wait_ready $((5080 + 100 * i)) $((5081 + 100 * i)) $((5082 + 100 * i)); done
    start_proxy
  fi
  wait_ready 5080 5081 5082
  cat >&2 <<EOF

  Webhooks      http://127.0.0.1:5080   (Twilio posts here; public base URL $Twilio__PublicBaseUrl)
  Orchestrator  http://127.0.0.1:5081   (CSR API and console)
  Consent       http://127.0.0.1:5082   (consent and compliance API)
  PostgreSQL    127.0.0.1:$PG_PORT   RabbitMQ  127.0.0.1:$RMQ_PORT
  Bootstrap admin key: $Auth__BootstrapAdminKey
EOF
  if [ "$REPLICAS" != 1 ]; then
    cat >&2 <<EOF
  Those ports are the proxy (tools/RecoveryComms.Proxy) in front of $REPLICAS replicas of each service: replica i on
  5080+100·i, 5081+100·i and 5082+100·i, its pid in .dev/run/<service>-<i>.pid. One that exits is started again.
EOF
  fi
  cat >&2 <<EOF

  Try: ./infra/dev.sh simulate missed-call --from +15551234567
  Ctrl-C stops everything.
EOF
  if [ "$REPLICAS" = 1 ]; then
    wait -n "${SUPERVISED[@]}" || true
    log "a process ended; stopping"
  else
    start_supervisor
    wait "$SUPERVISOR" || true
  fi
}

cmd_test() {
  trap cleanup EXIT
  WANT_BROWSER=1
  infra_up
  export RECOVERYCOMMS_TEST_POSTGRES; RECOVERYCOMMS_TEST_POSTGRES="$(pg_connection postgres postgres);Timeout=5"
  export RECOVERYCOMMS_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$RMQ_PORT/"
  # The console's browser tests drive Debian's Chromium (Playwright's own browser download needs the internet).
  export RECOVERYCOMMS_CHROMIUM=${RECOVERYCOMMS_CHROMIUM:-$(command -v chromium)}
  dotnet test "$ROOT/RecoveryComms.sln" "$@"
  migrate_check
}

# The deployed order, from the test build: a fresh database migrated by each service's `migrate` step as the owner,
# then each service's own login refused outside its schema (docs/security.md). The tests cover the rules; this runs
# the commands dev.sh and compose run.
migrate_check() {
  local db=recoverycomms_migrate_check svc other
  log "migrate step: a fresh database, each service's migrations as the owner, each login kept to its own schema"
  psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  create_database "$db"
  PG_DB=$db
  export_settings
  BUILD_CONFIGURATION=Debug migrate_schemas
  for svc in webhooks orchestrator consent; do
    for other in webhooks orchestrator consent; do
      [ "$svc" != "$other" ] || continue
      if PGPASSWORD=$(secret "recoverycomms_$svc") "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "recoverycomms_$svc" -d "$db" -v ON_ERROR_STOP=1 -qAtc \
          "DELETE FROM $other.outbox WHERE false" >/dev/null 2>&1; then
        die "the $svc login may write the $other schema"
      fi
    done
    PGPASSWORD=$(secret "recoverycomms_$svc") "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "recoverycomms_$svc" -d "$db" -v ON_ERROR_STOP=1 -qAtc \
      "DELETE FROM $svc.outbox WHERE false" >/dev/null || die "the $svc login may not write its own schema"
  done
  psql_admin -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
  log "migrate step: ok"
}

cmd_infra() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  infra_up
  log "PostgreSQL 127.0.0.1:$PG_PORT and RabbitMQ 127.0.0.1:$RMQ_PORT are up; Ctrl-C stops them"
  sleep infinity &
  PIDS+=($!)
  wait "${PIDS[@]}" || true
}

cmd_simulate() {
  export Twilio__AuthToken=${Twilio__AuthToken:-$DEV_AUTH_TOKEN}
  export Twilio__PublicBaseUrl=${Twilio__PublicBaseUrl:-http://127.0.0.1:5080}
  export RC_WEBHOOKS_URL=${RC_WEBHOOKS_URL:-http://127.0.0.1:5080}
  build_release "$ROOT/tools/RecoveryComms.DevTools"
  dotnet "$ROOT/tools/RecoveryComms.DevTools/bin/Release/net10.0/RecoveryComms.DevTools.dll" simulate "$@"
}

# Moves what is parked in *_error queues back to the queues it came from (the DevTools' replay-errors).
# With no names, every *_error queue of our node that holds a message (rabbitmqctl lists them; AMQP cannot).
cmd_replay_errors() {
  export_broker_settings
  local queues=("$@")
  if [ ${#queues[@]} = 0 ]; then
    [ "${RC_EXTERNAL_INFRA:-0}" = 1 ] && die "replay-errors with RC_EXTERNAL_INFRA=1: name the queues (./infra/dev.sh replay-errors orchestrator-missed-call_error ...)"
    RMQ_DATA=$(data_dir rabbitmq "$RMQ_USER")
    rmq rabbitmq-diagnostics -q ping >/dev/null 2>&1 || die "RabbitMQ (node rc$RMQ_PORT@localhost) is not running: start it (./infra/dev.sh infra), or name the queues"
    mapfile -t queues < <(rmq rabbitmqctl -q list_queues -p "${RabbitMq__VirtualHost:-/}" --no-table-headers name messages | awk '$1 ~ /_error$/ && $2 > 0 { print $1 }')
  fi
  build_release "$ROOT/tools/RecoveryComms.DevTools"
  dotnet "$ROOT/tools/RecoveryComms.DevTools/bin/Release/net10.0/RecoveryComms.DevTools.dll" replay-errors "${queues[@]}"
}

cmd_bench() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  if [ "${1:-}" = console ]; then WANT_BROWSER=1; fi   # the console bench drives Chromium: install it like the rest
  infra_up
  export_settings
  case "${1:-}" in
    suppression) shift; bench_suppression "$@"; return ;;
    intake) shift; bench_orchestrator intake "$@"; return ;;
    timers) shift; bench_orchestrator timers "$@"; return ;;
    console) shift; bench_console "$@"; return ;;
  esac
  export Twilio__AccountSid=$DEV_ACCOUNT_SID Twilio__AuthToken=$DEV_AUTH_TOKEN Twilio__ApiBaseUrl=http://127.0.0.1:$SANDBOX_PORT
  export Benchmark__BaselineEndpoint=true Logging__LogLevel__Default=Warning
  bench_database
  PG_EXTRA=";Maximum Pool Size=64"
  build_release "$ROOT/RecoveryComms.sln"
  migrate_schemas
  ( service_exec Webhooks --urls http://127.0.0.1:5080 ) &
  PIDS+=($!)
  for _ in $(seq 1 120); do curl -fs http://127.0.0.1:5080/health/ready >/dev/null 2>&1 && break; sleep 0.5; done
  dotnet "$ROOT/tests/RecoveryComms.LoadTest/bin/Release/net10.0/RecoveryComms.LoadTest.dll" \
    --url http://127.0.0.1:5080 --token "$DEV_AUTH_TOKEN" --rabbit "amqp://guest:guest@127.0.0.1:$RMQ_PORT/" \
    --postgres "$(pg_connection recoverycomms_owner recoverycomms_bench)" "$@"
}

# A fresh benchmark database, owned and migrated like the real one.
bench_database() {
  psql_admin -c 'DROP DATABASE IF EXISTS recoverycomms_bench WITH (FORCE)' >/dev/null
  create_database recoverycomms_bench
  PG_DB=recoverycomms_bench
  export ConnectionStrings__PostgresMigrations; ConnectionStrings__PostgresMigrations=$(pg_connection recoverycomms_owner recoverycomms_bench)
}

# The orchestrator and the consent service in Release, each waited for until ready.
start_bench_services() {
  local svc port
  export Consent__BaseUrl=http://127.0.0.1:$CONSENT_PORT
  for svc in Orchestrator:$ORCHESTRATOR_PORT Consent:$CONSENT_PORT; do
    port=${svc#*:}; svc=${svc%:*}
    ( service_exec "$svc" --urls "http://127.0.0.1:$port" ) &
    PIDS+=($!)
    for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  done
}

# The orchestrator's figures: intake (event → item on the live feed) and timer lag. Orchestrator and consent
# in Release on a fresh bench database, the load tool pinned to one core when taskset is there.
bench_orchestrator() {
  local scenario=$1; shift
  export Twilio__AccountSid=$DEV_ACCOUNT_SID Twilio__AuthToken=$DEV_AUTH_TOKEN Twilio__ApiBaseUrl=http://127.0.0.1:$SANDBOX_PORT
  export Logging__LogLevel__Default=Warning
  bench_database
  build_release "$ROOT/RecoveryComms.sln"
  migrate_schemas
  start_bench_services
  local pin=()
  command -v taskset >/dev/null 2>&1 && pin=(taskset -c 1)
  "${pin[@]}" dotnet "$ROOT/tests/RecoveryComms.LoadTest/bin/Release/net10.0/RecoveryComms.LoadTest.dll" --scenario "$scenario" \
    --orchestrator-url "http://127.0.0.1:$ORCHESTRATOR_PORT" --bootstrap-key "$Auth__BootstrapAdminKey" --rabbit "amqp://guest:guest@127.0.0.1:$RMQ_PORT/" \
    --postgres "$(pg_connection recoverycomms_owner recoverycomms_bench)" "$@"
}

bench_suppression() {
  export Twilio__AccountSid=$DEV_ACCOUNT_SID Twilio__AuthToken=$DEV_AUTH_TOKEN Twilio__ApiBaseUrl=http://127.0.0.1:$SANDBOX_PORT
  export Logging__LogLevel__Default=Warning
  bench_database
  build_release "$ROOT/RecoveryComms.sln"
  migrate_schemas
  start_bench_services
  dotnet "$ROOT/tests/RecoveryComms.LoadTest/bin/Release/net10.0/RecoveryComms.LoadTest.dll" --scenario suppression \
    --orchestrator-url "http://127.0.0.1:$ORCHESTRATOR_PORT" --consent-url "http://127.0.0.1:$CONSENT_PORT" \
    --bootstrap-key "$Auth__BootstrapAdminKey" "$@"
}

# The console in Debian's Chromium (docs/benchmarks.md): the webhooks service, the orchestrator and the consent
# service in Release on a fresh bench database; the load tool seeds open items and sends missed calls as signed
# webhooks, and drives the page through Playwright. The load tool is pinned to core 1 when taskset is there (the
# browser it starts is given every core back), and its CPU time is reported.
bench_console() {
  command -v chromium >/dev/null 2>&1 || [ -n "${RECOVERYCOMMS_CHROMIUM:-}" ] \
    || die "the console bench needs Debian's chromium (apt-get install chromium) or RECOVERYCOMMS_CHROMIUM"
  export Twilio__AccountSid=$DEV_ACCOUNT_SID Twilio__AuthToken=$DEV_AUTH_TOKEN Twilio__ApiBaseUrl=http://127.0.0.1:$SANDBOX_PORT
  export Twilio__PublicBaseUrl=http://127.0.0.1:$WEBHOOKS_PORT Logging__LogLevel__Default=Warning
  bench_database
  local project
  for project in services/RecoveryComms.Webhooks services/RecoveryComms.Orchestrator services/RecoveryComms.Consent tests/RecoveryComms.LoadTest; do
    build_release "$ROOT/$project"
  done
  migrate_schemas
  ( service_exec Webhooks --urls "http://127.0.0.1:$WEBHOOKS_PORT" ) &
  PIDS+=($!)
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$WEBHOOKS_PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  start_bench_services
  local pin=()
  command -v taskset >/dev/null 2>&1 && pin=(taskset -c 1)
  "${pin[@]}" dotnet "$ROOT/tests/RecoveryComms.LoadTest/bin/Release/net10.0/RecoveryComms.LoadTest.dll" --scenario console \
    --url "http://127.0.0.1:$WEBHOOKS_PORT" --token "$DEV_AUTH_TOKEN" --orchestrator-url "http://127.0.0.1:$ORCHESTRATOR_PORT" \
    --bootstrap-key "$Auth__BootstrapAdminKey" "$@"
}

# The fault suite (docs/reliability.md, "Fault suite"): a database and a vhost of its own, 2 replicas of each service behind
# the proxy with short loop clocks, then the scenario driver (tests/RecoveryComms.LoadTest/Faults), which asks for each fault
# through the hook below and counts from PostgreSQL and the public APIs. Everything it started is stopped when it ends.
FAULTS_DB=recoverycomms_faults
FAULTS_VHOST=recoverycomms_faults
cmd_faults() {
  local started load commit status=0
  started=$(date +%s)
  load=$(uptime)
  REPLICAS=2
  trap 'faults_cleanup' EXIT
  trap 'exit 130' INT TERM
  if [ "${RC_EXTERNAL_INFRA:-0}" = 1 ]; then
    # Note: someone else's servers are not stopped here: the scenarios that stop PostgreSQL or RabbitMQ are skipped.
    external_infra
    export RC_FAULT_INFRA=external
  else
    infra_up
    export RC_FAULT_INFRA=own
    psql_admin -c "DROP DATABASE IF EXISTS $FAULTS_DB WITH (FORCE)" >/dev/null
    create_database "$FAULTS_DB"
    PG_DB=$FAULTS_DB
    rmq rabbitmqctl -q delete_vhost "$FAULTS_VHOST" >/dev/null 2>&1 || true
    rmq rabbitmqctl -q add_vhost "$FAULTS_VHOST" >/dev/null
    rmq rabbitmqctl -q set_permissions -p "$FAULTS_VHOST" guest '.*' '.*' '.*' >/dev/null
    export RabbitMq__VirtualHost=$FAULTS_VHOST
  fi
  export_settings
  # Short loop clocks, so the timers are due within a scenario; a shop open every hour, so no item waits for the morning.
  export Recovery__FirstAttemptTarget=${Recovery__FirstAttemptTarget:-00:00:20} Recovery__Sla=${Recovery__Sla:-00:00:45}
  # A click-to-call whose create answer was lost is looked up at Twilio after 20 s (not 45): above the 15 s request timeout.
  export Recovery__AttemptSettleAfter=${Recovery__AttemptSettleAfter:-00:00:20}
  # Note: 20 s, not less: the SMS gate holds its locks while Twilio answers, up to the REST client's 15 s (docs/reliability.md).
  export Postgres__IdleInTransactionTimeout=${Postgres__IdleInTransactionTimeout:-00:00:20}
  local day
  for day in Monday Tuesday Wednesday Thursday Friday Saturday Sunday; do export "Business__OpenHours__$day=00:00-23:59"; done
  export Logging__LogLevel__Default=${Logging__LogLevel__Default:-Warning}
  # The loop's one SMS may be sent (stop-vs-send), from the demo shop line, to the sandbox, to a caller whose missed call
  # is their consent (implied; a shop decides that with its counsel: docs/consent.md).
  export Messaging__A2PRegistered=true Messaging__From=${Messaging__From:-$Business__ShopLines__0} Consent__ImpliedConsentAllowsRecoveryText=true
  export Twilio__AccountSid=$DEV_ACCOUNT_SID Twilio__AuthToken=$DEV_AUTH_TOKEN Twilio__ApiBaseUrl=http://127.0.0.1:$SANDBOX_PORT
  log "building (Release)"
  build_release "$ROOT/RecoveryComms.sln"
  migrate_schemas
  SERVICE_LOGS="$DEV/faults/logs"
  rm -rf "$DEV/faults" "$DEV/journal"
  mkdir -p "$RUN" "$DEV/journal" "$SERVICE_LOGS"
  start_sandbox
  local svc i
  for i in 1 2; do for svc in Webhooks Orchestrator Consent; do start_replica "$svc" "$i"; done; done
  for i in 1 2; do wait_ready $((5080 + 100 * i)) $((5081 + 100 * i)) $((5082 + 100 * i)); done
  start_proxy
  wait_ready 5080 5081 5082
  start_supervisor
  log "2 replicas of each service behind the proxy; their output in .dev/faults/logs; running the scenarios"
  printf '#!/bin/sh\nexec "%s" fault-hook "$@"\n' "$ROOT/infra/dev.sh" > "$DEV/faults/hook"
  chmod 0755 "$DEV/faults/hook"
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] || commit="$commit (with uncommitted changes)"
  RC_FAULT_HOOK="$DEV/faults/hook" dotnet "$ROOT/tests/RecoveryComms.LoadTest/bin/Release/net10.0/RecoveryComms.LoadTest.dll" --scenario faults \
    --only "$(IFS=,; echo "$*")" --url http://127.0.0.1:5080 --token "$DEV_AUTH_TOKEN" --public-base "$Twilio__PublicBaseUrl" \
    --orchestrator-url http://127.0.0.1:5081 --bootstrap-key "$Auth__BootstrapAdminKey" --sandbox-url "http://127.0.0.1:$SANDBOX_PORT" \
    --postgres "$ConnectionStrings__PostgresMigrations" --pg-seconds "${RC_FAULT_PG_SECONDS:-300}" --trials "${RC_FAULT_TRIALS:-1000}" \
    --run-dir "$RUN" --report "$ROOT/docs/reliability.md" --load "$load" --commit "$commit" --started "$started" || status=$?
  return "$status"
}

# Stops the stack, then (our own servers only, PostgreSQL restarted if a scenario left it down) drops the suite's database and vhost.
faults_cleanup() {
  local rc=$? infra=$INFRA_STARTED
  INFRA_STARTED=0
  cleanup
  if [ "${RC_FAULT_INFRA:-}" = own ]; then
    fault_hook pg-start >/dev/null 2>&1 || true
    fault_hook rmq-start >/dev/null 2>&1 || true
    psql_admin -c "DROP DATABASE IF EXISTS $FAULTS_DB WITH (FORCE)" >/dev/null 2>&1 || true
    rmq rabbitmqctl -q delete_vhost "$FAULTS_VHOST" >/dev/null 2>&1 || true
  fi
  if [ "$infra" = 1 ]; then log "stopping what this run started"; stop_rabbitmq; stop_postgres; fi
  exit "$rc"
}

# What the driver asks for: pg-stop|pg-start|pg-idle-tx|rmq-stop|rmq-start|error-queues|kill|freeze|thaw <service> <i>. Exit 3: not
# possible here (someone else's servers).
fault_hook() {
  local action=${1:-} pid
  RUN="$DEV/run"
  case $action in
    pg-stop | pg-start | pg-idle-tx | rmq-stop | rmq-start | error-queues)
      [ "${RC_FAULT_INFRA:-}" = own ] || { echo "$action: PostgreSQL and RabbitMQ are not this run's (RC_EXTERNAL_INFRA=1)" >&2; return 3; } ;;
  esac
  case $action in
    pg-stop | pg-start)
      PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")
      PG_DATA=$(data_dir pg "$PG_USER")
      if [ "$action" = pg-stop ]; then
        as_user "$PG_USER" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
      elif ! as_user "$PG_USER" "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
        pg_ctl_start
      fi ;;
    pg-idle-tx) # the services' sessions in the suite's database that sit idle inside a transaction (a frozen replica's claim)
      PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")
      PG_DATA=$(data_dir pg "$PG_USER")
      psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$FAULTS_DB' AND usename IN ('recoverycomms_webhooks', 'recoverycomms_orchestrator', 'recoverycomms_consent') AND state LIKE 'idle in transaction%'" ;;
    rmq-stop) RMQ_DATA=$(data_dir rabbitmq "$RMQ_USER"); rmq rabbitmqctl -q stop_app >/dev/null ;;
    rmq-start) RMQ_DATA=$(data_dir rabbitmq "$RMQ_USER"); rmq rabbitmqctl -q start_app >/dev/null ;;
    error-queues)
      RMQ_DATA=$(data_dir rabbitmq "$RMQ_USER")
      rmq rabbitmqctl -q list_queues -p "${RabbitMq__VirtualHost:-/}" --no-table-headers name messages | awk '$1 ~ /_error$/ { s += $2 } END { print s + 0 }' ;;
    kill | freeze | thaw)
      [ -s "$RUN/$2-$3.pid" ] || { echo "no pid file $RUN/$2-$3.pid" >&2; return 2; }
      pid=$(cat "$RUN/$2-$3.pid")
      case $action in kill) kill -9 "$pid" ;; freeze) kill -STOP "$pid" ;; thaw) kill -CONT "$pid" ;; esac ;;
    *) echo "fault-hook: unknown action '$action'" >&2; return 2 ;;
  esac
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  faults) shift; cmd_faults "$@" ;;
  fault-hook) shift; fault_hook "$@" ;;
  test) shift; cmd_test "$@" ;;
  infra) shift; cmd_infra "$@" ;;
  simulate) shift; cmd_simulate "$@" ;;
  replay-errors) shift; cmd_replay_errors "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
