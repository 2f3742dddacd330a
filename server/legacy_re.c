/* legacy_re: the regexp engine of the legacy parsers. pprof recognizes legacy text with Go
 * regexps and reads fields from their submatches, so which split of "1234 5 @" a pattern picks
 * decides the numbers. This file compiles the small subset of Go syntax those patterns use and
 * runs it as a Pike VM (Thompson NFA with submatch slots, threads kept in priority order), which
 * gives Go's leftmost-first submatches in time linear in the input.
 *
 * Matching is bytewise. Go matches runes, but in pprof's patterns every group boundary sits next
 * to an ASCII character, so the boundaries are the same. Go's \s is [\t\n\f\r ] (no \v), \d is
 * [0-9], \w is [0-9A-Za-z_], "." is any character but \n, ^ and $ (no m flag) are \A and \z.
 * Not here: alternation, counted repetition, lazy quantifiers, flags: no pprof pattern needs them.
 * Patterns are constants of this program; a compile failure is a bug, reported as -1. */
#include <string.h>

#include "pprofweb/legacy.h"

enum { OP_CLASS, OP_SPLIT, OP_JMP, OP_SAVE, OP_MATCH, OP_BOT, OP_EOT };

struct compiler {
    struct lg_re *re;
    const char *p;
    int n_cap;
    int err;
};

static void cls_set(uint8_t *cls, unsigned c)
{
    cls[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static void cls_range(uint8_t *cls, unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++)
        cls_set(cls, c);
}

static int emit(struct compiler *c, int op)
{
    struct lg_re *re = c->re;
    if (re->n >= LG_RE_MAX_INST) {
        c->err = 1;
        return re->n - 1;
    }
    memset(&re->prog[re->n], 0, sizeof(re->prog[0]));
    re->prog[re->n].op = (uint8_t)op;
    return re->n++;
}

/* Adds the class of escape letter e (\s \d \w and their negations, or a literal) to cls. */
static void escape_class(uint8_t *cls, char e)
{
    uint8_t tmp[32] = {0};
    char lower = (char)(e | 0x20);
    bool neg = e == 'S' || e == 'D' || e == 'W';
    if (lower == 's') {
        cls_set(tmp, '\t');
        cls_set(tmp, '\n');
        cls_set(tmp, '\f');
        cls_set(tmp, '\r');
        cls_set(tmp, ' ');
    } else if (lower == 'd') {
        cls_range(tmp, '0', '9');
    } else if (lower == 'w') {
        cls_range(tmp, '0', '9');
        cls_range(tmp, 'A', 'Z');
        cls_range(tmp, 'a', 'z');
        cls_set(tmp, '_');
    } else {
        cls_set(cls, (unsigned char)e);
        return;
    }
    for (int i = 0; i < 32; i++)
        cls[i] |= neg ? (uint8_t)~tmp[i] : tmp[i];
}

/* Parses a bracket class at c->p (after '['). */
static void parse_class(struct compiler *c, uint8_t *cls)
{
    uint8_t tmp[32] = {0};
    bool neg = false;
    if (*c->p == '^') {
        neg = true;
        c->p++;
    }
    bool first = true;
    while (*c->p && (*c->p != ']' || first)) {
        first = false;
        if (strncmp(c->p, "[:xdigit:]", 10) == 0) {
            cls_range(tmp, '0', '9');
            cls_range(tmp, 'a', 'f');
            cls_range(tmp, 'A', 'F');
            c->p += 10;
            continue;
        }
        if (strncmp(c->p, "[:digit:]", 9) == 0) {
            cls_range(tmp, '0', '9');
            c->p += 9;
            continue;
        }
        unsigned lo;
        if (*c->p == '\\' && c->p[1]) {
            char e = c->p[1];
            c->p += 2;
            if (strchr("sSdDwW", e)) {
                escape_class(tmp, e);
                continue;
            }
            lo = (unsigned char)e;
        } else {
            lo = (unsigned char)*c->p++;
        }
        if (*c->p == '-' && c->p[1] && c->p[1] != ']') {
            unsigned hi = (unsigned char)c->p[1];
            c->p += 2;
            if (hi < lo) {
                c->err = 1;
                return;
            }
            cls_range(tmp, lo, hi);
        } else {
            cls_set(tmp, lo);
        }
    }
    if (*c->p != ']') {
        c->err = 1;
        return;
    }
    c->p++;
    for (int i = 0; i < 32; i++)
        cls[i] = neg ? (uint8_t)~tmp[i] : tmp[i];
}

static void compile_concat(struct compiler *c);

/* Inserts one instruction at pos, shifting [pos, n) right and fixing jump targets. */
static void insert_at(struct compiler *c, int pos, int op, int x, int y)
{
    struct lg_re *re = c->re;
    if (re->n >= LG_RE_MAX_INST) {
        c->err = 1;
        return;
    }
    for (int i = 0; i < re->n; i++) {
        struct lg_re_inst *in = &re->prog[i];
        if (in->op != OP_SPLIT && in->op != OP_JMP)
            continue;
        /* Code before pos that targets pos means "what follows": the new instruction. */
        int lim = i < pos ? pos + 1 : pos;
        if (in->x >= lim)
            in->x++;
        if (in->op == OP_SPLIT && in->y >= lim)
            in->y++;
    }
    memmove(&re->prog[pos + 1], &re->prog[pos], sizeof(re->prog[0]) * (size_t)(re->n - pos));
    re->n++;
    memset(&re->prog[pos], 0, sizeof(re->prog[0]));
    re->prog[pos].op = (uint8_t)op;
    re->prog[pos].x = (uint16_t)x;
    re->prog[pos].y = (uint16_t)y;
}

static void compile_atom(struct compiler *c)
{
    char ch = *c->p++;
    int i;
    switch (ch) {
    case '(': {
        int cap = -1;
        if (c->p[0] == '?' && c->p[1] == ':') {
            c->p += 2;
        } else {
            cap = c->n_cap++;
            if (cap >= LG_RE_MAX_SUB) {
                c->err = 1;
                return;
            }
            i = emit(c, OP_SAVE);
            c->re->prog[i].x = (uint16_t)(2 * cap);
        }
        compile_concat(c);
        if (*c->p != ')') {
            c->err = 1;
            return;
        }
        c->p++;
        if (cap >= 0) {
            i = emit(c, OP_SAVE);
            c->re->prog[i].x = (uint16_t)(2 * cap + 1);
        }
        return;
    }
    case '[':
        i = emit(c, OP_CLASS);
        parse_class(c, c->re->prog[i].cls);
        return;
    case '.':
        i = emit(c, OP_CLASS);
        memset(c->re->prog[i].cls, 0xff, 32);
        c->re->prog[i].cls['\n' >> 3] &= (uint8_t)~(1u << ('\n' & 7));
        return;
    case '^':
        emit(c, OP_BOT);
        return;
    case '$':
        emit(c, OP_EOT);
        return;
    case '\\':
        ch = *c->p++;
        if (ch == 'A') {
            emit(c, OP_BOT);
            return;
        }
        if (ch == 'z') {
            emit(c, OP_EOT);
            return;
        }
        if (!ch) {
            c->err = 1;
            return;
        }
        i = emit(c, OP_CLASS);
        escape_class(c->re->prog[i].cls, ch);
        return;
    case '|':
    case '{':
    case ')':
    case '*':
    case '+':
    case '?':
        c->err = 1;
        return;
    default:
        i = emit(c, OP_CLASS);
        cls_set(c->re->prog[i].cls, (unsigned char)ch);
        return;
    }
}

static void compile_concat(struct compiler *c)
{
    while (*c->p && *c->p != ')' && !c->err) {
        int start = c->re->n;
        compile_atom(c);
        char q = *c->p;
        if (q != '?' && q != '*' && q != '+')
            continue;
        c->p++;
        int end = c->re->n;
        if (q == '?') {
            insert_at(c, start, OP_SPLIT, start + 1, end + 1);
        } else if (q == '*') {
            insert_at(c, start, OP_SPLIT, start + 1, end + 2);
            int j = emit(c, OP_JMP);
            c->re->prog[j].x = (uint16_t)start;
        } else {
            int j = emit(c, OP_SPLIT);
            c->re->prog[j].x = (uint16_t)start;
            c->re->prog[j].y = (uint16_t)(end + 1);
        }
        if (*c->p == '?' || *c->p == '*' || *c->p == '+')
            c->err = 1; /* lazy or stacked quantifiers: not in the subset */
    }
}

int lg_re_compile(struct lg_re *re, const char *pattern)
{
    memset(re, 0, sizeof(*re));
    struct compiler c = {re, pattern, 1, 0};
    int i = emit(&c, OP_SAVE);
    re->prog[i].x = 0;
    compile_concat(&c);
    if (*c.p)
        c.err = 1;
    i = emit(&c, OP_SAVE);
    re->prog[i].x = 1;
    emit(&c, OP_MATCH);
    re->n_sub = c.n_cap;
    re->anchored = re->n > 1 && re->prog[1].op == OP_BOT;
    return c.err ? -1 : 0;
}

/* ---- Pike VM ---- */

struct thread {
    int pc;
    size_t cap[2 * LG_RE_MAX_SUB];
};

struct tlist {
    struct thread t[LG_RE_MAX_INST];
    int n;
};

struct vm {
    const struct lg_re *re;
    const char *s;
    size_t len;
    unsigned gen[LG_RE_MAX_INST];
    unsigned cur;
};

/* Follows empty-width instructions from pc in priority order, adding the threads that wait on a
 * character (or match) to l. */
static void add_thread(struct vm *vm, struct tlist *l, int pc, size_t *cap, size_t pos)
{
    if (vm->gen[pc] == vm->cur)
        return;
    vm->gen[pc] = vm->cur;
    const struct lg_re_inst *in = &vm->re->prog[pc];
    switch (in->op) {
    case OP_JMP:
        add_thread(vm, l, in->x, cap, pos);
        return;
    case OP_SPLIT:
        add_thread(vm, l, in->x, cap, pos);
        add_thread(vm, l, in->y, cap, pos);
        return;
    case OP_SAVE: {
        size_t old = cap[in->x];
        cap[in->x] = pos;
        add_thread(vm, l, pc + 1, cap, pos);
        cap[in->x] = old;
        return;
    }
    case OP_BOT:
        if (pos == 0)
            add_thread(vm, l, pc + 1, cap, pos);
        return;
    case OP_EOT:
        if (pos == vm->len)
            add_thread(vm, l, pc + 1, cap, pos);
        return;
    default: {
        struct thread *t = &l->t[l->n++];
        t->pc = pc;
        memcpy(t->cap, cap, sizeof(t->cap));
        return;
    }
    }
}

bool lg_re_find(const struct lg_re *re, struct lg_str str, struct lg_str *sub)
{
    static __thread struct tlist lists[2];
    struct vm vm = {.re = re, .s = str.s, .len = str.len};
    memset(vm.gen, 0, sizeof(vm.gen));
    struct tlist *cl = &lists[0], *nl = &lists[1];
    cl->n = 0;
    size_t best[2 * LG_RE_MAX_SUB];
    bool matched = false;
    size_t empty[2 * LG_RE_MAX_SUB];
    for (int i = 0; i < 2 * LG_RE_MAX_SUB; i++)
        empty[i] = SIZE_MAX;
    vm.cur = 1;
    for (size_t pos = 0;; pos++) {
        /* cl holds the threads waiting at pos (generation vm.cur); the start thread comes last,
         * with the lowest priority, and only until some thread has matched. */
        if (!matched && (!re->anchored || pos == 0))
            add_thread(&vm, cl, 0, empty, pos);
        if (cl->n == 0)
            break;
        vm.cur++;
        nl->n = 0;
        for (int i = 0; i < cl->n; i++) {
            struct thread *t = &cl->t[i];
            const struct lg_re_inst *in = &re->prog[t->pc];
            if (in->op == OP_MATCH) {
                matched = true;
                memcpy(best, t->cap, sizeof(best));
                break; /* lower-priority threads lose */
            }
            if (pos < str.len) {
                unsigned char ch = (unsigned char)str.s[pos];
                if ((in->cls[ch >> 3] >> (ch & 7)) & 1)
                    add_thread(&vm, nl, t->pc + 1, t->cap, pos + 1);
            }
        }
        struct tlist *tmp = cl;
        cl = nl;
        nl = tmp;
        if (pos >= str.len)
            break;
    }
    if (!matched)
        return false;
    for (int i = 0; i < re->n_sub; i++) {
        if (best[2 * i] == SIZE_MAX || best[2 * i + 1] == SIZE_MAX) {
            sub[i].s = NULL;
            sub[i].len = 0;
        } else {
            sub[i].s = str.s + best[2 * i];
            sub[i].len = best[2 * i + 1] - best[2 * i];
        }
    }
    return true;
}
