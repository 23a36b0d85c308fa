/* grow.h — growing an array by doubling, up to a cap on its length: the one way the engine,
 * the alerter and the replay make room in their arrays. */
#ifndef BP_GROW_H
#define BP_GROW_H

#include <stddef.h>

/* Makes room for at least need elements of elem bytes in the array whose address is at pp
 * (a T ** passed as void *), of capacity *cap elements: the first allocation holds first
 * elements, then the capacity doubles, never beyond max. Returns 0, or -1 with the array and
 * *cap unchanged if need > max or memory ran out. */
int bp_grow_slow(void *pp, size_t *cap, size_t need, size_t elem, size_t first, size_t max);

/* The check that there is room already, inline: it runs for every element appended. */
static inline int bp_grow(void *pp, size_t *cap, size_t need, size_t elem, size_t first,
                          size_t max)
{
    return need <= *cap ? 0 : bp_grow_slow(pp, cap, need, elem, first, max);
}

#endif
