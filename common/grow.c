/* grow.c — growing an array by doubling, up to a cap (see grow.h). */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int bp_grow_slow(void *pp, size_t *cap, size_t need, size_t elem, size_t first, size_t max)
{
    if (need <= *cap)
        return 0;
    if (need > max || elem == 0 || max > SIZE_MAX / elem)
        return -1;
    size_t nc = *cap ? *cap : (first ? first : 1);
    while (nc < need)
        nc = nc > max / 2 ? max : nc * 2;
    if (nc > max)
        nc = max;
    void *old;
    memcpy(&old, pp, sizeof old);
    void *p = realloc(old, nc * elem);
    if (!p)
        return -1;
    memcpy(pp, &p, sizeof p);
    *cap = nc;
    return 0;
}
