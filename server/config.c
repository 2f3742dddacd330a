/* config: pprof's default settings and granularity names. */
#include "pprofweb/config.h"

#include <string.h>

static const char *const granularity_names[] = {
    [PW_G_FUNCTIONS] = "functions", [PW_G_FILEFUNCTIONS] = "filefunctions",
    [PW_G_FILES] = "files",         [PW_G_LINES] = "lines",
    [PW_G_ADDRESSES] = "addresses",
};

void pw_config_default(struct pw_config *c)
{
    memset(c, 0, sizeof(*c));
    c->unit = "minimum";
    c->nodecount = -1;
    c->nodefraction = 0.005;
    c->edgefraction = 0.001;
    c->trim = true;
    c->divide_by = 1.0;
    c->granularity = PW_G_FUNCTIONS;
}

int pw_granularity_parse(const char *s)
{
    for (int g = 0; g < (int)(sizeof(granularity_names) / sizeof(*granularity_names)); g++)
        if (strcmp(s, granularity_names[g]) == 0)
            return g;
    return -1;
}

const char *pw_granularity_name(enum pw_granularity g)
{
    return granularity_names[g];
}
