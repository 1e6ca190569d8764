/* SPDX-License-Identifier: MIT */
/*
 * For tests/bench/bench_onnx.sh: read an ONNX model and write it again with
 * the library's writer, embedded or with its weights moved to an external
 * data file, so the writer's time and peak memory can be measured against
 * onnx.load + onnx.save.
 *
 *   bench_onnx_rewrite IN OUT [EXTERNAL_NAME]
 */
#include <stdio.h>

#include "format.h"
#include "onnx.h"

int main(int argc, char **argv)
{
	mc_onnx_write_opts opts = {argc > 3 ? argv[3] : NULL, 0};
	mc_reader *r;
	char buf[2048];
	int rc;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_onnx_rewrite IN OUT [EXTERNAL_NAME]\n");
		return 2;
	}
	if ((rc = mc_reader_open(&r, argv[1])) == 0) {
		rc = mc_onnx_write_model(argv[2], mc_onnx_model_of(r), &opts);
		mc_reader_close(r);
	}
	if (rc) {
		fprintf(stderr, "bench_onnx_rewrite: %s\n",
		        mc_error_format(buf, sizeof(buf), mc_error_last()));
		return 3;
	}
	return 0;
}
