/* SPDX-License-Identifier: MIT */
/*
 * Functions that make buffer overflows easy are compile errors in modelctl's
 * own sources (git's banned.h does the same).  Use snprintf, memcpy with a
 * checked length, or the cursor instead.
 */
#ifndef MC_BANNED_H
#define MC_BANNED_H

#define MC_BANNED(func) sorry_##func##_is_banned_in_modelctl

#undef strcpy
#define strcpy(x, y) MC_BANNED(strcpy)
#undef strcat
#define strcat(x, y) MC_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) MC_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) MC_BANNED(strncat)
#undef sprintf
#define sprintf(...) MC_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) MC_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) MC_BANNED(strtok)
#undef gets
#define gets(x) MC_BANNED(gets)

#endif
