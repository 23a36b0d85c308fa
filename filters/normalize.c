/* normalize.c — normalizes post and rule text for matching (case folding, typography,
 * look-alike letters, repeats, spaced-out letters, digits as letters) and keeps a map from
 * every normalized byte back to the original bytes. See normalize.h for what it does. */
#include "normalize.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* One normalized code point and the original bytes [os, oe) it stands for. */
typedef struct bp_norm_ch {
    uint32_t cp;
    uint32_t os, oe;
} nch_t;

/* Classes of normalized code points. */
enum {
    NC_LAT = 1,  /* Latin letter */
    NC_CYR = 2,  /* Cyrillic letter */
    NC_GRK = 4,  /* Greek letter */
    NC_OTH = 8,  /* letter (or digit) of another script */
    NC_DIG = 16, /* ASCII digit */
    NC_SYM = 32, /* '@' '$': inside words when digits_as_letters */
    NC_SEP = 64, /* separates spaced-out letters */
};
#define NC_LCG (NC_LAT | NC_CYR | NC_GRK)
#define NC_WORD (NC_LCG | NC_OTH | NC_DIG)

enum { S_LAT = 0, S_CYR = 1, S_GRK = 2 }; /* script indexes of the look-alike table */

#define LO_END 0x530u   /* code points below this are table-driven */
#define M_MARK 0xFFFEu  /* mapping result: a combining mark (compose or drop, attached) */
#define M_DROP 0xFFFFu  /* mapping result: removed */
/* 1 if a mapping result is M_MARK or M_DROP (real U+FFFE/U+FFFF are mapped to U+FFFD) */
#define M_SPECIAL(m) (((m) | 1u) == M_DROP)

/* Canonical compositions letter + combining mark (U+0300..U+036F) -> precomposed lowercase
 * letter, for Latin-1, Latin Extended-A/B, Greek, Cyrillic, Latin Extended Additional and Greek
 * Extended; taken from the canonical decompositions of UnicodeData.txt. Sorted by (base, mark).
 * Composing makes NFD input (и + U+0306) normalize like NFC input (й). */
static const struct {
    uint16_t base, mark, cp;
} compose_tab[] = {
    {0x0061, 0x300, 0x00E0}, {0x0061, 0x301, 0x00E1}, {0x0061, 0x302, 0x00E2}, {0x0061, 0x303, 0x00E3},
    {0x0061, 0x304, 0x0101}, {0x0061, 0x306, 0x0103}, {0x0061, 0x307, 0x0227}, {0x0061, 0x308, 0x00E4},
    {0x0061, 0x309, 0x1EA3}, {0x0061, 0x30A, 0x00E5}, {0x0061, 0x30C, 0x01CE}, {0x0061, 0x30F, 0x0201},
    {0x0061, 0x311, 0x0203}, {0x0061, 0x323, 0x1EA1}, {0x0061, 0x325, 0x1E01}, {0x0061, 0x328, 0x0105},
    {0x0062, 0x307, 0x1E03}, {0x0062, 0x323, 0x1E05}, {0x0062, 0x331, 0x1E07}, {0x0063, 0x301, 0x0107},
    {0x0063, 0x302, 0x0109}, {0x0063, 0x307, 0x010B}, {0x0063, 0x30C, 0x010D}, {0x0063, 0x327, 0x00E7},
    {0x0064, 0x307, 0x1E0B}, {0x0064, 0x30C, 0x010F}, {0x0064, 0x323, 0x1E0D}, {0x0064, 0x327, 0x1E11},
    {0x0064, 0x32D, 0x1E13}, {0x0064, 0x331, 0x1E0F}, {0x0065, 0x300, 0x00E8}, {0x0065, 0x301, 0x00E9},
    {0x0065, 0x302, 0x00EA}, {0x0065, 0x303, 0x1EBD}, {0x0065, 0x304, 0x0113}, {0x0065, 0x306, 0x0115},
    {0x0065, 0x307, 0x0117}, {0x0065, 0x308, 0x00EB}, {0x0065, 0x309, 0x1EBB}, {0x0065, 0x30C, 0x011B},
    {0x0065, 0x30F, 0x0205}, {0x0065, 0x311, 0x0207}, {0x0065, 0x323, 0x1EB9}, {0x0065, 0x327, 0x0229},
    {0x0065, 0x328, 0x0119}, {0x0065, 0x32D, 0x1E19}, {0x0065, 0x330, 0x1E1B}, {0x0066, 0x307, 0x1E1F},
    {0x0067, 0x301, 0x01F5}, {0x0067, 0x302, 0x011D}, {0x0067, 0x304, 0x1E21}, {0x0067, 0x306, 0x011F},
    {0x0067, 0x307, 0x0121}, {0x0067, 0x30C, 0x01E7}, {0x0067, 0x327, 0x0123}, {0x0068, 0x302, 0x0125},
    {0x0068, 0x307, 0x1E23}, {0x0068, 0x308, 0x1E27}, {0x0068, 0x30C, 0x021F}, {0x0068, 0x323, 0x1E25},
    {0x0068, 0x327, 0x1E29}, {0x0068, 0x32E, 0x1E2B}, {0x0068, 0x331, 0x1E96}, {0x0069, 0x300, 0x00EC},
    {0x0069, 0x301, 0x00ED}, {0x0069, 0x302, 0x00EE}, {0x0069, 0x303, 0x0129}, {0x0069, 0x304, 0x012B},
    {0x0069, 0x306, 0x012D}, {0x0069, 0x308, 0x00EF}, {0x0069, 0x309, 0x1EC9}, {0x0069, 0x30C, 0x01D0},
    {0x0069, 0x30F, 0x0209}, {0x0069, 0x311, 0x020B}, {0x0069, 0x323, 0x1ECB}, {0x0069, 0x328, 0x012F},
    {0x0069, 0x330, 0x1E2D}, {0x006A, 0x302, 0x0135}, {0x006A, 0x30C, 0x01F0}, {0x006B, 0x301, 0x1E31},
    {0x006B, 0x30C, 0x01E9}, {0x006B, 0x323, 0x1E33}, {0x006B, 0x327, 0x0137}, {0x006B, 0x331, 0x1E35},
    {0x006C, 0x301, 0x013A}, {0x006C, 0x30C, 0x013E}, {0x006C, 0x323, 0x1E37}, {0x006C, 0x327, 0x013C},
    {0x006C, 0x32D, 0x1E3D}, {0x006C, 0x331, 0x1E3B}, {0x006D, 0x301, 0x1E3F}, {0x006D, 0x307, 0x1E41},
    {0x006D, 0x323, 0x1E43}, {0x006E, 0x300, 0x01F9}, {0x006E, 0x301, 0x0144}, {0x006E, 0x303, 0x00F1},
    {0x006E, 0x307, 0x1E45}, {0x006E, 0x30C, 0x0148}, {0x006E, 0x323, 0x1E47}, {0x006E, 0x327, 0x0146},
    {0x006E, 0x32D, 0x1E4B}, {0x006E, 0x331, 0x1E49}, {0x006F, 0x300, 0x00F2}, {0x006F, 0x301, 0x00F3},
    {0x006F, 0x302, 0x00F4}, {0x006F, 0x303, 0x00F5}, {0x006F, 0x304, 0x014D}, {0x006F, 0x306, 0x014F},
    {0x006F, 0x307, 0x022F}, {0x006F, 0x308, 0x00F6}, {0x006F, 0x309, 0x1ECF}, {0x006F, 0x30B, 0x0151},
    {0x006F, 0x30C, 0x01D2}, {0x006F, 0x30F, 0x020D}, {0x006F, 0x311, 0x020F}, {0x006F, 0x31B, 0x01A1},
    {0x006F, 0x323, 0x1ECD}, {0x006F, 0x328, 0x01EB}, {0x0070, 0x301, 0x1E55}, {0x0070, 0x307, 0x1E57},
    {0x0072, 0x301, 0x0155}, {0x0072, 0x307, 0x1E59}, {0x0072, 0x30C, 0x0159}, {0x0072, 0x30F, 0x0211},
    {0x0072, 0x311, 0x0213}, {0x0072, 0x323, 0x1E5B}, {0x0072, 0x327, 0x0157}, {0x0072, 0x331, 0x1E5F},
    {0x0073, 0x301, 0x015B}, {0x0073, 0x302, 0x015D}, {0x0073, 0x307, 0x1E61}, {0x0073, 0x30C, 0x0161},
    {0x0073, 0x323, 0x1E63}, {0x0073, 0x326, 0x0219}, {0x0073, 0x327, 0x015F}, {0x0074, 0x307, 0x1E6B},
    {0x0074, 0x308, 0x1E97}, {0x0074, 0x30C, 0x0165}, {0x0074, 0x323, 0x1E6D}, {0x0074, 0x326, 0x021B},
    {0x0074, 0x327, 0x0163}, {0x0074, 0x32D, 0x1E71}, {0x0074, 0x331, 0x1E6F}, {0x0075, 0x300, 0x00F9},
    {0x0075, 0x301, 0x00FA}, {0x0075, 0x302, 0x00FB}, {0x0075, 0x303, 0x0169}, {0x0075, 0x304, 0x016B},
    {0x0075, 0x306, 0x016D}, {0x0075, 0x308, 0x00FC}, {0x0075, 0x309, 0x1EE7}, {0x0075, 0x30A, 0x016F},
    {0x0075, 0x30B, 0x0171}, {0x0075, 0x30C, 0x01D4}, {0x0075, 0x30F, 0x0215}, {0x0075, 0x311, 0x0217},
    {0x0075, 0x31B, 0x01B0}, {0x0075, 0x323, 0x1EE5}, {0x0075, 0x324, 0x1E73}, {0x0075, 0x328, 0x0173},
    {0x0075, 0x32D, 0x1E77}, {0x0075, 0x330, 0x1E75}, {0x0076, 0x303, 0x1E7D}, {0x0076, 0x323, 0x1E7F},
    {0x0077, 0x300, 0x1E81}, {0x0077, 0x301, 0x1E83}, {0x0077, 0x302, 0x0175}, {0x0077, 0x307, 0x1E87},
    {0x0077, 0x308, 0x1E85}, {0x0077, 0x30A, 0x1E98}, {0x0077, 0x323, 0x1E89}, {0x0078, 0x307, 0x1E8B},
    {0x0078, 0x308, 0x1E8D}, {0x0079, 0x300, 0x1EF3}, {0x0079, 0x301, 0x00FD}, {0x0079, 0x302, 0x0177},
    {0x0079, 0x303, 0x1EF9}, {0x0079, 0x304, 0x0233}, {0x0079, 0x307, 0x1E8F}, {0x0079, 0x308, 0x00FF},
    {0x0079, 0x309, 0x1EF7}, {0x0079, 0x30A, 0x1E99}, {0x0079, 0x323, 0x1EF5}, {0x007A, 0x301, 0x017A},
    {0x007A, 0x302, 0x1E91}, {0x007A, 0x307, 0x017C}, {0x007A, 0x30C, 0x017E}, {0x007A, 0x323, 0x1E93},
    {0x007A, 0x331, 0x1E95}, {0x00A8, 0x300, 0x1FED}, {0x00A8, 0x301, 0x0385}, {0x00A8, 0x342, 0x1FC1},
    {0x00E2, 0x300, 0x1EA7}, {0x00E2, 0x301, 0x1EA5}, {0x00E2, 0x303, 0x1EAB}, {0x00E2, 0x309, 0x1EA9},
    {0x00E4, 0x304, 0x01DF}, {0x00E5, 0x301, 0x01FB}, {0x00E6, 0x301, 0x01FD}, {0x00E6, 0x304, 0x01E3},
    {0x00E7, 0x301, 0x1E09}, {0x00EA, 0x300, 0x1EC1}, {0x00EA, 0x301, 0x1EBF}, {0x00EA, 0x303, 0x1EC5},
    {0x00EA, 0x309, 0x1EC3}, {0x00EF, 0x301, 0x1E2F}, {0x00F4, 0x300, 0x1ED3}, {0x00F4, 0x301, 0x1ED1},
    {0x00F4, 0x303, 0x1ED7}, {0x00F4, 0x309, 0x1ED5}, {0x00F5, 0x301, 0x1E4D}, {0x00F5, 0x304, 0x022D},
    {0x00F5, 0x308, 0x1E4F}, {0x00F6, 0x304, 0x022B}, {0x00F8, 0x301, 0x01FF}, {0x00FC, 0x300, 0x01DC},
    {0x00FC, 0x301, 0x01D8}, {0x00FC, 0x304, 0x01D6}, {0x00FC, 0x30C, 0x01DA}, {0x0103, 0x300, 0x1EB1},
    {0x0103, 0x301, 0x1EAF}, {0x0103, 0x303, 0x1EB5}, {0x0103, 0x309, 0x1EB3}, {0x0113, 0x300, 0x1E15},
    {0x0113, 0x301, 0x1E17}, {0x014D, 0x300, 0x1E51}, {0x014D, 0x301, 0x1E53}, {0x015B, 0x307, 0x1E65},
    {0x0161, 0x307, 0x1E67}, {0x0169, 0x301, 0x1E79}, {0x016B, 0x308, 0x1E7B}, {0x017F, 0x307, 0x1E9B},
    {0x01A1, 0x300, 0x1EDD}, {0x01A1, 0x301, 0x1EDB}, {0x01A1, 0x303, 0x1EE1}, {0x01A1, 0x309, 0x1EDF},
    {0x01A1, 0x323, 0x1EE3}, {0x01B0, 0x300, 0x1EEB}, {0x01B0, 0x301, 0x1EE9}, {0x01B0, 0x303, 0x1EEF},
    {0x01B0, 0x309, 0x1EED}, {0x01B0, 0x323, 0x1EF1}, {0x01EB, 0x304, 0x01ED}, {0x0227, 0x304, 0x01E1},
    {0x0229, 0x306, 0x1E1D}, {0x022F, 0x304, 0x0231}, {0x0292, 0x30C, 0x01EF}, {0x03AC, 0x345, 0x1FB4},
    {0x03AE, 0x345, 0x1FC4}, {0x03B1, 0x300, 0x1F70}, {0x03B1, 0x301, 0x03AC}, {0x03B1, 0x304, 0x1FB1},
    {0x03B1, 0x306, 0x1FB0}, {0x03B1, 0x313, 0x1F00}, {0x03B1, 0x314, 0x1F01}, {0x03B1, 0x342, 0x1FB6},
    {0x03B1, 0x345, 0x1FB3}, {0x03B5, 0x300, 0x1F72}, {0x03B5, 0x301, 0x03AD}, {0x03B5, 0x313, 0x1F10},
    {0x03B5, 0x314, 0x1F11}, {0x03B7, 0x300, 0x1F74}, {0x03B7, 0x301, 0x03AE}, {0x03B7, 0x313, 0x1F20},
    {0x03B7, 0x314, 0x1F21}, {0x03B7, 0x342, 0x1FC6}, {0x03B7, 0x345, 0x1FC3}, {0x03B9, 0x300, 0x1F76},
    {0x03B9, 0x301, 0x03AF}, {0x03B9, 0x304, 0x1FD1}, {0x03B9, 0x306, 0x1FD0}, {0x03B9, 0x308, 0x03CA},
    {0x03B9, 0x313, 0x1F30}, {0x03B9, 0x314, 0x1F31}, {0x03B9, 0x342, 0x1FD6}, {0x03BF, 0x300, 0x1F78},
    {0x03BF, 0x301, 0x03CC}, {0x03BF, 0x313, 0x1F40}, {0x03BF, 0x314, 0x1F41}, {0x03C1, 0x313, 0x1FE4},
    {0x03C1, 0x314, 0x1FE5}, {0x03C5, 0x300, 0x1F7A}, {0x03C5, 0x301, 0x03CD}, {0x03C5, 0x304, 0x1FE1},
    {0x03C5, 0x306, 0x1FE0}, {0x03C5, 0x308, 0x03CB}, {0x03C5, 0x313, 0x1F50}, {0x03C5, 0x314, 0x1F51},
    {0x03C5, 0x342, 0x1FE6}, {0x03C9, 0x300, 0x1F7C}, {0x03C9, 0x301, 0x03CE}, {0x03C9, 0x313, 0x1F60},
    {0x03C9, 0x314, 0x1F61}, {0x03C9, 0x342, 0x1FF6}, {0x03C9, 0x345, 0x1FF3}, {0x03CA, 0x300, 0x1FD2},
    {0x03CA, 0x301, 0x0390}, {0x03CA, 0x342, 0x1FD7}, {0x03CB, 0x300, 0x1FE2}, {0x03CB, 0x301, 0x03B0},
    {0x03CB, 0x342, 0x1FE7}, {0x03CE, 0x345, 0x1FF4}, {0x03D2, 0x301, 0x03D3}, {0x03D2, 0x308, 0x03D4},
    {0x0430, 0x306, 0x04D1}, {0x0430, 0x308, 0x04D3}, {0x0433, 0x301, 0x0453}, {0x0435, 0x300, 0x0450},
    {0x0435, 0x306, 0x04D7}, {0x0435, 0x308, 0x0451}, {0x0436, 0x306, 0x04C2}, {0x0436, 0x308, 0x04DD},
    {0x0437, 0x308, 0x04DF}, {0x0438, 0x300, 0x045D}, {0x0438, 0x304, 0x04E3}, {0x0438, 0x306, 0x0439},
    {0x0438, 0x308, 0x04E5}, {0x043A, 0x301, 0x045C}, {0x043E, 0x308, 0x04E7}, {0x0443, 0x304, 0x04EF},
    {0x0443, 0x306, 0x045E}, {0x0443, 0x308, 0x04F1}, {0x0443, 0x30B, 0x04F3}, {0x0447, 0x308, 0x04F5},
    {0x044B, 0x308, 0x04F9}, {0x044D, 0x308, 0x04ED}, {0x0456, 0x308, 0x0457}, {0x0475, 0x30F, 0x0477},
    {0x04D9, 0x308, 0x04DB}, {0x04E9, 0x308, 0x04EB}, {0x1E37, 0x304, 0x1E39}, {0x1E5B, 0x304, 0x1E5D},
    {0x1E63, 0x307, 0x1E69}, {0x1EA1, 0x302, 0x1EAD}, {0x1EA1, 0x306, 0x1EB7}, {0x1EB9, 0x302, 0x1EC7},
    {0x1ECD, 0x302, 0x1ED9}, {0x1F00, 0x300, 0x1F02}, {0x1F00, 0x301, 0x1F04}, {0x1F00, 0x342, 0x1F06},
    {0x1F00, 0x345, 0x1F80}, {0x1F01, 0x300, 0x1F03}, {0x1F01, 0x301, 0x1F05}, {0x1F01, 0x342, 0x1F07},
    {0x1F01, 0x345, 0x1F81}, {0x1F02, 0x345, 0x1F82}, {0x1F03, 0x345, 0x1F83}, {0x1F04, 0x345, 0x1F84},
    {0x1F05, 0x345, 0x1F85}, {0x1F06, 0x345, 0x1F86}, {0x1F07, 0x345, 0x1F87}, {0x1F10, 0x300, 0x1F12},
    {0x1F10, 0x301, 0x1F14}, {0x1F11, 0x300, 0x1F13}, {0x1F11, 0x301, 0x1F15}, {0x1F20, 0x300, 0x1F22},
    {0x1F20, 0x301, 0x1F24}, {0x1F20, 0x342, 0x1F26}, {0x1F20, 0x345, 0x1F90}, {0x1F21, 0x300, 0x1F23},
    {0x1F21, 0x301, 0x1F25}, {0x1F21, 0x342, 0x1F27}, {0x1F21, 0x345, 0x1F91}, {0x1F22, 0x345, 0x1F92},
    {0x1F23, 0x345, 0x1F93}, {0x1F24, 0x345, 0x1F94}, {0x1F25, 0x345, 0x1F95}, {0x1F26, 0x345, 0x1F96},
    {0x1F27, 0x345, 0x1F97}, {0x1F30, 0x300, 0x1F32}, {0x1F30, 0x301, 0x1F34}, {0x1F30, 0x342, 0x1F36},
    {0x1F31, 0x300, 0x1F33}, {0x1F31, 0x301, 0x1F35}, {0x1F31, 0x342, 0x1F37}, {0x1F40, 0x300, 0x1F42},
    {0x1F40, 0x301, 0x1F44}, {0x1F41, 0x300, 0x1F43}, {0x1F41, 0x301, 0x1F45}, {0x1F50, 0x300, 0x1F52},
    {0x1F50, 0x301, 0x1F54}, {0x1F50, 0x342, 0x1F56}, {0x1F51, 0x300, 0x1F53}, {0x1F51, 0x301, 0x1F55},
    {0x1F51, 0x342, 0x1F57}, {0x1F60, 0x300, 0x1F62}, {0x1F60, 0x301, 0x1F64}, {0x1F60, 0x342, 0x1F66},
    {0x1F60, 0x345, 0x1FA0}, {0x1F61, 0x300, 0x1F63}, {0x1F61, 0x301, 0x1F65}, {0x1F61, 0x342, 0x1F67},
    {0x1F61, 0x345, 0x1FA1}, {0x1F62, 0x345, 0x1FA2}, {0x1F63, 0x345, 0x1FA3}, {0x1F64, 0x345, 0x1FA4},
    {0x1F65, 0x345, 0x1FA5}, {0x1F66, 0x345, 0x1FA6}, {0x1F67, 0x345, 0x1FA7}, {0x1F70, 0x345, 0x1FB2},
    {0x1F74, 0x345, 0x1FC2}, {0x1F7C, 0x345, 0x1FF2}, {0x1FB6, 0x345, 0x1FB7}, {0x1FBF, 0x300, 0x1FCD},
    {0x1FBF, 0x301, 0x1FCE}, {0x1FBF, 0x342, 0x1FCF}, {0x1FC6, 0x345, 0x1FC7}, {0x1FF6, 0x345, 0x1FF7},
    {0x1FFE, 0x300, 0x1FDD}, {0x1FFE, 0x301, 0x1FDE}, {0x1FFE, 0x342, 0x1FDF},
};

/* Look-alike letters: for each, its script and its equivalent in each script (0: none). */
typedef struct la {
    uint8_t script;
    uint16_t to[3]; /* indexed by S_LAT, S_CYR, S_GRK */
} la_t;

/* Look-alike triples (Latin, Cyrillic, Greek); each member folds into the others. Capital-only
 * look-alikes (B/В, H/Н, M/М, T/Т, Y/Υ, Z/Ζ) are included: evasion writes «ПPИBAT». */
static const uint16_t la_triples[][3] = {
    {'a', 0x430, 0x3B1}, {'b', 0x432, 0x3B2}, {'c', 0x441, 0x3F2}, {'d', 0x501, 0},
    {'e', 0x435, 0x3B5}, {'h', 0x43D, 0x3B7}, {'i', 0x456, 0x3B9}, {'j', 0x458, 0x3F3},
    {'k', 0x43A, 0x3BA}, {'m', 0x43C, 0x3BC}, {'o', 0x43E, 0x3BF}, {'p', 0x440, 0x3C1},
    {'q', 0x51B, 0},     {'s', 0x455, 0},     {'t', 0x442, 0x3C4}, {'v', 0, 0x3BD},
    {'w', 0x51D, 0x3C9}, {'x', 0x445, 0x3C7}, {'y', 0x443, 0x3C5}, {'z', 0, 0x3B6},
};

#define LO_TAB 0x800u /* g_lo covers every code point of 1 or 2 UTF-8 bytes */

/* Tables, built once by norm_tables_init. */
static uint16_t g_fold[LO_END]; /* per-character mapping below LO_END (or M_MARK/M_DROP) */
static uint8_t g_cls[LO_END];   /* class of a normalized code point below LO_END */
static uint8_t g_la[LO_END];    /* index into g_latab, 0: not a look-alike */
static la_t g_latab[64];
static uint16_t g_punct[0x70];  /* mapping of U+2000..U+206F */
static uint32_t g_lo[LO_TAB];   /* mapping (bits 0-20) | class of the mapping << 24 */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static atomic_int g_ready; /* set once the tables are built (skips pthread_once after that) */

static uint32_t norm_map_hi(uint32_t cp);
static uint8_t norm_cls_hi(uint32_t cp);
static uint32_t norm_entry_hi(uint32_t cp);

/* Letter-like symbols U+2100..U+214F that are styled letters (0: kept as they are). */
static const uint16_t letterlike[0x50] = {
    [0x02] = 'c', [0x0A] = 'g', [0x0B] = 'h', [0x0C] = 'h', [0x0D] = 'h', [0x0E] = 'h',
    [0x0F] = 'h', [0x10] = 'i', [0x11] = 'i', [0x12] = 'l', [0x13] = 'l', [0x15] = 'n',
    [0x19] = 'p', [0x1A] = 'q', [0x1B] = 'r', [0x1C] = 'r', [0x1D] = 'r', [0x24] = 'z',
    [0x26] = 0x3C9, [0x28] = 'z', [0x2A] = 'k', [0x2B] = 0xE5, [0x2C] = 'b', [0x2D] = 'c',
    [0x2F] = 'e', [0x30] = 'e', [0x31] = 'f', [0x32] = 0x214E, [0x33] = 'm', [0x34] = 'o',
    [0x39] = 'i', [0x45] = 'd', [0x46] = 'd', [0x47] = 'e', [0x48] = 'i', [0x49] = 'j',
};

static void set_range(uint16_t *t, uint32_t a, uint32_t b, uint16_t v)
{
    for (uint32_t c = a; c <= b; c++)
        t[c] = v;
}

/* Case pairs where the capital is at an even (odd_upper 0) or odd (1) code point and the small
 * letter follows it, for every pair in [a, b]. */
static void fold_pairs(uint32_t a, uint32_t b, int odd_upper)
{
    for (uint32_t c = a; c <= b; c++)
        if ((c & 1u) == (uint32_t)odd_upper)
            g_fold[c] = (uint16_t)(c + 1);
}

static void cls_range(uint32_t a, uint32_t b, uint8_t v)
{
    for (uint32_t c = a; c <= b; c++)
        g_cls[c] = v;
}

static void norm_tables_init(void)
{
    for (uint32_t c = 0; c < LO_END; c++)
        g_fold[c] = (uint16_t)c;
    /* ASCII and Latin-1 */
    for (uint32_t c = 'A'; c <= 'Z'; c++)
        g_fold[c] = (uint16_t)(c + 32);
    for (uint32_t c = 0; c < 0x20; c++)
        if (c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r')
            g_fold[c] = M_DROP;
    set_range(g_fold, 0x7F, 0x9F, M_DROP);
    g_fold[0x85] = '\n';
    g_fold[0xA0] = ' ';
    g_fold[0xAD] = M_DROP;
    g_fold[0xAB] = g_fold[0xBB] = '"';
    g_fold[0xB4] = '\'';
    g_fold[0xB5] = 0x3BC;
    for (uint32_t c = 0xC0; c <= 0xDE; c++)
        if (c != 0xD7)
            g_fold[c] = (uint16_t)(c + 32);
    /* Latin Extended-A */
    fold_pairs(0x100, 0x12F, 0);
    g_fold[0x130] = 'i';
    fold_pairs(0x132, 0x137, 0);
    fold_pairs(0x139, 0x148, 1);
    fold_pairs(0x14A, 0x177, 0);
    g_fold[0x178] = 0xFF;
    fold_pairs(0x179, 0x17E, 1);
    g_fold[0x17F] = 's';
    /* Latin Extended-B: the regular pairs */
    g_fold[0x1C4] = g_fold[0x1C5] = 0x1C6;
    g_fold[0x1C7] = g_fold[0x1C8] = 0x1C9;
    g_fold[0x1CA] = g_fold[0x1CB] = 0x1CC;
    fold_pairs(0x1CD, 0x1DC, 1);
    fold_pairs(0x1DE, 0x1EF, 0);
    g_fold[0x1F1] = g_fold[0x1F2] = 0x1F3;
    g_fold[0x1F4] = 0x1F5;
    fold_pairs(0x1F8, 0x21F, 0);
    fold_pairs(0x222, 0x233, 0);
    fold_pairs(0x246, 0x24F, 0);
    g_fold[0x2BC] = '\''; /* modifier letter apostrophe (Ukrainian) */
    set_range(g_fold, 0x300, 0x36F, M_MARK);
    /* Greek */
    fold_pairs(0x370, 0x373, 0);
    g_fold[0x376] = 0x377;
    g_fold[0x37E] = ';';
    g_fold[0x37F] = 0x3F3;
    g_fold[0x386] = 0x3AC;
    g_fold[0x387] = 0xB7;
    g_fold[0x388] = 0x3AD;
    g_fold[0x389] = 0x3AE;
    g_fold[0x38A] = 0x3AF;
    g_fold[0x38C] = 0x3CC;
    g_fold[0x38E] = 0x3CD;
    g_fold[0x38F] = 0x3CE;
    for (uint32_t c = 0x391; c <= 0x3AB; c++)
        if (c != 0x3A2)
            g_fold[c] = (uint16_t)(c + 0x20);
    g_fold[0x3C2] = 0x3C3;
    g_fold[0x3CF] = 0x3D7;
    g_fold[0x3D0] = 0x3B2;
    g_fold[0x3D1] = 0x3B8;
    g_fold[0x3D5] = 0x3C6;
    g_fold[0x3D6] = 0x3C0;
    fold_pairs(0x3D8, 0x3EF, 0);
    g_fold[0x3F0] = 0x3BA;
    g_fold[0x3F1] = 0x3C1;
    g_fold[0x3F4] = 0x3B8;
    g_fold[0x3F5] = 0x3B5;
    g_fold[0x3F7] = 0x3F8;
    g_fold[0x3F9] = 0x3F2;
    g_fold[0x3FA] = 0x3FB;
    g_fold[0x3FD] = 0x37B;
    g_fold[0x3FE] = 0x37C;
    g_fold[0x3FF] = 0x37D;
    /* Cyrillic */
    for (uint32_t c = 0x400; c <= 0x40F; c++)
        g_fold[c] = (uint16_t)(c + 0x50);
    for (uint32_t c = 0x410; c <= 0x42F; c++)
        g_fold[c] = (uint16_t)(c + 0x20);
    fold_pairs(0x460, 0x481, 0);
    set_range(g_fold, 0x483, 0x489, M_MARK);
    fold_pairs(0x48A, 0x4BF, 0);
    g_fold[0x4C0] = 0x4CF;
    fold_pairs(0x4C1, 0x4CE, 1);
    fold_pairs(0x4D0, 0x52F, 0);
    g_fold[0x401] = g_fold[0x451] = 0x435; /* ё -> е */
    g_fold[0x400] = g_fold[0x450] = 0x435; /* ѐ -> е */
    g_fold[0x40D] = g_fold[0x45D] = 0x438; /* ѝ -> и */

    /* classes */
    cls_range('a', 'z', NC_LAT);
    cls_range('A', 'Z', NC_LAT);
    cls_range('0', '9', NC_DIG);
    g_cls['@'] = g_cls['$'] = NC_SYM;
    g_cls[' '] = g_cls['.'] = g_cls['-'] = g_cls['_'] = g_cls['*'] = g_cls[0xB7] = NC_SEP;
    g_cls[0xAA] = g_cls[0xBA] = NC_LAT;
    g_cls[0xB2] = g_cls[0xB3] = g_cls[0xB9] = g_cls[0xBC] = g_cls[0xBD] = g_cls[0xBE] = NC_OTH;
    cls_range(0xC0, 0x2AF, NC_LAT);
    cls_range(0x2B0, 0x2C1, NC_OTH); /* modifier letters */
    cls_range(0x2C6, 0x2D1, NC_OTH);
    cls_range(0x2E0, 0x2E4, NC_OTH);
    g_cls[0x2EC] = g_cls[0x2EE] = NC_OTH;
    g_cls[0xD7] = g_cls[0xF7] = 0;
    cls_range(0x370, 0x3FF, NC_GRK);
    g_cls[0x375] = g_cls[0x37E] = g_cls[0x384] = g_cls[0x385] = g_cls[0x387] = g_cls[0x3F6] = 0;
    cls_range(0x400, 0x52F, NC_CYR);
    cls_range(0x482, 0x489, 0);

    /* look-alikes */
    size_t nla = 1;
    for (size_t i = 0; i < sizeof la_triples / sizeof la_triples[0]; i++) {
        for (int s = 0; s < 3; s++) {
            uint16_t c = la_triples[i][s];
            if (!c)
                continue;
            g_latab[nla].script = (uint8_t)s;
            memcpy(g_latab[nla].to, la_triples[i], sizeof g_latab[nla].to);
            g_la[c] = (uint8_t)nla++;
        }
    }
    /* one-way: Cyrillic shha һ and palochka ӏ read as Latin h and l */
    g_latab[nla] = (la_t){S_CYR, {'h', 0x4BB, 0x3B7}};
    g_la[0x4BB] = (uint8_t)nla++;
    g_latab[nla] = (la_t){S_CYR, {'l', 0x4CF, 0}};
    g_la[0x4CF] = (uint8_t)nla++;

    /* General Punctuation */
    for (uint32_t c = 0; c < 0x70; c++)
        g_punct[c] = (uint16_t)(0x2000 + c);
    set_range(g_punct, 0x00, 0x0A, ' ');
    set_range(g_punct, 0x0B, 0x0F, M_DROP);
    set_range(g_punct, 0x10, 0x15, '-');
    set_range(g_punct, 0x18, 0x1B, '\'');
    set_range(g_punct, 0x1C, 0x1F, '"');
    g_punct[0x28] = g_punct[0x29] = '\n';
    set_range(g_punct, 0x2A, 0x2E, M_DROP);
    g_punct[0x2F] = ' ';
    g_punct[0x32] = g_punct[0x35] = g_punct[0x39] = g_punct[0x3A] = '\'';
    g_punct[0x33] = g_punct[0x36] = '"';
    g_punct[0x43] = '-';
    g_punct[0x5F] = ' ';
    set_range(g_punct, 0x60, 0x64, M_DROP);
    set_range(g_punct, 0x66, 0x6F, M_DROP);

    for (uint32_t c = 0; c < LO_TAB; c++)
        g_lo[c] = norm_entry_hi(c);
    atomic_store_explicit(&g_ready, 1, memory_order_release);
}

static inline void norm_tables(void)
{
    if (!atomic_load_explicit(&g_ready, memory_order_acquire))
        pthread_once(&g_once, norm_tables_init);
}

static inline uint32_t fold_ascii(uint32_t c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Cyrillic Extended-C U+1C80..U+1C88 (old variant shapes) -> the ordinary letters. */
static const uint16_t cyr_ext_c[9] = {0x432, 0x434, 0x43E, 0x441, 0x442, 0x442, 0x44A, 0x463, 0xA64B};

/* The per-character mapping of cp >= LO_END: a code point, M_MARK or M_DROP. */
static uint32_t norm_map_hi(uint32_t cp)
{
    if (cp < 0x1E00) {
        if (cp >= 0x531 && cp <= 0x556) /* Armenian capitals */
            return cp + 0x30;
        if (cp >= 0x1C80 && cp <= 0x1C88) /* Cyrillic Extended-C: variant shapes */
            return cyr_ext_c[cp - 0x1C80];
        if (cp == 0x1680)
            return ' ';
        if (cp == 0x180E || cp == 0x61C)
            return M_DROP;
        if ((cp >= 0x1AB0 && cp < 0x1B00) || cp >= 0x1DC0)
            return M_MARK;
        return cp;
    }
    if (cp < 0x1F00) { /* Latin Extended Additional */
        if (cp == 0x1E9E)
            return 0xDF;
        if (cp == 0x1E9B)
            return 0x1E61;
        if ((cp <= 0x1E95 || cp >= 0x1EA0) && !(cp & 1u))
            return cp + 1;
        return cp;
    }
    if (cp < 0x2000) { /* Greek Extended: capitals are 8 after their small letters */
        uint32_t lo = cp & 0xF, blk = cp & 0xFFF0;
        if (lo >= 8 && (blk <= 0x1F40 || blk == 0x1F60 || (blk >= 0x1F80 && blk <= 0x1FA0)))
            return cp - 8;
        if (blk == 0x1F50 && lo >= 8 && (lo & 1))
            return cp - 8;
        return cp;
    }
    if (cp < 0x2070)
        return g_punct[cp - 0x2000];
    if (cp < 0x2100)
        return cp >= 0x20D0 ? M_MARK : cp;
    if (cp < 0x2150)
        return letterlike[cp - 0x2100] ? letterlike[cp - 0x2100] : cp;
    if (cp == 0x2212)
        return '-';
    if (cp >= 0x24B6 && cp <= 0x24E9)
        return 'a' + (cp - 0x24B6) % 26;
    if (cp >= 0x2DE0 && cp < 0x2E00)
        return M_MARK;
    if (cp == 0x3000)
        return ' ';
    if (cp < 0xFE00) {
        if ((cp >= 0xA640 && cp <= 0xA66D) || (cp >= 0xA680 && cp <= 0xA69B)) /* Cyrillic Ext-B */
            return cp & 1u ? cp : cp + 1;
        return cp;
    }
    if (cp < 0xFE10 || (cp >= 0xFE20 && cp < 0xFE30))
        return M_MARK;
    if (cp == 0xFEFF)
        return M_DROP;
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return fold_ascii(cp - 0xFEE0);
    if (cp == 0xFFFE || cp == 0xFFFF)
        return 0xFFFD;
    if (cp >= 0x1D400 && cp < 0x1D6A4) {
        uint32_t k = (cp - 0x1D400) % 52;
        return 'a' + (k < 26 ? k : k - 26);
    }
    if (cp >= 0x1D7CE && cp < 0x1D800)
        return '0' + (cp - 0x1D7CE) % 10;
    if ((cp >= 0xE0000 && cp < 0xE0080) || (cp >= 0xE0100 && cp < 0xE01F0))
        return M_MARK;
    return cp;
}

/* The class of a normalized code point >= LO_END (an approximation of Unicode's letters and
 * digits: whole blocks of letters, minus the common punctuation inside them). */
static uint8_t norm_cls_hi(uint32_t cp)
{
    if (cp < 0x1E00) {
        if ((cp >= 0x55A && cp <= 0x55F) || cp == 0x589 || cp == 0x58A || cp == 0x5BE ||
            cp == 0x5C0 || cp == 0x5C3 || cp == 0x5C6 || cp == 0x5F3 || cp == 0x5F4 ||
            (cp >= 0x600 && cp <= 0x60F) || (cp >= 0x61B && cp <= 0x61F) ||
            (cp >= 0x66A && cp <= 0x66D) || cp == 0x6D4 || cp == 0x964 || cp == 0x965 ||
            cp == 0x970 || cp == 0xE3F || cp == 0xE4F || cp == 0xE5A || cp == 0xE5B ||
            cp == 0x10FB || cp == 0x1680 || (cp >= 0x1800 && cp <= 0x180A))
            return 0;
        return NC_OTH;
    }
    if (cp < 0x1F00)
        return NC_LAT;
    if (cp < 0x2000) {
        if (cp == 0x1FBD || (cp >= 0x1FBF && cp <= 0x1FC1) || (cp >= 0x1FCD && cp <= 0x1FCF) ||
            (cp >= 0x1FDD && cp <= 0x1FDF) || (cp >= 0x1FED && cp <= 0x1FEF) || cp >= 0x1FFD)
            return 0;
        return NC_GRK;
    }
    if (cp < 0x2C00)
        return cp == 0x214E ? NC_LAT : (cp >= 0x2160 && cp <= 0x2188) ? NC_OTH : 0;
    if (cp < 0x2E00) {
        if (cp >= 0x2C60 && cp < 0x2C80)
            return NC_LAT;
        if (cp >= 0x2CF9 && cp <= 0x2CFF)
            return 0;
        return NC_OTH;
    }
    if (cp < 0x2E80)
        return 0;
    if (cp < 0x3000)
        return NC_OTH;
    if (cp < 0x3040)
        return cp >= 0x3005 && cp <= 0x3007 ? NC_OTH : 0;
    if (cp < 0xD800) {
        if (cp >= 0xA640 && cp < 0xA6A0)
            return NC_CYR;
        if (cp >= 0xA720 && cp < 0xA800)
            return NC_LAT;
        if (cp == 0x30A0 || cp == 0x30FB || (cp >= 0x4DC0 && cp < 0x4E00))
            return 0;
        return NC_OTH;
    }
    if (cp < 0xF900)
        return 0;
    if (cp < 0xFB00)
        return NC_OTH;
    if (cp < 0xFB07)
        return NC_LAT;
    if (cp < 0xFE00)
        return cp == 0xFD3E || cp == 0xFD3F ? 0 : NC_OTH;
    if (cp < 0xFE70)
        return 0;
    if (cp < 0xFF00)
        return cp == 0xFEFF ? 0 : NC_OTH;
    if (cp < 0x10000)
        return cp >= 0xFF66 && cp <= 0xFFDC ? NC_OTH : 0;
    if (cp < 0x1D000)
        return NC_OTH;
    if (cp < 0x1D400)
        return 0;
    if (cp < 0x1D800)
        return NC_OTH;
    if (cp < 0x1E000)
        return 0;
    if (cp < 0x1F000)
        return NC_OTH;
    if (cp < 0x20000)
        return 0;
    if (cp < 0x40000)
        return NC_OTH;
    return 0;
}

/* The table entry of any code point: its mapping | the class of the mapping << 24. */
static uint32_t norm_entry_hi(uint32_t cp)
{
    uint32_t m = cp < LO_END ? g_fold[cp] : norm_map_hi(cp);
    if (M_SPECIAL(m))
        return m;
    return m | (uint32_t)(m < LO_END ? g_cls[m] : norm_cls_hi(m)) << 24;
}

static inline uint8_t norm_cls(uint32_t cp)
{
    return cp < LO_END ? g_cls[cp] : norm_cls_hi(cp);
}

static inline const la_t *norm_la(uint32_t cp)
{
    return cp < LO_END && g_la[cp] ? &g_latab[g_la[cp]] : NULL;
}

static inline int norm_script(uint8_t cls)
{
    return cls & NC_LAT ? S_LAT : cls & NC_CYR ? S_CYR : S_GRK;
}

/* The precomposed form of base + mark, folded (ё -> е), or 0 if there is none. */
static uint32_t norm_compose(uint32_t base, uint32_t mark)
{
    if (mark < 0x300 || mark > 0x36F || base > 0xFFFF)
        return 0;
    uint32_t key = base << 16 | mark;
    size_t lo = 0, hi = sizeof compose_tab / sizeof compose_tab[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint32_t k = (uint32_t)compose_tab[mid].base << 16 | compose_tab[mid].mark;
        if (k == key) {
            uint32_t c = compose_tab[mid].cp;
            return c < LO_END ? g_fold[c] : norm_map_hi(c);
        }
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The script look-alikes of a mixed word fold into (see bp_norm_opts_t.fold_lookalikes). */
static int la_target(const int cnt[3], const int non[3])
{
    int any_non = non[S_LAT] || non[S_CYR] || non[S_GRK];
    static const int order_non[3] = {S_CYR, S_LAT, S_GRK}, order_all[3] = {S_LAT, S_CYR, S_GRK};
    const int *order = any_non ? order_non : order_all;
    int best = -1;
    for (int j = 0; j < 3; j++) {
        int s = order[j];
        if (!(any_non ? non[s] : cnt[s]))
            continue;
        if (best < 0 || cnt[s] > cnt[best])
            best = s;
    }
    return best;
}

static int cyr_consonant(uint32_t cp)
{
    if (cp < 0x430 || cp > 0x45F || !(g_cls[cp] & NC_CYR))
        return 0;
    switch (cp) {
    case 0x430: case 0x435: case 0x438: case 0x43E: case 0x443: case 0x44A: case 0x44B:
    case 0x44C: case 0x44D: case 0x44E: case 0x44F: case 0x451: case 0x454: case 0x456:
    case 0x457:
        return 0; /* а е и о у ъ ы ь э ю я ё є і ї */
    default:
        return 1;
    }
}

/* The letter digit/symbol cp stands for in a word of script s, between prev and next (0 at
 * the word's edge); 0 if it stands for none. */
static uint32_t digit_letter(int s, uint32_t cp, uint32_t prev, uint32_t next)
{
    if (s == S_LAT) {
        switch (cp) {
        case '0': return 'o';
        case '1': return 'i';
        case '3': return 'e';
        case '4': return 'a';
        case '5': return 's';
        case '6': return 'b';
        case '7': return 't';
        case '@': return 'a';
        case '$': return 's';
        default: return 0;
        }
    }
    switch (cp) {
    case '0': return 0x43E;
    case '1': return 0x438;
    case '3': return 0x437;
    case '4': return cyr_consonant(prev) && cyr_consonant(next) ? 0x430 : 0x447;
    case '6': return 0x431;
    case '@': return 0x430;
    case '$': return 0x441;
    default: return 0;
    }
}

/* Maps the run w[a..b) of digits/symbols to letters of script s if every one of them stands
 * for a letter (returns 1); else leaves it (returns 0). */
static int norm_digit_run(nch_t *w, size_t n, size_t a, size_t b, int s)
{
    uint32_t tmp[16];
    if (b - a > sizeof tmp / sizeof tmp[0])
        return 0;
    for (size_t j = a; j < b; j++) {
        uint32_t prev = j == 0 ? 0 : j > a ? tmp[j - a - 1] : w[j - 1].cp;
        uint32_t next = j + 1 < n ? w[j + 1].cp : 0;
        tmp[j - a] = digit_letter(s, w[j].cp, prev, next);
        if (!tmp[j - a])
            return 0;
    }
    for (size_t j = a; j < b; j++)
        w[j].cp = tmp[j - a];
    return 1;
}

/* Digits (and '@' '$') as letters in the word w[0..n) whose letters are all of script s:
 * first the runs between two letters, then a single leading digit if 3+ letters follow it. */
static void norm_digits(nch_t *w, size_t n, int s)
{
    size_t i = 0;
    while (i < n) {
        if (!(norm_cls(w[i].cp) & (NC_DIG | NC_SYM))) {
            i++;
            continue;
        }
        size_t a = i;
        while (i < n && (norm_cls(w[i].cp) & (NC_DIG | NC_SYM)))
            i++;
        if (a > 0 && i < n)
            norm_digit_run(w, n, a, i, s);
    }
    if (n >= 4 && (norm_cls(w[0].cp) & NC_DIG) && (norm_cls(w[1].cp) & NC_LCG) &&
        (norm_cls(w[2].cp) & NC_LCG) && (norm_cls(w[3].cp) & NC_LCG))
        norm_digit_run(w, n, 0, 1, s);
}

/* Collapses every run of 3+ identical letters in w[0..n) to one letter that covers the
 * run's original bytes; returns the new length. */
static size_t norm_collapse(nch_t *w, size_t n)
{
    size_t r = 0, o = 0;
    while (r < n) {
        size_t k = r + 1;
        if (norm_cls(w[r].cp) & NC_LCG)
            while (k < n && w[k].cp == w[r].cp)
                k++;
        if (k - r >= 3) {
            w[o] = w[r];
            w[o].oe = w[k - 1].oe;
            o++;
            r = k;
        } else {
            while (r < k)
                w[o++] = w[r++];
        }
    }
    return o;
}

/* One round of the word steps (look-alikes, digits, repeats) on the word w[0..n); returns its
 * new length and sets *again if another round could change more. */
static size_t norm_word_once(nch_t *w, size_t n, const bp_norm_opts_t *o, int *again)
{
    int cnt[3] = {0, 0, 0}, non[3] = {0, 0, 0}, syms = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = norm_cls(w[i].cp);
        if (c & NC_LCG) {
            int s = norm_script(c);
            cnt[s]++;
            if (!norm_la(w[i].cp))
                non[s]++;
        } else if (c & (NC_DIG | NC_SYM)) {
            syms++;
        }
    }
    int nscripts = (cnt[0] > 0) + (cnt[1] > 0) + (cnt[2] > 0);
    int mixed = nscripts > 1 && o->fold_lookalikes;
    int script = cnt[S_LAT] ? S_LAT : cnt[S_CYR] ? S_CYR : S_GRK;
    if (nscripts > 1 && o->fold_lookalikes) {
        int t = la_target(cnt, non), left[3] = {0, 0, 0};
        for (size_t i = 0; i < n; i++) {
            uint8_t c = norm_cls(w[i].cp);
            if (!(c & NC_LCG))
                continue;
            int s = norm_script(c);
            const la_t *l = norm_la(w[i].cp);
            if (s != t && l && l->to[t]) {
                w[i].cp = l->to[t];
                s = t;
            }
            left[s] = 1;
        }
        nscripts = left[0] + left[1] + left[2];
        script = t;
    }
    if (o->digits_as_letters && syms && nscripts == 1 && script != S_GRK)
        norm_digits(w, n, script);
    if (o->collapse_repeats) {
        size_t m = norm_collapse(w, n);
        /* fewer letters may tip a mixed word's majority: another round then */
        *again = m != n && mixed;
        n = m;
    }
    return n;
}

/* The word steps on the word w[0..n); returns its new length. One round is stable unless
 * collapsing repeats shortened a word that mixes scripts: fewer letters can change which script
 * its look-alikes belong to, so it gets more rounds until a round changes nothing (in practice
 * two or three; the cap only bounds the work a crafted word can cause). */
static size_t norm_word(nch_t *w, size_t n, const bp_norm_opts_t *o)
{
    int again = 1;
    for (int round = 0; again && round < 16; round++) {
        again = 0;
        n = norm_word_once(w, n, o, &again);
    }
    return n;
}

/* 1 if w[j] is a letter standing alone: no word character right before or after it. */
static int norm_single(const nch_t *w, size_t n, size_t j, uint8_t tok)
{
    return (norm_cls(w[j].cp) & NC_LCG) && (j == 0 || !(norm_cls(w[j - 1].cp) & tok)) &&
           (j + 1 >= n || !(norm_cls(w[j + 1].cp) & tok));
}

/* 1 if cp (case-folded) is a letter that stands alone as a word in Russian, Ukrainian or
 * English («а», «в», «и», «к», «о», «с», «у», «я», «з», «і», "a", "i"): a run made only of such
 * letters is ordinary text («ну а я в к сожалению»), not a spaced-out word. */
static int norm_standalone_letter(uint32_t cp)
{
    switch (cp) {
    case 0x430: case 0x432: case 0x436: case 0x437: case 0x438: case 0x439: case 0x43A:
    case 0x43E: case 0x441: case 0x443: case 0x44F: case 0x456: case 'a': case 'i': case 'o':
        return 1;
    default:
        return 0;
    }
}

/* Joins runs of 4+ spaced-out single letters in w[0..n), unless every letter of the run can be
 * a word by itself; returns the new length. */
static size_t norm_join(nch_t *w, size_t n, const bp_norm_opts_t *o, uint8_t tok)
{
    size_t r = 0, out = 0;
    while (r < n) {
        if (!norm_single(w, n, r, tok)) {
            w[out++] = w[r++];
            continue;
        }
        size_t e = r, cnt = 1;
        int word_like = !norm_standalone_letter(w[r].cp);
        while (e + 2 < n && (norm_cls(w[e + 1].cp) & NC_SEP) && norm_single(w, n, e + 2, tok)) {
            e += 2;
            cnt++;
            word_like |= !norm_standalone_letter(w[e].cp);
        }
        if (cnt >= 4 && word_like) {
            size_t ws = out;
            for (size_t j = r; j <= e; j += 2)
                w[out++] = w[j];
            out = ws + norm_word(w + ws, out - ws, o);
        } else {
            for (size_t j = r; j <= e; j++)
                w[out++] = w[j];
        }
        r = e + 1;
    }
    return out;
}

/* The capacity to grow a buffer of cap elements to so that it holds need. */
static size_t norm_newcap(size_t cap, size_t need)
{
    size_t nc = cap * 2 > need ? cap * 2 : need;
    return nc < 256 ? 256 : nc;
}

/* Makes n->work hold need code points. Returns 0 or -1. */
static int norm_grow_work(bp_norm_t *n, size_t need)
{
    if (need <= n->work_cap)
        return 0;
    size_t nc = norm_newcap(n->work_cap, need);
    nch_t *w = realloc(n->work, nc * sizeof *w);
    if (!w)
        return -1;
    n->work = w;
    n->work_cap = nc;
    return 0;
}

/* Makes n->text, n->map and n->map_end hold need bytes / entries. Returns 0 or -1. */
static int norm_grow_out(bp_norm_t *n, size_t need)
{
    if (need <= n->cap)
        return 0;
    size_t nc = norm_newcap(n->cap, need);
    char *t = realloc(n->text, nc);
    if (!t)
        return -1;
    n->text = t;
    uint32_t *m = realloc(n->map, nc * sizeof *m);
    if (!m)
        return -1;
    n->map = m;
    m = realloc(n->map_end, nc * sizeof *m);
    if (!m)
        return -1;
    n->map_end = m;
    n->cap = nc;
    return 0;
}

void bp_norm_opts_default(bp_norm_opts_t *o)
{
    o->fold_lookalikes = 1;
    o->collapse_repeats = 1;
    o->join_spaced = 1;
    o->digits_as_letters = 0;
}

void bp_norm_init(bp_norm_t *n)
{
    memset(n, 0, sizeof *n);
}

void bp_norm_free(bp_norm_t *n)
{
    if (!n)
        return;
    free(n->text);
    free(n->map);
    free(n->map_end);
    free(n->work);
    bp_norm_init(n);
}

static int norm_fail(bp_norm_t *n)
{
    n->len = 0;
    n->upper = n->lower = 0;
    if (n->text && n->cap) {
        n->text[0] = '\0';
        n->map[0] = n->map_end[0] = 0;
    }
    return -1;
}

#define W_IN 0x100u   /* inside a word */
#define W_FULL 0x200u /* the word needs the full word steps (repeats, a composed letter) */

/* Decodes the (valid) UTF-8 code point at t[*p] of the normalized text, advancing *p. */
static inline uint32_t norm_dec(const unsigned char *t, size_t *p)
{
    uint32_t c = t[*p];
    if (c < 0x80) {
        *p += 1;
        return c;
    }
    if (c < 0xE0) {
        c = (c & 0x1Fu) << 6 | (t[*p + 1] & 0x3Fu);
        *p += 2;
        return c;
    }
    if (c < 0xF0) {
        c = (c & 0x0Fu) << 12 | (t[*p + 1] & 0x3Fu) << 6 | (t[*p + 2] & 0x3Fu);
        *p += 3;
        return c;
    }
    c = (c & 0x07u) << 18 | (t[*p + 1] & 0x3Fu) << 12 | (t[*p + 2] & 0x3Fu) << 6 |
        (t[*p + 3] & 0x3Fu);
    *p += 4;
    return c;
}

/* Encodes cp at t[p] with the original span [os, oe) in the maps; returns the bytes written. */
static inline size_t norm_put(unsigned char *t, uint32_t *mp, uint32_t *me, size_t p, uint32_t cp,
                              uint32_t os, uint32_t oe)
{
    if (cp < 0x80) {
        t[p] = (unsigned char)cp;
        mp[p] = os;
        me[p] = oe;
        return 1;
    }
    if (cp < 0x800) {
        t[p] = (unsigned char)(0xC0 | (cp >> 6));
        t[p + 1] = (unsigned char)(0x80 | (cp & 0x3F));
        mp[p] = mp[p + 1] = os;
        me[p] = me[p + 1] = oe;
        return 2;
    }
    size_t l = (size_t)bp_utf8_encode(cp, (char *)t + p);
    for (size_t b = 0; b < l; b++) {
        mp[p + b] = os;
        me[p + b] = oe;
    }
    return l;
}

/* Re-runs the code points of the normalized bytes [a, b) through f (a word step or the join),
 * writing the result back from byte a. Returns the new end, or SIZE_MAX if out of memory. */
static size_t norm_redo(bp_norm_t *n, size_t a, size_t b, const bp_norm_opts_t *o,
                        size_t (*f)(nch_t *, size_t, const bp_norm_opts_t *), size_t *ncp)
{
    if (norm_grow_work(n, b - a + 1) < 0)
        return SIZE_MAX;
    nch_t *w = n->work;
    const unsigned char *t = (const unsigned char *)n->text;
    size_t k = 0;
    for (size_t q = a; q < b;) {
        w[k].os = n->map[q];
        w[k].oe = n->map_end[q];
        w[k].cp = norm_dec(t, &q);
        k++;
    }
    k = f(w, k, o);
    if (norm_grow_out(n, a + 4 * k + 5) < 0)
        return SIZE_MAX;
    size_t p = a;
    for (size_t j = 0; j < k; j++)
        p += norm_put((unsigned char *)n->text, n->map, n->map_end, p, w[j].cp, w[j].os, w[j].oe);
    *ncp = k;
    return p;
}

static size_t norm_join_all(nch_t *w, size_t k, const bp_norm_opts_t *o)
{
    return norm_join(w, k, o, (uint8_t)(NC_WORD | (o->digits_as_letters ? NC_SYM : 0)));
}

/* Joins the spaced-out letters in the normalized bytes [from, to) of [0, p) (both ends of the
 * region are single letters next to non-word characters, so the region can be joined alone).
 * Returns the new length of the text, or SIZE_MAX if out of memory. */
static size_t norm_join_region(bp_norm_t *n, size_t from, size_t to, size_t p,
                               const bp_norm_opts_t *o)
{
    if (norm_grow_work(n, to - from + 1) < 0)
        return SIZE_MAX;
    nch_t *w = n->work;
    size_t k = 0, nb = 0;
    for (size_t q = from; q < to;) {
        w[k].os = n->map[q];
        w[k].oe = n->map_end[q];
        w[k].cp = norm_dec((const unsigned char *)n->text, &q);
        k++;
    }
    k = norm_join_all(w, k, o);
    for (size_t j = 0; j < k; j++)
        nb += 1 + (w[j].cp >= 0x80) + (w[j].cp >= 0x800) + (w[j].cp >= 0x10000);
    if (nb > to - from) { /* cannot happen (joining drops more than folding adds); be safe */
        size_t ncp;
        return norm_redo(n, from, p, o, norm_join_all, &ncp);
    }
    size_t e = from;
    for (size_t j = 0; j < k; j++)
        e += norm_put((unsigned char *)n->text, n->map, n->map_end, e, w[j].cp, w[j].os, w[j].oe);
    memmove(n->text + e, n->text + to, p - to);
    memmove(n->map + e, n->map + to, (p - to) * sizeof *n->map);
    memmove(n->map_end + e, n->map_end + to, (p - to) * sizeof *n->map_end);
    return p - (to - e);
}

/* Spaced-out letters seen so far: non-word characters since the last word and the class of the
 * last one, whether the current word follows exactly one separator, single letters in a row. */
typedef struct join_st {
    size_t gap, run;
    unsigned gapcls;
    int wsep, prev_single, need;
    size_t run_start;       /* where the current run of single letters starts */
    size_t from, to;        /* the bytes from the first long run's start to the last one's end */
} join_st_t;

/* The word [wb, p) of wn code points (class bits and flags wst) just ended: runs the word steps
 * if needs_steps and notes single letters for joining. Returns the new end of the normalized
 * text, or SIZE_MAX if out of memory. */
static size_t norm_word_done(bp_norm_t *n, size_t wb, size_t p, size_t wn, int needs_steps,
                             const bp_norm_opts_t *o, join_st_t *js)
{
    if (needs_steps) {
        p = norm_redo(n, wb, p, o, norm_word, &wn);
        if (p == SIZE_MAX)
            return p;
    }
    if (o->join_spaced) {
        size_t q = wb;
        if (wn == 1 && (norm_cls(norm_dec((const unsigned char *)n->text, &q)) & NC_LCG)) {
            js->run = js->prev_single && js->wsep ? js->run + 1 : 1;
            if (js->run == 1)
                js->run_start = wb;
            if (js->run >= 4) {
                if (!js->need)
                    js->from = js->run_start;
                js->need = 1;
                js->to = p;
            }
            js->prev_single = 1;
        } else {
            js->run = 0;
            js->prev_single = 0;
        }
    }
    return p;
}

#define NORM_CHUNK ((size_t)1 << 16) /* input bytes between output capacity checks */

/* Where norm_run is between two characters. */
typedef struct nrun {
    size_t i, p;          /* next input byte, next output byte */
    size_t wb, wn;        /* the current word starts at output byte wb and has wn code points
                           * (a fast block counts 2 for two or more: only wn == 1 matters) */
    size_t lastb;         /* where the last character written starts */
    unsigned wst;         /* the current word's class bits | W_IN | W_FULL */
    uint32_t c1, c2;      /* its last two code points (0xFFFFFFFF: none) */
    int c12_stale;        /* c1 and c2 are to be read back from the text (a fast block wrote it) */
    size_t upper, lower;  /* for n->upper, n->lower */
} nrun_t;

/* The last two code points of the word that starts at wb in t[0..p) (0xFFFFFFFF where there are
 * fewer): what c1 and c2 would be had every character of it gone through the general step. */
static void norm_last2(const unsigned char *t, size_t wb, size_t p, uint32_t *c1, uint32_t *c2)
{
    uint32_t c[2] = {0xFFFFFFFFu, 0xFFFFFFFFu};
    for (int k = 0; k < 2 && p > wb; k++) {
        size_t q = p - 1;
        while (q > wb && (t[q] & 0xC0) == 0x80)
            q--;
        size_t r = q;
        c[k] = norm_dec(t, &r);
        p = q;
    }
    *c1 = c[0];
    *c2 = c[1];
}

/* Fast blocks. Most of a post is small ASCII letters, spaces, ASCII punctuation and small
 * Cyrillic letters: а-я and ђ..џ (two bytes: D0 B0..BF, D1 80..9F), but for ѐ and ѝ (D1 90,
 * D1 9D). Every one of them maps to itself (A-Z to a-z, ё to е) in as many bytes, so over a
 * run of them the output is the input with A-Z and ё folded, and the maps are the input
 * offsets: map = the character's first byte, map_end = just after its last. A block looks at
 * NB_LEN bytes (16 at a time with SSE2) and takes up to NB_LEN - 1 of them; the word
 * bookkeeping of the general step (classes, repeats, single letters, the join state) is done
 * on bit masks for the whole block. Anything else (other characters, a word end that needs the
 * word steps or may join spaced-out letters) goes through the general step. */

#define NB_LEN 64u    /* input bytes a block looks at (it takes at most NB_LEN - 1) */
#define NB_SLACK 64u  /* output bytes (and map entries) a block may write past what it keeps */

typedef uint64_t nbm_t; /* a mask over a block's bytes: bit k = byte k */

/* The masks of one block of NB_LEN input bytes. Bytes past the first one that is not simple
 * may be left out of every mask. */
typedef struct nblk {
    nbm_t simple; /* plain ASCII (0x20..0x7E, \n) and small Cyrillic pairs (a pair's first
                   * byte counts if its second is the byte after the block) */
    nbm_t lead;   /* first bytes of small Cyrillic pairs */
    nbm_t let;    /* ASCII letters */
    nbm_t up;     /* A-Z */
    nbm_t dig;    /* 0-9 */
    nbm_t sym;    /* '@' '$' */
    nbm_t e1, e2; /* (SSE2) the output byte equals the one 1 (e1) or 2 (e2) before it */
    nbm_t trip;   /* the output byte here is (ASCII) or starts (Cyrillic) a letter equal to
                   * the two before it (norm_fast makes it from e1 and e2 after SSE2) */
} nblk_t;

/* Portable C for one block: reads x[0..NB_LEN] (the byte after the block tells a cut pair) and
 * the 16 output bytes before t (before[0..16)); writes the output and maps of the simple bytes
 * from x[0] on (t, mp, me from index 0, at most NB_LEN entries) and their masks (trip, not e1
 * and e2), stopping at the first byte that is not simple or at a pair cut by the block's end.
 * The reference for the SSE2 version: both give the same output and masks over the bytes the
 * caller keeps. */
static void nb_portable(const unsigned char *x, const unsigned char *before, unsigned char *t,
                        uint32_t *mp, uint32_t *me, uint32_t i, nblk_t *b)
{
    nbm_t lead = 0, let = 0, up = 0, dig = 0, sym = 0, trip = 0;
    /* the last four output bytes, the latest lowest */
    uint32_t last = (uint32_t)before[12] << 24 | (uint32_t)before[13] << 16 |
                    (uint32_t)before[14] << 8 | before[15];
    unsigned k = 0;
    while (k < NB_LEN) {
        unsigned c = x[k];
        nbm_t bit = (nbm_t)1 << k;
        if (c < 0x80) {
            unsigned cl = g_lo[c] >> 24; /* the class of c folded */
            if (c - 0x20u > 0x5Eu && c != '\n')
                break;
            if (cl & NC_LAT) {
                let |= bit;
                if (c <= 'Z') {
                    up |= bit;
                    c |= 0x20u;
                }
            } else if (cl & (NC_DIG | NC_SYM)) {
                dig |= cl & NC_DIG ? bit : 0;
                sym |= cl & NC_SYM ? bit : 0;
            }
            if ((last & 0xFFFFu) == c * 0x0101u)
                trip |= bit;
            last = last << 8 | c;
            t[k] = (unsigned char)c;
            mp[k] = i + k;
            me[k] = i + k + 1;
            k++;
        } else {
            unsigned nx = x[k + 1];
            if (k + 1 == NB_LEN)
                break;
            if (c == 0xD0) {
                if ((nx & 0xF0u) != 0xB0)
                    break;
            } else if (c == 0xD1) {
                if ((nx & 0xE0u) != 0x80 || nx == 0x90 || nx == 0x9D)
                    break;
                if (nx == 0x91) { /* ё -> е */
                    c = 0xD0;
                    nx = 0xB5;
                }
            } else {
                break;
            }
            lead |= bit;
            uint32_t pair = c << 8 | nx;
            if (last == pair * 0x00010001u)
                trip |= bit;
            last = last << 16 | pair;
            t[k] = (unsigned char)c;
            t[k + 1] = (unsigned char)nx;
            mp[k] = mp[k + 1] = i + k;
            me[k] = me[k + 1] = i + k + 2;
            k += 2;
        }
    }
    b->simple = k < 64 ? ((nbm_t)1 << k) - 1 : ~(nbm_t)0;
    b->lead = lead;
    b->let = let;
    b->up = up;
    b->dig = dig;
    b->sym = sym;
    b->trip = trip;
}

#ifdef __SSE2__
/* 0xFF in the bytes of v in [lo, lo + n] (unsigned), else 0. */
static inline __attribute__((always_inline)) __m128i nb_in(__m128i v, int lo, int n)
{
    return _mm_cmpeq_epi8(_mm_subs_epu8(_mm_sub_epi8(v, _mm_set1_epi8((char)lo)),
                                        _mm_set1_epi8((char)n)),
                          _mm_setzero_si128());
}

/* Sixteen map entries: i plus the byte offsets d (map) and e (map_end). */
static inline __attribute__((always_inline)) void nb_maps16(uint32_t *mp, uint32_t *me,
                                                            __m128i d, __m128i e, uint32_t i)
{
    const __m128i z = _mm_setzero_si128(), base = _mm_set1_epi32((int)i);
    __m128i dl = _mm_unpacklo_epi8(d, z), dh = _mm_unpackhi_epi8(d, z);
    __m128i el = _mm_unpacklo_epi8(e, z), eh = _mm_unpackhi_epi8(e, z);
    _mm_storeu_si128((__m128i *)mp, _mm_add_epi32(base, _mm_unpacklo_epi16(dl, z)));
    _mm_storeu_si128((__m128i *)(mp + 4), _mm_add_epi32(base, _mm_unpackhi_epi16(dl, z)));
    _mm_storeu_si128((__m128i *)(mp + 8), _mm_add_epi32(base, _mm_unpacklo_epi16(dh, z)));
    _mm_storeu_si128((__m128i *)(mp + 12), _mm_add_epi32(base, _mm_unpackhi_epi16(dh, z)));
    _mm_storeu_si128((__m128i *)me, _mm_add_epi32(base, _mm_unpacklo_epi16(el, z)));
    _mm_storeu_si128((__m128i *)(me + 4), _mm_add_epi32(base, _mm_unpackhi_epi16(el, z)));
    _mm_storeu_si128((__m128i *)(me + 8), _mm_add_epi32(base, _mm_unpacklo_epi16(eh, z)));
    _mm_storeu_si128((__m128i *)(me + 12), _mm_add_epi32(base, _mm_unpackhi_epi16(eh, z)));
}

/* nb_portable with SSE2, 16 bytes at a time; stops after the 16 that hold a byte that is not
 * simple (the masks are 0 past them). */
static inline __attribute__((always_inline)) void nb_sse2(const unsigned char *x,
                                                          const unsigned char *before,
                                                          unsigned char *t, uint32_t *mp,
                                                          uint32_t *me, uint32_t i, nblk_t *b,
                                                          int need_sym)
{
    const __m128i iota = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m128i prevf = _mm_loadu_si128((const __m128i *)before), prevl = _mm_setzero_si128();
    __m128i prevyo = _mm_setzero_si128();
    nbm_t simple = 0, lead = 0, let = 0, up = 0, dig = 0, sym = 0, e1 = 0, e2 = 0;
#pragma GCC unroll 4
    for (unsigned j = 0; j < NB_LEN / 16; j++) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(x + 16 * j));
        const __m128i nx = _mm_loadu_si128((const __m128i *)(x + 16 * j + 1));
        const __m128i d1 = _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xD1));
        /* D0 B0..BF; D1 80..9F but 90 and 9D; ё (D1 91) */
        __m128i l0 = _mm_and_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xD0)),
                                   _mm_cmpeq_epi8(_mm_and_si128(nx, _mm_set1_epi8((char)0xF0)),
                                                  _mm_set1_epi8((char)0xB0)));
        __m128i l1 = _mm_andnot_si128(
            _mm_or_si128(_mm_cmpeq_epi8(nx, _mm_set1_epi8((char)0x90)),
                         _mm_cmpeq_epi8(nx, _mm_set1_epi8((char)0x9D))),
            _mm_and_si128(d1, _mm_cmpeq_epi8(_mm_and_si128(nx, _mm_set1_epi8((char)0xE0)),
                                             _mm_set1_epi8((char)0x80))));
        __m128i yo = _mm_and_si128(d1, _mm_cmpeq_epi8(nx, _mm_set1_epi8((char)0x91)));
        __m128i l = _mm_or_si128(l0, l1);
        __m128i cv = _mm_or_si128(_mm_slli_si128(l, 1), _mm_srli_si128(prevl, 15));
        __m128i yoc = _mm_or_si128(_mm_slli_si128(yo, 1), _mm_srli_si128(prevyo, 15));
        __m128i asc = _mm_or_si128(nb_in(v, 0x20, 0x5E), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
        __m128i le = nb_in(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 25);
        __m128i u = _mm_andnot_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('Z')), le);
        /* A-Z -> a-z; ё (D1 91) -> е (D0 B5) */
        __m128i f = _mm_xor_si128(
            _mm_or_si128(v, _mm_and_si128(u, _mm_set1_epi8(0x20))),
            _mm_or_si128(_mm_and_si128(yo, _mm_set1_epi8(0x01)),
                         _mm_and_si128(yoc, _mm_set1_epi8(0x24))));
        _mm_storeu_si128((__m128i *)(t + 16 * j), f);
        /* map = i + k, one less on a pair's second byte; map_end = i + k + 1, one more on a
         * pair's first byte (as offsets from i + 16 j - 1, never negative) */
        const __m128i iota1 = _mm_sub_epi8(iota, _mm_set1_epi8(-1));
        nb_maps16(mp + 16 * j, me + 16 * j, _mm_add_epi8(iota1, cv),
                  _mm_sub_epi8(_mm_sub_epi8(iota1, _mm_set1_epi8(-1)), l), i + 16 * j - 1);
        /* the output against itself shifted by 1 and 2 bytes, the bytes before shifted in */
        __m128i s1 = _mm_or_si128(_mm_slli_si128(f, 1), _mm_srli_si128(prevf, 15));
        __m128i s2 = _mm_or_si128(_mm_slli_si128(f, 2), _mm_srli_si128(prevf, 14));
        unsigned sm = (unsigned)_mm_movemask_epi8(_mm_or_si128(asc, _mm_or_si128(l, cv)));
        const unsigned sh = 16 * j;
        simple |= (nbm_t)sm << sh;
        lead |= (nbm_t)(unsigned)_mm_movemask_epi8(l) << sh;
        let |= (nbm_t)(unsigned)_mm_movemask_epi8(le) << sh;
        up |= (nbm_t)(unsigned)_mm_movemask_epi8(u) << sh;
        dig |= (nbm_t)(unsigned)_mm_movemask_epi8(nb_in(v, '0', 9)) << sh;
        if (need_sym)
            sym |= (nbm_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(
                       _mm_cmpeq_epi8(v, _mm_set1_epi8('@')),
                       _mm_cmpeq_epi8(v, _mm_set1_epi8('$'))))
                   << sh;
        e1 |= (nbm_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(f, s1)) << sh;
        e2 |= (nbm_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(f, s2)) << sh;
        prevf = f;
        prevl = l;
        prevyo = yo;
        if (sm != 0xFFFFu)
            break;
    }
    b->simple = simple;
    b->lead = lead;
    b->let = let;
    b->up = up;
    b->dig = dig;
    b->sym = sym;
    b->e1 = e1;
    b->e2 = e2;
}
#endif

/* Which inner loop norm_run uses (bp_normalize_path). */
enum { NP_GENERAL = BP_NORM_PATH_GENERAL, NP_PORTABLE = BP_NORM_PATH_PORTABLE,
       NP_SIMD = BP_NORM_PATH_SIMD };

/* 1 if a word with state wst needs the word steps at its end (full: W_FULL if repeats or
 * look-alikes are on; mixed: NC_LCG if look-alikes are on; digits: NC_DIG | NC_SYM if digits
 * as letters are on). */
static inline int norm_word_steps(unsigned wst, unsigned full, unsigned mixed, unsigned digits)
{
    unsigned lcg = wst & NC_LCG;
    return (wst & full) || (lcg & (lcg - 1) & mixed) || (lcg && (wst & digits));
}

/* Bits set in m (x86-64's baseline has no popcnt instruction). */
static inline unsigned nb_count(nbm_t m)
{
    m -= m >> 1 & 0x5555555555555555ull;
    m = (m & 0x3333333333333333ull) + (m >> 2 & 0x3333333333333333ull);
    m = (m + (m >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (unsigned)((m * 0x0101010101010101ull) >> 56);
}

/* The bits below bit k (k < 64: a block keeps at most 63 bytes). */
static inline nbm_t nb_below(unsigned k)
{
    return ((nbm_t)1 << k) - 1;
}

/* The highest bit of m (m != 0). */
static inline unsigned nb_top(nbm_t m)
{
    return 63u - (unsigned)__builtin_clzll(m);
}

/* Of the runs of 1 bits in w, the ones holding a bit of x (x within w): the bit just after
 * each such run (adding x's bits carries through the run to its end). */
static inline nbm_t nb_runs_with(nbm_t w, nbm_t x)
{
    return (w + x) & ~w;
}

/* The class bits (and W_FULL) of the characters of a block in the bytes r. */
static inline unsigned nb_classes(const nblk_t *b, nbm_t lead, nbm_t sym, nbm_t r, unsigned digits)
{
    unsigned c = (b->let & r ? NC_LAT : 0u) | (lead & r ? NC_CYR : 0u) |
                 (b->trip & r ? W_FULL : 0u);
    if (digits)
        c |= (b->dig & r ? NC_DIG : 0u) | (sym & r ? NC_SYM : 0u);
    return c;
}

/* 0, 1, or 2 for two or more bits in m: all a word's length is needed for (is it 1?). */
static inline size_t nb_upto2(nbm_t m)
{
    return m ? (m & (m - 1) ? 2 : 1) : 0;
}

/* One fast block at s->i (s->i < lim <= len): takes the simple bytes from there up to NB_LEN,
 * or up to a word end that needs norm_word_done (left to the general step), writing them at
 * s->p. Returns the bytes taken (0: none). The word going on from before the block is ended
 * (or not) first; then every word starting in the block is looked at at once. */
static inline __attribute__((always_inline)) unsigned norm_fast(nrun_t *s, const unsigned char *u,
                                                                size_t len, size_t lim,
                                                                unsigned char *t, uint32_t *mp,
                                                                uint32_t *me, join_st_t *js,
                                                                unsigned tok, unsigned full,
                                                                unsigned mixed, unsigned digits,
                                                                int how)
{
    static const unsigned char zeros[16];
    unsigned char pad[NB_LEN + 16], bef[16];
    const unsigned char *x = u + s->i, *before = t + s->p - 16;
    if (len - s->i <= NB_LEN) { /* the last bytes: zeros after them are not simple */
        memset(pad, 0, sizeof pad);
        memcpy(pad, x, len - s->i);
        x = pad;
    }
    if (s->p < 16) { /* zeros before the text are not word bytes */
        before = zeros;
        if (s->p) {
            memset(bef, 0, sizeof bef);
            memcpy(bef + 16 - s->p, t, s->p);
            before = bef;
        }
    }
    nblk_t b;
#ifdef __SSE2__
    if (how == NP_SIMD)
        nb_sse2(x, before, t + s->p, mp + s->p, me + s->p, (uint32_t)s->i, &b,
                (tok & NC_SYM) != 0);
    else
#endif
        nb_portable(x, before, t + s->p, mp + s->p, me + s->p, (uint32_t)s->i, &b);
    /* the simple bytes, but not a pair whose second byte is past them (or past lim) */
    unsigned room = lim - s->i < NB_LEN - 1 ? (unsigned)(lim - s->i) : NB_LEN - 1;
    nbm_t other = ~b.simple & nb_below(room);
    unsigned nb = other ? (unsigned)__builtin_ctzll(other) : room;
    if (nb && (b.lead >> (nb - 1) & 1u))
        nb--;
    nbm_t all = nb_below(nb), lead = b.lead & all, cont = lead << 1;
#ifdef __SSE2__
    if (how == NP_SIMD) {
        /* a letter equal to the two before it: e1 and e2 of the bytes before the block first */
        nbm_t e1 = b.e1 << 1 | (before[15] == before[14]);
        nbm_t e2 = b.e2 << 2 | (nbm_t)(before[15] == before[13]) << 1 | (before[14] == before[12]);
        nbm_t c2 = b.e2 & e2;
        b.trip = (b.e1 & e1) | (c2 & c2 >> 1 & lead);
    }
#endif
    unsigned end = nb, k0 = 0;
    nbm_t sym = tok & NC_SYM ? b.sym : 0u, ended = 0;
    nbm_t word = (b.let | b.dig | lead | cont | sym) & all;
    if (s->wst & W_IN) { /* the word going on from before the block */
        nbm_t nw = ~word & all;
        unsigned e = nw ? (unsigned)__builtin_ctzll(nw) : nb;
        nbm_t r = nb_below(e);
        s->wst |= nb_classes(&b, lead, sym, r, digits);
        s->wn += nb_upto2(word & ~cont & r);
        if (e < nb) {
            if (s->wn == 1 || norm_word_steps(s->wst, full, mixed, digits)) {
                end = e; /* the general step ends this word */
                goto commit;
            }
            s->wst = 0;
            ended = 1;
        }
        k0 = e;
    }
    if (k0 < nb) {
        /* the words starting in [k0, nb): where each starts, the bit after each that ends
         * before nb, and of those the ones that need norm_word_done (a single character, the
         * word steps) */
        nbm_t w = word & ~nb_below(k0);
        nbm_t ws = w & ~(w << 1), we = ~w & (w << 1) & all;
        nbm_t ev = ~nb_runs_with(w, w & ~cont & ~ws); /* fewer than two characters */
        if (mixed || digits) {
            nbm_t lat = nb_runs_with(w, b.let & w), cyr = nb_runs_with(w, lead & w);
            if (mixed)
                ev |= lat & cyr;
            if (digits)
                ev |= (lat | cyr) & nb_runs_with(w, (b.dig | sym) & w);
        }
        if (full)
            ev |= nb_runs_with(w, b.trip & w);
        ev &= we;
        if (ev)
            end = (unsigned)__builtin_ctzll(ev);
        nbm_t upto = nb_below(end);
        ended |= we & upto;
        w &= upto;
        if (w >> (end - 1) & 1u) { /* a word is open at end: from its start ws0 */
            unsigned ws0 = nb_top(ws & upto);
            nbm_t r = upto & ~nb_below(ws0), prior = w & nb_below(ws0);
            size_t gap;
            unsigned gapcls;
            if (prior) {
                gap = ws0 - nb_top(prior) - 1;
                gapcls = g_cls[x[ws0 - 1]];
            } else {
                gap = js->gap + (ws0 - k0);
                gapcls = ws0 > k0 ? g_cls[x[ws0 - 1]] : js->gapcls;
            }
            js->wsep = gap == 1 && (gapcls & NC_SEP);
            js->gap = 0;
            s->wst = W_IN | nb_classes(&b, lead, sym, r, digits);
            s->wn = nb_upto2(w & ~cont & r);
            s->wb = s->p + ws0;
        } else { /* non-word bytes at the end (end == nb) */
            if (w)
                js->gap = end - nb_top(w) - 1;
            else
                js->gap += end - k0;
            js->gapcls = g_cls[x[end - 1]];
        }
    }
    if (ended) {
        js->run = 0;
        js->prev_single = 0;
    }
commit:
    if (!end)
        return 0;
    nbm_t m = nb_below(end);
    if (b.up & m)
        s->upper += nb_count(b.up & m);
    s->lower += nb_count(((b.let & ~b.up) | lead) & m);
    s->lastb = s->p + end - 1 - (size_t)(cont >> (end - 1) & 1u);
    s->c12_stale = 1;
    s->i += end;
    s->p += end;
    return end;
}

/* Normalizes u[0..len) into n->text and its maps. One pass over the code points: character
 * step, encoding, and at each word's end the word steps if the word needs them (it mixes
 * scripts, has digits, repeats a letter, ...); then the join pass if 4+ spaced-out single
 * letters were seen. how: NP_GENERAL (every character through the general step), NP_PORTABLE or
 * NP_SIMD (fast blocks where they apply). Returns 0 or -1 (out of memory). */
static inline __attribute__((always_inline)) int norm_run_with(bp_norm_t *n, const unsigned char *u,
                                                               size_t len, const bp_norm_opts_t *o,
                                                               int how)
{
    const unsigned tok = NC_WORD | (o->digits_as_letters ? NC_SYM : 0u);
    const unsigned full = o->collapse_repeats || o->fold_lookalikes ? W_FULL : 0u;
    const unsigned digits = o->digits_as_letters ? NC_DIG | NC_SYM : 0u;
    const unsigned mixed = o->fold_lookalikes ? NC_LCG : 0u;
    unsigned char *t = (unsigned char *)n->text;
    uint32_t *mp = n->map, *me = n->map_end;
    nrun_t s = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    join_st_t js = {0, 0, 0, 0, 0, 0, 0, 0, 0};

    while (s.i < len) {
        /* the output never exceeds 3 bytes per input byte consumed since a word's redo */
        size_t lim = len - s.i > NORM_CHUNK ? s.i + NORM_CHUNK : len;
        if (norm_grow_out(n, s.p + 3 * (lim - s.i) + NB_SLACK) < 0)
            return -1;
        t = (unsigned char *)n->text;
        mp = n->map;
        me = n->map_end;
        while (s.i < lim) {
            unsigned c, b = u[s.i];
            if (how != NP_GENERAL &&
                (b - 0x20u <= 0x5Eu ||
                 (b - 0xD0u < 2u && s.i + 1 < len &&
                  ((u[s.i + 1] ^ (b == 0xD0 ? 0x30u : 0u)) & (b == 0xD0 ? 0xF0u : 0xE0u)) ==
                      0x80u)) &&
                norm_fast(&s, u, len, lim, t, mp, me, &js, tok, full, mixed, digits, how))
                continue;
            uint32_t st = (uint32_t)s.i, cp, m, e;
            if (b < 0x80) {
                cp = b;
                e = g_lo[b];
                s.i++;
            } else if (b - 0xC2u <= 0xDFu - 0xC2u && s.i + 1 < len &&
                       (u[s.i + 1] & 0xC0) == 0x80) {
                cp = (b & 0x1Fu) << 6 | (u[s.i + 1] & 0x3Fu);
                e = g_lo[cp];
                s.i += 2;
            } else {
                cp = bp_utf8_decode((const char *)u, len, &s.i);
                e = cp < LO_TAB ? g_lo[cp] : norm_entry_hi(cp);
            }
            if (cp - 'A' < 26u || cp - 0x400u < 0x30u || cp == 0x490)
                s.upper++;
            else if (cp - 'a' < 26u || cp - 0x430u < 0x30u || cp == 0x491)
                s.lower++;
            m = e & 0x1FFFFFu;
            c = e >> 24;
            if (M_SPECIAL(m)) {
                if (m == M_MARK && s.p > 0 && me[s.p - 1] == st) {
                    size_t q = s.lastb;
                    uint32_t cc = norm_compose(norm_dec(t, &q), cp);
                    if (cc) {
                        s.p = s.lastb + norm_put(t, mp, me, s.lastb, cc, mp[s.lastb], 0);
                        s.c1 = cc; /* (if stale, read back later: the text ends with cc) */
                        s.wst |= W_FULL;
                    }
                    for (q = s.lastb; q < s.p; q++)
                        me[q] = (uint32_t)s.i;
                }
                continue;
            }
            if (c & tok) {
                if (!(s.wst & W_IN)) {
                    s.wst = W_IN;
                    s.wb = s.p;
                    s.wn = 0;
                    js.wsep = js.gap == 1 && (js.gapcls & NC_SEP);
                    js.gap = 0;
                    s.c1 = s.c2 = 0xFFFFFFFFu;
                    s.c12_stale = 0;
                } else {
                    if (s.c12_stale) {
                        norm_last2(t, s.wb, s.p, &s.c1, &s.c2);
                        s.c12_stale = 0;
                    }
                    if (m == s.c1 && m == s.c2)
                        s.wst |= W_FULL;
                }
                s.c2 = s.c1;
                s.c1 = m;
                s.wst |= c;
                s.wn++;
            } else {
                if (s.wst & W_IN) { /* the word [wb, p) ends here */
                    int steps = norm_word_steps(s.wst, full, mixed, digits);
                    if (steps || s.wn == 1) {
                        s.p = norm_word_done(n, s.wb, s.p, s.wn, steps, o, &js);
                        /* the character just read may end past lim */
                        if (s.p == SIZE_MAX ||
                            norm_grow_out(n, s.p + 3 * (lim > s.i ? lim - s.i : 0) + NB_SLACK) < 0)
                            return -1;
                        t = (unsigned char *)n->text;
                        mp = n->map;
                        me = n->map_end;
                    } else {
                        js.run = 0;
                        js.prev_single = 0;
                    }
                    s.wst = 0;
                }
                js.gap++;
                js.gapcls = c;
            }
            s.lastb = s.p;
            s.p += norm_put(t, mp, me, s.p, m, st, (uint32_t)s.i);
        }
    }
    if (s.wst & W_IN) {
        int steps = norm_word_steps(s.wst, full, mixed, digits);
        s.p = norm_word_done(n, s.wb, s.p, s.wn, steps, o, &js);
        if (s.p == SIZE_MAX)
            return -1;
    }
    if (js.need) {
        s.p = norm_join_region(n, js.from, js.to, s.p, o);
        if (s.p == SIZE_MAX)
            return -1;
    }
    if (norm_grow_out(n, s.p + 1) < 0)
        return -1;
    n->text[s.p] = '\0';
    n->map[s.p] = n->map_end[s.p] = (uint32_t)len;
    n->len = s.p;
    n->upper = s.upper;
    n->lower = s.lower;
    return 0;
}

static int norm_run_general(bp_norm_t *n, const unsigned char *u, size_t len,
                            const bp_norm_opts_t *o)
{
    return norm_run_with(n, u, len, o, NP_GENERAL);
}

static int norm_run_portable(bp_norm_t *n, const unsigned char *u, size_t len,
                             const bp_norm_opts_t *o)
{
    return norm_run_with(n, u, len, o, NP_PORTABLE);
}

#ifdef __SSE2__
static int norm_run_simd(bp_norm_t *n, const unsigned char *u, size_t len, const bp_norm_opts_t *o)
{
    return norm_run_with(n, u, len, o, NP_SIMD);
}
#else
#define norm_run_simd norm_run_portable
#endif

int bp_normalize_path(bp_norm_t *n, const char *s, size_t len, const bp_norm_opts_t *opts,
                      int path)
{
    bp_norm_opts_t defo;
    if (!opts) {
        bp_norm_opts_default(&defo);
        opts = &defo;
    }
    if (len > BP_NORM_MAX_LEN || (!s && len))
        return norm_fail(n);
    norm_tables();
    const unsigned char *u = (const unsigned char *)s;
    int r = path == BP_NORM_PATH_GENERAL    ? norm_run_general(n, u, len, opts)
            : path == BP_NORM_PATH_PORTABLE ? norm_run_portable(n, u, len, opts)
                                            : norm_run_simd(n, u, len, opts);
    return r < 0 ? norm_fail(n) : 0;
}

int bp_normalize(bp_norm_t *n, const char *s, size_t len, const bp_norm_opts_t *opts)
{
    return bp_normalize_path(n, s, len, opts, BP_NORM_PATH_SIMD);
}

void bp_norm_span(const bp_norm_t *n, size_t a, size_t b, size_t *oa, size_t *ob)
{
    if (!n->map) { /* never normalized */
        *oa = *ob = 0;
        return;
    }
    if (a > n->len)
        a = n->len;
    if (b > n->len)
        b = n->len;
    if (b <= a) {
        *oa = *ob = n->map[a];
        return;
    }
    *oa = n->map[a];
    *ob = n->map_end[b - 1];
}

char *bp_normalize_cstr(const char *s, const bp_norm_opts_t *opts)
{
    if (!s)
        return NULL;
    bp_norm_t n;
    bp_norm_init(&n);
    if (bp_normalize(&n, s, strlen(s), opts) < 0) {
        bp_norm_free(&n);
        return NULL;
    }
    char *out = n.text;
    n.text = NULL;
    bp_norm_free(&n);
    return out;
}

uint32_t bp_norm_fold_cp(uint32_t cp)
{
    norm_tables();
    uint32_t m = (cp < LO_TAB ? g_lo[cp] : norm_entry_hi(cp)) & 0x1FFFFFu;
    return M_SPECIAL(m) ? 0 : m;
}

int bp_norm_is_word_cp(uint32_t cp)
{
    norm_tables();
    uint32_t e = cp < LO_TAB ? g_lo[cp] : norm_entry_hi(cp);
    return ((e >> 24) & NC_WORD) != 0;
}

int bp_norm_word_at(const char *s, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80)
        return bp_norm_is_word_ascii(c);
    size_t j = i;
    uint32_t cp = bp_utf8_decode(s, len, &j);
    return cp != 0xFFFD && bp_norm_is_word_cp(cp);
}

int bp_norm_word_before(const char *s, size_t len, size_t i)
{
    if (i == 0 || i > len)
        return 0;
    unsigned char c = (unsigned char)s[i - 1];
    if (c < 0x80)
        return bp_norm_is_word_ascii(c);
    size_t j = i - 1;
    while (j > 0 && i - j < 4 && ((unsigned char)s[j] & 0xC0) == 0x80)
        j--;
    size_t e = j;
    uint32_t cp = bp_utf8_decode(s, i, &e);
    return e == i && cp != 0xFFFD && bp_norm_is_word_cp(cp);
}
