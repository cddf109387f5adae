#!/usr/bin/env bash
# Proves docker/postgres-init.sh on a real PostgreSQL: run with throwaway role and database names
# (and a throwaway maintenance database), each role must connect to its own database and create a
# table there (what its migrations do), and must be refused CONNECT on the other's database and on
# the maintenance database. Everything it made is dropped afterwards.
#   docker/check-db-isolation.sh [admin-url]   (default postgresql://postgres@127.0.0.1:5432/postgres)
# The refusals are CONNECT privilege checks, made whatever the server's authentication method.
set -euo pipefail
ADMIN_URL="${1:-${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}}"
SERVER="${ADMIN_URL%/*}"                  # postgresql://user@host:port
HOST_PART="${SERVER#*@}"                 # host:port
TAG="zt$$_$(date +%s)"
A="${TAG}_a" B="${TAG}_b" MAINT="${TAG}_maint"
export "${A^^}_DB_PASSWORD=pw-a-$RANDOM" "${B^^}_DB_PASSWORD=pw-b-$RANDOM"
pw() { local var="${1^^}_DB_PASSWORD"; printf '%s' "${!var}"; }

admin() { psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -qAt "$@"; }
cleanup() {
  for db in "$A" "$B" "$MAINT"; do admin -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
  for role in "$A" "$B"; do admin -c "DROP ROLE IF EXISTS \"$role\"" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

admin -c "CREATE DATABASE \"$MAINT\""
# The init script as the postgres image runs it, pointed at this server.
PGHOST="${HOST_PART%:*}" PGPORT="${HOST_PART##*:}" POSTGRES_USER="$(printf '%s' "${SERVER#*://}" | cut -d@ -f1 | cut -d: -f1)" \
  POSTGRES_DB="$MAINT" SERVICE_DATABASES="$A $B" "$(dirname "$0")/postgres-init.sh"

as() { psql "postgresql://$1:$(pw "$1")@$HOST_PART/$2" -v ON_ERROR_STOP=1 -qAt -c "$3" 2>&1; }
failures=0
expect_ok() {
  if out=$(as "$1" "$2" "$3"); then echo "ok   $1 -> $2: $out"; else echo "FAIL $1 -> $2 was refused: $out"; failures=$((failures + 1)); fi
}
expect_refused() {
  if out=$(as "$1" "$2" 'SELECT 1'); then echo "FAIL $1 -> $2 connected"; failures=$((failures + 1));
  elif grep -q 'permission denied for database' <<<"$out"; then echo "ok   $1 -> $2 refused: $(grep -o 'permission denied for database.*' <<<"$out" | head -1)";
  else echo "FAIL $1 -> $2 refused for another reason: $out"; failures=$((failures + 1)); fi
}
for role in "$A" "$B"; do
  expect_ok "$role" "$role" 'CREATE TABLE t (id int); DROP TABLE t; SELECT current_user'
done
expect_refused "$A" "$B"
expect_refused "$B" "$A"
expect_refused "$A" "$MAINT"
expect_ok "$A" "$A" "SELECT 'owner=' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
if [ "$failures" -ne 0 ]; then echo "$failures isolation check(s) failed" >&2; exit 1; fi
echo "database isolation holds"
