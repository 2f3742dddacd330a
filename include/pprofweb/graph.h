/* graph: pprof's internal/graph. Summarizes the samples of a profile into nodes (one per distinct
 * NodeInfo: function, file, line, address, object, at the granularity the profile was aggregated
 * to) with flat and cum values, call edges between them and label tags, and trims the result the
 * way pprof's reports do. A struct pw_graph owns its nodes, edges, tags and the strings they point
 * to (or borrows strings from the profile it was built from, which must outlive it); free it
 * with pw_graph_free(). Node sets own copies of their keys; free them with their _free(). */
#ifndef PPROFWEB_GRAPH_H
#define PPROFWEB_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pprofweb/arena.h"
#include "pprofweb/wrap.h"

struct pw_profile;
struct pw_buf;

/* pprof's NodeInfo. Strings are never NULL ("" for none). They are Go strings, which may hold
 * NUL bytes: each has its length beside it (and a NUL after its last byte), and whatever prints,
 * compares or hashes one goes by the length. */
struct pw_node_info {
    const char *name;
    const char *orig_name;
    uint64_t address;
    const char *file;
    int64_t start_line, lineno;
    const char *objfile;
    uint32_t name_len, orig_name_len, file_len, objfile_len;
};

/* Compares two Go strings as Go's < does (bytes, then length), as strcmp would. */
static inline int pw_gostr_cmp(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    if (c)
        return c;
    return na < nb ? -1 : na > nb;
}

/* pprof's NameComponents joined with sep (" " is PrintableName). Appends to out. */
void pw_node_info_name(const struct pw_node_info *info, const char *sep, struct pw_buf *out);
/* pprof's PrintableName, allocated in arena; its length (it may hold NUL bytes) in *len. */
const char *pw_node_info_printable_name(const struct pw_node_info *info, struct pw_arena *arena,
                                        uint32_t *len);
/* Compares fmt.Sprint(a) with fmt.Sprint(b), pprof's deterministic tie-break key, as strcmp
 * would, without building the strings. */
int pw_node_info_key_cmp(const struct pw_node_info *a, const struct pw_node_info *b);

struct pw_node;

/* pprof's Edge. */
struct pw_edge {
    struct pw_node *src, *dest;
    int64_t weight, weight_div;
    bool residual;  /* connects nodes through removed nodes */
    bool is_inline; /* a call inlined into the caller */
    uint32_t id;    /* index in the graph's edge array */
    uint32_t mark;  /* scratch for the graph's algorithms */
};

static inline int64_t pw_edge_weight_value(const struct pw_edge *e)
{
    return e->weight_div == 0 ? e->weight : pw_wdiv(e->weight, e->weight_div);
}

/* An EdgeMap: the edges of a node in insertion order (Go's map order is random; every place
 * whose output depends on order sorts first, see pw_edges_sort). */
struct pw_edge_list {
    struct pw_edge **v;
    uint32_t n, cap;
};

/* pprof's Tag. name/unit point into the graph's arena. */
struct pw_tag {
    const char *name;
    const char *unit; /* "" for string label tags */
    int64_t value;
    int64_t flat, flat_div, cum, cum_div;
};

static inline int64_t pw_tag_flat_value(const struct pw_tag *t)
{
    return t->flat_div == 0 ? t->flat : pw_wdiv(t->flat, t->flat_div);
}
static inline int64_t pw_tag_cum_value(const struct pw_tag *t)
{
    return t->cum_div == 0 ? t->cum : pw_wdiv(t->cum, t->cum_div);
}

/* A TagMap in insertion order. */
struct pw_tag_list {
    struct pw_tag **v;
    uint32_t n, cap;
};

/* One entry of Node.NumericTags: the numeric tags of samples whose joined string labels are
 * `labels` ("" for samples without string labels). */
struct pw_num_tag_group {
    const char *labels;
    struct pw_tag_list tags;
};

/* pprof's Node. */
struct pw_node {
    struct pw_node_info info;
    struct pw_node *function; /* the node of the whole function (itself when it is one) */
    int64_t flat, flat_div, cum, cum_div;
    uint32_t id;   /* creation order within its graph, unique; the final, stable tie-break */
    uint32_t mark; /* scratch for the graph's algorithms */
    struct pw_edge_list in, out;
    struct pw_tag_list label_tags; /* keyed by joined labels "k1:v1\nk2:v2" (literal \n) */
    struct pw_num_tag_group *numeric_tags;
    uint32_t n_numeric_tags, cap_numeric_tags;

    /* pprof's PrintableName, filled when the node is created, and its length. */
    const char *printable_name;
    uint32_t printable_name_len;
};

static inline int64_t pw_node_flat_value(const struct pw_node *n)
{
    return n->flat_div == 0 ? n->flat : pw_wdiv(n->flat, n->flat_div);
}
static inline int64_t pw_node_cum_value(const struct pw_node *n)
{
    return n->cum_div == 0 ? n->cum : pw_wdiv(n->cum, n->cum_div);
}

/* pprof's NodeSet: a set of NodeInfo (owns copies of the strings). */
struct pw_node_set;
struct pw_node_set *pw_node_set_new(void);
void pw_node_set_add(struct pw_node_set *s, const struct pw_node_info *info);
bool pw_node_set_has(const struct pw_node_set *s, const struct pw_node_info *info);
size_t pw_node_set_count(const struct pw_node_set *s);
void pw_node_set_free(struct pw_node_set *s);

/* pprof's NodePtrSet: nodes of one graph, by id. */
struct pw_node_ptr_set {
    bool *has; /* indexed by node id */
    size_t cap;
    size_t count;
};
bool pw_node_ptr_set_has(const struct pw_node_ptr_set *s, const struct pw_node *n);
void pw_node_ptr_set_release(struct pw_node_ptr_set *s);

/* Formats a numeric tag value (pprof's FormatTag); writes a NUL-terminated string into dst. */
typedef void (*pw_format_tag_fn)(char *dst, size_t cap, int64_t value, const char *unit,
                                 void *ctx);

/* pprof's graph.Options. */
struct pw_graph_options {
    uint32_t sample_index;       /* SampleValue: values[sample_index] */
    uint32_t mean_divisor_index; /* SampleMeanDivisor: values[i], or PW_NONE for none */
    pw_format_tag_fn format_tag; /* NULL: decimal value */
    void *format_tag_ctx;
    /* Numeric labels: when num_label_key is not NULL only labels with that key are used (the
     * report keeps only "bytes"); their unit is num_label_unit when not NULL, else the label's
     * unit, else its key (as pprof's NumUnit / key fallback). */
    const char *num_label_key;
    const char *num_label_unit;
    /* String labels with this key are ignored (the report removes "pprof::base"); NULL: none. */
    const char *ignore_label_key;
    bool obj_names;      /* always keep the object file name */
    bool orig_fn_names;  /* keep system (mangled) names */
    bool call_tree;      /* build a tree instead of a graph */
    size_t max_tree_nodes; /* a tree stops (too_large) beyond this; 0: PW_MAX_TREE_NODES */
    /* call_tree: when every sample read weighs more than 0, so that no calling context weighs
     * more than its caller's, build only the contexts whose cum reaches this fraction of the
     * total, the ones pprof's DiscardLowFrequencyNodePtrs keeps; the others are counted in
     * n_pruned and pruned_flat. 0: every context. */
    double tree_node_fraction;
    /* What a graph holds beside the nodes' flat and cum, when not all of pprof's graph is
     * needed (ignored with call_tree). Edges: PW_EDGES_ALL as pprof; PW_EDGES_INLINE only the
     * edges into nodes that some location has as an inlined frame, enough for the text report's
     * "(inline)" labels as the other nodes' edges are never inline, not in pprof's order
     * (with values_of, the edge into a node only ever inlined into one other is added last);
     * PW_EDGES_NONE. */
    enum pw_graph_edges { PW_EDGES_ALL = 0, PW_EDGES_INLINE, PW_EDGES_NONE } edges;
    bool no_tags;     /* no label or numeric tags */
    bool values_only; /* nodes without printable names: a graph built only to
                       * choose which nodes to keep, then rebuilt */
    bool drop_negative;  /* drop nodes with negative values */
    const struct pw_node_set *kept_nodes; /* only nodes in this set; NULL for all */
    /* A graph of the same profile, infos, sample_index and mean_divisor_index, built without
     * kept_nodes (values_only is enough), or NULL. A node's flat and cum do not depend on which
     * other nodes are kept (flat is its samples' leaf weight, cum their weight), so without tags
     * (no_tags, or no sample label that makes one) they are copied from it and the samples are
     * read only for edges: not at all with PW_EDGES_NONE, and with PW_EDGES_INLINE one lookup
     * per location but where an inlined frame is. Ignored when it was built with other infos. */
    const struct pw_graph *values_of;
    /* The profile's location infos made with these options (pw_graph_infos_new), shared by the
     * graphs of one report; NULL: made for this graph alone. */
    const struct pw_graph_infos *infos;
};

/* The NodeInfo of every location line of a profile, as graphs built with the same obj_names and
 * orig_fn_names see them: a report builds its graph up to three times, and this part is the
 * same each time. The profile must outlive it and it every graph built with it. */
struct pw_graph_infos;
struct pw_graph_infos *pw_graph_infos_new(const struct pw_profile *p,
                                          const struct pw_graph_options *o);
void pw_graph_infos_free(struct pw_graph_infos *li);
/* For readers that walk samples themselves (summary.h): how many infos there are (a graph has
 * one node per info), the infos of location loc's lines (as lines: [0] is the innermost; one
 * for a location without lines) and an info's PrintableName (in arena, its length in *len). */
uint32_t pw_graph_infos_count(const struct pw_graph_infos *li);
const uint32_t *pw_graph_infos_location(const struct pw_graph_infos *li, uint32_t loc,
                                        uint32_t *n);
const char *pw_graph_infos_name(const struct pw_graph_infos *li, uint32_t info,
                                struct pw_arena *arena, uint32_t *len);

/* pprof's Graph. nodes is the ordered node list; the graph owns every node ever created (also
 * those no longer listed). */
struct pw_graph {
    struct pw_node **nodes;
    size_t n_nodes;

    struct pw_arena arena; /* nodes, edges, tags, strings */
    struct pw_node **all;  /* every node created, by id */
    size_t n_all, cap_all;
    struct pw_edge **edges; /* every edge created */
    size_t n_edges, cap_edges;
    /* A call tree of more than max_tree_nodes (PW_MAX_TREE_NODES) nodes or calling contexts:
     * building stopped, values are partial or absent. */
    bool too_large;
    /* A call tree built with tree_node_fraction: the nodes with a value it left out, and their
     * flat weight, so that counts and totals are those of the whole tree. */
    size_t n_pruned;
    int64_t pruned_flat;
    void *priv; /* internal state (string and lookup tables) */
};

/* pprof's graph.New: builds the graph (or tree) of p's samples. p must outlive the graph. Nodes
 * are listed in creation order (pprof's is map order) until sorted. */
struct pw_graph *pw_graph_new(const struct pw_profile *p, const struct pw_graph_options *o);
void pw_graph_free(struct pw_graph *g);
/* Whether a sample of p has a label that makes a tag in a graph of options o (its ignored key and
 * numeric key): a graph with tags counts them on a single thread. */
bool pw_graph_has_tags(const struct pw_profile *p, const struct pw_graph_options *o);

/* pprof's CreateNodes: the nodes of every location without samples. locs[i] (for location index
 * i) has n_loc_nodes[i] entries, one per line, NULL for nodes not kept. Arrays are owned by the
 * graph (g->nodes lists every node in creation order). */
struct pw_graph *pw_graph_create_nodes(const struct pw_profile *p,
                                       const struct pw_graph_options *o,
                                       struct pw_node ****locs, uint32_t **n_loc_nodes);

/* pprof's Nodes.Sum. */
void pw_nodes_sum(struct pw_node *const *nodes, size_t n, int64_t *flat, int64_t *cum);

enum pw_node_order {
    PW_ORDER_FLAT_NAME,
    PW_ORDER_FLAT_CUM_NAME,
    PW_ORDER_CUM_NAME,
    PW_ORDER_NAME,
    PW_ORDER_FILE,
    PW_ORDER_ADDRESS,
    PW_ORDER_ENTROPY,
};
/* pprof's Nodes.Sort. Ties that pprof leaves to its unstable sort keep creation order. Nodes
 * must have printable_name set (graph nodes always do). */
void pw_nodes_sort(struct pw_node **nodes, size_t n, enum pw_node_order order);
/* pprof's SortNodes: entropy when visual, else cum-name when cum, else flat-name. */
void pw_graph_sort_nodes(struct pw_graph *g, bool cum, bool visual);

/* pprof's EdgeMap.Sort: writes the edges of l into out (l->n entries), heaviest first. */
void pw_edges_sort(const struct pw_edge_list *l, struct pw_edge **out);
/* pprof's EdgeMap.Sum. */
int64_t pw_edges_sum(const struct pw_edge_list *l);
/* pprof's SortTags (in place). */
void pw_tags_sort(struct pw_tag **tags, size_t n, bool flat);

/* pprof's DiscardLowFrequencyNodes: infos of nodes with |cum| >= cutoff. Caller frees. */
struct pw_node_set *pw_graph_discard_low_frequency_nodes(const struct pw_graph *g, int64_t cutoff);
/* pprof's DiscardLowFrequencyNodePtrs. Caller releases. */
void pw_graph_discard_low_frequency_node_ptrs(const struct pw_graph *g, int64_t cutoff,
                                              struct pw_node_ptr_set *out);
/* pprof's SelectTopNodes / SelectTopNodePtrs: the first max_nodes nodes (visual mode counts
 * tags as nodes). */
struct pw_node_set *pw_graph_select_top_nodes(const struct pw_graph *g, int max_nodes, bool visual);
void pw_graph_select_top_node_ptrs(const struct pw_graph *g, int max_nodes, bool visual,
                                   struct pw_node_ptr_set *out);
/* pprof's TrimLowFrequencyTags. */
void pw_graph_trim_low_frequency_tags(struct pw_graph *g, int64_t cutoff);
/* pprof's TrimLowFrequencyEdges: returns the number of edges removed. */
size_t pw_graph_trim_low_frequency_edges(struct pw_graph *g, int64_t cutoff);
/* pprof's RemoveRedundantEdges. */
void pw_graph_remove_redundant_edges(struct pw_graph *g);
/* pprof's TrimTree: keeps the nodes in kept, reconnecting children to grandparents. Returns -1
 * (graph unchanged) if a node has several parents, where pprof panics. */
int pw_graph_trim_tree(struct pw_graph *g, const struct pw_node_ptr_set *kept);

/* pprof's AddToEdgeDiv: adds weight to the edge src->dest, creating it if needed. */
struct pw_edge *pw_graph_add_to_edge(struct pw_graph *g, struct pw_node *src, struct pw_node *dest,
                                     int64_t weight_div, int64_t weight, bool residual,
                                     bool is_inline);

/* pprof's ShortenFunctionName of the len bytes at name; appends the result to out. */
void pw_shorten_function_name(const char *name, size_t len, struct pw_buf *out);

/* Number of nodelets pprof draws per node (maxNodelets). */
#define PW_MAX_NODELETS 4

#endif
