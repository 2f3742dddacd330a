/* flame: the flame graph's merged call tree. Owned by the flame helper (server/flame.c builds it,
 * server/flame_view.c writes it as the flamegraph JSON view).
 *
 * Two steps, so that zooming is cheap on million-sample profiles:
 *   pw_flame_build()     runs the report pipeline once per (profile, settings, pivot) and keeps
 *                        every sample's stack as frame ids (a struct pw_flame, read-only after,
 *                        shared by concurrent requests);
 *   pw_flame_tree_new()  merges the stacks below one node into a tree, expanding only nodes at
 *                        least min_w wide, so a response costs what it shows, not what the
 *                        profile holds.
 * A node is named by (seq, depth): the first depth frames of stack seq. Both structs own all
 * their memory; the profile is not referenced after pw_flame_build() returns. */
#ifndef PPROFWEB_FLAME_H
#define PPROFWEB_FLAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/arena.h"
#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Nodes one tree may hold; past it pw_flame_tree_new fails with PW_ETOOBIG (72 bytes each). */
#define PW_FLAME_MAX_NODES ((size_t)4 << 20)
/* Boxes one response carries; past it the server raises its minimum box width until the
 * response fits (about 25 bytes of JSON each). */
#define PW_FLAME_MAX_SENT 60000

/* Node flags. */
#define PW_FLAME_INLINE 1u    /* the frame was inlined into its caller */
#define PW_FLAME_TRUNCATED 2u /* has children not expanded (or, in a response, not sent) */

/* One distinct frame (a graph node of pprof at the report's granularity). Strings are owned by
 * the flame; a NUL byte in a name is U+FFFD in them (they are for display). */
struct pw_flame_frame {
    const char *name; /* pprof's PrintableName: the top report's name for this node */
    const char *fn;   /* function name, "" when none */
    const char *file; /* cleaned file name, "" when none */
};

/* One sample's stack below a root: frames fr[off .. off + len), outermost first. */
struct pw_flame_seq {
    size_t off;
    uint32_t len;
    uint8_t side; /* 0: the tree (callees of the pivot); 1: the pivot's callers */
    bool flat;    /* the last frame gets the flat value (not on the callers side) */
    int64_t w, dw; /* the sample's value and mean divisor */
};

struct pw_flame {
    struct pw_arena arena;
    struct pw_flame_frame *frames;
    uint32_t n_frames;
    uint32_t *fr;  /* frame ids of every seq */
    uint8_t *inl;  /* per entry of fr: the frame is inlined into its caller */
    size_t n_fr;   /* the end of the entries in use (the seqs may leave gaps between them) */
    struct pw_flame_seq *seqs;
    size_t n_seqs;

    int64_t total;           /* pprof's total (percentages refer to it) */
    bool mean;               /* values are cum / cum_div */
    double ratio;            /* 1 / divide_by */
    bool diff;               /* some sample value is negative */
    bool diff_base;          /* samples of a -diff_base base are present (pprof::base) */
    bool pivot;              /* built around a pivot: side 1 holds the callers */
    const char *pivot_re;    /* the pivot regexp, or NULL */
    uint32_t pivot_frame;    /* the single frame the pivot matched, or PW_NONE */
    int64_t shown;           /* sum of the values of the seqs of side 0 */
    const char *sample_type, *sample_unit, *output_unit;
    const char *granularity;
    const char **legend;     /* pprof's profile labels, active filters, "Showing nodes ..." */
    size_t n_legend;
    const char **warnings;   /* pprof's stderr lines */
    size_t n_warnings;
};

/* Builds the stacks of p with settings cfg (its granularity is used as is: the caller applies
 * the flame graph's default of filefunctions), pivoted around the frames matching pivot (a Go
 * regexp on frame names) when pivot is neither NULL nor "". Returns NULL with err: PW_EINVAL
 * for bad settings or a pivot regexp that does not compile or matches no frame. */
struct pw_flame *pw_flame_build(const struct pw_profile *p, const struct pw_config *cfg,
                                const char *pivot, struct pw_err *err);
/* The same, with the stacks taken from split, a profile whose samples sum to src's per stack
 * (pprof's -diff_base comparison of the two profiles src compares with -base): the total, legend
 * and warnings stay src's, so every number is src's, while each box's growth and shrinkage are
 * the new and base values beneath it rather than those of stacks netted first. */
struct pw_flame *pw_flame_build_split(const struct pw_profile *src,
                                      const struct pw_profile *split,
                                      const struct pw_config *cfg, const char *pivot,
                                      struct pw_err *err);
void pw_flame_free(struct pw_flame *f);

/* A merged call tree below one node. Node 0 is that node; children are next to each other. */
struct pw_flame_node {
    uint32_t parent;      /* PW_NONE for node 0 */
    uint32_t frame;       /* frame id; PW_NONE for the side's root */
    uint32_t first_child, n_children;
    uint32_t seq;         /* a seq through this node: (seq, depth) names it */
    uint32_t flags;       /* PW_FLAME_INLINE, PW_FLAME_TRUNCATED */
    /* Raw sums over the samples through the node (pprof's Node Cum, CumDiv, Flat, FlatDiv), and
     * of their positive values (growth; shrinkage is pos - cum). */
    int64_t cum, cum_div, flat, flat_div, pos;
};

struct pw_flame_ancestor {
    uint32_t frame;       /* PW_NONE for the side's root */
    int64_t cum, cum_div, pos;
};

struct pw_flame_tree {
    struct pw_flame_node *nodes;
    size_t n_nodes, cap_nodes;
    uint32_t seq;         /* as requested (PW_NONE: the side's root) */
    uint8_t side;
    uint32_t depth;       /* node 0's depth (0: the side's root) */
    struct pw_flame_ancestor *ancestors; /* depth entries, the side's root first */
};

/* Merges the stacks through node (seq, depth) (seq PW_NONE: the root of side) into a tree.
 * Nodes narrower than min_frac of node 0 (growth plus shrinkage, raw) are kept but not
 * expanded (0: expand all). Fails with PW_EINVAL for a seq or depth out of range, PW_ETOOBIG
 * past PW_FLAME_MAX_NODES. */
struct pw_flame_tree *pw_flame_tree_new(const struct pw_flame *f, uint32_t seq, uint32_t depth,
                                        uint8_t side, double min_frac, struct pw_err *err);
/* The narrowest weight drawn: min_frac of root_weight, rounded up, at least 1. */
int64_t pw_flame_min_weight(int64_t root_weight, double min_frac);
void pw_flame_tree_free(struct pw_flame_tree *t);

/* Displayed values (pprof's CumValue / FlatValue) and box weights (growth plus shrinkage). */
int64_t pw_flame_cum(const struct pw_flame_node *n);
int64_t pw_flame_flat(const struct pw_flame_node *n);
int64_t pw_flame_weight(const struct pw_flame_node *n);

/* What one response carries. */
struct pw_flame_request {
    uint32_t seq, depth; /* the node to send (seq PW_NONE: the root of side) */
    uint8_t side;
    uint32_t width;      /* drawing width in CSS pixels */
    double min_px;       /* boxes narrower than this at width are merged into "other" */
    bool drop_negative;  /* leave out nodes with a negative value (pprof's -drop_negative) */
    /* Optional, may be NULL, borrowed (pw_flame_write only reads them): trees of the side roots
     * (roots[1] only with a pivot) built earlier by pw_flame_tree_new from the same flame at
     * min_frac roots_frac. A request for a side's root whose min_px / width is at least
     * roots_frac reads them instead of building its own: a node that wide is expanded in both,
     * so the boxes sent are the same. */
    const struct pw_flame_tree *roots[2];
    double roots_frac;
};

/* Writes the response for req as members of an open JSON object; the format is described in
 * flame_view.c and the README. Fails with PW_EINVAL for a node that is not in the tree. */
struct pw_json;
int pw_flame_write(const struct pw_flame *f, const struct pw_flame_request *req,
                   struct pw_json *j, struct pw_err *err);

/* The flamegraph JSON view (views.h's pw_view_fn): the document of pw_flame_write with "view",
 * "id", "name" and "query". URL parameters besides the settings: w (width in CSS pixels),
 * minpx (narrowest box), node ("SEQ.DEPTH": a subtree), p (pivot regexp). Without g the
 * granularity is filefunctions, as pprof's flame graph. */
struct pw_view_args;
int pw_view_flame(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err);

#endif
