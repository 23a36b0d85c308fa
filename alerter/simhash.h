/* simhash.h — a 64-bit similarity hash of a text (SimHash over word unigrams and bigrams), so
 * that a complaint reposted or copy-pasted with small changes is recognised as a near-duplicate. */
#ifndef BP_SIMHASH_H
#define BP_SIMHASH_H

#include <stddef.h>
#include <stdint.h>

/* Returns the SimHash of s[0..n) (UTF-8). Words are case-folded (ASCII, Latin-1, Cyrillic),
 * URLs and @handles are skipped, so reposts that add a link or a name still match. An empty or
 * word-less text hashes to 0. */
uint64_t simhash_text(const char *s, size_t n);

/* Number of differing bits between two hashes (0..64). */
int simhash_distance(uint64_t a, uint64_t b);

/* FNV-1a 64-bit over s[0..n): the feature hash (exposed for tests and other keyed uses). */
uint64_t simhash_fnv1a(const void *s, size_t n);

#endif
