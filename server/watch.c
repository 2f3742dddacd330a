/* watch: fetches live profiles on a schedule into series (see watch.h).
 *
 * One thread per watch runs: fetch (fetch.h, at most max_bytes, pprof's timeout rule), store
 * (store.h validates the bytes completely: something that is not a profile fails here), append to
 * the series (which refuses a profile of other sample types, naming both), trim to -watch_keep;
 * any failure is appended as a gap with its message instead. Then it sleeps on the watcher's
 * condition variable until the next fetch is due (interval, doubled after each failure in a row
 * up to PW_WATCH_MAX_BACKOFF intervals) or it is stopped: no polling, so an idle watch costs
 * nothing. Nothing a watched endpoint sends can stop the thread: every error is a gap.
 * Limits: PW_MAX_WATCHES, PW_MIN/MAX_WATCH_INTERVAL_MS. Memory: each watch is owned by the
 * watcher; a fetched profile's bytes live only during one attempt. */
#include "pprofweb/watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pprofweb/arena.h"
#include "pprofweb/fetch.h"
#include "pprofweb/limits.h"

struct watch {
    struct pw_watcher *w;
    struct pw_watch_info info;
    int timeout; /* seconds, as pprof adjusts it */
    bool stop;
    pthread_t thread;
};

struct pw_watcher {
    struct pw_watch_options o;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled on stop and on interval changes */
    struct watch **v;
    size_t n, cap;
};

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
    return w;
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
    int rc = pw_fetch_url(wt->info.url, wt->timeout, w->o.max_bytes, &data, &len, err);
    if (rc == 0)
        rc = pw_store_put(w->o.store, data, len, wt->info.url, id, err);
    free(data);
    if (rc == 0)
        rc = pw_store_series_append(w->o.store, sid, id, 0, NULL, err);
    if (rc) {
        struct pw_err ignored = {0};
        pw_store_series_append(w->o.store, sid, NULL, started, err->msg, &ignored);
    }
    if (w->o.keep_count || w->o.keep_age_nanos) {
        struct pw_err ignored = {0};
        pw_store_series_trim(w->o.store, sid, w->o.keep_count, w->o.keep_age_nanos, &ignored);
    }
    return rc;
}

static void *run(void *arg)
{
    struct watch *wt = arg;
    struct pw_watcher *w = wt->w;
    unsigned fails = 0;
    pthread_mutex_lock(&w->mu);
    while (!wt->stop) {
        pthread_mutex_unlock(&w->mu);
        struct pw_err err = {0};
        int rc = attempt(wt, &err);
        pthread_mutex_lock(&w->mu);
        wt->info.fetches++;
        wt->info.last_nanos = realtime_nanos();
        snprintf(wt->info.last_error, sizeof(wt->info.last_error), "%s", rc ? err.msg : "");
        if (rc) {
            wt->info.failures++;
            fails++;
        } else {
            fails = 0;
        }
        long long factor = 1;
        for (unsigned k = 0; k < fails && factor < PW_WATCH_MAX_BACKOFF; k++)
            factor *= 2;
        if (factor > PW_WATCH_MAX_BACKOFF)
            factor = PW_WATCH_MAX_BACKOFF;
        long long delay = wt->info.interval_ms * factor;
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
    free(wt);
}

void pw_watcher_free(struct pw_watcher *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->n; i++)
        w->v[i]->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < w->n; i++) {
        pthread_join(w->v[i]->thread, NULL);
        free(w->v[i]);
    }
    free(w->v);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
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
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (!strcmp(w->v[i]->info.series_id, sid)) {
            w->v[i]->info.interval_ms = interval_ms;
            pthread_cond_broadcast(&w->cv);
            goto out;
        }
    }
    if (w->n >= PW_MAX_WATCHES) {
        rc = pw_fail(err, PW_ETOOBIG, "too many watches (limit %d): stop one first",
                     PW_MAX_WATCHES);
        goto out;
    }
    struct watch *wt = pw_xcalloc(1, sizeof(*wt));
    wt->w = w;
    wt->timeout = timeout;
    snprintf(wt->info.series_id, sizeof(wt->info.series_id), "%s", sid);
    snprintf(wt->info.url, sizeof(wt->info.url), "%s", full);
    wt->info.interval_ms = interval_ms;
    wt->info.seconds = seconds;
    if (pthread_create(&wt->thread, NULL, run, wt)) {
        free(wt);
        rc = pw_fail(err, PW_EIO, "cannot start a thread for the watch");
        goto out;
    }
    PW_GROW(w->v, w->cap, w->n + 1);
    w->v[w->n++] = wt;
out:
    pthread_mutex_unlock(&w->mu);
    free(full);
    return rc;
}

int pw_watcher_stop(struct pw_watcher *w, const char *series_id, struct pw_err *err)
{
    struct watch *found = NULL;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->n && !found; i++) {
        if (!strcmp(w->v[i]->info.series_id, series_id)) {
            found = w->v[i];
            memmove(w->v + i, w->v + i + 1, (w->n - i - 1) * sizeof(*w->v));
            w->n--;
        }
    }
    pthread_mutex_unlock(&w->mu);
    if (!found)
        return pw_fail(err, PW_ENOTFOUND, "no watch of series \"%.40s\"", series_id);
    stop_and_free(w, found);
    return 0;
}

struct pw_watch_info *pw_watcher_list(struct pw_watcher *w, size_t *n)
{
    pthread_mutex_lock(&w->mu);
    struct pw_watch_info *out = pw_xcalloc(w->n + 1, sizeof(*out));
    for (size_t i = 0; i < w->n; i++)
        out[i] = w->v[i]->info;
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
