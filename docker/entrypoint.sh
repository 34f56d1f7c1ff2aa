#!/bin/sh
# Container start-up: wait for the database, migrate when this service is the one asked to
# (MIGRATE_ON_START=1, set on the API only so replicas do not race), then become the command.
set -eu

scrapeflow wait-db --timeout "${WAIT_DB_TIMEOUT:-60}"
if [ "${MIGRATE_ON_START:-0}" = "1" ]; then
  scrapeflow migrate
fi
exec "$@"
