/* graph_internal: state shared by graph_build.c, graph_trim.c and graph_names.c; not an API for
 * other modules. Tables here belong to the struct pw_graph (or pw_node_set) that holds them. */
#ifndef PPROFWEB_GRAPH_INTERNAL_H
#define PPROFWEB_GRAPH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/arena.h"
#include "pprofweb/graph.h"

/* Open-addressing set of indexes (slot = index + 1, 0 empty) into an array the owner keeps,
 * with the hash of each entry kept by the owner too. No deletion. */
struct gx_ixtab {
    uint32_t *slots;
    size_t cap, n;
};

/* Interned strings: equal strings get equal ids. Strings are borrowed (from the profile) or
 * copied into the arena. */
struct gx_strtab {
    struct pw_arena *arena;
    const char **s; /* each NUL-terminated, and may hold NUL bytes before its len */
    uint32_t *len;
    uint64_t *h;
    uint32_t n;
    size_t cap;
    struct gx_ixtab ix;
};
void gx_strtab_init(struct gx_strtab *t, struct pw_arena *arena);
void gx_strtab_release(struct gx_strtab *t);
/* Returns the id of the len bytes at s; inserts (borrowing s, which must then be NUL-terminated,
 * when borrow, else copying) unless lookup_only, in which case PW_NONE (UINT32_MAX) means absent. */
uint32_t gx_strtab_intern(struct gx_strtab *t, const char *s, size_t len, bool borrow,
                          bool lookup_only);

/* A NodeInfo with every string interned: equality is integer equality. */
struct gx_info_key {
    uint32_t name, orig_name, file, objfile;
    uint64_t address;
    int64_t start_line, lineno;
};

struct gx_infotab {
    struct gx_info_key *k;
    uint64_t *h;
    uint32_t n;
    size_t cap;
    struct gx_ixtab ix;
};
void gx_infotab_release(struct gx_infotab *t);
uint32_t gx_infotab_intern(struct gx_infotab *t, const struct gx_info_key *k, bool lookup_only);

/* uint64 key -> uint32 value with deletion (tombstones). */
struct gx_u64map {
    uint64_t *keys;
    uint32_t *vals; /* value + 1; 0 empty; UINT32_MAX deleted */
    size_t cap, used, n;
};
void gx_u64map_release(struct gx_u64map *m);
/* Returns a pointer to the value slot for key, or NULL when absent. */
uint32_t *gx_u64map_get(const struct gx_u64map *m, uint64_t key);
void gx_u64map_put(struct gx_u64map *m, uint64_t key, uint32_t val);
void gx_u64map_del(struct gx_u64map *m, uint64_t key);

struct pw_node_set {
    struct pw_arena arena;
    struct gx_strtab strs;
    struct gx_infotab infos;
    /* A set made from the nodes of a graph (gx_node_set_add_node) also knows them by their ids
     * in that graph's infos, the ones of serial infos_serial (0: none): a graph of the same
     * infos then asks one byte per info, not a lookup of its strings. */
    uint64_t infos_serial;
    uint8_t *info_in; /* per info id: 1 in the set */
    uint32_t n_infos;
};

/* Adds n, a node of g, to s (pw_node_set_add), with its info id when g has them. */
void gx_node_set_add_node(struct pw_node_set *s, const struct pw_graph *g, const struct pw_node *n);

struct gx_graph_priv {
    struct gx_strtab strs;
    struct pw_graph_infos *own_infos; /* made for this graph: its nodes' strings are there */
    struct gx_u64map edge_map; /* src id << 32 | dest id -> edge index */
    /* A graph (not a tree) built from every sample: the infos it was built with and, per info,
     * its node's id + 1 (0: none), which a later graph of the same infos takes values from
     * (pw_graph_options.values_of). NULL otherwise. */
    const struct pw_graph_infos *infos;
    uint32_t *node_of_info;
    /* A graph's nodes by info: the serial of the infos it was built with (unique in the
     * process, unlike their address, which a later infos may reuse), their count, and per node
     * id its info id. */
    uint64_t infos_serial;
    uint32_t n_infos;
    uint32_t *info_of_node;
};

/* Removes e from the edge list l (order kept); no-op when absent. */
void gx_edge_list_remove(struct pw_edge_list *l, const struct pw_edge *e);
void gx_edge_list_push(struct pw_edge_list *l, struct pw_edge *e);
/* Forgets the (src, dest) lookup entry of e, and records it again after e->src changed. */
void gx_edge_unindex(struct pw_graph *g, const struct pw_edge *e);
void gx_edge_index(struct pw_graph *g, const struct pw_edge *e);

/* Go's filepath.Base and filepath.Clean of the n bytes at path, into the arena; the result's
 * length in *len. */
const char *gx_go_base(const char *path, size_t n, struct pw_arena *arena, uint32_t *len);
const char *gx_go_clean(const char *path, size_t n, struct pw_arena *arena, uint32_t *len);

#endif
