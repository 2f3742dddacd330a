# A private PostgreSQL for the HTTP tests, sourced after tests/http/lib.sh:
#   pg_start: initdb into a new temporary directory and start a server listening only on a Unix
#             socket in it (no TCP, no system service); sets PG_URL (a libpq connection URI).
#   pg_stop / pg_restart: stop (fast) and start that server again, data kept.
#   pg_remove: stop it and remove the directory (call it from the suite's cleanup).
# Needs Debian's postgresql (make test-deps installs it). As root, the server runs as the
# postgres user, which PostgreSQL requires.
PG_DIR= PG_BIN= PG_URL=
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_start() {
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -x "$PG_BIN/initdb" ] || { echo "postgresql is not installed (make test-deps)"; return 1; }
    PG_DIR=$(mktemp -d /tmp/pprofweb-pg.XXXXXX) || return 1
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
    pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 \
        > "$PG_DIR/initdb.log" 2>&1 || { echo "initdb failed: $(tail -n 5 "$PG_DIR/initdb.log")"; return 1; }
    PG_URL="postgresql://postgres@/postgres?host=$PG_DIR"
    pg_restart
}
pg_restart() {
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
        -o "-c listen_addresses='' -k $PG_DIR ${PG_SERVER_OPTS--c fsync=off}" start > /dev/null ||
        { echo "postgres did not start: $(tail -n 5 "$PG_DIR/server.log")"; return 1; }
}
pg_stop() { pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop > /dev/null 2>&1; }
pg_remove() {
    [ -n "$PG_DIR" ] || return 0
    pg_stop
    rm -rf "$PG_DIR"
    PG_DIR=
}
# pg_sql SQL: runs SQL in the test database (or $PG_DBNAME), prints the rows unaligned.
pg_sql() { PGOPTIONS="-c client_min_messages=warning" pg_as "$PG_BIN/psql" -X -q -At -h "$PG_DIR" -U postgres -d "${PG_DBNAME:-postgres}" -c "$1"; }
