/* graph_build: pprof's graph.New, newGraph, newTree and CreateNodes. Every location line becomes
 * a NodeInfo (interned, so equal infos are one integer); a graph has one node per info, a tree
 * one node per (parent, info). Samples then add flat/cum weights, label tags and edges. Per
 * sample work is integer lookups only: "seen in this sample" is a generation mark on nodes and
 * edges instead of pprof's per-sample maps, and label strings and formatted numeric tags are
 * computed once per sample, not once per node.
 * The graph owns everything it creates (arena plus arrays); strings of the profile are borrowed,
 * so the profile must outlive the graph. Go's map iteration order is random; here nodes, edges
 * and tags keep creation order, and every output that depends on order sorts first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/graph.h"
#include "pprofweb/graph_internal.h"
#include "pprofweb/limits.h"
#include "pprofweb/parallel.h"
#include "pprofweb/profile.h"
#include "pprofweb/wrap.h"

/* Build-time state. */
struct builder {
    struct pw_graph *g;
    struct gx_graph_priv *pv;
    const struct pw_profile *p;
    const struct pw_graph_options *o;
    const struct pw_graph_infos *li; /* o->infos, or the graph's own */
    const uint32_t *loc_start;   /* li's: per location, first entry in loc_info / loc_nodes */
    uint8_t *info_kept;          /* per info: 0 unknown, 1 kept, 2 not kept */
    struct pw_node **node_of_info; /* graph mode */
    size_t cap_info_of_node;       /* of pv->info_of_node */
    const char **name_of_info;     /* PrintableName per info, once made */
    uint32_t *name_len_of_info;    /* and its length */
    struct gx_u64map tree_map;   /* tree mode: (parent id + 1) << 32 | info -> node id */
    struct pw_node **loc_nodes;  /* graph mode: node per location line */
    struct gx_u64map tag_class;  /* group << 32 | name -> class id */
    uint32_t n_classes;
    struct gx_u64map tag_map;    /* node id << 32 | class id -> tag index */
    struct pw_tag **tags;
    size_t n_tags, cap_tags;
    struct gx_u64map group_map;  /* node id << 32 | labels id -> numeric group index */
};

/* One numeric label of the current sample, formatted. */
struct num_tag {
    uint32_t name;
    const char *unit;
    int64_t value;
    uint32_t class_id;
};

/* --- the NodeInfo of every location line --- */

struct pw_graph_infos {
    const struct pw_profile *p;
    bool obj_names, orig_fn_names; /* the options it was made for */
    struct pw_arena arena;
    struct gx_strtab strs; /* profile strings (borrowed) and cleaned file names */
    struct gx_infotab infos;
    uint32_t *fn_info;     /* per info: the info of its function (no address, no line) */
    uint32_t *loc_start;   /* per location: first entry in loc_info; one more at the end */
    uint32_t *loc_info;    /* info per location line */
    uint32_t *prof_str;    /* while made: profile string -> string id + 1 */
    uint32_t *clean_str;   /* while made: profile file name -> cleaned string id + 1 */
    uint32_t *fn_line;     /* while made: function -> info id + 1 of its lines that have no
                            * address, line number or object file (see line_info) */
    uint32_t empty;        /* the string id of "" */
    uint64_t serial;       /* unique in the process (gx_graph_priv.infos_serial) */
};

static uint32_t gstr(struct pw_graph_infos *li, pw_str s)
{
    if (!li->prof_str[s])
        li->prof_str[s] =
            gx_strtab_intern(&li->strs, pw_s(li->p, s), li->p->string_lens[s], true, false) + 1;
    return li->prof_str[s] - 1;
}

static uint32_t gstr_clean(struct pw_graph_infos *li, pw_str s)
{
    if (!li->clean_str[s]) {
        uint32_t len;
        const char *c = gx_go_clean(pw_s(li->p, s), li->p->string_lens[s], &li->arena, &len);
        li->clean_str[s] = gx_strtab_intern(&li->strs, c, len, true, false) + 1;
    }
    return li->clean_str[s] - 1;
}

/* pprof's nodeInfo, interned. */
static uint32_t line_info(struct pw_graph_infos *li, const struct pw_location *l,
                          const struct pw_line *ln)
{
    const struct pw_profile *p = li->p;
    uint32_t empty = li->empty;
    uint32_t objfile = empty;
    if (l->mapping != PW_NONE && p->mappings[l->mapping].file != 0)
        objfile = gstr(li, p->mappings[l->mapping].file);
    struct gx_info_key k = {
        .name = empty, .orig_name = empty, .file = empty, .objfile = empty,
        .address = l->address};
    if (!ln || ln->function == PW_NONE) {
        k.objfile = objfile;
        return gx_infotab_intern(&li->infos, &k, false);
    }
    /* Without an address and a line number (granularity functions, the default), a
     * line's info is its function's unless the object file is part of it: each function's is
     * made once, not once per location. */
    bool by_function = l->address == 0 && ln->line == 0 && !li->obj_names;
    if (by_function && li->fn_line[ln->function])
        return li->fn_line[ln->function] - 1;
    const struct pw_function *f = &p->functions[ln->function];
    k.lineno = ln->line;
    k.name = gstr(li, f->name);
    if (f->filename != 0)
        k.file = gstr_clean(li, f->filename);
    if (li->orig_fn_names)
        k.orig_name = gstr(li, f->system_name);
    if (li->obj_names || (f->name == 0 && (!li->orig_fn_names || f->system_name == 0))) {
        k.objfile = objfile;
        k.start_line = f->start_line;
        by_function = false;
    }
    uint32_t info = gx_infotab_intern(&li->infos, &k, false);
    if (by_function)
        li->fn_line[ln->function] = info + 1;
    return info;
}

struct pw_graph_infos *pw_graph_infos_new(const struct pw_profile *p,
                                          const struct pw_graph_options *o)
{
    static _Atomic uint64_t serials;
    struct pw_graph_infos *li = pw_xcalloc(1, sizeof *li);
    li->serial = ++serials;
    li->p = p;
    li->obj_names = o->obj_names;
    li->orig_fn_names = o->orig_fn_names;
    pw_arena_init(&li->arena);
    gx_strtab_init(&li->strs, &li->arena);
    li->empty = gx_strtab_intern(&li->strs, "", 0, true, false);
    li->prof_str = pw_xcalloc(p->n_strings ? p->n_strings : 1, sizeof *li->prof_str);
    li->clean_str = pw_xcalloc(p->n_strings ? p->n_strings : 1, sizeof *li->clean_str);
    li->fn_line = pw_xcalloc(p->n_functions ? p->n_functions : 1, sizeof *li->fn_line);
    li->loc_start = pw_xcalloc((size_t)p->n_locations + 1, sizeof *li->loc_start);
    size_t total = 0;
    for (uint32_t i = 0; i < p->n_locations; i++) {
        li->loc_start[i] = (uint32_t)total;
        total += p->locations[i].n_lines ? p->locations[i].n_lines : 1;
    }
    li->loc_start[p->n_locations] = (uint32_t)total;
    li->loc_info = pw_xcalloc(total ? total : 1, sizeof *li->loc_info);
    /* A location without lines has one empty line. */
    for (uint32_t i = 0; i < p->n_locations; i++) {
        const struct pw_location *l = &p->locations[i];
        uint32_t *out = li->loc_info + li->loc_start[i];
        if (!l->n_lines)
            out[0] = line_info(li, l, NULL);
        for (uint32_t j = 0; j < l->n_lines; j++)
            out[j] = line_info(li, l, &l->lines[j]);
    }
    /* Function infos are interned at the end of the table, so one pass covers them too. */
    size_t cap = 0;
    for (uint32_t i = 0; i < li->infos.n; i++) {
        struct gx_info_key k = li->infos.k[i];
        k.address = 0;
        k.lineno = 0;
        uint32_t f = gx_infotab_intern(&li->infos, &k, false);
        PW_GROW(li->fn_info, cap, (size_t)i + 1);
        li->fn_info[i] = f;
    }
    free(li->prof_str);
    free(li->clean_str);
    free(li->fn_line);
    li->prof_str = li->clean_str = li->fn_line = NULL;
    return li;
}

void pw_graph_infos_free(struct pw_graph_infos *li)
{
    if (!li)
        return;
    gx_infotab_release(&li->infos);
    gx_strtab_release(&li->strs);
    free(li->fn_info);
    free(li->loc_start);
    free(li->loc_info);
    pw_arena_release(&li->arena);
    free(li);
}

static void info_of(const struct pw_graph_infos *li, const struct gx_info_key *k,
                    struct pw_node_info *out)
{
    const char *const *s = li->strs.s;
    const uint32_t *len = li->strs.len;
    *out = (struct pw_node_info){.name = s[k->name],
                                 .orig_name = s[k->orig_name],
                                 .address = k->address,
                                 .file = s[k->file],
                                 .start_line = k->start_line,
                                 .lineno = k->lineno,
                                 .objfile = s[k->objfile],
                                 .name_len = len[k->name],
                                 .orig_name_len = len[k->orig_name],
                                 .file_len = len[k->file],
                                 .objfile_len = len[k->objfile]};
}

static void to_node_info(struct builder *b, const struct gx_info_key *k, struct pw_node_info *out)
{
    info_of(b->li, k, out);
}

uint32_t pw_graph_infos_count(const struct pw_graph_infos *li)
{
    return li->infos.n;
}

const uint32_t *pw_graph_infos_location(const struct pw_graph_infos *li, uint32_t loc,
                                        uint32_t *n)
{
    *n = li->loc_start[loc + 1] - li->loc_start[loc];
    return li->loc_info + li->loc_start[loc];
}

const char *pw_graph_infos_name(const struct pw_graph_infos *li, uint32_t info,
                                struct pw_arena *arena, uint32_t *len)
{
    struct pw_node_info ni;
    info_of(li, &li->infos.k[info], &ni);
    return pw_node_info_printable_name(&ni, arena, len);
}

static bool info_kept(struct builder *b, uint32_t info)
{
    if (!b->o->kept_nodes)
        return true;
    const struct pw_node_set *kept = b->o->kept_nodes;
    if (kept->infos_serial == b->li->serial)
        return info < kept->n_infos && kept->info_in[info];
    if (!b->info_kept[info]) {
        struct pw_node_info ni;
        to_node_info(b, &b->li->infos.k[info], &ni);
        b->info_kept[info] = pw_node_set_has(b->o->kept_nodes, &ni) ? 1 : 2;
    }
    return b->info_kept[info] == 1;
}

static struct pw_node *new_node(struct builder *b, uint32_t info)
{
    struct pw_graph *g = b->g;
    struct pw_node *n = pw_arena_calloc(&g->arena, 1, sizeof *n);
    to_node_info(b, &b->li->infos.k[info], &n->info);
    /* A tree has many nodes per info: they share the name. */
    if (!b->o->values_only && !b->name_of_info[info])
        b->name_of_info[info] =
            pw_node_info_printable_name(&n->info, &g->arena, &b->name_len_of_info[info]);
    n->printable_name = b->name_of_info[info];
    n->printable_name_len = b->name_of_info[info] ? b->name_len_of_info[info] : 0;
    n->id = (uint32_t)g->n_all;
    PW_GROW(b->pv->info_of_node, b->cap_info_of_node, g->n_all + 1);
    PW_GROW(g->all, g->cap_all, g->n_all + 1);
    b->pv->info_of_node[n->id] = info;
    g->all[g->n_all++] = n;
    return n;
}

/* pprof's NodeMap.FindOrInsertNode on the graph's single map. */
static struct pw_node *graph_node(struct builder *b, uint32_t info, bool check_kept)
{
    if (check_kept && !info_kept(b, info))
        return NULL;
    if (b->node_of_info[info])
        return b->node_of_info[info];
    struct pw_node *n = new_node(b, info);
    b->node_of_info[info] = n;
    if (b->li->fn_info[info] == info) {
        n->function = n;
        return n;
    }
    n->function = graph_node(b, b->li->fn_info[info], false);
    return n;
}

/* FindOrInsertNode on the map of one tree parent (NULL for roots). */
static struct pw_node *tree_node(struct builder *b, struct pw_node *parent, uint32_t info,
                                 bool check_kept)
{
    if (check_kept && !info_kept(b, info))
        return NULL;
    uint64_t key = ((uint64_t)(parent ? parent->id + 1 : 0) << 32) | info;
    uint32_t *slot = gx_u64map_get(&b->tree_map, key);
    if (slot)
        return b->g->all[*slot - 1];
    struct pw_node *n = new_node(b, info);
    gx_u64map_put(&b->tree_map, key, n->id);
    if (b->li->fn_info[info] == info) {
        n->function = n;
        return n;
    }
    n->function = tree_node(b, parent, b->li->fn_info[info], false);
    return n;
}

/* pprof's CreateNodes (graph mode). */
static void create_nodes(struct builder *b)
{
    size_t total = b->loc_start[b->p->n_locations];
    b->loc_nodes = pw_xcalloc(total ? total : 1, sizeof *b->loc_nodes);
    for (size_t i = 0; i < total; i++)
        b->loc_nodes[i] = graph_node(b, b->li->loc_info[i], true);
}

/* --- tags --- */

static struct pw_tag *find_or_add_tag(struct builder *b, struct pw_node *n, uint32_t class_id,
                                      uint32_t group, uint32_t name, const char *unit,
                                      int64_t value)
{
    uint64_t key = ((uint64_t)n->id << 32) | class_id;
    uint32_t *slot = gx_u64map_get(&b->tag_map, key);
    if (slot)
        return b->tags[*slot - 1];
    struct pw_graph *g = b->g;
    struct pw_tag *t = pw_arena_calloc(&g->arena, 1, sizeof *t);
    t->name = b->pv->strs.s[name];
    t->unit = unit;
    t->value = value;
    PW_GROW(b->tags, b->cap_tags, b->n_tags + 1);
    b->tags[b->n_tags] = t;
    gx_u64map_put(&b->tag_map, key, (uint32_t)b->n_tags++);
    struct pw_tag_list *list;
    if (group == 0) {
        list = &n->label_tags;
    } else {
        uint64_t gkey = ((uint64_t)n->id << 32) | (group - 1);
        uint32_t *gs = gx_u64map_get(&b->group_map, gkey);
        if (!gs) {
            size_t cap = n->cap_numeric_tags;
            PW_GROW(n->numeric_tags, cap, (size_t)n->n_numeric_tags + 1);
            n->cap_numeric_tags = (uint32_t)cap;
            n->numeric_tags[n->n_numeric_tags] =
                (struct pw_num_tag_group){.labels = b->pv->strs.s[group - 1]};
            gx_u64map_put(&b->group_map, gkey, n->n_numeric_tags++);
            gs = gx_u64map_get(&b->group_map, gkey);
        }
        list = &n->numeric_tags[*gs - 1].tags;
    }
    size_t cap = list->cap;
    PW_GROW(list->v, cap, (size_t)list->n + 1);
    list->cap = (uint32_t)cap;
    list->v[list->n++] = t;
    return t;
}

static uint32_t tag_class(struct builder *b, uint32_t group, uint32_t name)
{
    uint64_t key = ((uint64_t)group << 32) | name;
    uint32_t *slot = gx_u64map_get(&b->tag_class, key);
    if (slot)
        return *slot - 1;
    gx_u64map_put(&b->tag_class, key, b->n_classes);
    return b->n_classes++;
}

/* What one sample adds to every node it reaches. */
struct sample_ctx {
    int64_t w, dw;
    uint32_t labels;      /* graph string id of the joined labels; "" when none */
    bool has_labels;
    uint32_t label_class; /* tag class of the label tag */
    struct num_tag *nums;
    size_t n_nums, cap_nums;
};

static void add_tag_weight(struct pw_tag *t, const struct sample_ctx *s, bool flat)
{
    if (flat) {
        t->flat_div = pw_wadd(t->flat_div, s->dw);
        t->flat = pw_wadd(t->flat, s->w);
    } else {
        t->cum_div = pw_wadd(t->cum_div, s->dw);
        t->cum = pw_wadd(t->cum, s->w);
    }
}

/* pprof's Node.addSample: weights (unless the caller keeps them aside) and tags. */
static void add_sample(struct builder *b, struct pw_node *n, const struct sample_ctx *s, bool flat,
                       bool weights, bool tags)
{
    if (weights && flat) {
        n->flat_div = pw_wadd(n->flat_div, s->dw);
        n->flat = pw_wadd(n->flat, s->w);
    } else if (weights) {
        n->cum_div = pw_wadd(n->cum_div, s->dw);
        n->cum = pw_wadd(n->cum, s->w);
    }
    if (!tags)
        return;
    if (s->has_labels)
        add_tag_weight(find_or_add_tag(b, n, s->label_class, 0, s->labels, "", 0), s, flat);
    for (size_t i = 0; i < s->n_nums; i++) {
        const struct num_tag *nt = &s->nums[i];
        add_tag_weight(find_or_add_tag(b, n, nt->class_id, s->labels + 1, nt->name, nt->unit,
                                       nt->value),
                       s, flat);
    }
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* pprof's joinLabels plus the formatted numeric labels, once per sample. */
static void sample_labels(struct builder *b, const struct pw_sample *smp, struct sample_ctx *s,
                          struct pw_buf *tmp)
{
    const struct pw_profile *p = b->p;
    const struct pw_graph_options *o = b->o;
    s->has_labels = false;
    s->n_nums = 0;
    s->labels = gx_strtab_intern(&b->pv->strs, "", 0, true, false);
    if (!smp->n_labels)
        return;
    const char **parts = pw_xcalloc(smp->n_labels, sizeof *parts);
    size_t np = 0;
    struct pw_arena scratch;
    pw_arena_init(&scratch);
    for (uint32_t i = 0; i < smp->n_labels; i++) {
        const struct pw_label *l = &smp->labels[i];
        const char *key = pw_s(p, l->key);
        if (l->is_num || (o->ignore_label_key && strcmp(key, o->ignore_label_key) == 0))
            continue;
        parts[np++] = pw_arena_printf(&scratch, "%s:%s", key, pw_s(p, l->str));
    }
    if (np) {
        qsort(parts, np, sizeof *parts, cmp_cstr);
        pw_buf_reset(tmp);
        for (size_t i = 0; i < np; i++) {
            if (i)
                pw_buf_adds(tmp, "\\n");
            pw_buf_adds(tmp, parts[i]);
        }
        s->labels = gx_strtab_intern(&b->pv->strs, pw_buf_str(tmp), tmp->len, false, false);
        s->has_labels = true;
        s->label_class = tag_class(b, 0, s->labels);
    }
    for (uint32_t i = 0; i < smp->n_labels; i++) {
        const struct pw_label *l = &smp->labels[i];
        if (!l->is_num)
            continue;
        const char *key = pw_s(p, l->key);
        if (o->num_label_key && strcmp(key, o->num_label_key) != 0)
            continue;
        const char *unit = o->num_label_unit ? o->num_label_unit
                           : l->unit         ? pw_s(p, l->unit)
                                             : key;
        char name[512];
        if (o->format_tag)
            o->format_tag(name, sizeof name, l->num, unit, o->format_tag_ctx);
        else
            snprintf(name, sizeof name, "%lld", (long long)l->num);
        PW_GROW(s->nums, s->cap_nums, s->n_nums + 1);
        struct num_tag *nt = &s->nums[s->n_nums++];
        nt->name = gx_strtab_intern(&b->pv->strs, name, strlen(name), false, false);
        /* Intern first: it may grow the table that strs.s points into. */
        uint32_t unit_id = gx_strtab_intern(&b->pv->strs, unit, strlen(unit), false, false);
        nt->unit = b->pv->strs.s[unit_id];
        nt->value = l->num;
        nt->class_id = tag_class(b, s->labels + 1, nt->name);
    }
    pw_arena_release(&scratch);
    free(parts);
}

static bool sample_weight(const struct pw_graph_options *o, const struct pw_sample *smp,
                          struct sample_ctx *s)
{
    s->w = smp->values[o->sample_index];
    s->dw = o->mean_divisor_index != PW_NONE ? smp->values[o->mean_divisor_index] : 0;
    return s->w != 0 || s->dw != 0;
}

/* AddToEdgeDiv on an existing edge. */
static void add_edge_weight(struct pw_edge *e, int64_t dw, int64_t w, bool residual,
                            bool is_inline)
{
    e->weight_div = pw_wadd(e->weight_div, dw);
    e->weight = pw_wadd(e->weight, w);
    if (residual)
        e->residual = true;
    if (!is_inline)
        e->is_inline = false;
}

/* Set in a frame's node id when the graph keeps the edges into that node. */
#define EDGES_IN (1u << 31)

/* The node id of every location line (PW_NONE: not in the graph), with EDGES_IN as the build
 * wants: on every node, on the nodes some location has as an inlined frame (not its last line),
 * or on none. */
static uint32_t *frame_nodes(struct builder *b)
{
    const struct pw_profile *p = b->p;
    size_t total = b->loc_start[p->n_locations];
    uint32_t *loc_id = pw_xmalloc((total ? total : 1) * sizeof *loc_id);
    for (size_t i = 0; i < total; i++)
        loc_id[i] = b->loc_nodes[i] ? b->loc_nodes[i]->id : PW_NONE;
    if (b->o->edges == PW_EDGES_NONE)
        return loc_id;
    bool *edges_in = pw_xcalloc(b->g->n_all ? b->g->n_all : 1, sizeof *edges_in);
    for (uint32_t l = 0; l < p->n_locations; l++) {
        uint32_t start = b->loc_start[l], cnt = b->loc_start[l + 1] - start;
        for (uint32_t ni = 0; ni < cnt; ni++)
            if (loc_id[start + ni] != PW_NONE &&
                (b->o->edges == PW_EDGES_ALL || ni != cnt - 1))
                edges_in[loc_id[start + ni]] = true;
    }
    for (size_t i = 0; i < total; i++)
        if (loc_id[i] != PW_NONE && edges_in[loc_id[i]])
            loc_id[i] |= EDGES_IN;
    free(edges_in);
    return loc_id;
}

/* The edges into the nodes that are only ever inlined into one other node, for a graph of the
 * edges that tell inlined calls (PW_EDGES_INLINE) whose node values are known (values_of):
 * a node n whose every frame is an inlined one (not its location's last line) followed in its
 * location by a kept frame of the same node p, not n, has a single edge in, p -> n. It is
 * inlined, on every sample that has n and on no other: its weights are n's cum, with no need
 * to walk the samples for it (in the Go profiles of the conformance corpus, about half the
 * nodes with inlined frames are such). Those nodes lose EDGES_IN in loc_id and are listed here,
 * their edges added after the loop. */
struct sole_edge {
    uint32_t src, dest;
    bool residual; /* a frame not kept lies between them in some location */
};

#define SOLE_MANY (PW_NONE - 1) /* a node with in-edges some other way: the loop walks it */

static size_t sole_edges(const struct builder *b, uint32_t *loc_id, struct sole_edge **out)
{
    const struct pw_profile *p = b->p;
    size_t n_all = b->g->n_all;
    uint32_t *parent = pw_xmalloc((n_all ? n_all : 1) * sizeof *parent);
    bool *residual = pw_xcalloc(n_all ? n_all : 1, sizeof *residual);
    for (size_t i = 0; i < n_all; i++)
        parent[i] = PW_NONE; /* not seen */
    for (uint32_t l = 0; l < p->n_locations; l++) {
        uint32_t start = b->loc_start[l], cnt = b->loc_start[l + 1] - start;
        for (uint32_t ni = 0; ni < cnt; ni++) {
            uint32_t n = loc_id[start + ni];
            if (n == PW_NONE || !(n & EDGES_IN))
                continue;
            n &= ~EDGES_IN;
            uint32_t from = PW_NONE, j = ni + 1;
            while (j < cnt && loc_id[start + j] == PW_NONE)
                j++;
            if (j < cnt)
                from = loc_id[start + j] & ~EDGES_IN;
            if (from == PW_NONE || from == n || (parent[n] != PW_NONE && parent[n] != from)) {
                parent[n] = SOLE_MANY;
                continue;
            }
            parent[n] = from;
            residual[n] |= j > ni + 1;
        }
    }
    size_t n_sole = 0;
    for (size_t i = 0; i < n_all; i++)
        n_sole += parent[i] < SOLE_MANY;
    struct sole_edge *e = pw_xmalloc((n_sole ? n_sole : 1) * sizeof *e);
    n_sole = 0;
    for (uint32_t i = 0; i < n_all; i++)
        if (parent[i] < SOLE_MANY)
            e[n_sole++] = (struct sole_edge){.src = parent[i], .dest = i, .residual = residual[i]};
    size_t total = b->loc_start[p->n_locations];
    for (size_t i = 0; i < total; i++)
        if (loc_id[i] != PW_NONE && parent[loc_id[i] & ~EDGES_IN] < SOLE_MANY)
            loc_id[i] &= ~EDGES_IN;
    free(parent);
    free(residual);
    *out = e;
    return n_sole;
}

/* Per-node and per-edge values the sample loop touches, packed by id: the loop visits millions
 * of frames in random node order, and full node structs do not stay in cache. What every frame
 * touches is 16 bytes a node (hot_node), so that the nodes of a large graph stay in the
 * processor's second-level cache; the rest (cold_node) is touched once a sample, or never
 * without a mean divisor. */
struct hot_node {
    int64_t cum;
    uint32_t mark;      /* generation of the last sample that counted this node */
    uint32_t last_edge; /* index + 1 of the out-edge used last: stacks of consecutive samples
                         * share most frames, so this usually saves the hash lookup */
};

struct cold_node {
    int64_t cum_div, flat, flat_div;
};

struct hot_edge { /* 24 bytes: the mean divisor's weight is apart (loop_part.he_div) */
    int64_t weight;
    uint32_t src, dest, mark;
    bool residual, is_inline;
};

/* What a walk through a location leaves behind, for a pass that reads samples only for edges
 * (run_edges_part), in 32 bits so that the table of a large profile stays in cache: the node of
 * its last frame kept (walk order: callers first) + 1 (0: none), TAIL_RESIDUAL when a frame not
 * kept follows it (or none is kept); or TAIL_FRAMES and an offset in the walks (struct walks)
 * when a frame keeps its edges in (EDGES_IN): such a location is walked frame by frame. Graphs
 * of 2^30 - 1 nodes or more, or walks as long, do not use it. */
#define TAIL_RESIDUAL (1u << 31)
#define TAIL_FRAMES (1u << 30)
#define TAIL_NODE (TAIL_FRAMES - 1)

/* The frames of the TAIL_FRAMES locations, each location's together: its frame count, then per
 * frame, in walk order, its loc_id and the index + 1 of its edge in the location (0: none). An
 * edge in a location is into an EDGES_IN frame from the frame kept before it in the same
 * location, of another node: the same on every sample, found once here instead of on each,
 * and always an inlined call. Only a graph of the edges that tell inlined calls has them (it
 * need not keep pprof's order of edges): they are the first of every part's table, and pairs
 * finds them by their ends for the walk that meets the same pair across locations. */
struct walks {
    uint32_t *tails;   /* per location */
    uint64_t *framed;  /* bit set of the TAIL_FRAMES locations */
    uint32_t *frames;
    struct gx_u64map pairs;  /* src << 32 | dest -> index of an edge in a location */
    struct hot_edge *edges;  /* per such edge, as every part's table starts */
    uint32_t n_pairs;
};

static void walks_release(struct walks *w)
{
    free(w->tails);
    free(w->framed);
    free(w->frames);
    gx_u64map_release(&w->pairs);
    free(w->edges);
}

/* Fills w from loc_id, with the edges in locations when pairs (they come first in every part's
 * table, which keeps pprof's order of edges only without them); returns false, having kept
 * nothing, when the walks are too long for TAIL_NODE to index. */
static bool walks_build(const struct builder *b, const uint32_t *loc_id, bool pairs,
                        struct walks *w)
{
    const struct pw_profile *p = b->p;
    memset(w, 0, sizeof *w);
    uint32_t *t = pw_xmalloc((p->n_locations ? p->n_locations : 1) * sizeof *t);
    uint64_t *bits = pw_xcalloc(p->n_locations / 64 + 1, sizeof *bits);
    size_t len = 0;
    for (uint32_t l = 0; l < p->n_locations; l++) {
        uint32_t start = b->loc_start[l], cnt = b->loc_start[l + 1] - start;
        uint32_t node1 = 0, flags = cnt ? TAIL_RESIDUAL : 0;
        for (uint32_t ni = cnt; ni-- > 0;) {
            uint32_t n = loc_id[start + ni];
            if (n == PW_NONE) {
                flags |= TAIL_RESIDUAL;
                continue;
            }
            if (n & EDGES_IN)
                flags |= TAIL_FRAMES;
            node1 = (n & ~EDGES_IN) + 1;
            flags &= ~TAIL_RESIDUAL;
        }
        if (flags & TAIL_FRAMES) {
            bits[l / 64] |= (uint64_t)1 << (l % 64);
            t[l] = TAIL_FRAMES | (uint32_t)(len < TAIL_NODE ? len : 0);
            len += 1 + 2 * (size_t)cnt;
        } else {
            t[l] = flags | node1;
        }
    }
    if (len >= TAIL_NODE) {
        free(t);
        free(bits);
        return false;
    }
    w->tails = t;
    w->framed = bits;
    w->frames = pw_xmalloc((len ? len : 1) * sizeof *w->frames);
    size_t cap = 0;
    for (uint32_t l = 0; l < p->n_locations; l++) {
        if (!(t[l] & TAIL_FRAMES))
            continue;
        uint32_t start = b->loc_start[l], cnt = b->loc_start[l + 1] - start;
        uint32_t *f = w->frames + (t[l] & TAIL_NODE);
        *f++ = cnt;
        uint32_t parent = PW_NONE; /* the node of the frame kept before, in this location */
        for (uint32_t ni = cnt; ni-- > 0; f += 2) {
            uint32_t n = loc_id[start + ni];
            f[0] = n;
            f[1] = 0;
            if (n == PW_NONE)
                continue;
            uint32_t node = n & ~EDGES_IN;
            if (pairs && (n & EDGES_IN) && parent != PW_NONE && parent != node) {
                uint64_t key = (uint64_t)parent << 32 | node;
                const uint32_t *e = gx_u64map_get(&w->pairs, key);
                if (e) {
                    f[1] = *e; /* index + 1 */
                } else {
                    PW_GROW(w->edges, cap, w->n_pairs + 1);
                    w->edges[w->n_pairs] =
                        (struct hot_edge){.src = parent, .dest = node, .is_inline = true};
                    gx_u64map_put(&w->pairs, key, w->n_pairs);
                    f[1] = ++w->n_pairs;
                }
            }
            parent = node;
        }
    }
    return true;
}

/* The sample loop over samples [from, to): node weights and edges found, in first-seen order.
 * Large profiles run in two parts on two threads; as each part keeps its edges in first-seen
 * order, adding the first part's edges and then the second's creates them in the order one
 * loop would. Tags are added only by a single part (they share the graph's tables). */
struct loop_part {
    struct builder *b;
    const uint32_t *loc_id;
    const struct walks *walks; /* run_edges_part only */
    const uint32_t *lone;  /* run_values_part only (loc_lone) */
    size_t from, to;
    bool tags;
    struct hot_node *hn;
    struct cold_node *cn;
    uint32_t *last_in; /* per node: index + 1 in he of the edge into it used last */
    struct hot_edge *he;
    int64_t *he_div; /* per edge in he: weight_div */
    size_t n_he, cap_he;
    struct gx_u64map edge_map; /* parent << 32 | dest -> index + 1 in he */
};

/* The edge parent -> n, index + 1 in he, from the table: created when new. Out of the loop's way:
 * most frames find their edge in part_edge's two shortcuts. */
static uint32_t find_edge(struct loop_part *lp, uint32_t parent, uint32_t n, bool residual,
                          bool is_inline)
{
    uint64_t key = ((uint64_t)parent << 32) | n;
    const uint32_t *slot = lp->walks ? gx_u64map_get(&lp->walks->pairs, key) : NULL;
    if (slot) /* an edge in a location: the same index in he */
        return *slot;
    slot = gx_u64map_get(&lp->edge_map, key);
    if (slot)
        return *slot;
    size_t cap = lp->cap_he;
    PW_GROW(lp->he, lp->cap_he, lp->n_he + 1);
    PW_GROW(lp->he_div, cap, lp->n_he + 1);
    lp->he_div[lp->n_he] = 0;
    lp->he[lp->n_he] = (struct hot_edge){
        .src = parent, .dest = n, .residual = residual, .is_inline = is_inline};
    gx_u64map_put(&lp->edge_map, key, (uint32_t)lp->n_he);
    return (uint32_t)++lp->n_he;
}

/* Adds the weight of the current sample (generation gen) to edge e (index + 1 in he) once. */
static inline void count_edge(struct loop_part *lp, uint32_t e, bool residual, bool is_inline,
                              const struct sample_ctx *s, uint32_t gen)
{
    struct hot_edge *x = &lp->he[e - 1];
    if (x->mark != gen) {
        x->mark = gen;
        x->weight = pw_wadd(x->weight, s->w);
        if (s->dw) /* adding 0 would still bring in the line */
            lp->he_div[e - 1] = pw_wadd(lp->he_div[e - 1], s->dw);
        x->residual |= residual;
        x->is_inline &= is_inline;
    }
}

/* Adds the weight of the current sample (generation gen) to the edge parent -> n once, creating
 * the edge when new. */
static inline void part_edge(struct loop_part *lp, uint32_t parent, uint32_t n, bool residual,
                             bool is_inline, const struct sample_ctx *s, uint32_t gen)
{
    struct hot_node *hp = &lp->hn[parent];
    uint32_t e = hp->last_edge;
    if (!e || lp->he[e - 1].dest != n) {
        /* An inlined frame is nearly always called from the function it is inlined into: the
         * edge into it used last is the one, where its caller's last edge went elsewhere. */
        e = lp->last_in[n];
        if (!e || lp->he[e - 1].src != parent)
            e = find_edge(lp, parent, n, residual, is_inline);
    }
    count_edge(lp, e, residual, is_inline, s, gen);
    hp->last_edge = e;
    lp->last_in[n] = e;
}

static void *run_part(void *arg)
{
    struct loop_part *lp = arg;
    struct builder *b = lp->b;
    const struct pw_profile *p = b->p;
    const uint32_t *loc_id = lp->loc_id;
    struct hot_node *hn = lp->hn;
    struct cold_node *cn = lp->cn;
    struct sample_ctx s = {0};
    struct pw_buf tmp;
    pw_buf_init(&tmp, 0);
    uint32_t gen = 0;
    for (size_t si = lp->from; si < lp->to; si++) {
        const struct pw_sample *smp = &p->samples[si];
        if (!sample_weight(b->o, smp, &s))
            continue;
        gen++; /* at most one per sample: n_samples < 2^32 */
        bool tags = false;
        if (lp->tags) {
            sample_labels(b, smp, &s, &tmp);
            tags = s.has_labels || s.n_nums;
        }
        uint32_t parent = PW_NONE;
        bool residual = false;
        for (uint32_t i = smp->n_locs; i-- > 0;) {
            uint32_t loc = smp->locs[i];
            uint32_t start = b->loc_start[loc], cnt = b->loc_start[loc + 1] - start;
            for (uint32_t ni = cnt; ni-- > 0;) {
                uint32_t n = loc_id[start + ni];
                if (n == PW_NONE) {
                    residual = true;
                    continue;
                }
                bool edges_in = n & EDGES_IN;
                n &= ~EDGES_IN;
                struct hot_node *h = &hn[n];
                if (h->mark != gen) {
                    h->mark = gen;
                    h->cum = pw_wadd(h->cum, s.w);
                    cn[n].cum_div = pw_wadd(cn[n].cum_div, s.dw);
                    if (tags)
                        add_sample(b, b->g->all[n], &s, false, false, true);
                }
                if (parent != PW_NONE && n != parent && edges_in)
                    part_edge(lp, parent, n, residual, ni != cnt - 1, &s, gen);
                parent = n;
                residual = false;
            }
        }
        if (parent != PW_NONE && !residual) {
            cn[parent].flat = pw_wadd(cn[parent].flat, s.w);
            cn[parent].flat_div = pw_wadd(cn[parent].flat_div, s.dw);
            if (tags)
                add_sample(b, b->g->all[parent], &s, true, false, true);
        }
    }
    free(s.nums);
    pw_buf_release(&tmp);
    return NULL;
}

/* The node of every location of one line, for run_values_part: nearly all locations have one
 * (inlined calls add lines); LONE_MANY marks the others, PW_NONE a line not in the graph. */
#define LONE_MANY (PW_NONE - 1)

static uint32_t *loc_lone(const struct builder *b, const uint32_t *loc_id)
{
    const struct pw_profile *p = b->p;
    uint32_t *t = pw_xmalloc((p->n_locations ? p->n_locations : 1) * sizeof *t);
    for (uint32_t l = 0; l < p->n_locations; l++) {
        uint32_t start = b->loc_start[l];
        t[l] = b->loc_start[l + 1] - start == 1 ? loc_id[start] : LONE_MANY;
    }
    return t;
}

/* Adds the weight of the sample of generation gen to the cum of node n once (PW_NONE: none). */
static inline void count_cum(struct hot_node *hn, struct cold_node *cn, uint32_t n, uint32_t gen,
                             int64_t w, int64_t dw)
{
    if (n != PW_NONE && hn[n].mark != gen) {
        hn[n].mark = gen;
        hn[n].cum = pw_wadd(hn[n].cum, w);
        if (dw) /* adding 0 would still bring in the line */
            cn[n].cum_div = pw_wadd(cn[n].cum_div, dw);
    }
}

/* run_part for a graph of node values only (no edges, no tags), the first graph of every trimmed
 * report: each node on a sample's stack is counted once, in any order, and the flat goes to the
 * node of the innermost frame when it is kept (what run_part's walk ends on). No caller, parent
 * or residual to follow, so the loop is a third shorter. */
static void *run_values_part(void *arg)
{
    struct loop_part *lp = arg;
    const struct builder *b = lp->b;
    const struct pw_profile *p = b->p;
    const uint32_t *loc_id = lp->loc_id, *loc_start = b->loc_start, *lone = lp->lone;
    struct hot_node *hn = lp->hn;
    struct cold_node *cn = lp->cn;
    struct sample_ctx s = {0};
    uint32_t gen = 0;
    for (size_t si = lp->from; si < lp->to; si++) {
        const struct pw_sample *smp = &p->samples[si];
        if (!sample_weight(b->o, smp, &s))
            continue;
        gen++; /* at most one per sample: n_samples < 2^32 */
        /* Read once: the stores below may alias them as far as the compiler knows. */
        const uint32_t *locs = smp->locs;
        uint32_t n_locs = smp->n_locs;
        int64_t w = s.w, dw = s.dw;
        uint32_t leaf = PW_NONE;
        for (uint32_t i = 0; i < n_locs; i++) {
            uint32_t start = loc_start[locs[i]];
            if (start < loc_start[locs[i] + 1]) {
                leaf = loc_id[start]; /* the first line of a location is its innermost frame */
                break;
            }
        }
        for (uint32_t i = 0; i < n_locs; i++) {
            uint32_t n = lone[locs[i]];
            if (n == LONE_MANY) {
                uint32_t start = loc_start[locs[i]], end = loc_start[locs[i] + 1];
                for (uint32_t k = start; k < end; k++)
                    count_cum(hn, cn, loc_id[k], gen, w, dw);
            } else {
                count_cum(hn, cn, n, gen, w, dw);
            }
        }
        if (leaf != PW_NONE) {
            cn[leaf].flat = pw_wadd(cn[leaf].flat, w);
            cn[leaf].flat_div = pw_wadd(cn[leaf].flat_div, dw);
        }
    }
    return NULL;
}

/* A sample's label makes a tag (sample_labels) when it is a string label other than the ignored
 * key, or a numeric one of num_label_key. A comparison labels every base sample with the ignored
 * key, and tags cost the loop its second thread and the values of an earlier graph. */
bool pw_graph_has_tags(const struct pw_profile *p, const struct pw_graph_options *o)
{
    pw_str ignored = PW_NONE; /* the ignored key's string, once seen: strings are interned */
    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *smp = &p->samples[i];
        for (uint32_t k = 0; k < smp->n_labels; k++) {
            const struct pw_label *l = &smp->labels[k];
            if (!l->is_num && l->key == ignored)
                continue;
            const char *want = l->is_num ? o->num_label_key : o->ignore_label_key;
            if (!want || (strcmp(pw_s(p, l->key), want) == 0) == l->is_num)
                return true;
            if (!l->is_num)
                ignored = l->key;
        }
    }
    return false;
}

/* The edges of samples [from, to) into EDGES_IN nodes, node values left alone (values_of): a
 * location without such a frame is one lookup (walks.tails), the others are walked from their
 * frames in the walks, where an edge in the location is found without a lookup. Frames past a
 * sample's innermost such location cannot add an edge: that location is found first, in a bit
 * set that stays in the first-level cache (a top's graph has few EDGES_IN nodes, and many
 * samples none). */
static void *run_edges_part(void *arg)
{
    struct loop_part *lp = arg;
    struct builder *b = lp->b;
    const struct pw_profile *p = b->p;
    const uint32_t *tails = lp->walks->tails, *frames = lp->walks->frames;
    const uint64_t *framed = lp->walks->framed;
    struct sample_ctx s = {0};
    uint32_t gen = 0;
    for (size_t si = lp->from; si < lp->to; si++) {
        const struct pw_sample *smp = &p->samples[si];
        const uint32_t *locs = smp->locs;
        uint32_t n_locs = smp->n_locs, inner = 0;
        while (inner < n_locs && !(framed[locs[inner] / 64] >> (locs[inner] % 64) & 1))
            inner++;
        if (inner == n_locs || !sample_weight(b->o, smp, &s))
            continue;
        gen++;
        uint32_t parent = PW_NONE;
        bool residual = false;
        for (uint32_t i = n_locs; i-- > inner;) {
            uint32_t loc = locs[i];
            uint32_t t = tails[loc];
            if (!(t & TAIL_FRAMES)) {
                /* Without a branch on whether the location has a node kept: that varies from
                 * frame to frame as no branch predictor can follow. */
                uint32_t node1 = t & TAIL_NODE;
                uint32_t has = 0u - (node1 != 0); /* all ones when it has */
                bool tail_residual = t & TAIL_RESIDUAL;
                parent = (has & (node1 - 1)) | (~has & parent);
                residual = tail_residual | (residual & !has);
                continue;
            }
            const uint32_t *f = frames + (t & TAIL_NODE);
            uint32_t cnt = *f++;
            for (uint32_t k = 0; k < cnt; k++, f += 2) {
                uint32_t n = f[0];
                if (n == PW_NONE) {
                    residual = true;
                    continue;
                }
                bool edges_in = n & EDGES_IN;
                n &= ~EDGES_IN;
                if (f[1]) /* from the frame kept before, in this location: parent */
                    count_edge(lp, f[1], residual, true, &s, gen);
                else if (parent != PW_NONE && n != parent && edges_in)
                    part_edge(lp, parent, n, residual, k != 0, &s, gen);
                parent = n;
                residual = false;
            }
        }
    }
    return NULL;
}

/* o->values_of when this graph can take its node values from it (see pw_graph_options); tags
 * says whether it has any. */
static const struct pw_graph *values_source(const struct builder *b, bool tags)
{
    const struct pw_graph *v = b->o->values_of;
    if (!v || tags || b->o->call_tree)
        return NULL;
    const struct gx_graph_priv *vp = v->priv;
    return vp->node_of_info && vp->infos == b->li ? v : NULL;
}

/* Copies the flat and cum of every node from the node of the same info in v; a node made only
 * as the function of another, its own info not kept, has none. */
static void copy_values(struct builder *b, const struct pw_graph *v)
{
    const uint32_t *from = ((const struct gx_graph_priv *)v->priv)->node_of_info;
    for (size_t info = 0; info < b->li->infos.n + 1; info++) {
        struct pw_node *n = b->node_of_info[info];
        if (!n || !from[info] || !info_kept(b, (uint32_t)info))
            continue;
        const struct pw_node *m = v->all[from[info] - 1];
        n->flat = m->flat;
        n->flat_div = m->flat_div;
        n->cum = m->cum;
        n->cum_div = m->cum_div;
    }
}

static void build_graph(struct builder *b)
{
    const struct pw_profile *p = b->p;
    struct pw_graph *g = b->g;
    create_nodes(b);
    uint32_t *loc_id = frame_nodes(b);
    bool tags = !b->o->no_tags && pw_graph_has_tags(p, b->o);
    const struct pw_graph *values = g->n_all < TAIL_NODE ? values_source(b, tags) : NULL;
    struct walks walks;
    bool walked = false;
    struct sole_edge *sole = NULL;
    size_t n_sole = 0;
    if (values && b->o->edges != PW_EDGES_NONE) {
        if (b->o->edges == PW_EDGES_INLINE)
            n_sole = sole_edges(b, loc_id, &sole);
        walked = walks_build(b, loc_id, b->o->edges == PW_EDGES_INLINE, &walks);
        if (!walked)
            values = NULL; /* the whole loop then: the sole edges are added after it all the same */
    }
    if (values)
        copy_values(b, values);
    void *(*run)(void *) = run_part;
    uint32_t *lone = NULL;
    if (values) {
        run = run_edges_part;
    } else if (b->o->edges == PW_EDGES_NONE && !tags && g->n_all < LONE_MANY) {
        run = run_values_part;
        lone = loc_lone(b, loc_id);
    }
    size_t n_parts = values && !walked ? 0 : tags ? 1 : pw_parallel_parts(p->n_samples);
    uint32_t n_pairs = walked ? walks.n_pairs : 0;
    struct loop_part parts[PW_PARALLEL_MAX_PARTS];
    for (size_t i = 0; i < n_parts; i++) {
        parts[i] = (struct loop_part){
            .b = b,
            .loc_id = loc_id,
            .walks = walked ? &walks : NULL,
            .lone = lone,
            .from = p->n_samples * i / n_parts,
            .to = p->n_samples * (i + 1) / n_parts,
            .tags = tags,
            .hn = pw_xcalloc(g->n_all ? g->n_all : 1, sizeof(struct hot_node)),
            .cn = pw_xcalloc(g->n_all ? g->n_all : 1, sizeof(struct cold_node)),
            .last_in = pw_xcalloc(g->n_all ? g->n_all : 1, sizeof(uint32_t)),
        };
        if (n_pairs) { /* the edges in locations first, as walks_build numbered them */
            struct loop_part *lp = &parts[i];
            lp->he = pw_xmalloc(n_pairs * sizeof *lp->he);
            memcpy(lp->he, walks.edges, n_pairs * sizeof *lp->he);
            lp->he_div = pw_xcalloc(n_pairs, sizeof *lp->he_div);
            lp->n_he = lp->cap_he = n_pairs;
        }
    }
    pw_parallel_run(run, parts, sizeof *parts, n_parts);
    for (size_t i = 0; i < g->n_all && !values; i++) {
        struct pw_node *n = g->all[i];
        for (size_t k = 0; k < n_parts; k++) {
            const struct cold_node *c = &parts[k].cn[i];
            n->cum = pw_wadd(n->cum, parts[k].hn[i].cum);
            n->cum_div = pw_wadd(n->cum_div, c->cum_div);
            n->flat = pw_wadd(n->flat, c->flat);
            n->flat_div = pw_wadd(n->flat_div, c->flat_div);
        }
    }
    for (size_t k = 0; k < n_parts; k++) {
        struct loop_part *lp = &parts[k];
        for (size_t i = 0; i < lp->n_he; i++) {
            const struct hot_edge *x = &lp->he[i];
            if (i < n_pairs && !x->mark)
                continue; /* an edge in a location on none of this part's samples */
            pw_graph_add_to_edge(g, g->all[x->src], g->all[x->dest], lp->he_div[i], x->weight,
                                 x->residual, x->is_inline);
        }
        free(lp->hn);
        free(lp->cn);
        free(lp->last_in);
        free(lp->he);
        free(lp->he_div);
        gx_u64map_release(&lp->edge_map);
    }
    for (size_t i = 0; i < n_sole; i++) {
        /* A node on no sample (or on samples adding up to 0, which pprof's graph drops) takes
         * no edge: the loop would have made one only if a sample had it. */
        struct pw_node *n = g->all[sole[i].dest];
        if (n->cum != 0 || n->flat != 0)
            pw_graph_add_to_edge(g, g->all[sole[i].src], n, n->cum_div, n->cum, sole[i].residual,
                                 true);
    }
    free(sole);
    if (walked)
        walks_release(&walks);
    free(lone);
    free(loc_id);
    if (!b->o->kept_nodes) {
        /* Built from every node: a later graph of these infos may take its values from it. */
        struct gx_graph_priv *pv = b->pv;
        pv->infos = b->li;
        pv->node_of_info = pw_xcalloc(b->li->infos.n + 1, sizeof *pv->node_of_info);
        for (size_t info = 0; info < b->li->infos.n + 1; info++)
            if (b->node_of_info[info])
                pv->node_of_info[info] = b->node_of_info[info]->id + 1;
    }
}

/* The calling contexts of a tree, light: a context is (its caller's context, an info), found in
 * an open-addressing table sized once for every context there can be. With millions of
 * contexts nearly every lookup misses the cache, and each frame's key needs the context of the
 * frame before: the pass walks several samples at once, fetching each one's next slot while it
 * serves the others, and keeps a context's cum in its slot, one miss a frame. */
struct contexts {
    struct context_slot {
        uint64_t key; /* (caller context + 1) << 32 | info */
        int64_t cum;
        uint32_t ctx1; /* context + 1; 0: empty */
    } *slots;
    size_t mask;
    int64_t *flat; /* per context */
    size_t n, max;
};

static void contexts_init(struct contexts *c, size_t max)
{
    size_t cap = 1024;
    while (cap < max + max / 3)
        cap *= 2;
    *c = (struct contexts){.slots = pw_xcalloc(cap, sizeof *c->slots), .mask = cap - 1,
                           .flat = pw_xcalloc(max ? max : 1, sizeof *c->flat), .max = max};
}

static uint64_t context_key(uint32_t caller, uint32_t info)
{
    return ((uint64_t)(caller == PW_NONE ? 0 : caller + 1) << 32) | info;
}

static size_t context_home(const struct contexts *c, uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    return (h ^ (h >> 29)) & c->mask;
}

/* The slot of the context of key, added if new; NULL when there are max contexts already. */
static struct context_slot *context_of(struct contexts *c, uint64_t key)
{
    for (size_t at = context_home(c, key);; at = (at + 1) & c->mask) {
        struct context_slot *sl = &c->slots[at];
        if (sl->ctx1 && sl->key == key)
            return sl;
        if (!sl->ctx1) {
            if (c->n == c->max)
                return NULL;
            sl->key = key;
            sl->ctx1 = (uint32_t)++c->n;
            return sl;
        }
    }
}

/* One sample being walked by the trie pass: which frame it is at, root first. */
struct lane {
    const struct pw_sample *smp;
    size_t out; /* where its next frame's context goes in frames */
    int64_t w;
    uint32_t i, li, start, cnt; /* location i (counting down), line li of its cnt from start */
    uint32_t ctx;                /* the context reached */
    uint64_t key;                /* of the next frame */
};

/* Moves the lane to its sample's next frame; false at the end. */
static bool lane_next(const struct builder *b, struct lane *l)
{
    while (l->li == 0) {
        if (l->i == 0)
            return false;
        l->i--;
        uint32_t loc = l->smp->locs[l->i];
        l->start = b->loc_start[loc];
        l->cnt = l->li = b->loc_start[loc + 1] - l->start;
    }
    l->li--;
    return true;
}

/* For a tree built with tree_node_fraction: per sample, how many of its frames (location lines,
 * root first) lie in contexts that are kept, or NULL when every context is to be built (a
 * sample read weighs 0 or less, or the cutoff is 0) or when there are more than max_nodes
 * contexts, which makes the tree too_large as the whole tree would be. Counts what is left out
 * in g. */
static uint32_t *kept_depths(struct builder *b, size_t max_nodes)
{
    const struct pw_profile *p = b->p;
    struct sample_ctx s = {0};
    /* The flat sum of the whole tree's nodes, as pw_nodes_sum adds it, and each sample's frames
     * (0 for a sample the tree does not read). */
    uint64_t total = 0;
    uint32_t *depth = pw_xcalloc(p->n_samples ? p->n_samples : 1, sizeof *depth);
    size_t n_frames = 0;
    for (size_t si = 0; si < p->n_samples; si++) {
        const struct pw_sample *smp = &p->samples[si];
        if (!sample_weight(b->o, smp, &s))
            continue;
        /* With no weight (only a mean's divisor), nodes of no value would be made, which
         * pprof's TrimTree leaves edges to: those are built in full too. */
        if (s.w <= 0) {
            free(depth);
            return NULL;
        }
        if (smp->n_locs)
            total += (uint64_t)s.w;
        for (uint32_t i = 0; i < smp->n_locs; i++)
            depth[si] += b->loc_start[smp->locs[i] + 1] - b->loc_start[smp->locs[i]];
        n_frames += depth[si];
    }
    int64_t cutoff = pw_go_int64((double)(int64_t)total * b->o->tree_node_fraction);
    cutoff = pw_wabs(cutoff);
    if (cutoff == 0) {
        free(depth);
        return NULL;
    }
    /* Each frame's context, in frames sample after sample; then each context's weights. There
     * are at most as many contexts as frames, and one past max_nodes is too many. */
    struct contexts c;
    contexts_init(&c, n_frames < max_nodes ? n_frames : max_nodes + 1);
    uint32_t *frames = pw_xmalloc(sizeof *frames * (n_frames ? n_frames : 1));
    enum { LANES = 8 };
    struct lane lanes[LANES];
    size_t n_lanes = 0, next = 0, out = 0;
    bool fits = true;
    while (fits) {
        /* Fill the lanes with the next samples that have frames. */
        while (n_lanes < LANES && next < p->n_samples) {
            size_t si = next++;
            if (!depth[si])
                continue;
            struct lane *l = &lanes[n_lanes++];
            *l = (struct lane){.smp = &p->samples[si], .out = out,
                               .i = p->samples[si].n_locs, .ctx = PW_NONE};
            sample_weight(b->o, l->smp, &s);
            l->w = s.w;
            out += depth[si];
            lane_next(b, l);
            l->key = context_key(PW_NONE, b->li->loc_info[l->start + l->li]);
            __builtin_prefetch(&c.slots[context_home(&c, l->key)]);
        }
        if (!n_lanes)
            break;
        for (size_t k = 0; k < n_lanes && fits;) {
            struct lane *l = &lanes[k];
            struct context_slot *sl = context_of(&c, l->key);
            fits = sl && c.n <= max_nodes;
            if (!fits)
                break;
            sl->cum = pw_wadd(sl->cum, l->w);
            l->ctx = sl->ctx1 - 1;
            frames[l->out++] = l->ctx;
            if (lane_next(b, l)) {
                l->key = context_key(l->ctx, b->li->loc_info[l->start + l->li]);
                __builtin_prefetch(&c.slots[context_home(&c, l->key)]);
                k++;
            } else {
                c.flat[l->ctx] = pw_wadd(c.flat[l->ctx], l->w);
                *l = lanes[--n_lanes]; /* the lane is free; its place takes the last */
            }
        }
    }
    if (fits) {
        /* Which contexts are kept, by context. Every sample weighs more than 0, so every
         * context has a value: the others are all counted, and hold the flat weight the kept
         * ones do not. */
        uint64_t *kept = pw_xcalloc(c.n / 64 + 1, sizeof *kept);
        size_t n_kept = 0;
        uint64_t kept_flat = 0;
        for (size_t i = 0; i <= c.mask; i++) {
            const struct context_slot *sl = &c.slots[i];
            if (!sl->ctx1 || sl->cum < cutoff)
                continue;
            uint32_t ctx = sl->ctx1 - 1;
            kept[ctx / 64] |= (uint64_t)1 << (ctx % 64);
            n_kept++;
            kept_flat += (uint64_t)c.flat[ctx];
        }
        b->g->n_pruned = c.n - n_kept;
        b->g->pruned_flat = (int64_t)(total - kept_flat);
        /* Contexts nearer the root weigh at least as much: a sample's kept frames come first. */
        size_t at = 0;
        for (size_t si = 0; si < p->n_samples; si++) {
            uint32_t d = depth[si], k = 0;
            while (k < d && (kept[frames[at + k] / 64] >> (frames[at + k] % 64) & 1))
                k++;
            at += d;
            depth[si] = k;
        }
        free(kept);
    }
    free(c.slots);
    free(c.flat);
    free(frames);
    if (!fits) {
        b->g->too_large = true;
        free(depth);
        return NULL;
    }
    return depth;
}

static void build_tree(struct builder *b)
{
    const struct pw_profile *p = b->p;
    size_t max_nodes = b->o->max_tree_nodes ? b->o->max_tree_nodes : PW_MAX_TREE_NODES;
    uint32_t *kept = b->o->tree_node_fraction > 0 ? kept_depths(b, max_nodes) : NULL;
    if (b->g->too_large)
        return;
    struct sample_ctx s = {0};
    struct pw_buf tmp;
    pw_buf_init(&tmp, 0);
    for (size_t si = 0; si < p->n_samples; si++) {
        const struct pw_sample *smp = &p->samples[si];
        if (!sample_weight(b->o, smp, &s))
            continue;
        /* Checked between samples: one sample adds at most two nodes per frame it has, which
         * the input's size bounds. */
        if (b->g->n_all > max_nodes) {
            b->g->too_large = true;
            break;
        }
        sample_labels(b, smp, &s, &tmp);
        struct pw_node *parent = NULL;
        uint32_t frames = kept ? kept[si] : UINT32_MAX;
        bool leaf = true; /* the sample's last frame is built: it gets the flat weight */
        for (uint32_t i = smp->n_locs; i-- > 0 && leaf;) {
            uint32_t loc = smp->locs[i];
            uint32_t start = b->loc_start[loc], cnt = b->loc_start[loc + 1] - start;
            for (uint32_t li = cnt; li-- > 0;) {
                if (frames-- == 0) {
                    /* The first frame left out: building its node would have made the node of
                     * its function beside it, which may be kept and must come at this point in
                     * creation order (the final tie-break). */
                    uint32_t info = b->li->loc_info[start + li];
                    if (b->li->fn_info[info] != info)
                        tree_node(b, parent, b->li->fn_info[info], false);
                    leaf = false;
                    break;
                }
                struct pw_node *n = tree_node(b, parent, b->li->loc_info[start + li], true);
                if (!n)
                    continue;
                add_sample(b, n, &s, false, true, true);
                /* A tree node is reached from one parent only: its one in-edge is that call. */
                if (parent && n->in.n)
                    add_edge_weight(n->in.v[0], s.dw, s.w, false, li != cnt - 1);
                else if (parent)
                    pw_graph_add_to_edge(b->g, parent, n, s.dw, s.w, false, li != cnt - 1);
                parent = n;
            }
        }
        if (parent && leaf)
            add_sample(b, parent, &s, true, true, true);
    }
    free(kept);
    free(s.nums);
    pw_buf_release(&tmp);
}

/* pprof's selectNodesForGraph over every node created, in creation order. */
static void select_nodes(struct pw_graph *g, bool drop_negative)
{
    g->nodes = pw_xcalloc(g->n_all ? g->n_all : 1, sizeof *g->nodes);
    g->n_nodes = 0;
    for (size_t i = 0; i < g->n_all; i++) {
        struct pw_node *n = g->all[i];
        if (n->cum == 0 && n->flat == 0)
            continue;
        if (drop_negative && (n->flat < 0 || (n->flat == 0 && n->cum < 0)))
            continue;
        g->nodes[g->n_nodes++] = n;
    }
}

static struct pw_graph *graph_alloc(void)
{
    struct pw_graph *g = pw_xcalloc(1, sizeof *g);
    pw_arena_init(&g->arena);
    struct gx_graph_priv *pv = pw_xcalloc(1, sizeof *pv);
    gx_strtab_init(&pv->strs, &g->arena);
    g->priv = pv;
    return g;
}

static void builder_init(struct builder *b, struct pw_graph *g, const struct pw_profile *p,
                         const struct pw_graph_options *o)
{
    memset(b, 0, sizeof *b);
    b->g = g;
    b->pv = g->priv;
    b->p = p;
    b->o = o;
    if (o->infos) {
        b->li = o->infos;
        if (b->li->p != p || b->li->obj_names != o->obj_names ||
            b->li->orig_fn_names != o->orig_fn_names)
            abort(); /* infos of another profile or other options: a caller's bug */
    } else {
        b->li = b->pv->own_infos = pw_graph_infos_new(p, o);
    }
    b->loc_start = b->li->loc_start;
    b->pv->infos_serial = b->li->serial;
    b->pv->n_infos = b->li->infos.n;
    b->info_kept = pw_xcalloc(b->li->infos.n + 1, sizeof *b->info_kept);
    b->node_of_info = pw_xcalloc(b->li->infos.n + 1, sizeof *b->node_of_info);
    b->name_of_info = pw_xcalloc(b->li->infos.n + 1, sizeof *b->name_of_info);
    b->name_len_of_info = pw_xcalloc(b->li->infos.n + 1, sizeof *b->name_len_of_info);
}

static void builder_release(struct builder *b)
{
    free(b->info_kept);
    free(b->node_of_info);
    free(b->name_of_info);
    free(b->name_len_of_info);
    gx_u64map_release(&b->tree_map);
    free(b->loc_nodes);
    gx_u64map_release(&b->tag_class);
    gx_u64map_release(&b->tag_map);
    free(b->tags);
    gx_u64map_release(&b->group_map);
}

struct pw_graph *pw_graph_new(const struct pw_profile *p, const struct pw_graph_options *o)
{
    struct pw_graph *g = graph_alloc();
    struct builder b;
    builder_init(&b, g, p, o);
    if (o->call_tree)
        build_tree(&b);
    else
        build_graph(&b);
    builder_release(&b);
    select_nodes(g, o->drop_negative);
    return g;
}

struct pw_graph *pw_graph_create_nodes(const struct pw_profile *p,
                                       const struct pw_graph_options *o,
                                       struct pw_node ****locs, uint32_t **n_loc_nodes)
{
    struct pw_graph *g = graph_alloc();
    struct builder b;
    builder_init(&b, g, p, o);
    create_nodes(&b);
    struct pw_node ***lv = pw_arena_calloc(&g->arena, p->n_locations + 1, sizeof *lv);
    uint32_t *ln = pw_arena_calloc(&g->arena, p->n_locations + 1, sizeof *ln);
    for (uint32_t i = 0; i < p->n_locations; i++) {
        ln[i] = b.loc_start[i + 1] - b.loc_start[i];
        lv[i] = pw_arena_calloc(&g->arena, ln[i], sizeof **lv);
        memcpy(lv[i], b.loc_nodes + b.loc_start[i], ln[i] * sizeof **lv);
    }
    builder_release(&b);
    g->nodes = pw_xcalloc(g->n_all ? g->n_all : 1, sizeof *g->nodes);
    if (g->n_all) /* an empty graph has no node array to copy (memcpy from NULL is undefined) */
        memcpy(g->nodes, g->all, g->n_all * sizeof *g->nodes);
    g->n_nodes = g->n_all;
    *locs = lv;
    *n_loc_nodes = ln;
    return g;
}

void pw_graph_free(struct pw_graph *g)
{
    if (!g)
        return;
    struct gx_graph_priv *pv = g->priv;
    for (size_t i = 0; i < g->n_all; i++) {
        struct pw_node *n = g->all[i];
        free(n->in.v);
        free(n->out.v);
        free(n->label_tags.v);
        for (uint32_t j = 0; j < n->n_numeric_tags; j++)
            free(n->numeric_tags[j].tags.v);
        free(n->numeric_tags);
    }
    gx_strtab_release(&pv->strs);
    gx_u64map_release(&pv->edge_map);
    pw_graph_infos_free(pv->own_infos);
    free(pv->node_of_info);
    free(pv->info_of_node);
    free(pv);
    free(g->nodes);
    free(g->all);
    free(g->edges);
    pw_arena_release(&g->arena);
    free(g);
}

/* --- edges --- */

void gx_edge_list_push(struct pw_edge_list *l, struct pw_edge *e)
{
    size_t cap = l->cap;
    PW_GROW(l->v, cap, (size_t)l->n + 1);
    l->cap = (uint32_t)cap;
    l->v[l->n++] = e;
}

void gx_edge_list_remove(struct pw_edge_list *l, const struct pw_edge *e)
{
    for (uint32_t i = 0; i < l->n; i++) {
        if (l->v[i] == e) {
            memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof *l->v);
            l->n--;
            return;
        }
    }
}

void gx_edge_unindex(struct pw_graph *g, const struct pw_edge *e)
{
    struct gx_graph_priv *pv = g->priv;
    uint64_t key = ((uint64_t)e->src->id << 32) | e->dest->id;
    uint32_t *slot = gx_u64map_get(&pv->edge_map, key);
    if (slot && *slot - 1 == e->id)
        gx_u64map_del(&pv->edge_map, key);
}

void gx_edge_index(struct pw_graph *g, const struct pw_edge *e)
{
    struct gx_graph_priv *pv = g->priv;
    gx_u64map_put(&pv->edge_map, ((uint64_t)e->src->id << 32) | e->dest->id, e->id);
}

struct pw_edge *pw_graph_add_to_edge(struct pw_graph *g, struct pw_node *src, struct pw_node *dest,
                                     int64_t weight_div, int64_t weight, bool residual,
                                     bool is_inline)
{
    struct gx_graph_priv *pv = g->priv;
    uint32_t *slot = gx_u64map_get(&pv->edge_map, ((uint64_t)src->id << 32) | dest->id);
    if (slot) {
        struct pw_edge *e = g->edges[*slot - 1];
        add_edge_weight(e, weight_div, weight, residual, is_inline);
        return e;
    }
    struct pw_edge *e = pw_arena_calloc(&g->arena, 1, sizeof *e);
    *e = (struct pw_edge){.src = src,
                          .dest = dest,
                          .weight = weight,
                          .weight_div = weight_div,
                          .residual = residual,
                          .is_inline = is_inline,
                          .id = (uint32_t)g->n_edges};
    PW_GROW(g->edges, g->cap_edges, g->n_edges + 1);
    g->edges[g->n_edges++] = e;
    gx_edge_index(g, e);
    gx_edge_list_push(&src->out, e);
    gx_edge_list_push(&dest->in, e);
    return e;
}
