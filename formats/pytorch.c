/* SPDX-License-Identifier: MIT */
/* Placeholder: the PyTorch zip and legacy formats are being written. */
#include "format.h"

static int pt_sniff(const uint8_t *head, size_t len) { (void)head; (void)len; return 0; }
static int pt_open(mc_reader *r) { (void)r; return mc_fail(MC_EUNSUPPORTED, NULL, NULL, -1, "not yet"); }
static int pt_read(mc_reader *r, size_t i, mc_view *out) { (void)r; (void)i; (void)out; return MC_EUNSUPPORTED; }
static void pt_close(mc_reader *r) { (void)r; }

const mc_format mc_format_pytorch = {.name = "pytorch", .sniff = pt_sniff, .open = pt_open, .read = pt_read, .close = pt_close};
const mc_format mc_format_pytorch_legacy = {.name = "pytorch-legacy", .sniff = pt_sniff, .open = pt_open, .read = pt_read, .close = pt_close};
