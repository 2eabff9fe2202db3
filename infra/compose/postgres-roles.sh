#!/bin/sh
# compose.yaml: run once by the postgres image on its first start (docker-entrypoint-initdb.d). The same roles as
# infra/dev.sh's setup_roles (docs/security.md): the schemas' owner, one group per schema, one login per service.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
  -v owner="$RC_OWNER_DB_PASSWORD" -v webhooks="$RC_WEBHOOKS_DB_PASSWORD" \
  -v orchestrator="$RC_ORCHESTRATOR_DB_PASSWORD" -v consent="$RC_CONSENT_DB_PASSWORD" <<'SQL'
CREATE ROLE recoverycomms_app NOLOGIN;
CREATE ROLE recoverycomms_webhooks_app NOLOGIN;
CREATE ROLE recoverycomms_orchestrator_app NOLOGIN;
CREATE ROLE recoverycomms_consent_app NOLOGIN;
CREATE ROLE recoverycomms_owner LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'owner';
CREATE ROLE recoverycomms_webhooks LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB INHERIT PASSWORD :'webhooks' IN ROLE recoverycomms_webhooks_app;
CREATE ROLE recoverycomms_orchestrator LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB INHERIT PASSWORD :'orchestrator' IN ROLE recoverycomms_orchestrator_app;
CREATE ROLE recoverycomms_consent LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB INHERIT PASSWORD :'consent' IN ROLE recoverycomms_consent_app;
ALTER DATABASE recoverycomms OWNER TO recoverycomms_owner;
SQL
