/* Unit tests for the graph (graph_build.c, graph_trim.c, graph_tables.c): flat/cum aggregation,
 * recursion counted once, inlined frames, line granularity, kept-node filtering with residual
 * edges, label tags, pprof's orders and trimming, ShortenFunctionName, the two-thread sample
 * loop, graphs that take node values from another (edges of inlined calls found in their
 * locations too), and call trees built only where the node fraction keeps them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/dotgraph.h"
#include "pprofweb/graph.h"
#include "pprofweb/profile.h"
#include "pprofweb/report.h"

static uint32_t add_func(struct pw_profile *p, const char *name, const char *file)
{
    struct pw_function *f = pw_add_function(p);
    f->id = p->n_functions;
    f->name = pw_intern_cstr(p, name);
    f->system_name = f->name;
    f->filename = pw_intern_cstr(p, file);
    return p->n_functions - 1;
}

/* A location whose lines are (function, line) pairs, innermost first. */
static uint32_t add_loc(struct pw_profile *p, uint64_t addr, int n, const uint32_t *fn,
                        const int64_t *line)
{
    struct pw_location *l = pw_add_location(p);
    l->id = p->n_locations;
    l->address = addr;
    l->n_lines = (uint32_t)n;
    l->lines = pw_arena_calloc(&p->arena, n ? n : 1, sizeof *l->lines);
    for (int i = 0; i < n; i++) {
        l->lines[i].function = fn[i];
        l->lines[i].line = line[i];
    }
    return p->n_locations - 1;
}

static void add_sample(struct pw_profile *p, int64_t v, int n, const uint32_t *locs,
                       const char *label_key, const char *label_val)
{
    struct pw_sample *s = pw_add_sample(p);
    s->values = pw_arena_calloc(&p->arena, 1, sizeof *s->values);
    s->values[0] = v;
    s->n_locs = (uint32_t)n;
    s->locs = pw_arena_calloc(&p->arena, (size_t)n, sizeof *s->locs);
    for (int i = 0; i < n; i++)
        s->locs[i] = locs[i];
    if (label_key) {
        s->n_labels = 1;
        s->labels = pw_arena_calloc(&p->arena, 1, sizeof *s->labels);
        s->labels[0].key = pw_intern_cstr(p, label_key);
        s->labels[0].str = pw_intern_cstr(p, label_val);
    }
}

enum { F_MAIN, F_A, F_B, F_C };
enum { L_MAIN, L_A, L_B, L_A2, L_AC };

/* main -> a -> b (10), main -> a (5), main -> a -> a (3, recursion), main -> a -> [c inlined in
 * a] (2, labelled). */
static struct pw_profile *sample_profile(void)
{
    struct pw_profile *p = pw_profile_new();
    struct pw_value_type vt = {pw_intern_cstr(p, "cpu"), pw_intern_cstr(p, "nanoseconds")};
    pw_set_sample_types(p, &vt, 1);
    add_func(p, "main.main", "/src/./main.go");
    add_func(p, "main.a", "/src/main.go");
    add_func(p, "main.b", "/src/b.go");
    add_func(p, "main.c", "/src/c.go");
    add_loc(p, 0x1000, 1, (uint32_t[]){F_MAIN}, (int64_t[]){10});
    add_loc(p, 0x2000, 1, (uint32_t[]){F_A}, (int64_t[]){20});
    add_loc(p, 0x3000, 1, (uint32_t[]){F_B}, (int64_t[]){30});
    add_loc(p, 0x2100, 1, (uint32_t[]){F_A}, (int64_t[]){21});
    add_loc(p, 0x2200, 2, (uint32_t[]){F_C, F_A}, (int64_t[]){40, 22});
    add_sample(p, 10, 3, (uint32_t[]){L_B, L_A, L_MAIN}, NULL, NULL);
    add_sample(p, 5, 2, (uint32_t[]){L_A, L_MAIN}, NULL, NULL);
    add_sample(p, 3, 3, (uint32_t[]){L_A2, L_A, L_MAIN}, NULL, NULL);
    add_sample(p, 2, 2, (uint32_t[]){L_AC, L_MAIN}, "user", "bob");
    add_sample(p, 0, 1, (uint32_t[]){L_MAIN}, NULL, NULL); /* zero: ignored */
    return p;
}

static struct pw_node *find(struct pw_graph *g, const char *name, int64_t line)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i]->info.name, name) == 0 && g->nodes[i]->info.lineno == line)
            return g->nodes[i];
    return NULL;
}

static struct pw_edge *edge(struct pw_node *from, struct pw_node *to)
{
    for (uint32_t i = 0; from && i < from->out.n; i++)
        if (from->out.v[i]->dest == to)
            return from->out.v[i];
    return NULL;
}

static struct pw_graph_options default_opts(void)
{
    struct pw_graph_options o = {0};
    o.mean_divisor_index = PW_NONE;
    return o;
}

static void test_lines(void)
{
    struct pw_profile *p = sample_profile();
    struct pw_graph_options o = default_opts();
    struct pw_graph *g = pw_graph_new(p, &o);
    /* The profile is not aggregated: one node per (function, line); whole-function nodes exist
     * but have no weight, so they are not listed. */
    CHECK_INTEQ(g->n_nodes, 6);
    struct pw_node *m = find(g, "main.main", 10), *a = find(g, "main.a", 20);
    struct pw_node *b = find(g, "main.b", 30), *a2 = find(g, "main.a", 21);
    struct pw_node *c = find(g, "main.c", 40), *a22 = find(g, "main.a", 22);
    CHECK(m && a && b && a2 && c && a22, "all line nodes exist");
    if (!(m && a && b && a2 && c && a22))
        return;
    CHECK_INTEQ(m->cum, 20);
    CHECK_INTEQ(m->flat, 0);
    CHECK_INTEQ(a->cum, 18);
    CHECK_INTEQ(a->flat, 5);
    CHECK_STREQ(m->info.file, "/src/main.go"); /* filepath.Clean */
    CHECK(a->function != a && a->function == a2->function, "line nodes share a function node");
    CHECK_STREQ(a->function->info.name, "main.a");
    CHECK_INTEQ(a->function->info.lineno, 0);
    CHECK_STREQ(a->printable_name, "0000000000002000 main.a /src/main.go:20");
    struct pw_edge *e = edge(a22, c);
    CHECK(e && e->is_inline && e->weight == 2, "inlined call a:22 -> c is an inline edge");
    e = edge(m, a22);
    CHECK(e && !e->is_inline, "call main -> a:22 is not inline");
    CHECK_INTEQ(c->label_tags.n, 1);
    if (c->label_tags.n)
        CHECK_STREQ(c->label_tags.v[0]->name, "user:bob");
    pw_graph_free(g);
    pw_profile_free(p);
}

static void test_functions(void)
{
    struct pw_profile *p = sample_profile();
    struct pw_err err = {0};
    CHECK_INTEQ(pw_profile_aggregate(p, true, true, false, false, false, &err), 0);
    struct pw_graph_options o = default_opts();
    struct pw_graph *g = pw_graph_new(p, &o);
    CHECK_INTEQ(g->n_nodes, 4);
    struct pw_node *m = find(g, "main.main", 0), *a = find(g, "main.a", 0);
    struct pw_node *b = find(g, "main.b", 0), *c = find(g, "main.c", 0);
    CHECK(m && a && b && c, "function nodes exist");
    if (!(m && a && b && c))
        return;
    CHECK_INTEQ(a->cum, 20); /* recursion a -> a counted once */
    CHECK_INTEQ(a->flat, 8);
    CHECK_INTEQ(b->flat, 10);
    CHECK_INTEQ(m->cum, 20);
    CHECK(a->function == a, "a whole-function node is its own function");
    CHECK(edge(a, a) == NULL, "no self edge for recursion");
    struct pw_edge *e = edge(m, a);
    CHECK(e && e->weight == 20, "main -> a carries every sample once");
    int64_t flat, cum;
    pw_nodes_sum(g->nodes, g->n_nodes, &flat, &cum);
    CHECK_INTEQ(flat, 20);

    pw_graph_sort_nodes(g, false, false);
    CHECK_STREQ(g->nodes[0]->info.name, "main.b");
    CHECK_STREQ(g->nodes[1]->info.name, "main.a");
    CHECK_STREQ(g->nodes[2]->info.name, "main.c");
    CHECK_STREQ(g->nodes[3]->info.name, "main.main");
    pw_graph_sort_nodes(g, true, false);
    /* main and a tie on cum 20: name order decides */
    CHECK_STREQ(g->nodes[0]->info.name, "main.a");
    CHECK_STREQ(g->nodes[1]->info.name, "main.main");

    /* Keep only main and b: a is gone, main -> b becomes a residual edge. */
    struct pw_node_set *kept = pw_node_set_new();
    pw_node_set_add(kept, &m->info);
    pw_node_set_add(kept, &b->info);
    CHECK(pw_node_set_has(kept, &b->info) && !pw_node_set_has(kept, &a->info), "node set");
    o.kept_nodes = kept;
    struct pw_graph *g2 = pw_graph_new(p, &o);
    CHECK_INTEQ(g2->n_nodes, 2);
    struct pw_node *m2 = find(g2, "main.main", 0), *b2 = find(g2, "main.b", 0);
    e = edge(m2, b2);
    CHECK(e && e->residual && e->weight == 10, "residual edge main ..> b");
    CHECK(m2 && m2->flat == 0 && m2->cum == 20, "main keeps cum of dropped callees");
    pw_graph_free(g2);
    pw_node_set_free(kept);

    struct pw_node_set *top = pw_graph_select_top_nodes(g, 2, false);
    CHECK_INTEQ(pw_node_set_count(top), 2);
    pw_node_set_free(top);
    struct pw_node_set *low = pw_graph_discard_low_frequency_nodes(g, 11);
    CHECK_INTEQ(pw_node_set_count(low), 2);
    pw_node_set_free(low);
    CHECK_INTEQ(pw_graph_trim_low_frequency_edges(g, 3), 1); /* a -> c (2) */
    CHECK_INTEQ(c->in.n, 0);
    CHECK_INTEQ(a->out.n, 1);
    pw_graph_free(g);
    pw_profile_free(p);
}

static void test_tree(void)
{
    struct pw_profile *p = sample_profile();
    struct pw_err err = {0};
    pw_profile_aggregate(p, true, true, false, false, false, &err);
    struct pw_graph_options o = default_opts();
    o.call_tree = true;
    struct pw_graph *g = pw_graph_new(p, &o);
    /* main, main>a, main>a>b, main>a>a, main>a>c */
    CHECK_INTEQ(g->n_nodes, 5);
    size_t n_a = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i]->info.name, "main.a") == 0)
            n_a++;
    CHECK_INTEQ(n_a, 2);
    /* Drop the first main.a: its children hang from main with residual edges. */
    struct pw_node_ptr_set kept;
    pw_graph_discard_low_frequency_node_ptrs(g, 0, &kept);
    struct pw_node *m = find(g, "main.main", 0), *a = NULL;
    for (uint32_t i = 0; m && i < m->out.n; i++)
        a = m->out.v[i]->dest;
    CHECK(a != NULL, "main has a child");
    if (!a)
        return;
    kept.has[a->id] = false;
    kept.count--;
    CHECK_INTEQ(pw_graph_trim_tree(g, &kept), 0);
    CHECK_INTEQ(g->n_nodes, 4);
    CHECK_INTEQ(m->out.n, 3);
    for (uint32_t i = 0; i < m->out.n; i++)
        CHECK(m->out.v[i]->residual, "re-parented edge is residual");
    pw_node_ptr_set_release(&kept);
    pw_graph_free(g);
    pw_profile_free(p);
}

/* A call tree stops at max_tree_nodes (PW_MAX_TREE_NODES by default) and says so. */
static void test_tree_limit(void)
{
    struct pw_profile *p = sample_profile();
    struct pw_graph_options o = default_opts();
    o.call_tree = true;
    struct pw_graph *g = pw_graph_new(p, &o);
    CHECK(!g->too_large, "the small tree is whole");
    pw_graph_free(g);
    o.max_tree_nodes = 2;
    g = pw_graph_new(p, &o);
    CHECK(g->too_large, "a tree past its limit is too large");
    CHECK(g->n_all <= 2 + 2 * 3, "building stopped after the sample that passed the limit: %zu",
          g->n_all);
    pw_graph_free(g);
    pw_profile_free(p);
}

static void test_redundant_edges(void)
{
    struct pw_profile *p = sample_profile();
    struct pw_err err = {0};
    pw_profile_aggregate(p, true, true, false, false, false, &err);
    struct pw_graph_options o = default_opts();
    struct pw_graph *g = pw_graph_new(p, &o);
    struct pw_node *m = find(g, "main.main", 0), *b = find(g, "main.b", 0);
    /* main ..> b is redundant: main -> a -> b reaches b. */
    struct pw_edge *e = pw_graph_add_to_edge(g, m, b, 0, 1, true, false);
    CHECK(e->residual && edge(m, b) == e, "residual edge added");
    pw_graph_sort_nodes(g, false, false);
    pw_graph_remove_redundant_edges(g);
    CHECK(edge(m, b) == NULL, "redundant residual edge removed");
    CHECK(edge(find(g, "main.a", 0), b) != NULL, "real edge kept");
    pw_graph_free(g);
    pw_profile_free(p);
}

static void test_tags_sort(void)
{
    struct pw_tag t1 = {.name = "b", .flat = 5, .cum = 10};
    struct pw_tag t2 = {.name = "a", .flat = 5, .cum = 10};
    struct pw_tag t3 = {.name = "c", .flat = -7, .cum = 1};
    struct pw_tag *ts[] = {&t1, &t2, &t3};
    pw_tags_sort(ts, 3, true);
    CHECK(ts[0] == &t3 && ts[1] == &t2 && ts[2] == &t1, "flat order: |flat| desc, then name");
    pw_tags_sort(ts, 3, false);
    CHECK(ts[0] == &t2 && ts[1] == &t1 && ts[2] == &t3, "cum order first");
}

struct shorten_case {
    const char *in, *want;
};

static const struct shorten_case shortens[] = {
    {"main.main", "main.main"},
    {"github.com/google/pprof/internal/graph.New", "graph.New"},
    {"github.com/foo/bar/v2/pkg.Baz", "pkg.Baz"},
    {"example.com/m/v3.F", "m.F"},
    {"net/http.(*conn).serve", "http.(*conn).serve"},
    {"foo/", "foo/"},
    {"java.lang.String.valueOf(I)", "String.valueOf"},
    {"com.google.Foo$Inner.bar$1", "Foo$Inner.bar$1"},
    {"com.google.Foo.<init>", "Foo.<init>"},
    {"(anonymous namespace)::Foo::Bar", "Foo::Bar"},
    {"std::vector<int>::push_back", "std::vector<int>::push_back"},
    {"ns::Foo::bar<int>(x)", "Foo::bar<int>"},
    {"a::b::c", "a::b::c"},
    {"foo::Bar::~Bar", "Bar::~Bar"},
};

static void test_shorten(void)
{
    for (size_t i = 0; i < sizeof shortens / sizeof shortens[0]; i++) {
        struct pw_buf b;
        pw_buf_init(&b, 0);
        pw_shorten_function_name(shortens[i].in, strlen(shortens[i].in), &b);
        CHECK_STREQ(pw_buf_str(&b), shortens[i].want);
        pw_buf_release(&b);
    }
}

/* A NodeInfo of C strings, with their lengths. */
static struct pw_node_info with_lens(struct pw_node_info i)
{
    i.name_len = (uint32_t)strlen(i.name);
    i.orig_name_len = (uint32_t)strlen(i.orig_name);
    i.file_len = (uint32_t)strlen(i.file);
    i.objfile_len = (uint32_t)strlen(i.objfile);
    return i;
}

static void test_names(void)
{
    struct pw_arena a;
    pw_arena_init(&a);
    uint32_t len;
    struct pw_node_info i =
        with_lens((struct pw_node_info){.name = "", .orig_name = "", .file = "",
                                        .objfile = "/usr/lib/libc.so.6"});
    CHECK_STREQ(pw_node_info_printable_name(&i, &a, &len), "[libc.so.6]");
    CHECK_INTEQ(len, 11);
    i.objfile = "";
    i.objfile_len = 0;
    CHECK_STREQ(pw_node_info_printable_name(&i, &a, &len), "<unknown>");
    i.address = 0xabc;
    i.file = "x.go";
    i.file_len = 4;
    CHECK_STREQ(pw_node_info_printable_name(&i, &a, &len), "0000000000000abc x.go");
    pw_arena_release(&a);
}

/* Go strings may hold NUL bytes, and pprof prints such names raw: a name starting with NUL is
 * not empty (no "<unknown>"), and names differing only after a NUL are different nodes. */
static void test_nul_names(void)
{
    struct pw_arena a;
    pw_arena_init(&a);
    uint32_t len;
    struct pw_node_info i = {.name = "\0x.f", .orig_name = "", .file = "", .objfile = "",
                             .name_len = 4, .lineno = 7};
    const char *s = pw_node_info_printable_name(&i, &a, &len);
    CHECK(len == 7 && memcmp(s, "\0x.f :7", 7) == 0, "printable name with NUL: %u bytes", len);
    struct pw_node_info j = i;
    j.name = "\0x.g";
    CHECK(pw_node_info_key_cmp(&i, &j) < 0 && pw_node_info_key_cmp(&j, &i) > 0,
          "names differing after a NUL compare by their bytes");
    CHECK_INTEQ(pw_node_info_key_cmp(&i, &i), 0);
    struct pw_buf b;
    pw_buf_init(&b, 0);
    pw_dot_escape_n(&b, "a\0\"", 3);
    CHECK(b.len == 4 && memcmp(b.data, "a\0\\\"", 4) == 0, "dot escape keeps the NUL");
    pw_buf_reset(&b);
    pw_dot_multiline_name(&i, &b);
    CHECK(b.len == 11 && memcmp(b.data, "\0x\\nf\\n:7\\n", 11) == 0, "multiline name: %zu bytes",
          b.len);
    pw_buf_release(&b);
    pw_arena_release(&a);

    struct pw_profile *p = pw_profile_new();
    struct pw_value_type vt = {pw_intern_cstr(p, "cpu"), pw_intern_cstr(p, "nanoseconds")};
    pw_set_sample_types(p, &vt, 1);
    for (int k = 0; k < 2; k++) {
        struct pw_function *f = pw_add_function(p);
        f->id = p->n_functions;
        f->name = pw_intern(p, k ? "\0b" : "\0a", 2);
        add_loc(p, 0, 1, (uint32_t[]){(uint32_t)k}, (int64_t[]){0});
        add_sample(p, 1 + k, 1, (uint32_t[]){(uint32_t)k}, NULL, NULL);
    }
    struct pw_graph_options o = default_opts();
    struct pw_graph *g = pw_graph_new(p, &o);
    pw_graph_sort_nodes(g, false, false);
    CHECK_INTEQ(g->n_nodes, 2);
    if (g->n_nodes == 2) {
        CHECK(g->nodes[0]->printable_name_len == 2 &&
                  memcmp(g->nodes[0]->printable_name, "\0b", 2) == 0,
              "heavier node \\0b first");
        CHECK_INTEQ(g->nodes[1]->flat, 1);
    }
    pw_graph_free(g);
    pw_profile_free(p);
}

static void test_dot_helpers(void)
{
    struct pw_buf b;
    pw_buf_init(&b, 0);
    pw_dot_escape(&b, "a\\b\"c\nd");
    CHECK_STREQ(pw_buf_str(&b), "a\\\\b\\\"c\\ld");
    pw_buf_reset(&b);
    struct pw_node_info i = with_lens((struct pw_node_info){
        .name = "github.com/x/y.(*T).Method[...]", .orig_name = "", .file = "/src/y/t.go",
        .lineno = 12, .objfile = ""});
    pw_dot_multiline_name(&i, &b);
    CHECK_STREQ(pw_buf_str(&b), "y\\n(*T)\\nMethod[\xe2\x80\xa6]\\nt.go:12\\n");
    pw_buf_release(&b);
    /* values from pprof's dotColor under Go 1.19 */
    struct {
        double score;
        const char *fg, *bg;
    } colors[] = {{-2, "#00b200", "#d5edd5"}, {-0.1, "#85b259", "#e7ede1"},
                  {0, "#b2b2b2", "#ededed"},  {0.19, "#b24b08", "#eddfd6"},
                  {0.77, "#b20d00", "#edd7d5"}, {0.0 / 0.0, "#b20000", "#ed00d5"}};
    for (size_t k = 0; k < sizeof colors / sizeof colors[0]; k++) {
        char fg[8], bg[8];
        pw_dot_color(fg, colors[k].score, false);
        pw_dot_color(bg, colors[k].score, true);
        CHECK_STREQ(fg, colors[k].fg);
        CHECK_STREQ(bg, colors[k].bg);
    }
}

static void test_dot(void)
{
    struct pw_profile *p = sample_profile();
    struct pw_err err = {0};
    pw_profile_aggregate(p, true, true, false, false, false, &err);
    struct pw_graph_options o = default_opts();
    struct pw_graph *g = pw_graph_new(p, &o);
    pw_graph_sort_nodes(g, false, true);
    const char *labels[] = {"File: \"x\"", "Type: cpu"};
    struct pw_dot_config c = {.title = "x", .labels = labels, .n_labels = 2, .total = 20};
    struct pw_buf b;
    pw_buf_init(&b, 0);
    pw_compose_dot(&b, g, NULL, NULL, &c);
    const char *s = pw_buf_str(&b);
    CHECK(strncmp(s, "digraph \"x\" {\nnode [style=filled fillcolor=\"#f8f8f8\"]\n"
                     "subgraph cluster_L { \"File: \\\"x\\\"\" [shape=box fontsize=16 "
                     "label=\"File: \\\"x\\\"\\lType: cpu\\l\" tooltip=\"x\"] }\n",
                  156) == 0,
          "header and legend: %.200s", s);
    CHECK(strstr(s, "[label=\"main\\nb\\n10 (50.00%)\" id=\"node") != NULL, "b's label");
    CHECK(strstr(s, "N4_0 [label = \"user:bob\" id=\"N4_0\" fontsize=8 shape=box3d "
                    "tooltip=\"2\"]") != NULL,
          "label nodelet");
    CHECK(strstr(s, "N3 -> N1 [label=\" 20\" weight=101 penwidth=6 color=\"#b20000\" "
                    "tooltip=\"main.main -> main.a (20)\"") != NULL,
          "main -> a edge: %s", s);
    CHECK(strstr(s, "N1 -> N4 [label=\" 2\\n (inline)\" weight=11 color=") != NULL, "inline edge");
    size_t len = strlen(s);
    CHECK(len > 2 && strcmp(s + len - 2, "}\n") == 0, "closing brace");
    pw_buf_release(&b);
    pw_graph_free(g);
    pw_profile_free(p);
}

static int sign(int v)
{
    return v < 0 ? -1 : v > 0;
}

/* pprof breaks ties by the string fmt.Sprint(NodeInfo); pw_node_info_key_cmp compares as strcmp
 * on those strings would, for names that are prefixes of each other, separators inside names,
 * negative and large numbers. */
static void test_key_cmp(void)
{
    const struct pw_node_info infos[] = {
        {.name = "a", .orig_name = "", .file = "", .objfile = ""},
        {.name = "a b", .orig_name = "", .file = "", .objfile = ""},
        {.name = "a", .orig_name = "b", .file = "", .objfile = ""},
        {.name = "a", .orig_name = "", .address = 10, .file = "", .objfile = ""},
        {.name = "a", .orig_name = "", .address = 9, .file = "", .objfile = ""},
        {.name = "a", .orig_name = "", .address = UINT64_MAX, .file = "x.go", .objfile = ""},
        {.name = "a", .orig_name = "", .file = "x.go", .start_line = -3, .objfile = ""},
        {.name = "a", .orig_name = "", .file = "x.go", .start_line = 1, .objfile = ""},
        {.name = "a", .orig_name = "", .file = "x.go", .start_line = 3, .lineno = 12,
         .objfile = "/bin/a"},
        {.name = "a", .orig_name = "", .file = "x.go", .start_line = 3, .lineno = 12,
         .objfile = ""},
        {.name = "", .orig_name = "", .address = 4096, .file = "", .objfile = "/bin/a"},
        {.name = "a}", .orig_name = "", .file = "", .objfile = ""},
        {.name = "\xc3\xa9", .orig_name = "", .file = "", .objfile = ""},
    };
    size_t n = sizeof infos / sizeof *infos;
    int wrong = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            char x[256], y[256];
            const struct pw_node_info ai = with_lens(infos[i]), bi = with_lens(infos[j]);
            const struct pw_node_info *a = &ai, *b = &bi;
            snprintf(x, sizeof x, "{%s %s %llu %s %lld %lld %s}", a->name, a->orig_name,
                     (unsigned long long)a->address, a->file, (long long)a->start_line,
                     (long long)a->lineno, a->objfile);
            snprintf(y, sizeof y, "{%s %s %llu %s %lld %lld %s}", b->name, b->orig_name,
                     (unsigned long long)b->address, b->file, (long long)b->start_line,
                     (long long)b->lineno, b->objfile);
            wrong += sign(pw_node_info_key_cmp(a, b)) != sign(strcmp(x, y));
        }
    }
    CHECK_INTEQ(wrong, 0);
}

/* A profile large enough for the graph's two-thread sample loop: the same graph, node for node
 * and edge for edge in creation order, as the one-thread loop (which a label forces, as tags are
 * added by one thread only). */
static struct pw_profile *walk_profile(void);

static void test_two_part_loop(void)
{
    struct pw_profile *p = walk_profile();
    struct pw_graph_options o = default_opts();
    o.no_tags = true;
    struct pw_graph *two = pw_graph_new(p, &o);
    o.no_tags = false;
    struct pw_graph *one = pw_graph_new(p, &o);
    CHECK_INTEQ(two->n_nodes, one->n_nodes);
    CHECK_INTEQ(two->n_edges, one->n_edges);
    CHECK(two->n_edges > 1000, "%zu edges", two->n_edges);
    int node_diffs = 0, edge_diffs = 0;
    for (size_t i = 0; i < one->n_nodes && i < two->n_nodes; i++) {
        const struct pw_node *a = one->nodes[i], *b = two->nodes[i];
        node_diffs += strcmp(a->info.name, b->info.name) != 0 || a->flat != b->flat ||
                      a->cum != b->cum || a->in.n != b->in.n || a->out.n != b->out.n;
    }
    for (size_t i = 0; i < one->n_edges && i < two->n_edges; i++) {
        const struct pw_edge *a = one->edges[i], *b = two->edges[i];
        edge_diffs += a->src->id != b->src->id || a->dest->id != b->dest->id ||
                      a->weight != b->weight || a->residual != b->residual ||
                      a->is_inline != b->is_inline;
    }
    CHECK_INTEQ(node_diffs, 0);
    CHECK_INTEQ(edge_diffs, 0);
    pw_graph_free(one);
    pw_graph_free(two);
    pw_profile_free(p);
}

static int cmp_edge_ends(const void *x, const void *y)
{
    const struct pw_edge *a = *(struct pw_edge *const *)x, *b = *(struct pw_edge *const *)y;
    if (a->src->id != b->src->id)
        return a->src->id < b->src->id ? -1 : 1;
    return a->dest->id < b->dest->id ? -1 : a->dest->id > b->dest->id;
}

/* The graph of every node's values only (as a report's first graph), its infos in *infos and
 * *o set up for the graphs that take their values from it. */
static struct pw_graph *values_graph(const struct pw_profile *p, struct pw_graph_options *o,
                                     struct pw_graph_infos **infos)
{
    *o = default_opts();
    o->no_tags = true;
    o->values_only = true;
    o->edges = PW_EDGES_NONE;
    *infos = pw_graph_infos_new(p, o);
    o->infos = *infos;
    struct pw_graph *all = pw_graph_new(p, o);
    o->values_only = false;
    return all;
}

/* The edges of two graphs that differ (ends, weight, residual or inline), in the order of their
 * ends when sorted (PW_EDGES_INLINE does not keep pprof's order); *inlined counts a's inlined
 * edges. */
static int edge_diffs(struct pw_graph *a, struct pw_graph *b, bool sorted, int *inlined)
{
    if (sorted) {
        qsort(a->edges, a->n_edges, sizeof *a->edges, cmp_edge_ends);
        qsort(b->edges, b->n_edges, sizeof *b->edges, cmp_edge_ends);
    }
    int diffs = 0;
    *inlined = 0;
    for (size_t i = 0; i < a->n_edges && i < b->n_edges; i++) {
        const struct pw_edge *x = a->edges[i], *y = b->edges[i];
        diffs += x->src->id != y->src->id || x->dest->id != y->dest->id ||
                 x->weight != y->weight || x->residual != y->residual ||
                 x->is_inline != y->is_inline;
        *inlined += x->is_inline;
    }
    return diffs;
}

/* Graphs rebuilt with fewer nodes take flat and cum from the graph of every node (values_of)
 * and read the samples only for edges: they equal the graphs built from the samples alone, with
 * inlined frames whose callers are dropped (residual edges into them) and without. */
static void test_values_of(void)
{
    struct pw_profile *p = walk_profile();
    /* Inlined frames: f(i+1) inlined into f(i), some called from dropped light functions. */
    uint32_t inl[40];
    for (uint32_t i = 0; i < 40; i++)
        inl[i] = add_loc(p, 0, 2, (uint32_t[]){(i * 7 + 1) % 300, (i * 7) % 300},
                         (int64_t[]){5, 6});
    uint32_t seed = 7;
    for (int s = 0; s < 3000; s++) {
        uint32_t locs[6];
        for (int d = 0; d < 6; d++) {
            seed = seed * 1103515245u + 12345u;
            locs[d] = (seed >> 8) % 3 ? inl[(seed >> 12) % 40] : (seed >> 12) % 600;
        }
        add_sample(p, 1 + s % 3, 6, locs, NULL, NULL);
    }
    struct pw_graph_options o;
    struct pw_graph_infos *infos;
    struct pw_graph *all = values_graph(p, &o, &infos);
    int64_t flat, cum;
    pw_nodes_sum(all->nodes, all->n_nodes, &flat, &cum);
    struct pw_node_set *kept = pw_graph_discard_low_frequency_nodes(all, flat / 400);
    CHECK(pw_node_set_count(kept) > 10 && pw_node_set_count(kept) < all->n_nodes * 3 / 4,
          "%zu of %zu nodes kept", pw_node_set_count(kept), all->n_nodes);
    /* A set made from a graph's nodes knows them by info id too: the graph it keeps has the
     * nodes a set of the same infos made by their strings alone keeps. */
    struct pw_node_set *by_strings = pw_node_set_new();
    for (size_t i = 0; i < all->n_nodes; i++)
        if (pw_node_set_has(kept, &all->nodes[i]->info))
            pw_node_set_add(by_strings, &all->nodes[i]->info);
    o.edges = PW_EDGES_NONE;
    o.kept_nodes = by_strings;
    struct pw_graph *slow = pw_graph_new(p, &o);
    o.kept_nodes = kept;
    struct pw_graph *fast = pw_graph_new(p, &o);
    CHECK_INTEQ(fast->n_nodes, pw_node_set_count(kept));
    CHECK_INTEQ(fast->n_nodes, slow->n_nodes);
    for (size_t i = 0; i < fast->n_nodes && i < slow->n_nodes; i++)
        CHECK_STREQ(fast->nodes[i]->info.name, slow->nodes[i]->info.name);
    pw_graph_free(slow);
    pw_graph_free(fast);
    pw_node_set_free(by_strings);
    enum pw_graph_edges kinds[] = {PW_EDGES_INLINE, PW_EDGES_ALL, PW_EDGES_NONE};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        o.edges = kinds[k];
        o.values_of = NULL;
        struct pw_graph *read = pw_graph_new(p, &o);
        o.values_of = all;
        struct pw_graph *taken = pw_graph_new(p, &o);
        CHECK_INTEQ(taken->n_nodes, read->n_nodes);
        CHECK_INTEQ(taken->n_edges, read->n_edges);
        CHECK(kinds[k] == PW_EDGES_NONE || read->n_edges > 20, "%zu edges", read->n_edges);
        int node_diffs = 0, inline_edges;
        for (size_t i = 0; i < read->n_nodes && i < taken->n_nodes; i++) {
            const struct pw_node *a = read->nodes[i], *b = taken->nodes[i];
            node_diffs += strcmp(a->info.name, b->info.name) != 0 || a->flat != b->flat ||
                          a->cum != b->cum || a->in.n != b->in.n || a->out.n != b->out.n;
        }
        CHECK_INTEQ(node_diffs, 0);
        CHECK_INTEQ(edge_diffs(read, taken, kinds[k] == PW_EDGES_INLINE, &inline_edges), 0);
        CHECK(kinds[k] == PW_EDGES_NONE || inline_edges > 0, "inline edges");
        pw_graph_free(read);
        pw_graph_free(taken);
    }
    pw_node_set_free(kept);
    pw_graph_free(all);
    pw_graph_infos_free(infos);
    pw_profile_free(p);
}

/* A CPU profile with a function of each of the n names, all in one file. */
static struct pw_profile *named_profile(const char *const *names, int n)
{
    struct pw_profile *p = pw_profile_new();
    struct pw_value_type vt = {pw_intern_cstr(p, "cpu"), pw_intern_cstr(p, "nanoseconds")};
    pw_set_sample_types(p, &vt, 1);
    for (int i = 0; i < n; i++)
        add_func(p, names[i], "/src/x.go");
    return p;
}

/* The edge from src to dest by function name, or NULL. */
static const struct pw_edge *edge_named(const struct pw_graph *g, const char *src,
                                        const char *dest)
{
    for (size_t i = 0; i < g->n_edges; i++)
        if (!strcmp(g->edges[i]->src->info.name, src) &&
            !strcmp(g->edges[i]->dest->info.name, dest))
            return g->edges[i];
    return NULL;
}

/* The edges of inlined calls read with node values taken (PW_EDGES_INLINE, values_of): an edge
 * found in a location (a -> b, b inlined into a) that a sample also has across locations counts
 * that sample once and stays inlined, as pprof's first occurrence makes it; one in a location no
 * weighted sample has (a -> c, c being called elsewhere) is not made. The same edges as a graph
 * read from the samples. */
static void test_inline_edges_in_locations(void)
{
    enum { MAIN, A, B, C, D };
    struct pw_profile *p = named_profile((const char *[]){"main", "a", "b", "c", "d"}, 5);
    /* No addresses, and a function's frames on one line: each function is one node. */
    uint32_t l_main = add_loc(p, 0, 1, (uint32_t[]){MAIN}, (int64_t[]){1});
    uint32_t l_ba = add_loc(p, 0, 2, (uint32_t[]){B, A}, (int64_t[]){3, 2});
    uint32_t l_b = add_loc(p, 0, 1, (uint32_t[]){B}, (int64_t[]){3});
    uint32_t l_a = add_loc(p, 0, 1, (uint32_t[]){A}, (int64_t[]){2});
    uint32_t l_ca = add_loc(p, 0, 2, (uint32_t[]){C, A}, (int64_t[]){4, 2});
    uint32_t l_dba = add_loc(p, 0, 3, (uint32_t[]){D, B, A}, (int64_t[]){5, 3, 2});
    uint32_t l_c = add_loc(p, 0, 1, (uint32_t[]){C}, (int64_t[]){4});
    add_sample(p, 10, 4, (uint32_t[]){l_b, l_a, l_ba, l_main}, NULL, NULL);
    add_sample(p, 5, 2, (uint32_t[]){l_ba, l_main}, NULL, NULL);
    add_sample(p, 0, 2, (uint32_t[]){l_ca, l_main}, NULL, NULL);
    add_sample(p, 3, 2, (uint32_t[]){l_dba, l_main}, NULL, NULL);
    add_sample(p, 2, 2, (uint32_t[]){l_b, l_main}, NULL, NULL);
    add_sample(p, 1, 2, (uint32_t[]){l_c, l_main}, NULL, NULL);
    struct pw_graph_options o;
    struct pw_graph_infos *infos;
    struct pw_graph *all = values_graph(p, &o, &infos);
    o.edges = PW_EDGES_INLINE;
    struct pw_graph *read = pw_graph_new(p, &o);
    o.values_of = all;
    struct pw_graph *taken = pw_graph_new(p, &o);
    const struct pw_edge *ab = edge_named(taken, "a", "b");
    CHECK(ab && ab->weight == 18 && ab->is_inline && !ab->residual, "a -> b: 10 + 5 + 3, inlined");
    const struct pw_edge *mb = edge_named(taken, "main", "b");
    CHECK(mb && mb->weight == 2 && !mb->is_inline, "main -> b: a call");
    const struct pw_edge *bd = edge_named(taken, "b", "d");
    CHECK(bd && bd->weight == 3 && bd->is_inline, "b -> d");
    CHECK(!edge_named(taken, "a", "c"), "a -> c on no weighted sample");
    const struct pw_edge *mc = edge_named(taken, "main", "c");
    CHECK(mc && mc->weight == 1 && !mc->is_inline, "main -> c");
    CHECK_INTEQ(taken->n_edges, read->n_edges);
    int inlined;
    CHECK_INTEQ(edge_diffs(read, taken, true, &inlined), 0);
    CHECK_INTEQ(inlined, 2); /* a -> b, b -> d */
    pw_graph_free(read);
    pw_graph_free(taken);
    pw_graph_free(all);
    pw_graph_infos_free(infos);
    pw_profile_free(p);
}

/* The edges pass reads what the frames before a walked location leave from the nearest
 * location with a node kept: there, a frame not kept at the end of a location walked before no
 * longer counts (h -> a is a direct call, not residual), while one between them does (h -> b). */
static void test_edges_after_walked_locations(void)
{
    enum { MAIN, A, B, H, X };
    struct pw_profile *p = named_profile((const char *[]){"main", "a", "b", "h", "x"}, 5);
    uint32_t l_main = add_loc(p, 0, 1, (uint32_t[]){MAIN}, (int64_t[]){1});
    uint32_t l_ab = add_loc(p, 0, 2, (uint32_t[]){A, B}, (int64_t[]){2, 3}); /* a inlined */
    uint32_t l_xa = add_loc(p, 0, 2, (uint32_t[]){X, A}, (int64_t[]){5, 2}); /* x dropped */
    uint32_t l_ba = add_loc(p, 0, 2, (uint32_t[]){B, A}, (int64_t[]){3, 2}); /* b inlined */
    uint32_t l_h = add_loc(p, 0, 1, (uint32_t[]){H}, (int64_t[]){4});
    uint32_t l_x = add_loc(p, 0, 1, (uint32_t[]){X}, (int64_t[]){5});
    uint32_t l_a = add_loc(p, 0, 1, (uint32_t[]){A}, (int64_t[]){2});
    uint32_t l_b = add_loc(p, 0, 1, (uint32_t[]){B}, (int64_t[]){3});
    add_sample(p, 7, 2, (uint32_t[]){l_ab, l_main}, NULL, NULL);
    add_sample(p, 11, 4, (uint32_t[]){l_a, l_h, l_xa, l_main}, NULL, NULL);
    add_sample(p, 13, 5, (uint32_t[]){l_b, l_x, l_h, l_ba, l_main}, NULL, NULL);
    struct pw_graph_options o;
    struct pw_graph_infos *infos;
    struct pw_graph *all = values_graph(p, &o, &infos);
    struct pw_node_set *kept = pw_node_set_new();
    for (size_t i = 0; i < all->n_nodes; i++)
        if (strcmp(all->nodes[i]->info.name, "x") != 0)
            pw_node_set_add(kept, &all->nodes[i]->info);
    o.kept_nodes = kept;
    o.edges = PW_EDGES_INLINE;
    struct pw_graph *read = pw_graph_new(p, &o);
    o.values_of = all;
    struct pw_graph *taken = pw_graph_new(p, &o);
    const struct pw_edge *ha = edge_named(taken, "h", "a");
    CHECK(ha && ha->weight == 11 && !ha->residual && !ha->is_inline, "h -> a: a direct call");
    const struct pw_edge *hb = edge_named(taken, "h", "b");
    CHECK(hb && hb->weight == 13 && hb->residual, "h -> b: over x");
    CHECK_INTEQ(taken->n_edges, read->n_edges);
    int inlined;
    CHECK_INTEQ(edge_diffs(read, taken, true, &inlined), 0);
    pw_graph_free(read);
    pw_graph_free(taken);
    pw_node_set_free(kept);
    pw_graph_free(all);
    pw_graph_infos_free(infos);
    pw_profile_free(p);
}

/* A graph has tags for a string label other than the ignored key, and for a numeric one of its
 * numeric key only; a report's graph ignores a diff base's label and counts "bytes". */
static void test_has_tags(void)
{
    struct pw_profile *p = named_profile((const char *[]){"main"}, 1);
    uint32_t l = add_loc(p, 0, 1, (uint32_t[]){0}, (int64_t[]){1});
    add_sample(p, 1, 1, (uint32_t[]){l}, NULL, NULL);
    add_sample(p, 2, 1, (uint32_t[]){l}, "pprof::base", "true");
    struct pw_graph_options o = {.num_label_key = "bytes", .ignore_label_key = "pprof::base"};
    CHECK(!pw_graph_has_tags(p, &o), "unlabelled and the ignored label: no tags");
    CHECK(!pw_report_graph_has_tags(p), "a report's graph ignores pprof::base");
    o.ignore_label_key = NULL;
    CHECK(pw_graph_has_tags(p, &o), "pprof::base, not ignored: tags");
    o.ignore_label_key = "pprof::base";
    struct pw_sample *s = &p->samples[0];
    s->n_labels = 1;
    s->labels = pw_arena_calloc(&p->arena, 1, sizeof *s->labels);
    s->labels[0] = (struct pw_label){.key = pw_intern_cstr(p, "count"), .is_num = true, .num = 3};
    CHECK(!pw_graph_has_tags(p, &o) && !pw_report_graph_has_tags(p),
          "a numeric label of another key: no tags");
    s->labels[0].key = pw_intern_cstr(p, "bytes");
    CHECK(pw_graph_has_tags(p, &o) && pw_report_graph_has_tags(p), "bytes: tags");
    s->labels[0] = (struct pw_label){.key = pw_intern_cstr(p, "k"), .str = pw_intern_cstr(p, "v")};
    CHECK(pw_graph_has_tags(p, &o) && pw_report_graph_has_tags(p), "a string label: tags");
    pw_profile_free(p);
}

/* Trims a call tree as the report does: drops the contexts under fraction of the total. */
static size_t trim_tree(struct pw_graph *g, double fraction, size_t *whole)
{
    int64_t flat, cum;
    pw_nodes_sum(g->nodes, g->n_nodes, &flat, &cum);
    int64_t cutoff = (int64_t)((double)(flat + g->pruned_flat) * fraction);
    *whole = g->n_nodes + g->n_pruned;
    struct pw_node_ptr_set kept = {0};
    pw_graph_discard_low_frequency_node_ptrs(g, cutoff, &kept);
    if (kept.count != *whole)
        pw_graph_trim_tree(g, &kept);
    pw_node_ptr_set_release(&kept);
    return g->n_nodes;
}

/* A call tree built only where the node fraction keeps it is, once trimmed, the whole tree
 * trimmed: the same nodes in the same creation order (the final tie-break), with the same
 * weights and calls, and the same count of nodes dropped. Lines differ from their functions,
 * so function nodes are made beside line nodes. */
static void test_pruned_tree(void)
{
    struct pw_profile *p = walk_profile();
    struct pw_graph_options o = default_opts();
    o.call_tree = true;
    struct pw_graph *whole = pw_graph_new(p, &o);
    o.tree_node_fraction = 0.0005;
    struct pw_graph *pruned = pw_graph_new(p, &o);
    CHECK(pruned->n_all * 10 < whole->n_all, "pruned tree of %zu nodes, whole %zu",
          pruned->n_all, whole->n_all);
    size_t n_whole, n_pruned_whole;
    size_t kept = trim_tree(whole, o.tree_node_fraction, &n_whole);
    CHECK_INTEQ(trim_tree(pruned, o.tree_node_fraction, &n_pruned_whole), kept);
    CHECK_INTEQ(n_pruned_whole, n_whole);
    CHECK(kept > 50 && kept < n_whole, "%zu of %zu nodes kept", kept, n_whole);
    int diffs = 0;
    for (size_t i = 0; i < kept && i < pruned->n_nodes; i++) {
        const struct pw_node *a = whole->nodes[i], *b = pruned->nodes[i];
        const struct pw_edge *ai = a->in.n ? a->in.v[0] : NULL, *bi = b->in.n ? b->in.v[0] : NULL;
        diffs += strcmp(a->printable_name, b->printable_name) != 0 || a->flat != b->flat ||
                 a->cum != b->cum || a->in.n != b->in.n || a->out.n != b->out.n ||
                 (ai && (ai->weight != bi->weight || ai->residual != bi->residual ||
                         strcmp(ai->src->printable_name, bi->src->printable_name) != 0)) ||
                 (i && (a->id > whole->nodes[i - 1]->id) != (b->id > pruned->nodes[i - 1]->id)) ||
                 strcmp(a->function->printable_name, b->function->printable_name) != 0;
    }
    CHECK_INTEQ(diffs, 0);
    pw_graph_free(whole);
    pw_graph_free(pruned);
    pw_profile_free(p);
}

/* A profile of random walks over 300 functions, each at a line of its own (location i) and at
 * no line (location 300 + i, whose node is the function's: its line nodes make it too). */
static struct pw_profile *walk_profile(void)
{
    struct pw_profile *p = pw_profile_new();
    struct pw_value_type vt = {pw_intern_cstr(p, "cpu"), pw_intern_cstr(p, "nanoseconds")};
    pw_set_sample_types(p, &vt, 1);
    enum { N_FUNCS = 300, N_SAMPLES = 40000 };
    for (int i = 0; i < N_FUNCS; i++) {
        char name[32];
        snprintf(name, sizeof name, "pkg.f%d", i);
        add_func(p, name, "/src/f.go");
        add_loc(p, 0, 1, (uint32_t[]){(uint32_t)i}, (int64_t[]){i + 1});
    }
    for (int i = 0; i < N_FUNCS; i++)
        add_loc(p, 0, 1, (uint32_t[]){(uint32_t)i}, (int64_t[]){0});
    /* Stacks from a fixed pseudo-random walk; the second half of the samples reaches edges the
     * first half never has. */
    uint32_t seed = 1;
    for (int s = 0; s < N_SAMPLES; s++) {
        uint32_t locs[12];
        int depth = 2 + s % 10;
        uint32_t f = (uint32_t)(s % 7);
        for (int d = depth; d-- > 0;) {
            seed = seed * 1103515245u + 12345u;
            locs[d] = f + ((seed >> 8) % 4 != 0 ? N_FUNCS : 0);
            f = (f + 1 + (seed >> 16) % (s < N_SAMPLES / 2 ? 20 : 40)) % N_FUNCS;
        }
        add_sample(p, 1 + s % 5, depth, locs, s == N_SAMPLES - 1 ? "k" : NULL, "v");
    }
    return p;
}

int main(void)
{
    test_dot_helpers();
    test_dot();
    test_lines();
    test_functions();
    test_tree();
    test_tree_limit();
    test_redundant_edges();
    test_tags_sort();
    test_shorten();
    test_names();
    test_nul_names();
    test_two_part_loop();
    test_values_of();
    test_edges_after_walked_locations();
    test_has_tags();
    test_inline_edges_in_locations();
    test_pruned_tree();
    test_key_cmp();
    return harness_done();
}
