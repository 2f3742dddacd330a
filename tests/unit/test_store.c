/* Unit tests for store: content ids, atomic writes, validation before storing, reopening the store
 * (a restart) keeps every id, ids that could reach the file system are refused. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pprofweb/decode.h"
#include "pprofweb/store.h"

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.' || strncmp(de->d_name, ".tmp", 4) == 0)
            n += de->d_name[0] != '.' || de->d_name[1] != 0;
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    unsigned char sum[32];
    pw_sha256("abc", 3, sum);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    CHECK_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    pw_sha256("", 0, sum);
    CHECK(sum[0] == 0xe3 && sum[31] == 0x55, "sha256 of empty input");
    /* 56 bytes: the padding needs a second block. */
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    pw_sha256(two, strlen(two), sum);
    CHECK(sum[0] == 0x24 && sum[1] == 0x8d && sum[31] == 0xc1, "sha256 two-block input");

    char dir[] = "/tmp/pprofweb-store-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    struct pw_err err = {0};
    struct pw_store *s = pw_store_open(dir, &err);
    CHECK(s != NULL, "open: %s", err.msg);

    unsigned char *data;
    size_t len;
    CHECK(pw_read_file("testdata/profiles/shop.heap-t0.pb.gz", 1 << 24, &data, &len, &err) == 0,
          "read: %s", err.msg);
    char id[PW_STORE_ID_LEN + 1], id2[PW_STORE_ID_LEN + 1];
    CHECK(pw_store_put(s, data, len, "heap <t0>\n.pb.gz", id, &err) == 0, "put: %s", err.msg);
    CHECK(pw_store_id_valid(id), "id %s", id);
    CHECK(pw_store_put(s, data, len, "again", id2, &err) == 0, "put again: %s", err.msg);
    CHECK_STREQ(id2, id);
    CHECK_INTEQ(count_files(dir), 2); /* ID.prof and ID.meta, no temporaries left */

    /* A corrupt upload is refused with the decoder's message and leaves nothing behind. */
    unsigned char bad[64];
    memcpy(bad, data, sizeof(bad));
    CHECK(pw_store_put(s, bad, sizeof(bad), "cut", id2, &err) == -1, "truncated accepted");
    CHECK(err.code == PW_ECORRUPT, "code %d: %s", err.code, err.msg);
    CHECK(strstr(err.msg, "decompressing profile") != NULL, "message: %s", err.msg);
    CHECK_INTEQ(count_files(dir), 2);

    const struct pw_profile *p = pw_store_acquire(s, id, &err);
    CHECK(p != NULL && p->n_samples > 0, "acquire: %s", err.msg);
    pw_store_release(s, p);

    /* Ids that are not ours never reach the file system. */
    CHECK(!pw_store_id_valid("../../etc/passwd"), "traversal id");
    CHECK(!pw_store_id_valid("ABCDEF0123456789abcdef01"), "uppercase id");
    CHECK(pw_store_acquire(s, "../x", &err) == NULL && err.code == PW_ENOTFOUND, "bad id");
    CHECK(pw_store_acquire(s, "0123456789abcdef01234567", &err) == NULL &&
              err.code == PW_ENOTFOUND,
          "unknown id");
    pw_store_free(s);

    /* A restart: a new store on the same directory lists and serves the profile. */
    s = pw_store_open(dir, &err);
    size_t n = 0;
    struct pw_store_entry *list = pw_store_list(s, &n, &err);
    CHECK_INTEQ(n, 1);
    if (n == 1) {
        CHECK_STREQ(list[0].id, id);
        CHECK_STREQ(list[0].name, "heap <t0>?.pb.gz");
        CHECK_STREQ(list[0].type, "alloc_objects,alloc_space,inuse_objects,inuse_space");
        CHECK_INTEQ(list[0].size, len);
    }
    pw_store_list_free(list);
    p = pw_store_acquire(s, id, &err);
    CHECK(p != NULL, "acquire after restart: %s", err.msg);
    pw_store_release(s, p);

    /* -watch_keep: dropped snapshots free their bytes, unless something else still refers to
     * them (a later snapshot of the same bytes, or a user's own upload of them). */
    char sid[PW_SERIES_ID_LEN + 1], ids[4][PW_STORE_ID_LEN + 1];
    CHECK(pw_store_series_open(s, "http://svc/debug/pprof/goroutine", sid, &err) == 0, "%s",
          err.msg);
    for (int i = 0; i < 4; i++) {
        char text[96];
        snprintf(text, sizeof(text), "goroutine profile: total %d\n%d @ 0x%x\n", i + 1, i + 1,
                 0x1000 + i);
        int rc = i == 1 ? pw_store_put(s, (unsigned char *)text, strlen(text), "mine", ids[i], &err)
                        : pw_store_put_snapshot(s, (unsigned char *)text, strlen(text), "svc",
                                                ids[i], &err);
        CHECK(rc == 0, "put %d: %s", i, err.msg);
        CHECK(pw_store_series_append(s, sid, ids[i], (int64_t)(i + 1) * 1000000000, NULL, &err) ==
                  0,
              "append %d: %s", i, err.msg);
    }
    /* The newest snapshot's bytes again, as another snapshot: two references to one id. */
    CHECK(pw_store_series_append(s, sid, ids[3], 5000000000LL, NULL, &err) == 0, "%s", err.msg);
    size_t loose = 0, in_series = 0;
    list = pw_store_list_loose(s, &loose, &in_series, &err);
    CHECK(list && loose == 1 && in_series == 4, "loose listing: %zu loose, %zu in series", loose,
          in_series);
    pw_store_list_free(list);
    CHECK(pw_store_series_trim(s, sid, 1, 0, &err) == 0, "trim: %s", err.msg);
    struct pw_store_entry e;
    CHECK(pw_store_stat(s, ids[0], &e, &err) != 0, "a dropped snapshot's bytes are freed");
    CHECK(pw_store_stat(s, ids[2], &e, &err) != 0, "a dropped snapshot's bytes are freed");
    CHECK(pw_store_stat(s, ids[1], &e, &err) == 0, "a user's upload stays after its snapshot goes");
    CHECK(pw_store_stat(s, ids[3], &e, &err) == 0, "bytes a kept snapshot refers to stay");
    struct pw_series sr;
    CHECK(pw_store_series_get(s, sid, &sr, &err) == 0 && sr.n == 1, "one snapshot kept");
    pw_store_series_free(&sr);
    list = pw_store_list_loose(s, &loose, &in_series, &err);
    CHECK(list && loose == 2 && in_series == 1, "after the trim: %zu loose, %zu in series", loose,
          in_series);
    pw_store_list_free(list);
    CHECK(!pw_store_shares_watches(s), "a directory keeps no watches of its own");

    CHECK(pw_store_is_database("postgres://db/pprof"), "postgres:// is a database");
    CHECK(pw_store_is_database("postgresql:///pprof?host=/run/pg"), "postgresql:// too");
    CHECK(pw_store_is_database("host=db dbname=pprof"), "a key=value string too");
    CHECK(!pw_store_is_database("/var/lib/pprofweb"), "a path is a directory");
    pw_store_free(s);
    free(data);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    return harness_done();
}
