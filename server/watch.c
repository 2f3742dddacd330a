/* watch: fetches live profiles on a schedule into series (see watch.h).
 *
 * One thread per watch runs: fetch (fetch.h, at most max_bytes, pprof's timeout rule), store
 * (store.h validates the bytes completely: something that is not a profile fails here), append to
 * the series (which refuses a profile of other sample types, naming both), trim to -watch_keep;
 * any failure is appended as a gap with its message instead. Then it sleeps on the watcher's
 * condition variable until the next fetch is due (interval, doubled after each failure in a row
 * up to PW_WATCH_MAX_BACKOFF intervals) or it is stopped: no polling, so an idle watch costs
 * nothing. Nothing a watched endpoint sends can stop the thread: every error is a gap.
 * Shared store (watch.h): a sync thread mirrors the store's watches into local threads every
 * PW_WATCH_SYNC_MS; each thread claims the lease before an attempt and adds the snapshot only
 * while holding it. A database that cannot be reached stops nothing: threads keep trying.
 * Limits: PW_MAX_WATCHES, PW_MIN/MAX_WATCH_INTERVAL_MS, PW_WATCH_SYNC_MS. Memory: each watch is
 * owned by the watcher; a fetched profile's bytes live only during one attempt. */
#include "pprofweb/watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pprofweb/arena.h"
#include "pprofweb/fetch.h"
#include "pprofweb/limits.h"

struct watch {
    struct pw_watcher *w;
    struct pw_watch_info info;
    int timeout; /* seconds, as pprof adjusts it */
    bool stop;
    bool held; /* shared store: this process holds the lease */
    pthread_t thread;
};

struct pw_watcher {
    struct pw_watch_options o;
    bool shared;      /* the store keeps the watches, for every replica */
    char holder[128]; /* this process in leases */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled on stop and on interval changes */
    struct watch **v;
    size_t n, cap;
    bool stopping;
    pthread_t sync;
    bool sync_running;
};

static void *sync_run(void *arg);

struct pw_watcher *pw_watcher_new(const struct pw_watch_options *o)
{
    struct pw_watcher *w = pw_xcalloc(1, sizeof(*w));
    w->o = *o;
    if (!w->o.max_bytes || w->o.max_bytes > PW_MAX_INPUT)
        w->o.max_bytes = PW_MAX_INPUT;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    w->shared = w->o.store && pw_store_shares_watches(w->o.store);
    if (w->shared) {
        char host[64] = "";
        gethostname(host, sizeof(host) - 1);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(w->holder, sizeof(w->holder), "%s/%d/%08lx", host[0] ? host : "pprofweb",
                 (int)getpid(), (unsigned long)(ts.tv_nsec ^ (ts.tv_sec << 20)) & 0xffffffffUL);
        w->sync_running = pthread_create(&w->sync, NULL, sync_run, w) == 0;
    }
    return w;
}

const char *pw_watcher_holder(const struct pw_watcher *w)
{
    return w->holder;
}

static int64_t realtime_nanos(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One fetch into the series; returns 0, or -1 with err (then a gap was recorded). */
static int attempt(struct watch *wt, struct pw_err *err)
{
    struct pw_watcher *w = wt->w;
    const char *sid = wt->info.series_id;
    unsigned char *data = NULL;
    size_t len = 0;
    char id[PW_STORE_ID_LEN + 1];
    int64_t started = realtime_nanos();
    const char *holder = w->shared ? w->holder : NULL;
    int rc = pw_fetch_url(wt->info.url, wt->timeout, w->o.max_bytes, &data, &len, err);
    if (rc == 0)
        rc = pw_store_put_snapshot(w->o.store, data, len, wt->info.url, id, err);
    free(data);
    if (rc == 0)
        rc = pw_store_series_append_held(w->o.store, sid, id, 0, NULL, holder, err);
    if (rc && err->code == PW_ECONFLICT)
        return rc; /* another replica fetches it now: no gap of ours */
    if (rc) {
        struct pw_err ignored = {0};
        pw_store_series_append_held(w->o.store, sid, NULL, started, err->msg, holder, &ignored);
    }
    if (holder) {
        struct pw_err ignored = {0};
        pw_store_watch_report(w->o.store, sid, holder, rc == 0, started, rc ? err->msg : "",
                              &ignored);
    }
    if (w->o.keep_count || w->o.keep_age_nanos) {
        struct pw_err ignored = {0};
        pw_store_series_trim(w->o.store, sid, w->o.keep_count, w->o.keep_age_nanos, &ignored);
    }
    return rc;
}

/* The lease a claim asks for: the next delay and a half, plus a CPU profile's duration. */
static long long lease_ms(const struct watch *wt, long long delay)
{
    return delay + delay / 2 + (long long)wt->info.seconds * 1000;
}

static void *run(void *arg)
{
    struct watch *wt = arg;
    struct pw_watcher *w = wt->w;
    unsigned fails = 0;
    pthread_mutex_lock(&w->mu);
    while (!wt->stop) {
        long long factor = 1;
        for (unsigned k = 0; k < fails && factor < PW_WATCH_MAX_BACKOFF; k++)
            factor *= 2;
        if (factor > PW_WATCH_MAX_BACKOFF)
            factor = PW_WATCH_MAX_BACKOFF;
        long long interval = wt->info.interval_ms, delay = interval * factor;
        pthread_mutex_unlock(&w->mu);
        struct pw_err err = {0};
        int held = 1;
        if (w->shared)
            held = pw_store_watch_claim(w->o.store, wt->info.series_id, w->holder,
                                        lease_ms(wt, delay), &err);
        int rc = held == 1 ? attempt(wt, &err) : -1;
        pthread_mutex_lock(&w->mu);
        wt->held = held == 1 && !(rc && err.code == PW_ECONFLICT);
        if (held != 1 || (rc && err.code == PW_ECONFLICT)) {
            /* Another replica holds it (look again soon, to take over if it dies), or the
             * database is away (try again next interval). */
            delay = held < 0 ? interval : interval / 4;
        } else {
            wt->info.fetches++;
            wt->info.last_nanos = realtime_nanos();
            snprintf(wt->info.last_error, sizeof(wt->info.last_error), "%s", rc ? err.msg : "");
            if (rc) {
                wt->info.failures++;
                fails++;
            } else {
                fails = 0;
            }
            factor = 1;
            for (unsigned k = 0; k < fails && factor < PW_WATCH_MAX_BACKOFF; k++)
                factor *= 2;
            if (factor > PW_WATCH_MAX_BACKOFF)
                factor = PW_WATCH_MAX_BACKOFF;
            delay = wt->info.interval_ms * factor;
            if (w->shared) {
                /* Renew for the wait ahead: after a failure it is longer than the last one. */
                pthread_mutex_unlock(&w->mu);
                struct pw_err ignored = {0};
                pw_store_watch_claim(w->o.store, wt->info.series_id, w->holder,
                                     lease_ms(wt, delay), &ignored);
                pthread_mutex_lock(&w->mu);
            }
        }
        struct timespec due;
        clock_gettime(CLOCK_MONOTONIC, &due);
        due.tv_sec += delay / 1000;
        due.tv_nsec += (delay % 1000) * 1000000;
        if (due.tv_nsec >= 1000000000) {
            due.tv_sec++;
            due.tv_nsec -= 1000000000;
        }
        while (!wt->stop && pthread_cond_timedwait(&w->cv, &w->mu, &due) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void stop_and_free(struct pw_watcher *w, struct watch *wt)
{
    pthread_mutex_lock(&w->mu);
    wt->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(wt->thread, NULL);
    if (w->shared && wt->held) {
        struct pw_err ignored = {0};
        pw_store_watch_release(w->o.store, wt->info.series_id, w->holder, &ignored);
    }
    free(wt);
}

void pw_watcher_free(struct pw_watcher *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    for (size_t i = 0; i < w->n; i++)
        w->v[i]->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->sync_running)
        pthread_join(w->sync, NULL);
    for (size_t i = 0; i < w->n; i++)
        stop_and_free(w, w->v[i]);
    free(w->v);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static struct watch *find_locked(struct pw_watcher *w, const char *series_id, size_t *at)
{
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->v[i]->info.series_id, series_id)) {
            if (at)
                *at = i;
            return w->v[i];
        }
    return NULL;
}

/* Starts the local thread of a watch (w->mu held); an existing one gets the new interval. */
static int spawn_locked(struct pw_watcher *w, const char *sid, const char *url,
                        long long interval_ms, int seconds, int timeout, struct pw_err *err)
{
    struct watch *have = find_locked(w, sid, NULL);
    if (have) {
        if (have->info.interval_ms != interval_ms) {
            have->info.interval_ms = interval_ms;
            pthread_cond_broadcast(&w->cv);
        }
        return 0;
    }
    if (w->n >= PW_MAX_WATCHES)
        return pw_fail(err, PW_ETOOBIG, "too many watches (limit %d): stop one first",
                       PW_MAX_WATCHES);
    struct watch *wt = pw_xcalloc(1, sizeof(*wt));
    wt->w = w;
    wt->timeout = timeout;
    snprintf(wt->info.series_id, sizeof(wt->info.series_id), "%s", sid);
    snprintf(wt->info.url, sizeof(wt->info.url), "%s", url);
    wt->info.interval_ms = interval_ms;
    wt->info.seconds = seconds;
    if (pthread_create(&wt->thread, NULL, run, wt)) {
        free(wt);
        return pw_fail(err, PW_EIO, "cannot start a thread for the watch");
    }
    PW_GROW(w->v, w->cap, w->n + 1);
    w->v[w->n++] = wt;
    return 0;
}

/* Shared store: makes the local threads match the store's watches (started, changed or stopped
 * by any replica). When the store cannot be listed, nothing changes. */
static void sync_once(struct pw_watcher *w)
{
    size_t n = 0;
    struct pw_err err = {0};
    struct pw_store_watch *sw = pw_store_watch_list(w->o.store, &n, &err);
    if (!sw)
        return;
    struct watch **gone = NULL;
    size_t n_gone = 0;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < n && !w->stopping; i++) {
        int timeout = 0;
        struct pw_err e2 = {0};
        char *full = pw_fetch_adjust_url(sw[i].url, sw[i].seconds, w->o.timeout, &timeout, &e2);
        free(full);
        spawn_locked(w, sw[i].series_id, sw[i].url, sw[i].interval_ms, sw[i].seconds, timeout,
                     &e2);
    }
    for (size_t i = 0; i < w->n;) {
        bool kept = false;
        for (size_t k = 0; k < n && !kept; k++)
            kept = !strcmp(sw[k].series_id, w->v[i]->info.series_id);
        if (kept) {
            i++;
            continue;
        }
        gone = pw_xrealloc(gone, (n_gone + 1) * sizeof(*gone));
        gone[n_gone++] = w->v[i];
        memmove(w->v + i, w->v + i + 1, (w->n - i - 1) * sizeof(*w->v));
        w->n--;
    }
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < n_gone; i++)
        stop_and_free(w, gone[i]);
    free(gone);
    free(sw);
}

static void *sync_run(void *arg)
{
    struct pw_watcher *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stopping) {
        pthread_mutex_unlock(&w->mu);
        sync_once(w);
        pthread_mutex_lock(&w->mu);
        struct timespec due;
        clock_gettime(CLOCK_MONOTONIC, &due);
        due.tv_sec += PW_WATCH_SYNC_MS / 1000;
        due.tv_nsec += (PW_WATCH_SYNC_MS % 1000) * 1000000L;
        if (due.tv_nsec >= 1000000000) {
            due.tv_sec++;
            due.tv_nsec -= 1000000000;
        }
        while (!w->stopping && pthread_cond_timedwait(&w->cv, &w->mu, &due) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int pw_watcher_start(struct pw_watcher *w, const char *url, long long interval_ms, int seconds,
                     char *series_id_out, struct pw_err *err)
{
    if (interval_ms < PW_MIN_WATCH_INTERVAL_MS || interval_ms > PW_MAX_WATCH_INTERVAL_MS)
        return pw_fail(err, PW_EINVAL, "watch interval: want %d ms to %lld ms",
                       PW_MIN_WATCH_INTERVAL_MS, PW_MAX_WATCH_INTERVAL_MS);
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return pw_fail(err, PW_EINVAL, "url contains spaces or control characters");
    int timeout = 0;
    char *full = pw_fetch_adjust_url(url, seconds, w->o.timeout, &timeout, err);
    if (!full)
        return -1;
    if (strlen(full) >= sizeof(((struct pw_watch_info *)0)->url)) {
        free(full);
        return pw_fail(err, PW_EINVAL, "watch URL too long");
    }
    char sid[PW_SERIES_ID_LEN + 1];
    if (pw_store_series_open(w->o.store, full, sid, err)) {
        free(full);
        return -1;
    }
    snprintf(series_id_out, PW_SERIES_ID_LEN + 1, "%s", sid);
    int rc = 0;
    if (w->shared) {
        size_t n = 0;
        struct pw_store_watch *have = pw_store_watch_list(w->o.store, &n, err);
        bool known = false;
        for (size_t i = 0; have && i < n && !known; i++)
            known = !strcmp(have[i].series_id, sid);
        free(have);
        if (!have)
            rc = -1;
        else if (!known && n >= PW_MAX_WATCHES)
            rc = pw_fail(err, PW_ETOOBIG, "too many watches (limit %d): stop one first",
                         PW_MAX_WATCHES);
        struct pw_store_watch sw = {.interval_ms = interval_ms, .seconds = seconds};
        snprintf(sw.series_id, sizeof(sw.series_id), "%s", sid);
        snprintf(sw.url, sizeof(sw.url), "%s", full);
        if (rc == 0)
            rc = pw_store_watch_put(w->o.store, &sw, err);
    }
    if (rc == 0) {
        pthread_mutex_lock(&w->mu);
        rc = spawn_locked(w, sid, full, interval_ms, seconds, timeout, err);
        pthread_mutex_unlock(&w->mu);
    }
    free(full);
    return rc;
}

int pw_watcher_stop(struct pw_watcher *w, const char *series_id, struct pw_err *err)
{
    bool in_store = false;
    if (w->shared) {
        struct pw_err e2 = {0};
        if (pw_store_watch_delete(w->o.store, series_id, &e2) == 0)
            in_store = true;
        else if (e2.code != PW_ENOTFOUND)
            return pw_fail(err, e2.code, "%s", e2.msg);
    }
    size_t at = 0;
    pthread_mutex_lock(&w->mu);
    struct watch *found = find_locked(w, series_id, &at);
    if (found) {
        memmove(w->v + at, w->v + at + 1, (w->n - at - 1) * sizeof(*w->v));
        w->n--;
    }
    pthread_mutex_unlock(&w->mu);
    if (!found && !in_store)
        return pw_fail(err, PW_ENOTFOUND, "no watch of series \"%.40s\"", series_id);
    if (found)
        stop_and_free(w, found);
    return 0;
}

struct pw_watch_info *pw_watcher_list(struct pw_watcher *w, size_t *n)
{
    if (w->shared) {
        /* Every replica's view: what the holder recorded in the store. */
        struct pw_err err = {0};
        size_t ns = 0;
        struct pw_store_watch *sw = pw_store_watch_list(w->o.store, &ns, &err);
        if (sw) {
            struct pw_watch_info *out = pw_xcalloc(ns + 1, sizeof(*out));
            for (size_t i = 0; i < ns; i++) {
                struct pw_watch_info *o = &out[i];
                snprintf(o->series_id, sizeof(o->series_id), "%s", sw[i].series_id);
                snprintf(o->url, sizeof(o->url), "%s", sw[i].url);
                o->interval_ms = sw[i].interval_ms;
                o->seconds = sw[i].seconds;
                o->fetches = sw[i].fetches;
                o->failures = sw[i].failures;
                o->last_nanos = sw[i].last_nanos;
                snprintf(o->last_error, sizeof(o->last_error), "%s", sw[i].last_error);
                snprintf(o->holder, sizeof(o->holder), "%s",
                         sw[i].lease_live ? sw[i].holder : "");
            }
            *n = ns;
            free(sw);
            return out;
        }
    }
    pthread_mutex_lock(&w->mu);
    struct pw_watch_info *out = pw_xcalloc(w->n + 1, sizeof(*out));
    for (size_t i = 0; i < w->n; i++) {
        out[i] = w->v[i]->info;
        if (w->shared && w->v[i]->held)
            snprintf(out[i].holder, sizeof(out[i].holder), "%s", w->holder);
    }
    *n = w->n;
    pthread_mutex_unlock(&w->mu);
    return out;
}

/* Parses "1h30m", "500ms", "1.5s", "7d" into nanoseconds; a bare number is in bare_unit
 * nanoseconds (0: a bare number is an error). */
static int parse_duration(const char *s, int64_t bare_unit, int64_t *out)
{
    static const struct {
        const char *unit;
        double nanos;
    } units[] = {{"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}};
    double total = 0;
    const char *p = s;
    if (!*p)
        return -1;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0 || *p == '+' || *p == '-' || *p == ' ')
            return -1;
        p = end;
        if (!*p && p == s + strlen(s) && total == 0 && bare_unit) {
            total = v * (double)bare_unit;
            break;
        }
        size_t best = 0, best_len = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
            size_t n = strlen(units[i].unit);
            if (!strncmp(p, units[i].unit, n) && n > best_len) {
                best = i;
                best_len = n;
            }
        }
        if (!best_len)
            return -1;
        total += v * units[best].nanos;
        p += best_len;
    }
    if (total > 9e18)
        return -1;
    *out = (int64_t)total;
    return 0;
}

int pw_watch_parse_interval(const char *s, long long *ms, struct pw_err *err)
{
    int64_t ns;
    if (!s || parse_duration(s, 1000000000, &ns) || ns / 1000000 < PW_MIN_WATCH_INTERVAL_MS ||
        ns / 1000000 > PW_MAX_WATCH_INTERVAL_MS)
        return pw_fail(err, PW_EINVAL,
                       "bad watch interval \"%.40s\": want a duration from 1s to 168h, e.g. 30s "
                       "or 5m",
                       s ? s : "");
    *ms = ns / 1000000;
    return 0;
}

int pw_watch_parse_keep(const char *s, size_t *count, int64_t *age_nanos, struct pw_err *err)
{
    *count = 0;
    *age_nanos = 0;
    char *end;
    unsigned long long n = s ? strtoull(s, &end, 10) : 0;
    if (s && *s >= '0' && *s <= '9' && !*end && n > 0 && n <= PW_MAX_SERIES_SNAPSHOTS) {
        *count = (size_t)n;
        return 0;
    }
    int64_t ns;
    if (s && parse_duration(s, 0, &ns) == 0 && ns >= 1000000000) {
        *age_nanos = ns;
        return 0;
    }
    return pw_fail(err, PW_EINVAL,
                   "bad -watch_keep \"%.40s\": want a count of snapshots (1 to %d) or an age "
                   "(90m, 24h, 7d)",
                   s ? s : "", PW_MAX_SERIES_SNAPSHOTS);
}
