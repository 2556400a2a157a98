#!/usr/bin/env bash
# docker-entrypoint-initdb.d script of the postgres image (run once, on an empty data directory,
# as the superuser against the temporary server): inventory's two roles, as tools/infra's
# postgres_roles makes them. The migration role owns the database and its schema public; the
# runtime role gets only the DML and EXECUTE that inventory's migrations grant it.
#   POSTGRES_MIGRATION_USER, POSTGRES_MIGRATION_PASSWORD, POSTGRES_RUNTIME_USER, POSTGRES_RUNTIME_PASSWORD
# Passwords go in as psql variables, quoted by psql, never spliced into the SQL text.
set -eo pipefail
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v mig="${POSTGRES_MIGRATION_USER:?}" -v migpw="${POSTGRES_MIGRATION_PASSWORD:?}" \
  -v app="${POSTGRES_RUNTIME_USER:?}" -v apppw="${POSTGRES_RUNTIME_PASSWORD:?}" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"mig" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'migpw';
CREATE ROLE :"app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'apppw';
ALTER DATABASE :"db" OWNER TO :"mig";
ALTER SCHEMA public OWNER TO :"mig";
SQL
