/* graph_trim: pprof's orderings and trimming of a built graph: Nodes.Sort (flat, cum, name,
 * file, address, entropy), EdgeMap.Sort, SortTags, the node selections (DiscardLowFrequency*,
 * SelectTop*), TrimLowFrequencyTags/Edges, RemoveRedundantEdges and TrimTree.
 * pprof sorts with Go's unstable sort.Sort; its node orders end with a unique key (fmt.Sprint of
 * the NodeInfo), so the result is fixed and reproduced here exactly. Where pprof leaves ties
 * (edges or tags with equal weights and names, tree nodes with equal infos) Go's result depends
 * on map order and is not reproducible; this port uses a stable merge sort, keeping creation
 * order. Sets returned are owned by the caller. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/graph.h"
#include "pprofweb/graph_internal.h"
#include "pprofweb/wrap.h"

/* Stable merge sort of pointers with a "less" predicate. */
typedef bool (*less_fn)(const void *a, const void *b, void *ctx);

static void merge_sort_rec(void **a, void **tmp, size_t n, less_fn less, void *ctx)
{
    if (n < 2)
        return;
    if (n <= 12) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && less(a[j], a[j - 1], ctx); j--) {
                void *t = a[j];
                a[j] = a[j - 1];
                a[j - 1] = t;
            }
        return;
    }
    size_t h = n / 2;
    merge_sort_rec(a, tmp, h, less, ctx);
    merge_sort_rec(a + h, tmp, n - h, less, ctx);
    if (!less(a[h], a[h - 1], ctx))
        return;
    memcpy(tmp, a, h * sizeof *a);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        a[k++] = less(a[j], tmp[i], ctx) ? a[j++] : tmp[i++];
    while (i < h)
        a[k++] = tmp[i++];
}

static void stable_sort(void **a, size_t n, less_fn less, void *ctx)
{
    if (n < 2)
        return;
    void **tmp = pw_xmalloc((n / 2 + 1) * sizeof *tmp);
    merge_sort_rec(a, tmp, n, less, ctx);
    free(tmp);
}

/* --- node orders --- */

struct scored {
    struct pw_node *n;
    int64_t score;
};

static int cmp_key(const struct pw_node *l, const struct pw_node *r)
{
    return pw_node_info_key_cmp(&l->info, &r->info);
}

static bool less_flat_name(const void *a, const void *b, void *ctx)
{
    const struct pw_node *l = ((const struct scored *)a)->n, *r = ((const struct scored *)b)->n;
    int64_t iv = pw_wabs(l->flat), jv = pw_wabs(r->flat);
    if (iv != jv)
        return iv > jv;
    int c = pw_gostr_cmp(l->printable_name, l->printable_name_len, r->printable_name, r->printable_name_len);
    if (c)
        return c < 0;
    iv = pw_wabs(l->cum), jv = pw_wabs(r->cum);
    if (iv != jv)
        return iv > jv;
    return cmp_key(l, r) < 0;
}

static bool less_flat_cum_name(const void *a, const void *b, void *ctx)
{
    const struct pw_node *l = ((const struct scored *)a)->n, *r = ((const struct scored *)b)->n;
    int64_t iv = pw_wabs(l->flat), jv = pw_wabs(r->flat);
    if (iv != jv)
        return iv > jv;
    iv = pw_wabs(l->cum), jv = pw_wabs(r->cum);
    if (iv != jv)
        return iv > jv;
    int c = pw_gostr_cmp(l->printable_name, l->printable_name_len, r->printable_name, r->printable_name_len);
    if (c)
        return c < 0;
    return cmp_key(l, r) < 0;
}

static bool less_name(const void *a, const void *b, void *ctx)
{
    const struct pw_node *l = ((const struct scored *)a)->n, *r = ((const struct scored *)b)->n;
    int c = pw_gostr_cmp(l->info.name, l->info.name_len, r->info.name, r->info.name_len);
    if (c)
        return c < 0;
    return cmp_key(l, r) < 0;
}

static bool less_file(const void *a, const void *b, void *ctx)
{
    const struct pw_node *l = ((const struct scored *)a)->n, *r = ((const struct scored *)b)->n;
    int c = pw_gostr_cmp(l->info.file, l->info.file_len, r->info.file, r->info.file_len);
    if (c)
        return c < 0;
    if (l->info.start_line != r->info.start_line)
        return l->info.start_line < r->info.start_line;
    return cmp_key(l, r) < 0;
}

static bool less_address(const void *a, const void *b, void *ctx)
{
    const struct pw_node *l = ((const struct scored *)a)->n, *r = ((const struct scored *)b)->n;
    if (l->info.address != r->info.address)
        return l->info.address < r->info.address;
    return cmp_key(l, r) < 0;
}

static bool less_score(const void *a, const void *b, void *ctx)
{
    const struct scored *sa = a, *sb = b;
    const struct pw_node *l = sa->n, *r = sb->n;
    int64_t iv = pw_wabs(sa->score), jv = pw_wabs(sb->score);
    if (iv != jv)
        return iv > jv;
    int c = pw_gostr_cmp(l->printable_name, l->printable_name_len, r->printable_name, r->printable_name_len);
    if (c)
        return c < 0;
    iv = pw_wabs(l->flat), jv = pw_wabs(r->flat);
    if (iv != jv)
        return iv > jv;
    return cmp_key(l, r) < 0;
}

/* pprof's edgeEntropyScore. */
static double edge_entropy_score(const struct pw_edge_list *edges, int64_t self)
{
    double score = 0;
    int64_t total = self;
    for (uint32_t i = 0; i < edges->n; i++)
        if (edges->v[i]->weight > 0)
            total = pw_wadd(total, pw_wabs(edges->v[i]->weight));
    if (total != 0) {
        for (uint32_t i = 0; i < edges->n; i++) {
            double frac = (double)pw_wabs(edges->v[i]->weight) / (double)total;
            score += -frac * log2(frac);
        }
        if (self > 0) {
            double frac = (double)pw_wabs(self) / (double)total;
            score += -frac * log2(frac);
        }
    }
    return score;
}

static int64_t entropy_score(const struct pw_node *n)
{
    double score = 0;
    if (n->in.n == 0)
        score++;
    else
        score += edge_entropy_score(&n->in, 0);
    if (n->out.n == 0)
        score++;
    else
        score += edge_entropy_score(&n->out, n->flat);
    return pw_wadd(pw_go_int64(score * (double)n->cum), n->flat);
}

void pw_nodes_sort(struct pw_node **nodes, size_t n, enum pw_node_order order)
{
    if (n < 2)
        return;
    struct scored *s = pw_xmalloc(n * sizeof *s);
    void **ptrs = pw_xmalloc(n * sizeof *ptrs);
    less_fn less = less_flat_name;
    for (size_t i = 0; i < n; i++) {
        s[i].n = nodes[i];
        s[i].score = 0;
        if (order == PW_ORDER_CUM_NAME)
            s[i].score = nodes[i]->cum;
        else if (order == PW_ORDER_ENTROPY)
            s[i].score = entropy_score(nodes[i]);
        ptrs[i] = &s[i];
    }
    switch (order) {
    case PW_ORDER_FLAT_NAME:
        less = less_flat_name;
        break;
    case PW_ORDER_FLAT_CUM_NAME:
        less = less_flat_cum_name;
        break;
    case PW_ORDER_NAME:
        less = less_name;
        break;
    case PW_ORDER_FILE:
        less = less_file;
        break;
    case PW_ORDER_ADDRESS:
        less = less_address;
        break;
    case PW_ORDER_CUM_NAME:
    case PW_ORDER_ENTROPY:
        less = less_score;
        break;
    }
    stable_sort(ptrs, n, less, NULL);
    for (size_t i = 0; i < n; i++)
        nodes[i] = ((struct scored *)ptrs[i])->n;
    free(ptrs);
    free(s);
}

void pw_graph_sort_nodes(struct pw_graph *g, bool cum, bool visual)
{
    enum pw_node_order o = visual ? PW_ORDER_ENTROPY : cum ? PW_ORDER_CUM_NAME : PW_ORDER_FLAT_NAME;
    pw_nodes_sort(g->nodes, g->n_nodes, o);
}

void pw_nodes_sum(struct pw_node *const *nodes, size_t n, int64_t *flat, int64_t *cum)
{
    uint64_t f = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        f += (uint64_t)nodes[i]->flat;
        c += (uint64_t)nodes[i]->cum;
    }
    *flat = (int64_t)f;
    *cum = (int64_t)c;
}

/* --- edges and tags --- */

static bool less_edge(const void *a, const void *b, void *ctx)
{
    const struct pw_edge *l = a, *r = b;
    if (l->weight != r->weight)
        return pw_wabs(l->weight) > pw_wabs(r->weight);
    int c = pw_gostr_cmp(l->src->printable_name, l->src->printable_name_len,
                         r->src->printable_name, r->src->printable_name_len);
    if (c)
        return c < 0;
    return pw_gostr_cmp(l->dest->printable_name, l->dest->printable_name_len,
                        r->dest->printable_name, r->dest->printable_name_len) < 0;
}

void pw_edges_sort(const struct pw_edge_list *l, struct pw_edge **out)
{
    if (l->n)
        memcpy(out, l->v, l->n * sizeof *out);
    stable_sort((void **)out, l->n, less_edge, NULL);
}

int64_t pw_edges_sum(const struct pw_edge_list *l)
{
    uint64_t s = 0;
    for (uint32_t i = 0; i < l->n; i++)
        s += (uint64_t)l->v[i]->weight;
    return (int64_t)s;
}

static bool less_tag(const void *a, const void *b, void *ctx)
{
    const struct pw_tag *l = a, *r = b;
    if (!*(bool *)ctx && l->cum != r->cum)
        return pw_wabs(l->cum) > pw_wabs(r->cum);
    if (l->flat != r->flat)
        return pw_wabs(l->flat) > pw_wabs(r->flat);
    return strcmp(l->name, r->name) < 0;
}

void pw_tags_sort(struct pw_tag **tags, size_t n, bool flat)
{
    stable_sort((void **)tags, n, less_tag, &flat);
}

/* --- selections --- */

static void ptr_set_init(struct pw_node_ptr_set *s, const struct pw_graph *g)
{
    s->cap = g->n_all;
    s->has = pw_xcalloc(s->cap ? s->cap : 1, sizeof *s->has);
    s->count = 0;
}

static void ptr_set_add(struct pw_node_ptr_set *s, const struct pw_node *n)
{
    if (!s->has[n->id]) {
        s->has[n->id] = true;
        s->count++;
    }
}

struct pw_node_set *pw_graph_discard_low_frequency_nodes(const struct pw_graph *g, int64_t cutoff)
{
    struct pw_node_set *s = pw_node_set_new();
    for (size_t i = 0; i < g->n_nodes; i++)
        if (pw_wabs(g->nodes[i]->cum) >= cutoff)
            gx_node_set_add_node(s, g, g->nodes[i]);
    return s;
}

void pw_graph_discard_low_frequency_node_ptrs(const struct pw_graph *g, int64_t cutoff,
                                              struct pw_node_ptr_set *out)
{
    ptr_set_init(out, g);
    for (size_t i = 0; i < g->n_nodes; i++)
        if (pw_wabs(g->nodes[i]->cum) >= cutoff)
            ptr_set_add(out, g->nodes[i]);
}

/* pprof's countTags: tags with a flat weight. */
static int count_tags(const struct pw_node *n)
{
    int count = 0;
    for (uint32_t i = 0; i < n->label_tags.n; i++)
        if (n->label_tags.v[i]->flat != 0)
            count++;
    for (uint32_t j = 0; j < n->n_numeric_tags; j++)
        for (uint32_t i = 0; i < n->numeric_tags[j].tags.n; i++)
            if (n->numeric_tags[j].tags.v[i]->flat != 0)
                count++;
    return count;
}

/* pprof's selectTopNodes: how many leading nodes to keep. */
static size_t select_top(const struct pw_graph *g, int max_nodes, bool visual)
{
    long long maxn = max_nodes;
    if (maxn > 0 && visual) {
        long long count = 0;
        for (size_t i = 0; i < g->n_nodes; i++) {
            int tags = count_tags(g->nodes[i]);
            if (tags > PW_MAX_NODELETS)
                tags = PW_MAX_NODELETS;
            if ((count += tags + 1) >= maxn) {
                maxn = (long long)i + 1;
                break;
            }
        }
    }
    if (maxn < 0)
        maxn = 0; /* pprof would panic slicing with a negative bound */
    if ((size_t)maxn > g->n_nodes)
        maxn = (long long)g->n_nodes;
    return (size_t)maxn;
}

struct pw_node_set *pw_graph_select_top_nodes(const struct pw_graph *g, int max_nodes, bool visual)
{
    struct pw_node_set *s = pw_node_set_new();
    size_t n = select_top(g, max_nodes, visual);
    for (size_t i = 0; i < n; i++)
        gx_node_set_add_node(s, g, g->nodes[i]);
    return s;
}

void pw_graph_select_top_node_ptrs(const struct pw_graph *g, int max_nodes, bool visual,
                                   struct pw_node_ptr_set *out)
{
    ptr_set_init(out, g);
    size_t n = select_top(g, max_nodes, visual);
    for (size_t i = 0; i < n; i++)
        ptr_set_add(out, g->nodes[i]);
}

/* --- trimming --- */

static void trim_tags(struct pw_tag_list *l, int64_t min)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < l->n; i++)
        if (pw_wabs(l->v[i]->flat) >= min || pw_wabs(l->v[i]->cum) >= min)
            l->v[k++] = l->v[i];
    l->n = k;
}

void pw_graph_trim_low_frequency_tags(struct pw_graph *g, int64_t cutoff)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        struct pw_node *n = g->nodes[i];
        trim_tags(&n->label_tags, cutoff);
        for (uint32_t j = 0; j < n->n_numeric_tags; j++)
            trim_tags(&n->numeric_tags[j].tags, cutoff);
    }
}

size_t pw_graph_trim_low_frequency_edges(struct pw_graph *g, int64_t cutoff)
{
    size_t dropped = 0;
    /* Mark dropped edges while filtering in-lists, then filter the out-lists of their sources
     * in one pass: removing one by one is quadratic on nodes with many callees. */
    for (size_t i = 0; i < g->n_edges; i++)
        g->edges[i]->mark = 0;
    for (size_t i = 0; i < g->n_all; i++)
        g->all[i]->mark = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        struct pw_edge_list *in = &g->nodes[i]->in;
        uint32_t k = 0;
        for (uint32_t j = 0; j < in->n; j++) {
            struct pw_edge *e = in->v[j];
            if (pw_wabs(e->weight) < cutoff) {
                e->mark = 1;
                e->src->mark = UINT32_MAX;
                gx_edge_unindex(g, e);
                dropped++;
            } else {
                in->v[k++] = e;
            }
        }
        in->n = k;
    }
    if (!dropped)
        return 0;
    for (size_t i = 0; i < g->n_all; i++) {
        struct pw_node *n = g->all[i];
        if (n->mark != UINT32_MAX)
            continue;
        n->mark = 0;
        uint32_t k = 0;
        for (uint32_t j = 0; j < n->out.n; j++)
            if (!(n->out.v[j]->mark == 1 && n->out.v[j]->src == n))
                n->out.v[k++] = n->out.v[j];
        n->out.n = k;
    }
    for (size_t i = 0; i < g->n_edges; i++)
        g->edges[i]->mark = 0;
    return dropped;
}

static void delete_edge(struct pw_graph *g, struct pw_edge *e)
{
    gx_edge_list_remove(&e->src->out, e);
    gx_edge_list_remove(&e->dest->in, e);
    gx_edge_unindex(g, e);
}

/* pprof's isRedundantEdge: can e->src reach e->dest without e? Breadth-first over in-edges. */
static bool is_redundant_edge(struct pw_graph *g, const struct pw_edge *e, uint32_t gen,
                              struct pw_node ***queue, size_t *cap)
{
    const struct pw_node *src = e->src;
    size_t head = 0, tail = 0;
    PW_GROW(*queue, *cap, 1);
    (*queue)[tail++] = e->dest;
    e->dest->mark = gen;
    while (head < tail) {
        struct pw_node *n = (*queue)[head++];
        for (uint32_t i = 0; i < n->in.n; i++) {
            struct pw_edge *ie = n->in.v[i];
            if (ie == e || ie->src->mark == gen)
                continue;
            if (ie->src == src)
                return true;
            ie->src->mark = gen;
            PW_GROW(*queue, *cap, tail + 1);
            (*queue)[tail++] = ie->src;
        }
    }
    return false;
}

void pw_graph_remove_redundant_edges(struct pw_graph *g)
{
    for (size_t i = 0; i < g->n_all; i++)
        g->all[i]->mark = 0;
    uint32_t gen = 0;
    struct pw_node **queue = NULL;
    size_t qcap = 0;
    struct pw_edge **in = NULL;
    size_t in_cap = 0;
    for (size_t i = g->n_nodes; i > 0; i--) {
        struct pw_node *n = g->nodes[i - 1];
        PW_GROW(in, in_cap, (size_t)n->in.n + 1);
        uint32_t nin = n->in.n;
        pw_edges_sort(&n->in, in);
        for (uint32_t j = nin; j > 0; j--) {
            struct pw_edge *e = in[j - 1];
            if (!e->residual)
                break;
            if (++gen == UINT32_MAX) {
                for (size_t k = 0; k < g->n_all; k++)
                    g->all[k]->mark = 0;
                gen = 1;
            }
            if (is_redundant_edge(g, e, gen, &queue, &qcap))
                delete_edge(g, e);
        }
    }
    for (size_t i = 0; i < g->n_all; i++)
        g->all[i]->mark = 0;
    free(queue);
    free(in);
}

int pw_graph_trim_tree(struct pw_graph *g, const struct pw_node_ptr_set *kept)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i]->in.n > 1)
            return -1;
    size_t k = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        struct pw_node *cur = g->nodes[i];
        if (pw_node_ptr_set_has(kept, cur)) {
            g->nodes[k++] = cur;
            continue;
        }
        if (cur->in.n == 0) {
            for (uint32_t j = 0; j < cur->out.n; j++) {
                struct pw_edge *oe = cur->out.v[j];
                gx_edge_list_remove(&oe->dest->in, oe);
            }
            continue;
        }
        struct pw_edge *pe = cur->in.v[0];
        struct pw_node *parent = pe->src;
        bool parent_inline = pe->is_inline;
        gx_edge_list_remove(&parent->out, pe);
        gx_edge_unindex(g, pe);
        for (uint32_t j = 0; j < cur->out.n; j++) {
            struct pw_edge *oe = cur->out.v[j];
            /* The child keeps the same edge object in its in-list, now coming from parent. */
            gx_edge_unindex(g, oe);
            gx_edge_list_push(&parent->out, oe);
            oe->src = parent;
            oe->residual = true;
            oe->is_inline = parent_inline && oe->is_inline;
            gx_edge_index(g, oe);
        }
    }
    g->n_nodes = k;
    pw_graph_remove_redundant_edges(g);
    return 0;
}
