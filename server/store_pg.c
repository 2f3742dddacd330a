/* store_pg: the PostgreSQL backend of the store (see store_backend.h), through libpq. The only
 * module that sees libpq-fe.h.
 *
 * Tables (prefixed pprofweb_, so the database may hold others): profiles (id, metadata, the bytes
 * as bytea), series, snapshots (one row each, ordered by time then insertion), watches (with the
 * lease: holder and lease_until, by the database's clock so replicas' clocks do not matter), and
 * schema (the version). The schema is created or migrated at open, in one transaction under an
 * advisory lock, so replicas starting together do not race; a database of a newer version is
 * refused.
 * Every change is one transaction: an upload is one INSERT (bytes sent as a binary parameter,
 * never escaped), an append checks the series' types and, for a watch, that the caller still
 * holds the lease, in the same transaction as the insert, so two replicas never both add a
 * snapshot of one watch.
 * Connections: a pool of PW_DB_CONNECTIONS, opened on demand. A connection found broken is
 * dropped and the next call connects again, so the server recovers by itself when the database
 * comes back; a call on a connection that turns out broken is retried once on a fresh one. While
 * the database cannot be reached, calls fail with PW_EUNAVAIL (HTTP 503).
 * Limits: PW_MAX_DB_PROFILE bytes per profile, PW_DB_CONNECT_TIMEOUT. Memory: results are
 * copied out and cleared before returning. libpq is loaded when a database store is opened
 * (dynlib.h). */
#include "pprofweb/store_backend.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pprofweb/buf.h"
#include "pprofweb/dynlib.h"
#include "sonames.h"
#include "pprofweb/limits.h"

#define SCHEMA_VERSION 1

static struct {
    void (*clear)(PGresult *res);
    PGconn *(*connectdbParams)(const char *const *keywords, const char *const *values,
                               int expand_dbname);
    char *(*errorMessage)(const PGconn *conn);
    PGresult *(*exec)(PGconn *conn, const char *query);
    PGresult *(*execParams)(PGconn *conn, const char *command, int n, const Oid *types,
                            const char *const *values, const int *lengths, const int *formats,
                            int result_format);
    void (*finish)(PGconn *conn);
    int (*getisnull)(const PGresult *res, int row, int field);
    int (*getlength)(const PGresult *res, int row, int field);
    char *(*getvalue)(const PGresult *res, int row, int field);
    int (*ntuples)(const PGresult *res);
    char *(*resultErrorMessage)(const PGresult *res);
    ExecStatusType (*resultStatus)(const PGresult *res);
    ConnStatusType (*status)(const PGconn *conn);
    PGTransactionStatusType (*transactionStatus)(const PGconn *conn);
} pq;

static const struct pw_dynsym pq_syms[] = {
    {"PQclear", &pq.clear},
    {"PQconnectdbParams", &pq.connectdbParams},
    {"PQerrorMessage", &pq.errorMessage},
    {"PQexec", &pq.exec},
    {"PQexecParams", &pq.execParams},
    {"PQfinish", &pq.finish},
    {"PQgetisnull", &pq.getisnull},
    {"PQgetlength", &pq.getlength},
    {"PQgetvalue", &pq.getvalue},
    {"PQntuples", &pq.ntuples},
    {"PQresultErrorMessage", &pq.resultErrorMessage},
    {"PQresultStatus", &pq.resultStatus},
    {"PQstatus", &pq.status},
    {"PQtransactionStatus", &pq.transactionStatus},
};

static struct pw_dynlib pq_lib = PW_DYNLIB_INIT(PW_SONAME_PQ, pq_syms);

struct pgb {
    char *conninfo;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    PGconn *conns[PW_DB_CONNECTIONS];
    bool busy[PW_DB_CONNECTIONS];
    /* After a failed connect, calls fail at once for a second with its message, so requests
     * do not each wait for a database that is away (PW_DB_CONNECT_TIMEOUT on a dead host). */
    struct timespec down_until;
    char down_msg[256];
};

static const struct pw_store_ops pg_ops;

/* The first line of libpq's message, without "FATAL:  " and the like. */
static void pq_message(const char *msg, char *out, size_t n)
{
    snprintf(out, n, "%s", msg && *msg ? msg : "unknown error");
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = 0;
}

static PGconn *connect_db(const char *conninfo, struct pw_err *err)
{
    char timeout[16];
    snprintf(timeout, sizeof(timeout), "%d", PW_DB_CONNECT_TIMEOUT);
    /* connect_timeout first: a value in the connection string overrides it. */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {timeout, "pprofweb", conninfo, NULL};
    PGconn *c = pq.connectdbParams(keys, vals, 1);
    if (c && pq.status(c) == CONNECTION_OK) {
        PGresult *r = pq.exec(c, "SET client_min_messages = warning");
        pq.clear(r);
        return c;
    }
    char msg[200];
    pq_message(c ? pq.errorMessage(c) : "out of memory", msg, sizeof(msg));
    pq.finish(c);
    pw_fail(err, PW_EUNAVAIL, "database unavailable: %s", msg);
    return NULL;
}

/* Takes a connection from the pool (connecting when needed); *fresh when just opened. */
static int get_conn(struct pgb *b, int *slot, bool *fresh, struct pw_err *err)
{
    pthread_mutex_lock(&b->mu);
    int k = -1;
    while (k < 0) {
        for (int i = 0; i < PW_DB_CONNECTIONS && k < 0; i++)
            if (!b->busy[i] && b->conns[i])
                k = i;
        for (int i = 0; i < PW_DB_CONNECTIONS && k < 0; i++)
            if (!b->busy[i])
                k = i;
        if (k < 0)
            pthread_cond_wait(&b->cv, &b->mu);
    }
    b->busy[k] = true;
    PGconn *c = b->conns[k];
    pthread_mutex_unlock(&b->mu);
    *fresh = false;
    if (c && pq.status(c) != CONNECTION_OK) {
        pq.finish(c);
        c = NULL;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!c) {
        pthread_mutex_lock(&b->mu);
        bool down = now.tv_sec < b->down_until.tv_sec ||
                    (now.tv_sec == b->down_until.tv_sec && now.tv_nsec < b->down_until.tv_nsec);
        if (down)
            pw_fail(err, PW_EUNAVAIL, "%s", b->down_msg);
        pthread_mutex_unlock(&b->mu);
        if (!down) {
            c = connect_db(b->conninfo, err);
            *fresh = true;
        }
    }
    pthread_mutex_lock(&b->mu);
    if (!c && err && *fresh) {
        clock_gettime(CLOCK_MONOTONIC, &b->down_until);
        b->down_until.tv_sec += 1;
        snprintf(b->down_msg, sizeof(b->down_msg), "%s", err->msg);
    }
    b->conns[k] = c;
    if (!c) {
        b->busy[k] = false;
        pthread_cond_signal(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    *slot = k;
    return c ? 0 : -1;
}

static void put_conn(struct pgb *b, int slot)
{
    pthread_mutex_lock(&b->mu);
    PGconn *c = b->conns[slot];
    if (c && pq.status(c) != CONNECTION_OK) {
        pq.finish(c);
        b->conns[slot] = NULL;
    }
    b->busy[slot] = false;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

/* Fails err from a failed result: PW_EUNAVAIL when the connection is gone. */
static int pq_fail(PGconn *c, PGresult *r, const char *what, struct pw_err *err)
{
    char msg[200];
    pq_message(r ? pq.resultErrorMessage(r) : pq.errorMessage(c), msg, sizeof(msg));
    if (!*msg || !strcmp(msg, "unknown error"))
        pq_message(pq.errorMessage(c), msg, sizeof(msg));
    if (pq.status(c) != CONNECTION_OK)
        return pw_fail(err, PW_EUNAVAIL, "database unavailable (%s): %s", what, msg);
    return pw_fail(err, PW_EIO, "database: %s: %s", what, msg);
}

/* Runs sql with text parameters (NULL entries are SQL NULL); returns the result when it
 * succeeded (the caller PQclears it), else NULL with err. */
static PGresult *q(PGconn *c, const char *what, const char *sql, int n, const char *const *vals,
                   struct pw_err *err)
{
    PGresult *r = pq.execParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    ExecStatusType st = r ? pq.resultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    pq_fail(c, r, what, err);
    pq.clear(r);
    return NULL;
}

/* Runs sql expecting no rows back. */
static int cmd(PGconn *c, const char *what, const char *sql, int n, const char *const *vals,
               struct pw_err *err)
{
    PGresult *r = q(c, what, sql, n, vals, err);
    pq.clear(r);
    return r ? 0 : -1;
}

typedef int (*txfn)(PGconn *c, void *ctx, struct pw_err *err);

/* Runs fn on a pooled connection; when it fails because a reused connection had broken (the
 * database restarted since), once more on a new one. A transaction fn left open is rolled
 * back. */
static int run(struct pgb *b, txfn fn, void *ctx, struct pw_err *err)
{
    for (int attempt = 0;; attempt++) {
        int slot;
        bool fresh;
        if (get_conn(b, &slot, &fresh, err))
            return -1;
        PGconn *c = b->conns[slot];
        int rc = fn(c, ctx, err);
        bool broken = pq.status(c) != CONNECTION_OK;
        if (!broken && pq.transactionStatus(c) != PQTRANS_IDLE)
            pq.clear(pq.exec(c, "ROLLBACK"));
        put_conn(b, slot);
        if (rc == 0 || !broken || fresh || attempt > 0)
            return rc;
    }
}

/* --- schema --- */

static const char *const schema_v1[] = {
    "CREATE TABLE pprofweb_profiles ("
    " id text PRIMARY KEY, name text NOT NULL, type text NOT NULL,"
    " time_nanos bigint NOT NULL, stored_at bigint NOT NULL, size bigint NOT NULL,"
    " snapshot_only boolean NOT NULL DEFAULT false, data bytea NOT NULL)",
    "CREATE INDEX pprofweb_profiles_stored ON pprofweb_profiles (stored_at DESC, id)",
    "CREATE TABLE pprofweb_series ("
    " id text PRIMARY KEY, name text NOT NULL, type text NOT NULL DEFAULT '',"
    " updated_at bigint NOT NULL)",
    "CREATE TABLE pprofweb_snapshots ("
    " series_id text NOT NULL REFERENCES pprofweb_series (id) ON DELETE CASCADE,"
    " seq bigserial NOT NULL, time_nanos bigint NOT NULL, profile_id text,"
    " error text NOT NULL DEFAULT '', PRIMARY KEY (series_id, seq))",
    "CREATE INDEX pprofweb_snapshots_time ON pprofweb_snapshots (series_id, time_nanos, seq)",
    "CREATE INDEX pprofweb_snapshots_profile ON pprofweb_snapshots (profile_id)",
    "CREATE TABLE pprofweb_watches ("
    " series_id text PRIMARY KEY REFERENCES pprofweb_series (id) ON DELETE CASCADE,"
    " url text NOT NULL, interval_ms bigint NOT NULL, seconds integer NOT NULL DEFAULT 0,"
    " created_at timestamptz NOT NULL DEFAULT now(),"
    " holder text NOT NULL DEFAULT '', lease_until timestamptz NOT NULL DEFAULT '-infinity',"
    " fetches bigint NOT NULL DEFAULT 0, failures bigint NOT NULL DEFAULT 0,"
    " last_nanos bigint NOT NULL DEFAULT 0, last_error text NOT NULL DEFAULT '')",
    NULL,
};

static int migrate(PGconn *c, void *ctx, struct pw_err *err)
{
    if (cmd(c, "schema", "BEGIN", 0, NULL, err) ||
        cmd(c, "schema", "SELECT pg_advisory_xact_lock(7405161730)", 0, NULL, err) ||
        cmd(c, "schema", "CREATE TABLE IF NOT EXISTS pprofweb_schema (version integer NOT NULL)",
            0, NULL, err))
        return -1;
    PGresult *r = q(c, "schema", "SELECT coalesce(max(version), 0) FROM pprofweb_schema", 0,
                    NULL, err);
    if (!r)
        return -1;
    int version = atoi(pq.getvalue(r, 0, 0));
    pq.clear(r);
    if (version > SCHEMA_VERSION)
        return pw_fail(err, PW_EINVAL,
                       "the database's pprofweb schema is version %d, newer than this pprofweb's "
                       "(%d): upgrade pprofweb",
                       version, SCHEMA_VERSION);
    if (version < 1) {
        for (size_t i = 0; schema_v1[i]; i++)
            if (cmd(c, "creating the schema", schema_v1[i], 0, NULL, err))
                return -1;
        /* Later versions add their steps here, each from the version before. */
        if (cmd(c, "schema", "DELETE FROM pprofweb_schema", 0, NULL, err) ||
            cmd(c, "schema", "INSERT INTO pprofweb_schema VALUES (1)", 0, NULL, err))
            return -1;
    }
    return cmd(c, "schema", "COMMIT", 0, NULL, err);
}

void *pw_store_pg_open(const char *conninfo, const struct pw_store_ops **ops,
                       struct pw_err *err)
{
    if (pw_dynlib_open(&pq_lib, err))
        return NULL;
    struct pgb *b = pw_xcalloc(1, sizeof(*b));
    b->conninfo = strdup(conninfo);
    if (!b->conninfo)
        abort();
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    if (run(b, migrate, NULL, err)) {
        pg_ops.close(b);
        return NULL;
    }
    *ops = &pg_ops;
    return b;
}

static void pg_close(void *v)
{
    struct pgb *b = v;
    for (int i = 0; i < PW_DB_CONNECTIONS; i++)
        pq.finish(b->conns[i]);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    free(b->conninfo);
    free(b);
}

/* --- one-statement calls --- */

struct stmt {
    const char *what, *sql;
    int n;
    const char *const *vals;
    PGresult *res; /* out */
};

static int stmt_fn(PGconn *c, void *ctx, struct pw_err *err)
{
    struct stmt *st = ctx;
    st->res = q(c, st->what, st->sql, st->n, st->vals, err);
    return st->res ? 0 : -1;
}

/* Runs one statement (its own transaction); the result is the caller's to PQclear. */
static PGresult *one(struct pgb *b, const char *what, const char *sql, int n,
                     const char *const *vals, struct pw_err *err)
{
    struct stmt st = {what, sql, n, vals, NULL};
    return run(b, stmt_fn, &st, err) ? NULL : st.res;
}

static int pg_exists(void *v, const char *id, struct pw_err *err)
{
    const char *vals[] = {id};
    PGresult *r = one(v, "looking up a profile", "SELECT 1 FROM pprofweb_profiles WHERE id = $1",
                      1, vals, err);
    if (!r)
        return -1;
    int have = pq.ntuples(r) > 0;
    pq.clear(r);
    return have;
}

struct put_ctx {
    const struct pw_store_entry *e;
    const unsigned char *data;
    size_t len;
};

static int put_fn(PGconn *c, void *ctx, struct pw_err *err)
{
    struct put_ctx *p = ctx;
    const struct pw_store_entry *e = p->e;
    if (!p->data) {
        const char *vals[] = {e->id};
        return cmd(c, "storing a profile",
                   "UPDATE pprofweb_profiles SET snapshot_only = false WHERE id = $1", 1, vals,
                   err);
    }
    char t[24], at[24], size[24];
    snprintf(t, sizeof(t), "%lld", (long long)e->time_nanos);
    snprintf(at, sizeof(at), "%lld", (long long)e->stored_at);
    snprintf(size, sizeof(size), "%llu", (unsigned long long)e->size);
    const char *vals[] = {e->id, e->name, e->type, t, at, size, e->snapshot_only ? "t" : "f",
                          (const char *)p->data};
    int lens[] = {0, 0, 0, 0, 0, 0, 0, (int)p->len};
    int fmts[] = {0, 0, 0, 0, 0, 0, 0, 1}; /* the bytes go binary: no escaping, no copy more */
    PGresult *r = pq.execParams(
        c,
        "INSERT INTO pprofweb_profiles"
        " (id, name, type, time_nanos, stored_at, size, snapshot_only, data)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE"
        " SET snapshot_only = pprofweb_profiles.snapshot_only AND EXCLUDED.snapshot_only",
        8, NULL, vals, lens, fmts, 0);
    int rc = r && pq.resultStatus(r) == PGRES_COMMAND_OK ? 0
                                                        : pq_fail(c, r, "storing a profile", err);
    pq.clear(r);
    return rc;
}

static int pg_put(void *v, const struct pw_store_entry *e, const unsigned char *data, size_t len,
                  struct pw_err *err)
{
    if (data && len > PW_MAX_DB_PROFILE)
        return pw_fail(err, PW_ETOOBIG,
                       "profile of %zu bytes: a database store keeps at most %zu MB per profile",
                       len, PW_MAX_DB_PROFILE >> 20);
    struct put_ctx p = {e, data, len};
    return run(v, put_fn, &p, err);
}

struct put_all_ctx {
    const struct pw_store_entry *e;
    const unsigned char *const *data;
    const size_t *len;
    size_t n;
};

static int put_all_fn(PGconn *c, void *ctx, struct pw_err *err)
{
    struct put_all_ctx *a = ctx;
    if (cmd(c, "storing profiles", "BEGIN", 0, NULL, err))
        return -1;
    for (size_t i = 0; i < a->n; i++) {
        struct put_ctx p = {&a->e[i], a->data[i], a->len[i]};
        if (put_fn(c, &p, err)) {
            pw_err_prefix(err, "%s: ", a->e[i].name);
            return -1; /* run() rolls back: none of them is stored */
        }
    }
    return cmd(c, "storing profiles", "COMMIT", 0, NULL, err);
}

static int pg_put_all(void *v, const struct pw_store_entry *e, const unsigned char *const *data,
                      const size_t *len, size_t n, struct pw_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (len[i] > PW_MAX_DB_PROFILE)
            return pw_fail(err, PW_ETOOBIG,
                           "%s: profile of %zu bytes: a database store keeps at most %zu MB per "
                           "profile", e[i].name, len[i], PW_MAX_DB_PROFILE >> 20);
    struct put_all_ctx a = {e, data, len, n};
    return run(v, put_all_fn, &a, err);
}

static int pg_read(void *v, const char *id, unsigned char **data, size_t *len,
                   struct pw_err *err)
{
    struct pgb *b = v;
    for (int attempt = 0;; attempt++) {
        int slot;
        bool fresh;
        if (get_conn(b, &slot, &fresh, err))
            return -1;
        PGconn *c = b->conns[slot];
        const char *vals[] = {id};
        PGresult *r = pq.execParams(c, "SELECT data FROM pprofweb_profiles WHERE id = $1", 1, NULL,
                                   vals, NULL, NULL, 1);
        int rc;
        if (r && pq.resultStatus(r) == PGRES_TUPLES_OK) {
            if (pq.ntuples(r) == 0) {
                rc = pw_fail(err, PW_ENOTFOUND, "no profile with id %s", id);
            } else {
                *len = (size_t)pq.getlength(r, 0, 0);
                *data = pw_xmalloc(*len + 1);
                memcpy(*data, pq.getvalue(r, 0, 0), *len);
                rc = 0;
            }
        } else {
            rc = pq_fail(c, r, "reading a profile", err);
        }
        pq.clear(r);
        bool broken = pq.status(c) != CONNECTION_OK;
        put_conn(b, slot);
        if (rc == 0 || !broken || fresh || attempt > 0)
            return rc;
    }
}

static void entry_from(PGresult *r, int row, struct pw_store_entry *e)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->id, sizeof(e->id), "%s", pq.getvalue(r, row, 0));
    snprintf(e->name, sizeof(e->name), "%s", pq.getvalue(r, row, 1));
    snprintf(e->type, sizeof(e->type), "%s", pq.getvalue(r, row, 2));
    e->time_nanos = strtoll(pq.getvalue(r, row, 3), NULL, 10);
    e->stored_at = strtoll(pq.getvalue(r, row, 4), NULL, 10);
    e->size = strtoull(pq.getvalue(r, row, 5), NULL, 10);
    e->snapshot_only = pq.getvalue(r, row, 6)[0] == 't';
}

#define ENTRY_COLUMNS "id, name, type, time_nanos, stored_at, size, snapshot_only"

static int pg_stat(void *v, const char *id, struct pw_store_entry *out, struct pw_err *err)
{
    const char *vals[] = {id};
    PGresult *r = one(v, "looking up a profile",
                      "SELECT " ENTRY_COLUMNS " FROM pprofweb_profiles WHERE id = $1", 1, vals,
                      err);
    if (!r)
        return -1;
    int rc = 0;
    if (pq.ntuples(r) == 0)
        rc = pw_fail(err, PW_ENOTFOUND, "no profile with id %s", id);
    else
        entry_from(r, 0, out);
    pq.clear(r);
    return rc;
}

static struct pw_store_entry *pg_list(void *v, bool skip_snapshots, size_t *n, size_t *n_skipped,
                                      struct pw_err *err)
{
    *n = *n_skipped = 0;
    PGresult *r = one(v, "listing profiles",
                      skip_snapshots
                          ? "SELECT " ENTRY_COLUMNS ", (SELECT count(*) FROM pprofweb_profiles q"
                            " WHERE q.snapshot_only OR EXISTS (SELECT 1 FROM pprofweb_snapshots s"
                            " WHERE s.profile_id = q.id)) FROM pprofweb_profiles p"
                            " WHERE NOT p.snapshot_only AND NOT EXISTS (SELECT 1 FROM"
                            " pprofweb_snapshots s WHERE s.profile_id = p.id)"
                            " ORDER BY stored_at DESC, id"
                          : "SELECT " ENTRY_COLUMNS ", 0 FROM pprofweb_profiles"
                            " ORDER BY stored_at DESC, id",
                      0, NULL, err);
    if (!r)
        return NULL;
    int rows = pq.ntuples(r);
    struct pw_store_entry *out = pw_xcalloc((size_t)rows + 1, sizeof(*out));
    for (int i = 0; i < rows; i++)
        entry_from(r, i, &out[i]);
    *n = (size_t)rows;
    if (rows)
        *n_skipped = strtoull(pq.getvalue(r, 0, 7), NULL, 10);
    pq.clear(r);
    if (skip_snapshots && rows == 0) { /* the count rode on the rows: ask for it alone */
        r = one(v, "listing profiles",
                "SELECT count(*) FROM pprofweb_profiles q WHERE q.snapshot_only OR EXISTS"
                " (SELECT 1 FROM pprofweb_snapshots s WHERE s.profile_id = q.id)",
                0, NULL, err);
        if (r)
            *n_skipped = strtoull(pq.getvalue(r, 0, 0), NULL, 10);
        pq.clear(r);
    }
    return out;
}

static uint64_t pg_disk_usage(void *v)
{
    struct pw_err err = {0};
    PGresult *r = one(v, "measuring the store",
                      "SELECT coalesce(sum(pg_total_relation_size(t::regclass)), 0) FROM unnest("
                      "ARRAY['pprofweb_profiles', 'pprofweb_series', 'pprofweb_snapshots',"
                      " 'pprofweb_watches']) t",
                      0, NULL, &err);
    uint64_t total = r ? strtoull(pq.getvalue(r, 0, 0), NULL, 10) : 0;
    pq.clear(r);
    return total;
}

/* --- series --- */

static int pg_series_open(void *v, const char *id, const char *name, struct pw_err *err)
{
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    const char *vals[] = {id, name, now};
    PGresult *r = one(v, "creating a series",
                      "INSERT INTO pprofweb_series (id, name, updated_at) VALUES ($1, $2, $3)"
                      " ON CONFLICT (id) DO NOTHING",
                      3, vals, err);
    pq.clear(r);
    return r ? 0 : -1;
}

struct get_ctx {
    const char *id;
    struct pw_series *out;
};

static int get_fn(PGconn *c, void *ctx, struct pw_err *err)
{
    struct get_ctx *g = ctx;
    struct pw_series *out = g->out;
    memset(out, 0, sizeof(*out));
    const char *vals[] = {g->id};
    if (cmd(c, "reading a series", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
            err))
        return -1;
    PGresult *r = q(c, "reading a series",
                    "SELECT name, type, updated_at FROM pprofweb_series WHERE id = $1", 1, vals,
                    err);
    if (!r)
        return -1;
    if (pq.ntuples(r) == 0) {
        pq.clear(r);
        return pw_fail(err, PW_ENOTFOUND, "no series with id %s", g->id);
    }
    snprintf(out->info.id, sizeof(out->info.id), "%s", g->id);
    snprintf(out->info.name, sizeof(out->info.name), "%s", pq.getvalue(r, 0, 0));
    snprintf(out->info.type, sizeof(out->info.type), "%s", pq.getvalue(r, 0, 1));
    out->info.updated_at = strtoll(pq.getvalue(r, 0, 2), NULL, 10);
    pq.clear(r);
    r = q(c, "reading a series",
          "SELECT time_nanos, coalesce(profile_id, ''), error FROM pprofweb_snapshots"
          " WHERE series_id = $1 ORDER BY time_nanos, seq",
          1, vals, err);
    if (!r)
        return -1;
    int rows = pq.ntuples(r);
    out->snaps = pw_xcalloc((size_t)rows + 1, sizeof(*out->snaps));
    for (int i = 0; i < rows; i++) {
        struct pw_series_snapshot *sn = &out->snaps[out->n++];
        sn->time_nanos = strtoll(pq.getvalue(r, i, 0), NULL, 10);
        snprintf(sn->id, sizeof(sn->id), "%s", pq.getvalue(r, i, 1));
        snprintf(sn->error, sizeof(sn->error), "%s", pq.getvalue(r, i, 2));
        out->info.n_gaps += !sn->id[0];
    }
    out->info.n_snapshots = out->n;
    pq.clear(r);
    return cmd(c, "reading a series", "COMMIT", 0, NULL, err);
}

static int pg_series_get(void *v, const char *id, struct pw_series *out, struct pw_err *err)
{
    struct get_ctx g = {id, out};
    int rc = run(v, get_fn, &g, err);
    if (rc)
        pw_store_series_free(out);
    return rc;
}

static struct pw_series_info *pg_series_list(void *v, size_t *n, struct pw_err *err)
{
    *n = 0;
    PGresult *r = one(v, "listing series",
                      "SELECT s.id, s.name, s.type, s.updated_at, count(n.seq),"
                      " count(n.seq) FILTER (WHERE n.profile_id IS NULL)"
                      " FROM pprofweb_series s LEFT JOIN pprofweb_snapshots n"
                      " ON n.series_id = s.id GROUP BY s.id ORDER BY s.updated_at DESC, s.id",
                      0, NULL, err);
    if (!r)
        return NULL;
    int rows = pq.ntuples(r);
    struct pw_series_info *out = pw_xcalloc((size_t)rows + 1, sizeof(*out));
    for (int i = 0; i < rows; i++) {
        snprintf(out[i].id, sizeof(out[i].id), "%s", pq.getvalue(r, i, 0));
        snprintf(out[i].name, sizeof(out[i].name), "%s", pq.getvalue(r, i, 1));
        snprintf(out[i].type, sizeof(out[i].type), "%s", pq.getvalue(r, i, 2));
        out[i].updated_at = strtoll(pq.getvalue(r, i, 3), NULL, 10);
        out[i].n_snapshots = strtoull(pq.getvalue(r, i, 4), NULL, 10);
        out[i].n_gaps = strtoull(pq.getvalue(r, i, 5), NULL, 10);
    }
    *n = (size_t)rows;
    pq.clear(r);
    return out;
}

struct append_ctx {
    const char *id;
    const struct pw_series_snapshot *snaps;
    const char (*types)[128];
    size_t n;
    const char *holder;
};

static int append_fn(PGconn *c, void *ctx, struct pw_err *err)
{
    struct append_ctx *a = ctx;
    const char *idv[] = {a->id};
    if (cmd(c, "adding a snapshot", "BEGIN", 0, NULL, err))
        return -1;
    PGresult *r = q(c, "adding a snapshot",
                    "SELECT name, type FROM pprofweb_series WHERE id = $1 FOR UPDATE", 1, idv,
                    err);
    if (!r)
        return -1;
    if (pq.ntuples(r) == 0) {
        pq.clear(r);
        return pw_fail(err, PW_ENOTFOUND, "no series with id %s", a->id);
    }
    char name[256], type[128];
    snprintf(name, sizeof(name), "%s", pq.getvalue(r, 0, 0));
    snprintf(type, sizeof(type), "%s", pq.getvalue(r, 0, 1));
    pq.clear(r);
    if (a->holder) {
        /* The lease row is locked until the commit: a replica taking the watch over waits, and
         * then sees this snapshot; one that took it before makes this one refused. */
        const char *hv[] = {a->id, a->holder};
        r = q(c, "adding a snapshot",
              "SELECT 1 FROM pprofweb_watches WHERE series_id = $1 AND holder = $2 FOR UPDATE",
              2, hv, err);
        if (!r)
            return -1;
        int held = pq.ntuples(r);
        pq.clear(r);
        if (!held)
            return pw_fail(err, PW_ECONFLICT,
                           "another pprofweb took over the watch of series %s", a->id);
    }
    for (size_t i = 0; i < a->n; i++) {
        const struct pw_series_snapshot *sn = &a->snaps[i];
        if (sn->id[0] && type[0] && strcmp(type, a->types[i]))
            return pw_fail(err, PW_EINVAL,
                           "snapshot %s has sample types %s, but series \"%.60s\" has %s",
                           sn->id, a->types[i], name, type);
        if (sn->id[0] && !type[0])
            snprintf(type, sizeof(type), "%s", a->types[i]);
        char t[24];
        snprintf(t, sizeof(t), "%lld", (long long)sn->time_nanos);
        const char *vals[] = {a->id, t, sn->id[0] ? sn->id : NULL, sn->id[0] ? "" : sn->error};
        if (cmd(c, "adding a snapshot",
                "INSERT INTO pprofweb_snapshots (series_id, time_nanos, profile_id, error)"
                " VALUES ($1, $2, $3, $4)",
                4, vals, err))
            return -1;
    }
    char now[24], max[24];
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    snprintf(max, sizeof(max), "%d", PW_MAX_SERIES_SNAPSHOTS);
    const char *uv[] = {a->id, type, now, max};
    if (cmd(c, "adding a snapshot",
            "UPDATE pprofweb_series SET type = $2, updated_at = $3 WHERE id = $1", 3, uv, err) ||
        cmd(c, "adding a snapshot",
            "DELETE FROM pprofweb_snapshots WHERE series_id = $1 AND seq IN (SELECT seq FROM"
            " pprofweb_snapshots WHERE series_id = $1 ORDER BY time_nanos DESC, seq DESC"
            " OFFSET $2)",
            2, (const char *const[]){a->id, max}, err))
        return -1;
    return cmd(c, "adding a snapshot", "COMMIT", 0, NULL, err);
}

static int pg_series_append(void *v, const char *id, const struct pw_series_snapshot *snaps,
                            const char (*types)[128], size_t n, const char *holder,
                            struct pw_err *err)
{
    struct append_ctx a = {id, snaps, types, n, holder};
    return run(v, append_fn, &a, err);
}

struct trim_ctx {
    const char *id;
    size_t keep_count;
    int64_t keep_age_nanos;
};

static int trim_fn(PGconn *c, void *ctx, struct pw_err *err)
{
    struct trim_ctx *t = ctx;
    char count[24], age[24], now[24];
    snprintf(count, sizeof(count), "%zu", t->keep_count);
    snprintf(age, sizeof(age), "%lld", (long long)t->keep_age_nanos);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    const char *vals[] = {t->id, count, age};
    if (cmd(c, "trimming a series", "BEGIN", 0, NULL, err) ||
        cmd(c, "trimming a series", "SELECT 1 FROM pprofweb_series WHERE id = $1 FOR UPDATE", 1,
            vals, err))
        return -1;
    PGresult *r = q(c, "trimming a series",
                    "WITH o AS (SELECT seq, time_nanos, row_number() OVER (ORDER BY time_nanos"
                    " DESC, seq DESC) AS rn, max(time_nanos) OVER () AS newest"
                    " FROM pprofweb_snapshots WHERE series_id = $1)"
                    " DELETE FROM pprofweb_snapshots s USING o WHERE s.series_id = $1"
                    " AND s.seq = o.seq AND (($2::bigint > 0 AND o.rn > $2::bigint)"
                    " OR ($3::bigint > 0 AND o.newest - o.time_nanos > $3::bigint))"
                    " RETURNING s.profile_id",
                    3, vals, err);
    if (!r)
        return -1;
    int dropped = pq.ntuples(r);
    struct pw_buf ids;
    pw_buf_init(&ids, 0);
    pw_buf_addc(&ids, '{');
    int listed = 0;
    for (int i = 0; i < dropped; i++) {
        if (pq.getisnull(r, i, 0))
            continue;
        pw_buf_addf(&ids, "%s%s", listed++ ? "," : "", pq.getvalue(r, i, 0));
    }
    pw_buf_addc(&ids, '}');
    pq.clear(r);
    int rc = 0;
    if (dropped) {
        /* A second statement: it must see the snapshots the first one deleted as gone. */
        const char *dv[] = {pw_buf_str(&ids)};
        const char *uv[] = {t->id, now};
        rc = cmd(c, "trimming a series",
                 "DELETE FROM pprofweb_profiles p WHERE p.id = ANY($1::text[])"
                 " AND p.snapshot_only AND NOT EXISTS (SELECT 1 FROM pprofweb_snapshots s"
                 " WHERE s.profile_id = p.id)",
                 1, dv, err);
        if (rc == 0)
            rc = cmd(c, "trimming a series",
                     "UPDATE pprofweb_series SET updated_at = $2 WHERE id = $1", 2, uv, err);
    }
    pw_buf_release(&ids);
    return rc ? rc : cmd(c, "trimming a series", "COMMIT", 0, NULL, err);
}

static int pg_series_trim(void *v, const char *id, size_t keep_count, int64_t keep_age_nanos,
                          struct pw_err *err)
{
    struct trim_ctx t = {id, keep_count, keep_age_nanos};
    return run(v, trim_fn, &t, err);
}

/* --- watches --- */

static int pg_watch_put(void *v, const struct pw_store_watch *w, struct pw_err *err)
{
    char ms[24], secs[16];
    snprintf(ms, sizeof(ms), "%lld", w->interval_ms);
    snprintf(secs, sizeof(secs), "%d", w->seconds);
    const char *vals[] = {w->series_id, w->url, ms, secs};
    PGresult *r = one(v, "keeping a watch",
                      "INSERT INTO pprofweb_watches (series_id, url, interval_ms, seconds)"
                      " VALUES ($1, $2, $3, $4) ON CONFLICT (series_id) DO UPDATE"
                      " SET url = EXCLUDED.url, interval_ms = EXCLUDED.interval_ms,"
                      " seconds = EXCLUDED.seconds",
                      4, vals, err);
    pq.clear(r);
    return r ? 0 : -1;
}

static int pg_watch_delete(void *v, const char *series_id, struct pw_err *err)
{
    const char *vals[] = {series_id};
    PGresult *r = one(v, "stopping a watch",
                      "DELETE FROM pprofweb_watches WHERE series_id = $1 RETURNING 1", 1, vals,
                      err);
    if (!r)
        return -1;
    int gone = pq.ntuples(r);
    pq.clear(r);
    return gone ? 0 : pw_fail(err, PW_ENOTFOUND, "no watch of series \"%.40s\"", series_id);
}

static struct pw_store_watch *pg_watch_list(void *v, size_t *n, struct pw_err *err)
{
    *n = 0;
    PGresult *r = one(v, "listing watches",
                      "SELECT series_id, url, interval_ms, seconds, holder, lease_until > now(),"
                      " fetches, failures, last_nanos, last_error FROM pprofweb_watches"
                      " ORDER BY created_at, series_id",
                      0, NULL, err);
    if (!r)
        return NULL;
    int rows = pq.ntuples(r);
    struct pw_store_watch *out = pw_xcalloc((size_t)rows + 1, sizeof(*out));
    for (int i = 0; i < rows; i++) {
        struct pw_store_watch *w = &out[i];
        snprintf(w->series_id, sizeof(w->series_id), "%s", pq.getvalue(r, i, 0));
        snprintf(w->url, sizeof(w->url), "%s", pq.getvalue(r, i, 1));
        w->interval_ms = strtoll(pq.getvalue(r, i, 2), NULL, 10);
        w->seconds = atoi(pq.getvalue(r, i, 3));
        snprintf(w->holder, sizeof(w->holder), "%s", pq.getvalue(r, i, 4));
        w->lease_live = pq.getvalue(r, i, 5)[0] == 't';
        w->fetches = strtoull(pq.getvalue(r, i, 6), NULL, 10);
        w->failures = strtoull(pq.getvalue(r, i, 7), NULL, 10);
        w->last_nanos = strtoll(pq.getvalue(r, i, 8), NULL, 10);
        snprintf(w->last_error, sizeof(w->last_error), "%s", pq.getvalue(r, i, 9));
    }
    *n = (size_t)rows;
    pq.clear(r);
    return out;
}

static int pg_watch_claim(void *v, const char *series_id, const char *holder, long long lease_ms,
                          struct pw_err *err)
{
    char ms[24];
    snprintf(ms, sizeof(ms), "%lld", lease_ms);
    const char *vals[] = {series_id, holder, ms};
    /* SKIP LOCKED: a row another replica is updating is not waited for; it is theirs. */
    PGresult *r = one(v, "claiming a watch",
                      "WITH c AS (SELECT series_id FROM pprofweb_watches WHERE series_id = $1"
                      " AND (holder = $2 OR holder = '' OR lease_until < now())"
                      " FOR UPDATE SKIP LOCKED)"
                      " UPDATE pprofweb_watches w SET holder = $2,"
                      " lease_until = now() + $3::bigint * interval '1 millisecond'"
                      " FROM c WHERE w.series_id = c.series_id RETURNING 1",
                      3, vals, err);
    if (!r)
        return -1;
    int held = pq.ntuples(r) > 0;
    pq.clear(r);
    return held;
}

static int pg_watch_report(void *v, const char *series_id, const char *holder, bool ok,
                           int64_t when_nanos, const char *error, struct pw_err *err)
{
    char when[24];
    snprintf(when, sizeof(when), "%lld", (long long)when_nanos);
    const char *vals[] = {series_id, holder, ok ? "0" : "1", when, ok ? "" : error};
    PGresult *r = one(v, "recording a fetch",
                      "UPDATE pprofweb_watches SET fetches = fetches + 1,"
                      " failures = failures + $3::bigint, last_nanos = $4, last_error = $5"
                      " WHERE series_id = $1 AND holder = $2",
                      5, vals, err);
    pq.clear(r);
    return r ? 0 : -1;
}

static int pg_watch_release(void *v, const char *series_id, const char *holder,
                            struct pw_err *err)
{
    const char *vals[] = {series_id, holder};
    PGresult *r = one(v, "releasing a watch",
                      "UPDATE pprofweb_watches SET holder = '', lease_until = '-infinity'"
                      " WHERE series_id = $1 AND holder = $2",
                      2, vals, err);
    pq.clear(r);
    return r ? 0 : -1;
}

static const struct pw_store_ops pg_ops = {
    .kind = "postgresql",
    .close = pg_close,
    .exists = pg_exists,
    .put = pg_put,
    .put_all = pg_put_all,
    .read = pg_read,
    .stat = pg_stat,
    .list = pg_list,
    .disk_usage = pg_disk_usage,
    .series_open = pg_series_open,
    .series_get = pg_series_get,
    .series_list = pg_series_list,
    .series_append = pg_series_append,
    .series_trim = pg_series_trim,
    .watch_put = pg_watch_put,
    .watch_delete = pg_watch_delete,
    .watch_list = pg_watch_list,
    .watch_claim = pg_watch_claim,
    .watch_report = pg_watch_report,
    .watch_release = pg_watch_release,
};
