#!/usr/bin/env bash
# Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d): one
# login role and one database per service, the role owning its database, and CONNECT revoked from
# PUBLIC, so each service's role can reach its own database and no other (nor the maintenance
# database, $POSTGRES_DB). Passwords come from <NAME>_DB_PASSWORD (docker-compose.yml passes them
# from the env file); a missing one stops the init before anything is created.
#   SERVICE_DATABASES  the role and database names, "users products orders" unless set
# psql's :'var' / :"var" quoting keeps the names and passwords out of the SQL text.
set -euo pipefail
SERVICE_DATABASES="${SERVICE_DATABASES:-users products orders}"

for name in $SERVICE_DATABASES; do
  var="$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  if [ -z "${!var:-}" ]; then echo "postgres-init: $var is not set" >&2; exit 1; fi
done

psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" -q \
  -v maintenance="${POSTGRES_DB:-postgres}" <<'SQL'
REVOKE CONNECT ON DATABASE :"maintenance" FROM PUBLIC;
SQL
for name in $SERVICE_DATABASES; do
  var="$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" -q \
    -v name="$name" -v password="${!var}" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
  echo "postgres-init: role and database $name"
done
