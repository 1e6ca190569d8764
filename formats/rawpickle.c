/* SPDX-License-Identifier: MIT */
/* Placeholder: the raw pickle format is being written. */
#include "format.h"

static int pk_sniff(const uint8_t *head, size_t len) { (void)head; (void)len; return 0; }
static int pk_open(mc_reader *r) { (void)r; return mc_fail(MC_EUNSUPPORTED, NULL, NULL, -1, "not yet"); }
static int pk_read(mc_reader *r, size_t i, mc_view *out) { (void)r; (void)i; (void)out; return MC_EUNSUPPORTED; }
static void pk_close(mc_reader *r) { (void)r; }

const mc_format mc_format_pickle = {.name = "pickle", .sniff = pk_sniff, .open = pk_open, .read = pk_read, .close = pk_close};
