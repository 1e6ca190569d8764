/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the dtype table and the narrow float conversions: every
 * contract name round-trips, sizes match the contract, float16 and bfloat16
 * survive a trip through float32 for all 65536 patterns and round like
 * numpy, and the OCP FP8 formats decode every pattern to the value the
 * OFP8 specification gives and round to nearest even when encoding.
 *
 * The tables below were produced by the script that follows, saved as
 * tables.py and run as `/usr/bin/python3 tables.py` (numpy 1.24.2, from
 * Debian's python3-numpy); each section of its output is pasted below:
 *
 *     import struct, warnings
 *     import numpy as np
 *     warnings.simplefilter('ignore')
 *     def f32(x): return struct.unpack('<I', struct.pack('<f', x))[0]
 *     def fb(u): return struct.unpack('<f', struct.pack('<I', u))[0]
 *     # float16: tricky float32 bit patterns and numpy's float16 rounding of them
 *     tricky = [0x00000000, 0x80000000, 0x3f800000, 0xbf800000,
 *       0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x47800000, 0x49742400,
 *       0x7f800000, 0xff800000, 0x7f7fffff,
 *       0x3f801000, 0x3f801001, 0x3f803000, 0x3f802fff, 0x3f800fff,
 *       0x33800000, 0x33000000, 0x33000001, 0x33400000, 0x32ffffff,
 *       0x38800000, 0x387fc000, 0x387fe000, 0x387fdfff, 0x387ff000,
 *       0x00000001, 0x007fffff, 0x3dcccccd, 0x3eaaaaab, 0x40490fdb, 0xc0200000,
 *       0x3e800000, 0x42c80000, 0xc77fe000, 0xc77ff000, 0x33c00000, 0x34200000]
 *     rng = np.random.default_rng(1234)
 *     rnd = (rng.integers(0, 2, 200).astype(np.uint32) << 31) | ((rng.integers(100, 145, 200).astype(np.uint32)) << 23) | rng.integers(0, 1 << 23, 200).astype(np.uint32)
 *     vals = np.array(tricky + [int(x) for x in rnd], dtype=np.uint32)
 *     h = vals.view(np.float32).astype(np.float16).view(np.uint16)
 *     print('F16', len(vals))
 *     for a, b in zip(vals, h): print('{0x%08x, 0x%04x},' % (a, b))
 *     # bfloat16: round to nearest even on the float32 bits
 *     def bf16(u):
 *         hi, lo = u >> 16, u & 0xffff
 *         if lo > 0x8000 or (lo == 0x8000 and hi & 1): hi += 1
 *         return hi & 0xffff
 *     bt = [0x00000000, 0x80000000, 0x3f800000, 0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff,
 *           0x7f7fffff, 0x7f7f8000, 0x7f7f7fff, 0x7f7e8000, 0xff7fffff, 0x7f800000, 0xff800000,
 *           0x00008000, 0x00018000, 0x00007fff, 0x00008001, 0x00800000, 0x007fffff, 0x3dcccccd,
 *           0x40490fdb, 0xc0490fdb, 0x477fe000]
 *     rnd = rng.integers(0, 1 << 32, 100, dtype=np.uint64)
 *     bt += [int(x) for x in rnd if (int(x) & 0x7f800000) != 0x7f800000]
 *     print('BF16', len(bt))
 *     for u in bt: print('{0x%08x, 0x%04x},' % (u, bf16(u)))
 *     # OCP FP8 (OFP8 spec v1.0): value of every bit pattern
 *     def e4m3fn(v):
 *         s = -1.0 if v & 0x80 else 1.0; e = (v >> 3) & 0xf; m = v & 7
 *         if e == 15 and m == 7: return float('nan')
 *         return s * (m / 8 * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))
 *     def e5m2(v):
 *         s = -1.0 if v & 0x80 else 1.0; e = (v >> 2) & 0x1f; m = v & 3
 *         if e == 31: return s * float('inf') if m == 0 else float('nan')
 *         return s * (m / 4 * 2.0 ** -14 if e == 0 else (1 + m / 4) * 2.0 ** (e - 15))
 *     for name, fn in (('E4M3FN', e4m3fn), ('E5M2', e5m2)):
 *         print(name)
 *         for v in range(256):
 *             x = fn(v)
 *             print('0x%08x,' % (0x7fc00000 if x != x else f32(x)), end='\n' if v % 8 == 7 else ' ')
 *     # rounding to FP8: nearest representable value, ties to the even encoding;
 *     # the overflow step (480 = e4m3fn's NaN pattern, 65536 = e5m2's inf) takes part
 *     def encode(x, fn, ovf_code, sat):
 *         cands = [(abs(fn(v)), v) for v in range(0x80) if fn(v) == fn(v) and abs(fn(v)) != float('inf')]
 *         cands.append((480.0 if fn is e4m3fn else 65536.0, None))
 *         a = abs(x); sign = 0x80 if struct.unpack('<I', struct.pack('<f', x))[0] >> 31 else 0
 *         best = min(cands, key=lambda c: (abs(c[0] - a), (c[1] if c[1] is not None else ovf_code) & 1))
 *         code = best[1]
 *         if code is None:
 *             code = (0x7e if fn is e4m3fn else 0x7b) if sat else ovf_code
 *         return sign | code
 *     tests = [0.0, -0.0, 1.0, -1.0, 448.0, 449.0, 463.9, 464.0, 464.1, 479.0, 480.0, 500.0, 1e6, -464.0, -465.0,
 *              2.0**-9, 2.0**-10, 2.0**-10 * 1.0001, 3 * 2.0**-10, 5 * 2.0**-10, 2.0**-11, 2.0**-6, 2.0**-6 - 2.0**-10,
 *              1.0625, 1.1875, 1.0625 * (1 + 2**-20), 0.1, 3.0, 17.0, 18.0, 19.0, 57344.0, 61439.0, 61440.0, 61441.0,
 *              65536.0, 1e9, -61440.0, 2.0**-16, 2.0**-17, 3 * 2.0**-17, 2.0**-18, 2.0**-14, 1.125, 1.375, 2.5, 3.5, 14.0, 15.0]
 *     print('F8ENC')
 *     for x in tests:
 *         x32 = fb(f32(x))
 *         print('{0x%08x, 0x%02x, 0x%02x, 0x%02x, 0x%02x}, /' '* %r *' '/' % (f32(x32),
 *               encode(x32, e4m3fn, 0x7f, False), encode(x32, e4m3fn, 0x7f, True),
 *               encode(x32, e5m2, 0x7c, False), encode(x32, e5m2, 0x7c, True), x32))
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "modelctl.h"

static uint32_t bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	return u;
}

static float from_bits(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof(f));
	return f;
}

/* ---- the dtype table ------------------------------------------------ */

static const struct {
	mc_dtype dt;
	const char *name;
	size_t size;
	mc_dtype_kind kind;
	uint32_t swap_unit;
} contract[] = {
	{MC_BOOL, "bool", 1, MC_KIND_BOOL, 1},
	{MC_INT8, "int8", 1, MC_KIND_INT, 1},
	{MC_UINT8, "uint8", 1, MC_KIND_UINT, 1},
	{MC_INT16, "int16", 2, MC_KIND_INT, 2},
	{MC_UINT16, "uint16", 2, MC_KIND_UINT, 2},
	{MC_INT32, "int32", 4, MC_KIND_INT, 4},
	{MC_UINT32, "uint32", 4, MC_KIND_UINT, 4},
	{MC_INT64, "int64", 8, MC_KIND_INT, 8},
	{MC_UINT64, "uint64", 8, MC_KIND_UINT, 8},
	{MC_FLOAT16, "float16", 2, MC_KIND_FLOAT, 2},
	{MC_BFLOAT16, "bfloat16", 2, MC_KIND_FLOAT, 2},
	{MC_FLOAT32, "float32", 4, MC_KIND_FLOAT, 4},
	{MC_FLOAT64, "float64", 8, MC_KIND_FLOAT, 8},
	{MC_COMPLEX64, "complex64", 8, MC_KIND_COMPLEX, 4},
	{MC_COMPLEX128, "complex128", 16, MC_KIND_COMPLEX, 8},
	{MC_FLOAT8_E4M3FN, "float8_e4m3fn", 1, MC_KIND_FLOAT, 1},
	{MC_FLOAT8_E5M2, "float8_e5m2", 1, MC_KIND_FLOAT, 1},
	{MC_FLOAT8_E4M3FNUZ, "float8_e4m3fnuz", 1, MC_KIND_FLOAT, 1},
	{MC_FLOAT8_E5M2FNUZ, "float8_e5m2fnuz", 1, MC_KIND_FLOAT, 1},
	/* two to a byte: no element size of their own */
	{MC_INT4, "int4", 0, MC_KIND_INT, 1},
	{MC_UINT4, "uint4", 0, MC_KIND_UINT, 1},
	{MC_FLOAT4_E2M1FN, "float4_e2m1fn", 0, MC_KIND_FLOAT, 1},
};
#define NCONTRACT (sizeof(contract) / sizeof(contract[0]))

static void test_table_names_round_trip(void **state)
{
	(void)state;
	/* every dtype of the enum is in the contract list, once */
	assert_int_equal(NCONTRACT, MC_DTYPE_COUNT - 1);
	for (size_t i = 0; i < NCONTRACT; i++) {
		const mc_dtype_info *info = mc_dtype_get(contract[i].dt);
		assert_non_null(info);
		assert_string_equal(mc_dtype_name(contract[i].dt), contract[i].name);
		assert_string_equal(info->name, contract[i].name);
		assert_int_equal(mc_dtype_from_name(contract[i].name), contract[i].dt);
		assert_int_equal(mc_dtype_size(contract[i].dt), contract[i].size);
		assert_int_equal(info->kind, contract[i].kind);
		assert_int_equal(info->block_elems, contract[i].size ? 1 : 2);
		assert_int_equal(info->block_bytes, contract[i].size ? contract[i].size : 1);
		assert_int_equal(info->swap_unit, contract[i].swap_unit);
	}
}

static void test_table_invalid(void **state)
{
	static const char *const bad[] = {"", "float", "Float32", "float32 ", "f32", "F32",
	                                  "fp16", "half", "invalid", "int128", "float8"};
	(void)state;
	assert_null(mc_dtype_get(MC_DTYPE_INVALID));
	assert_null(mc_dtype_get(MC_DTYPE_COUNT));
	assert_null(mc_dtype_get((mc_dtype)-1));
	assert_null(mc_dtype_get((mc_dtype)1000));
	assert_string_equal(mc_dtype_name(MC_DTYPE_INVALID), "invalid");
	assert_string_equal(mc_dtype_name(MC_DTYPE_COUNT), "invalid");
	assert_int_equal(mc_dtype_size(MC_DTYPE_INVALID), 0);
	assert_int_equal(mc_dtype_size(MC_DTYPE_COUNT), 0);
	assert_int_equal(mc_dtype_from_name(NULL), MC_DTYPE_INVALID);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mc_dtype_from_name(bad[i]), MC_DTYPE_INVALID);
}

/* ---- 4-bit types and fnuz float8 --------------------------------------- */

static void test_four_bit_sizes(void **state)
{
	uint64_t n;
	const uint8_t packed[2] = {0x21, 0xf3}; /* elements 1, 2, 3, 15 */
	(void)state;
	/* two to a byte, the last byte half used for an odd count */
	assert_int_equal(mc_tensor_nbytes(&n, MC_INT4, &(mc_shape){1, {4}}), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mc_tensor_nbytes(&n, MC_UINT4, &(mc_shape){2, {3, 3}}), 0);
	assert_int_equal(n, 5);
	assert_int_equal(mc_tensor_nbytes(&n, MC_FLOAT4_E2M1FN, &(mc_shape){0, {0}}), 0);
	assert_int_equal(n, 1);
	assert_int_equal(mc_tensor_nbytes(&n, MC_INT4, &(mc_shape){1, {0}}), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mc_nibble(packed, 0), 1);
	assert_int_equal(mc_nibble(packed, 1), 2);
	assert_int_equal(mc_nibble(packed, 2), 3);
	assert_int_equal(mc_nibble(packed, 3), 15);
}

static void test_fnuz_and_e2m1(void **state)
{
	static const float e2m1[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
	(void)state;
	/* facts of the formats: bias 8 and 16, 0x80 the only NaN, no -0 */
	assert_true(isnan(mc_f8e4m3fnuz_to_f32(0x80)));
	assert_true(isnan(mc_f8e5m2fnuz_to_f32(0x80)));
	assert_true(mc_f8e4m3fnuz_to_f32(0x7f) == 240.0f);
	assert_true(mc_f8e4m3fnuz_to_f32(0xff) == -240.0f);
	assert_true(mc_f8e4m3fnuz_to_f32(0x40) == 1.0f);
	assert_true(mc_f8e4m3fnuz_to_f32(0x01) == ldexpf(1, -10));
	assert_true(mc_f8e4m3fnuz_to_f32(0x08) == ldexpf(1, -7));
	assert_true(mc_f8e5m2fnuz_to_f32(0x7f) == 57344.0f);
	assert_true(mc_f8e5m2fnuz_to_f32(0x40) == 1.0f);
	assert_true(mc_f8e5m2fnuz_to_f32(0x01) == ldexpf(1, -17));
	assert_true(mc_f8e5m2fnuz_to_f32(0xc0) == -1.0f);
	for (uint8_t v = 0; v < 8; v++) {
		assert_true(mc_f4e2m1_to_f32(v) == e2m1[v]);
		assert_true(mc_f4e2m1_to_f32((uint8_t)(v | 8)) == -e2m1[v]);
	}
	/* every finite pattern is finite, in range */
	for (int v = 0; v < 256; v++) {
		float a = mc_f8e4m3fnuz_to_f32((uint8_t)v), b = mc_f8e5m2fnuz_to_f32((uint8_t)v);
		if (v == 0x80)
			continue;
		assert_true(isfinite(a) && fabsf(a) <= 240.0f);
		assert_true(isfinite(b) && fabsf(b) <= 57344.0f);
	}
}

/* ---- float16 -------------------------------------------------------- */

static bool f16_is_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x03ff); }

static void test_f16_all_patterns_round_trip(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < 65536; i++) {
		uint16_t h = (uint16_t)i;
		float f = mc_f16_to_f32(h);
		uint16_t back = mc_f32_to_f16(f);
		if (f16_is_nan(h)) {
			assert_true(isnan(f));
			assert_int_equal(bits(f) >> 31, h >> 15); /* sign kept */
			assert_true(f16_is_nan(back));
			assert_int_equal(back & 0x8000, h & 0x8000);
			if (h & 0x0200) /* quiet NaN: payload kept too */
				assert_int_equal(back, h);
		} else {
			assert_false(isnan(f));
			if (back != h)
				fail_msg("float16 0x%04x -> %a -> 0x%04x", h, (double)f, back);
		}
	}
}

static void test_f16_known_values(void **state)
{
	(void)state;
	assert_true(mc_f16_to_f32(0x3c00) == 1.0f);
	assert_true(mc_f16_to_f32(0xc000) == -2.0f);
	assert_true(mc_f16_to_f32(0x7bff) == 65504.0f);
	assert_true(mc_f16_to_f32(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
	assert_true(mc_f16_to_f32(0x03ff) == ldexpf(1023.0f, -24)); /* largest subnormal */
	assert_true(mc_f16_to_f32(0x0400) == ldexpf(1.0f, -14)); /* smallest normal */
	assert_true(isinf(mc_f16_to_f32(0x7c00)) && mc_f16_to_f32(0x7c00) > 0);
	assert_true(isinf(mc_f16_to_f32(0xfc00)) && mc_f16_to_f32(0xfc00) < 0);
	assert_int_equal(bits(mc_f16_to_f32(0x8000)), 0x80000000u);
	assert_int_equal(mc_f32_to_f16(NAN) & 0x7e00, 0x7e00);
	assert_int_equal(mc_f32_to_f16(-NAN) & 0xfe00, 0xfe00);
}

/* float32 bits -> numpy's float16 bits (np.float32(x).astype(np.float16)):
 * 0, 1, 65504, 65519.99 (stays), 65520 (halfway: inf), 65536, 1e6 and
 * FLT_MAX (inf), 1+2^-11 (halfway, to even: 1), 1+3*2^-11 (halfway, up),
 * subnormals 2^-24, 2^-25 (halfway: 0), 3*2^-25 (halfway: 2 quanta),
 * 2^-14 - 2^-25 (halfway to the smallest normal), float32 subnormals, then
 * 200 random values across float16's exponent range. */
static const uint32_t f16_round[][2] = {
	{0x00000000, 0x0000}, {0x80000000, 0x8000}, {0x3f800000, 0x3c00}, {0xbf800000, 0xbc00},
	{0x477fe000, 0x7bff}, {0x477fefff, 0x7bff}, {0x477ff000, 0x7c00}, {0x477ff001, 0x7c00},
	{0x47800000, 0x7c00}, {0x49742400, 0x7c00}, {0x7f800000, 0x7c00}, {0xff800000, 0xfc00},
	{0x7f7fffff, 0x7c00}, {0x3f801000, 0x3c00}, {0x3f801001, 0x3c01}, {0x3f803000, 0x3c02},
	{0x3f802fff, 0x3c01}, {0x3f800fff, 0x3c00}, {0x33800000, 0x0001}, {0x33000000, 0x0000},
	{0x33000001, 0x0001}, {0x33400000, 0x0001}, {0x32ffffff, 0x0000}, {0x38800000, 0x0400},
	{0x387fc000, 0x03ff}, {0x387fe000, 0x0400}, {0x387fdfff, 0x03ff}, {0x387ff000, 0x0400},
	{0x00000001, 0x0000}, {0x007fffff, 0x0000}, {0x3dcccccd, 0x2e66}, {0x3eaaaaab, 0x3555},
	{0x40490fdb, 0x4248}, {0xc0200000, 0xc100}, {0x3e800000, 0x3400}, {0x42c80000, 0x5640},
	{0xc77fe000, 0xfbff}, {0xc77ff000, 0xfc00}, {0x33c00000, 0x0002}, {0x34200000, 0x0002},
	{0xc0edaf02, 0xc76d}, {0xb8dfa6a6, 0x86fd}, {0xb7ecaa29, 0x81d9}, {0x3f8043dd, 0x3c02},
	{0x3e5d04f1, 0x32e8}, {0xb8e798fc, 0x873d}, {0x3b0f37c5, 0x187a}, {0x35e74583, 0x001d},
	{0x3c643c86, 0x2322}, {0x3d06faed, 0x2838}, {0xbc7697e8, 0xa3b5}, {0x430ca9f1, 0x5865},
	{0xb947406f, 0x8a3a}, {0x4146d020, 0x4a37}, {0xb66dd728, 0x803b}, {0x37e1a70d, 0x01c3},
	{0xbcba4946, 0xa5d2}, {0xbfdd8f27, 0xbeec}, {0xc194fa73, 0xcca8}, {0x39575b36, 0x0abb},
	{0xc4d71780, 0xe6b9}, {0x38619c97, 0x0386}, {0x336b8e26, 0x0001}, {0xc6ccb98c, 0xf666},
	{0xc854e35a, 0xfc00}, {0xb81e241f, 0x8279}, {0xb2d07a54, 0x8000}, {0xc7039783, 0xf81d},
	{0xb30b4e8d, 0x8001}, {0xb6f4b1cb, 0x807a}, {0xbe9d9d54, 0xb4ed}, {0xbeb50097, 0xb5a8},
	{0x42baa56c, 0x55d5}, {0xbadc9a78, 0x96e5}, {0xb646a26b, 0x8032}, {0x44220aad, 0x6110},
	{0xb922f900, 0x8918}, {0x34fd7cc0, 0x0008}, {0xba99b36a, 0x94ce}, {0xc716cba7, 0xf8b6},
	{0x46b5a5cf, 0x75ad}, {0x4206016c, 0x5030}, {0x3fd65b8c, 0x3eb3}, {0xb5bf3f2f, 0x8018},
	{0x4722ca49, 0x7916}, {0xc1af6d7f, 0xcd7b}, {0x47d2d1ab, 0x7c00}, {0xb453e9db, 0x8003},
	{0xb4634a72, 0x8004}, {0x3e800182, 0x3400}, {0x41d21b1d, 0x4e91}, {0xb4124e4e, 0x8002},
	{0x3d2c7f50, 0x2964}, {0x32edf2eb, 0x0000}, {0x3fcedbdc, 0x3e77}, {0xbad76651, 0x96bb},
	{0x47b5109d, 0x7c00}, {0x41aa8011, 0x4d54}, {0xbc8cce62, 0xa466}, {0x42032d2d, 0x5019},
	{0xc1eaf40f, 0xcf58}, {0xc10566e7, 0xc82b}, {0x4413322d, 0x609a}, {0x3f31ddd6, 0x398f},
	{0x34b62189, 0x0006}, {0xc5f8b498, 0xefc6}, {0xc56d41c7, 0xeb6a}, {0xbe759514, 0xb3ad},
	{0xc342dd56, 0xda17}, {0x342848f9, 0x0003}, {0xc75a8b36, 0xfad4}, {0xb52fa4ef, 0x800b},
	{0x323b30ac, 0x0000}, {0x47a224db, 0x7c00}, {0xbba8df0d, 0x9d47}, {0xc39228ec, 0xdc91},
	{0xb6f1e166, 0x8079}, {0x324bb6e1, 0x0000}, {0xc2be3616, 0xd5f2}, {0x473b4631, 0x79da},
	{0x323ec50b, 0x0000}, {0xc0eaec1a, 0xc757}, {0xb561bc4a, 0x800e}, {0x463f6a61, 0x71fb},
	{0xc61d7fac, 0xf0ec}, {0xb5024478, 0x8008}, {0xc4bb71f3, 0xe5dc}, {0xbf380cef, 0xb9c0},
	{0x3663cdb3, 0x0039}, {0xbd11282b, 0xa889}, {0x3a174022, 0x10ba}, {0x35aa8c1d, 0x0015},
	{0xc5d39741, 0xee9d}, {0x33402aaf, 0x0001}, {0xb3081f08, 0x8001}, {0x40c58d1b, 0x462c},
	{0x3728da1e, 0x00a9}, {0x32d8f0cf, 0x0000}, {0xc5bbd7f4, 0xeddf}, {0x377b6ac4, 0x00fb},
	{0xbb0f712a, 0x987c}, {0xbdaffcc6, 0xad80}, {0x40303e39, 0x4182}, {0xbfe0af3c, 0xbf05},
	{0x40de1487, 0x46f1}, {0x3843a539, 0x030f}, {0xc69c4df4, 0xf4e2}, {0x44eeac3e, 0x6775},
	{0xc3325f70, 0xd993}, {0xc647c9e6, 0xf23e}, {0x40228afb, 0x4114}, {0xc230e9e1, 0xd187},
	{0x3a1e7e9e, 0x10f4}, {0x46bffec0, 0x7600}, {0x3306706e, 0x0001}, {0x3343ce73, 0x0001},
	{0xc5d31683, 0xee99}, {0xb37e28dc, 0x8001}, {0x3b39d490, 0x19cf}, {0xb487d811, 0x8004},
	{0xc57ed6a9, 0xebf7}, {0x3485bd8b, 0x0004}, {0x39584cc8, 0x0ac2}, {0xbd98dfa2, 0xacc7},
	{0xc4c0937d, 0xe605}, {0xc6808015, 0xf404}, {0xbb1f86bc, 0x98fc}, {0xb60d8b38, 0x8023},
	{0x3596f39b, 0x0013}, {0x48327cef, 0x7c00}, {0x442e1767, 0x6171}, {0xc59a37e5, 0xecd2},
	{0xc2384c78, 0xd1c2}, {0xb93db10a, 0x89ee}, {0xb2dda058, 0x8000}, {0x366c3612, 0x003b},
	{0x4740d216, 0x7a07}, {0x3d51b953, 0x2a8e}, {0x3881bcfe, 0x040e}, {0xb9623b37, 0x8b12},
	{0xb2bb76e4, 0x8000}, {0xb2ea4f64, 0x8000}, {0xbcb74666, 0xa5ba}, {0x34103f8d, 0x0002},
	{0xb434138d, 0x8003}, {0x3f05aa8c, 0x382d}, {0x398cc2d3, 0x0c66}, {0x40395e85, 0x41cb},
	{0x46709a03, 0x7385}, {0x47bbb817, 0x7c00}, {0xc14ce557, 0xca67}, {0x327aea0b, 0x0000},
	{0xbca24397, 0xa512}, {0x4220ffc7, 0x5108}, {0xc3d1253d, 0xde89}, {0x4038d89f, 0x41c7},
	{0x469ed8b9, 0x74f7}, {0xbd478d96, 0xaa3c}, {0xc7769b66, 0xfbb5}, {0xb4eccc6f, 0x8007},
	{0x3b67dc53, 0x1b3f}, {0x45100ac7, 0x6880}, {0x326cbf95, 0x0000}, {0x41f6d922, 0x4fb7},
	{0x486ecfe4, 0x7c00}, {0xbeca33e7, 0xb652}, {0x36c3d2af, 0x0062}, {0x483b344b, 0x7c00},
	{0x4051bf74, 0x428e}, {0xb438c120, 0x8003}, {0x34f8b6aa, 0x0008}, {0x420662d4, 0x5033},
	{0xc6294eae, 0xf14a}, {0xbca3340e, 0xa51a}, {0x397b4842, 0x0bda}, {0x384f59d6, 0x033d},
	{0xb432369e, 0x8003}, {0x45f5a230, 0x6fad}, {0xc086b136, 0xc436}, {0x4475d8ec, 0x63af},
	{0xc577bd76, 0xebbe}, {0xbba0c6b0, 0x9d06}, {0xb7c8bd73, 0x8191}, {0x4044a071, 0x4225},
	{0xb7aebc77, 0x815d}, {0x40272885, 0x4139}, {0x35654d61, 0x000e}, {0x322f15c3, 0x0000},
	{0x3981a714, 0x0c0d}, {0x36acf0c0, 0x0056}, {0xc4e300ef, 0xe718}, {0xb6b7663e, 0x805c},
	{0xbf9faeff, 0xbcfd}, {0x36806ae4, 0x0040}, {0xc48478c1, 0xe424}, {0xc2ba3923, 0xd5d2},
	{0x470d1cf6, 0x7869}, {0xc7282fce, 0xf941}, {0x35e46e05, 0x001d}, {0x37a1bf45, 0x0143},
};

static void test_f16_rounding_matches_numpy(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(f16_round) / sizeof(f16_round[0]); i++) {
		uint16_t got = mc_f32_to_f16(from_bits(f16_round[i][0]));
		if (got != f16_round[i][1])
			fail_msg("float32 0x%08x (%a): float16 0x%04x, numpy says 0x%04x",
			         f16_round[i][0], (double)from_bits(f16_round[i][0]), got,
			         f16_round[i][1]);
	}
}

/* ---- bfloat16 ------------------------------------------------------- */

static bool bf16_is_nan(uint16_t h) { return (h & 0x7f80) == 0x7f80 && (h & 0x007f); }

static void test_bf16_all_patterns_round_trip(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < 65536; i++) {
		uint16_t h = (uint16_t)i;
		float f = mc_bf16_to_f32(h);
		uint16_t back = mc_f32_to_bf16(f);
		/* bfloat16 is the top half of a float32: exact, payload included */
		assert_int_equal(bits(f), (uint32_t)h << 16);
		if (bf16_is_nan(h)) {
			assert_true(isnan(f));
			assert_true(bf16_is_nan(back));
			assert_int_equal(back & 0x8000, h & 0x8000);
			if (h & 0x0040)
				assert_int_equal(back, h);
		} else if (back != h) {
			fail_msg("bfloat16 0x%04x -> %a -> 0x%04x", h, (double)f, back);
		}
	}
}

/* float32 bits -> bfloat16 bits, round to nearest even on the dropped 16
 * bits (computed in Python as: keep the top half, add one when the low
 * half is over 0x8000, or exactly 0x8000 with the top half odd):
 * halfway cases both ways, FLT_MAX and 0x7f7f8000 (to inf), float32
 * subnormals, then random finite values. */
static const uint32_t bf16_round[][2] = {
	{0x00000000, 0x0000}, {0x80000000, 0x8000}, {0x3f800000, 0x3f80}, {0x3f808000, 0x3f80},
	{0x3f818000, 0x3f82}, {0x3f808001, 0x3f81}, {0x3f807fff, 0x3f80}, {0x7f7fffff, 0x7f80},
	{0x7f7f8000, 0x7f80}, {0x7f7f7fff, 0x7f7f}, {0x7f7e8000, 0x7f7e}, {0xff7fffff, 0xff80},
	{0x7f800000, 0x7f80}, {0xff800000, 0xff80}, {0x00008000, 0x0000}, {0x00018000, 0x0002},
	{0x00007fff, 0x0000}, {0x00008001, 0x0001}, {0x00800000, 0x0080}, {0x007fffff, 0x0080},
	{0x3dcccccd, 0x3dcd}, {0x40490fdb, 0x4049}, {0xc0490fdb, 0xc049}, {0x477fe000, 0x4780},
	{0x815a39fc, 0x815a}, {0x9289a91f, 0x928a}, {0x1a1e7f5e, 0x1a1e}, {0x7db36613, 0x7db3},
	{0x44ba7cb1, 0x44ba}, {0xb83d8776, 0xb83e}, {0xa50e5913, 0xa50e}, {0x76bab4ca, 0x76bb},
	{0xe8d06e85, 0xe8d0}, {0xd9e29263, 0xd9e3}, {0xdb5ae62a, 0xdb5b}, {0xc9d02b81, 0xc9d0},
	{0x4741aba5, 0x4742}, {0x8a8212af, 0x8a82}, {0x700e9bf8, 0x700f}, {0xf23fc0fc, 0xf240},
	{0xb09195a5, 0xb092}, {0xa5798da0, 0xa57a}, {0xfc10779f, 0xfc10}, {0x6be123be, 0x6be1},
	{0xf44af575, 0xf44b}, {0x39f0e961, 0x39f1}, {0xe816534c, 0xe816}, {0x2996cc31, 0x2997},
	{0x1c2bbe8e, 0x1c2c}, {0x5ad10a1a, 0x5ad1}, {0x95f842a0, 0x95f8}, {0x3ee2d7ae, 0x3ee3},
	{0x15b2f7e8, 0x15b3}, {0x77c5d2d5, 0x77c6}, {0x5451dd64, 0x5452}, {0xc6c7154e, 0xc6c7},
	{0x73701d49, 0x7370}, {0x09e69667, 0x09e7}, {0xa61ace58, 0xa61b}, {0xc833ca64, 0xc834},
	{0x33ccc2d0, 0x33cd}, {0x2b0ad97f, 0x2b0b}, {0xa417ac09, 0xa418}, {0x96be9d18, 0x96bf},
	{0xeaab7e7d, 0xeaab}, {0x0120f5ad, 0x0121}, {0xd54942c7, 0xd549}, {0xefda3f57, 0xefda},
	{0xb7b0aaba, 0xb7b1}, {0xb1b26732, 0xb1b2}, {0x2dadc123, 0x2dae}, {0x32d825a4, 0x32d8},
	{0xeb3c9974, 0xeb3d}, {0xf6fc01b5, 0xf6fc}, {0x5a3fe297, 0x5a40}, {0xa862876b, 0xa863},
	{0x9cc4f959, 0x9cc5}, {0x8cd07e31, 0x8cd0}, {0x375b9573, 0x375c}, {0x4a636947, 0x4a63},
	{0x867ba931, 0x867c}, {0xaeed5209, 0xaeed}, {0x79e03341, 0x79e0}, {0x329e1284, 0x329e},
	{0x1221d40b, 0x1222}, {0x5376a9ec, 0x5377}, {0xcf9a3f4c, 0xcf9a}, {0x6f00723c, 0x6f00},
	{0xe39779ea, 0xe397}, {0x8e1b2281, 0x8e1b}, {0x0e57d398, 0x0e58}, {0x4a8d9952, 0x4a8e},
	{0x743cac53, 0x743d}, {0x790e3de4, 0x790e}, {0x4c2c3aa6, 0x4c2c}, {0x1aa9705c, 0x1aa9},
	{0x529cf261, 0x529d}, {0x701ab79a, 0x701b}, {0xb83e96a4, 0xb83f}, {0x056c0829, 0x056c},
	{0x13b73b4d, 0x13b7}, {0x2dd4ff10, 0x2dd5}, {0xd3d412b6, 0xd3d4}, {0xe9bef7e9, 0xe9bf},
	{0xd14d5cde, 0xd14d}, {0x34f3d4f2, 0x34f4}, {0xf4c958c0, 0xf4c9}, {0x5d36f66b, 0x5d37},
	{0x1e091bf9, 0x1e09}, {0x2e5d8da8, 0x2e5e}, {0xe1366569, 0xe136}, {0x95cb740e, 0x95cb},
	{0x372ee2fe, 0x372f}, {0x96944869, 0x9694}, {0x957d0fcb, 0x957d}, {0xe49b0e3d, 0xe49b},
	{0x4cdb1060, 0x4cdb}, {0xbb9f35c1, 0xbb9f}, {0x6a78d53f, 0x6a79}, {0xf191dadf, 0xf192},
	{0xdc72e2b5, 0xdc73}, {0x31dd5bd6, 0x31dd},
};

static void test_bf16_rounding(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bf16_round) / sizeof(bf16_round[0]); i++) {
		uint16_t got = mc_f32_to_bf16(from_bits(bf16_round[i][0]));
		if (got != bf16_round[i][1])
			fail_msg("float32 0x%08x: bfloat16 0x%04x, expected 0x%04x", bf16_round[i][0],
			         got, bf16_round[i][1]);
	}
	assert_true(bf16_is_nan(mc_f32_to_bf16(NAN)));
	assert_true(bf16_is_nan(mc_f32_to_bf16(-NAN)));
	assert_int_equal(mc_f32_to_bf16(-NAN) & 0x8000, 0x8000);
	/* a NaN whose payload sits only in the low half must not become inf */
	assert_true(bf16_is_nan(mc_f32_to_bf16(from_bits(0x7f800001))));
	assert_true(bf16_is_nan(mc_f32_to_bf16(from_bits(0xff800001))));
	assert_int_equal(mc_f32_to_bf16(INFINITY), 0x7f80);
	assert_int_equal(mc_f32_to_bf16(-INFINITY), 0xff80);
}

/* ---- OCP FP8 -------------------------------------------------------- */

/* Value of each bit pattern as float32 bits, from the OFP8 formulas
 * (0x7fc00000 marks NaN).  E4M3FN: bias 7, no inf, S.1111.111 is NaN,
 * max 448.  E5M2: bias 15, IEEE-like, max 57344. */
static const uint32_t e4m3fn_value[256] = {
	0x00000000, 0x3b000000, 0x3b800000, 0x3bc00000, 0x3c000000, 0x3c200000, 0x3c400000, 0x3c600000,
	0x3c800000, 0x3c900000, 0x3ca00000, 0x3cb00000, 0x3cc00000, 0x3cd00000, 0x3ce00000, 0x3cf00000,
	0x3d000000, 0x3d100000, 0x3d200000, 0x3d300000, 0x3d400000, 0x3d500000, 0x3d600000, 0x3d700000,
	0x3d800000, 0x3d900000, 0x3da00000, 0x3db00000, 0x3dc00000, 0x3dd00000, 0x3de00000, 0x3df00000,
	0x3e000000, 0x3e100000, 0x3e200000, 0x3e300000, 0x3e400000, 0x3e500000, 0x3e600000, 0x3e700000,
	0x3e800000, 0x3e900000, 0x3ea00000, 0x3eb00000, 0x3ec00000, 0x3ed00000, 0x3ee00000, 0x3ef00000,
	0x3f000000, 0x3f100000, 0x3f200000, 0x3f300000, 0x3f400000, 0x3f500000, 0x3f600000, 0x3f700000,
	0x3f800000, 0x3f900000, 0x3fa00000, 0x3fb00000, 0x3fc00000, 0x3fd00000, 0x3fe00000, 0x3ff00000,
	0x40000000, 0x40100000, 0x40200000, 0x40300000, 0x40400000, 0x40500000, 0x40600000, 0x40700000,
	0x40800000, 0x40900000, 0x40a00000, 0x40b00000, 0x40c00000, 0x40d00000, 0x40e00000, 0x40f00000,
	0x41000000, 0x41100000, 0x41200000, 0x41300000, 0x41400000, 0x41500000, 0x41600000, 0x41700000,
	0x41800000, 0x41900000, 0x41a00000, 0x41b00000, 0x41c00000, 0x41d00000, 0x41e00000, 0x41f00000,
	0x42000000, 0x42100000, 0x42200000, 0x42300000, 0x42400000, 0x42500000, 0x42600000, 0x42700000,
	0x42800000, 0x42900000, 0x42a00000, 0x42b00000, 0x42c00000, 0x42d00000, 0x42e00000, 0x42f00000,
	0x43000000, 0x43100000, 0x43200000, 0x43300000, 0x43400000, 0x43500000, 0x43600000, 0x43700000,
	0x43800000, 0x43900000, 0x43a00000, 0x43b00000, 0x43c00000, 0x43d00000, 0x43e00000, 0x7fc00000,
	0x80000000, 0xbb000000, 0xbb800000, 0xbbc00000, 0xbc000000, 0xbc200000, 0xbc400000, 0xbc600000,
	0xbc800000, 0xbc900000, 0xbca00000, 0xbcb00000, 0xbcc00000, 0xbcd00000, 0xbce00000, 0xbcf00000,
	0xbd000000, 0xbd100000, 0xbd200000, 0xbd300000, 0xbd400000, 0xbd500000, 0xbd600000, 0xbd700000,
	0xbd800000, 0xbd900000, 0xbda00000, 0xbdb00000, 0xbdc00000, 0xbdd00000, 0xbde00000, 0xbdf00000,
	0xbe000000, 0xbe100000, 0xbe200000, 0xbe300000, 0xbe400000, 0xbe500000, 0xbe600000, 0xbe700000,
	0xbe800000, 0xbe900000, 0xbea00000, 0xbeb00000, 0xbec00000, 0xbed00000, 0xbee00000, 0xbef00000,
	0xbf000000, 0xbf100000, 0xbf200000, 0xbf300000, 0xbf400000, 0xbf500000, 0xbf600000, 0xbf700000,
	0xbf800000, 0xbf900000, 0xbfa00000, 0xbfb00000, 0xbfc00000, 0xbfd00000, 0xbfe00000, 0xbff00000,
	0xc0000000, 0xc0100000, 0xc0200000, 0xc0300000, 0xc0400000, 0xc0500000, 0xc0600000, 0xc0700000,
	0xc0800000, 0xc0900000, 0xc0a00000, 0xc0b00000, 0xc0c00000, 0xc0d00000, 0xc0e00000, 0xc0f00000,
	0xc1000000, 0xc1100000, 0xc1200000, 0xc1300000, 0xc1400000, 0xc1500000, 0xc1600000, 0xc1700000,
	0xc1800000, 0xc1900000, 0xc1a00000, 0xc1b00000, 0xc1c00000, 0xc1d00000, 0xc1e00000, 0xc1f00000,
	0xc2000000, 0xc2100000, 0xc2200000, 0xc2300000, 0xc2400000, 0xc2500000, 0xc2600000, 0xc2700000,
	0xc2800000, 0xc2900000, 0xc2a00000, 0xc2b00000, 0xc2c00000, 0xc2d00000, 0xc2e00000, 0xc2f00000,
	0xc3000000, 0xc3100000, 0xc3200000, 0xc3300000, 0xc3400000, 0xc3500000, 0xc3600000, 0xc3700000,
	0xc3800000, 0xc3900000, 0xc3a00000, 0xc3b00000, 0xc3c00000, 0xc3d00000, 0xc3e00000, 0x7fc00000,
};

static const uint32_t e5m2_value[256] = {
	0x00000000, 0x37800000, 0x38000000, 0x38400000, 0x38800000, 0x38a00000, 0x38c00000, 0x38e00000,
	0x39000000, 0x39200000, 0x39400000, 0x39600000, 0x39800000, 0x39a00000, 0x39c00000, 0x39e00000,
	0x3a000000, 0x3a200000, 0x3a400000, 0x3a600000, 0x3a800000, 0x3aa00000, 0x3ac00000, 0x3ae00000,
	0x3b000000, 0x3b200000, 0x3b400000, 0x3b600000, 0x3b800000, 0x3ba00000, 0x3bc00000, 0x3be00000,
	0x3c000000, 0x3c200000, 0x3c400000, 0x3c600000, 0x3c800000, 0x3ca00000, 0x3cc00000, 0x3ce00000,
	0x3d000000, 0x3d200000, 0x3d400000, 0x3d600000, 0x3d800000, 0x3da00000, 0x3dc00000, 0x3de00000,
	0x3e000000, 0x3e200000, 0x3e400000, 0x3e600000, 0x3e800000, 0x3ea00000, 0x3ec00000, 0x3ee00000,
	0x3f000000, 0x3f200000, 0x3f400000, 0x3f600000, 0x3f800000, 0x3fa00000, 0x3fc00000, 0x3fe00000,
	0x40000000, 0x40200000, 0x40400000, 0x40600000, 0x40800000, 0x40a00000, 0x40c00000, 0x40e00000,
	0x41000000, 0x41200000, 0x41400000, 0x41600000, 0x41800000, 0x41a00000, 0x41c00000, 0x41e00000,
	0x42000000, 0x42200000, 0x42400000, 0x42600000, 0x42800000, 0x42a00000, 0x42c00000, 0x42e00000,
	0x43000000, 0x43200000, 0x43400000, 0x43600000, 0x43800000, 0x43a00000, 0x43c00000, 0x43e00000,
	0x44000000, 0x44200000, 0x44400000, 0x44600000, 0x44800000, 0x44a00000, 0x44c00000, 0x44e00000,
	0x45000000, 0x45200000, 0x45400000, 0x45600000, 0x45800000, 0x45a00000, 0x45c00000, 0x45e00000,
	0x46000000, 0x46200000, 0x46400000, 0x46600000, 0x46800000, 0x46a00000, 0x46c00000, 0x46e00000,
	0x47000000, 0x47200000, 0x47400000, 0x47600000, 0x7f800000, 0x7fc00000, 0x7fc00000, 0x7fc00000,
	0x80000000, 0xb7800000, 0xb8000000, 0xb8400000, 0xb8800000, 0xb8a00000, 0xb8c00000, 0xb8e00000,
	0xb9000000, 0xb9200000, 0xb9400000, 0xb9600000, 0xb9800000, 0xb9a00000, 0xb9c00000, 0xb9e00000,
	0xba000000, 0xba200000, 0xba400000, 0xba600000, 0xba800000, 0xbaa00000, 0xbac00000, 0xbae00000,
	0xbb000000, 0xbb200000, 0xbb400000, 0xbb600000, 0xbb800000, 0xbba00000, 0xbbc00000, 0xbbe00000,
	0xbc000000, 0xbc200000, 0xbc400000, 0xbc600000, 0xbc800000, 0xbca00000, 0xbcc00000, 0xbce00000,
	0xbd000000, 0xbd200000, 0xbd400000, 0xbd600000, 0xbd800000, 0xbda00000, 0xbdc00000, 0xbde00000,
	0xbe000000, 0xbe200000, 0xbe400000, 0xbe600000, 0xbe800000, 0xbea00000, 0xbec00000, 0xbee00000,
	0xbf000000, 0xbf200000, 0xbf400000, 0xbf600000, 0xbf800000, 0xbfa00000, 0xbfc00000, 0xbfe00000,
	0xc0000000, 0xc0200000, 0xc0400000, 0xc0600000, 0xc0800000, 0xc0a00000, 0xc0c00000, 0xc0e00000,
	0xc1000000, 0xc1200000, 0xc1400000, 0xc1600000, 0xc1800000, 0xc1a00000, 0xc1c00000, 0xc1e00000,
	0xc2000000, 0xc2200000, 0xc2400000, 0xc2600000, 0xc2800000, 0xc2a00000, 0xc2c00000, 0xc2e00000,
	0xc3000000, 0xc3200000, 0xc3400000, 0xc3600000, 0xc3800000, 0xc3a00000, 0xc3c00000, 0xc3e00000,
	0xc4000000, 0xc4200000, 0xc4400000, 0xc4600000, 0xc4800000, 0xc4a00000, 0xc4c00000, 0xc4e00000,
	0xc5000000, 0xc5200000, 0xc5400000, 0xc5600000, 0xc5800000, 0xc5a00000, 0xc5c00000, 0xc5e00000,
	0xc6000000, 0xc6200000, 0xc6400000, 0xc6600000, 0xc6800000, 0xc6a00000, 0xc6c00000, 0xc6e00000,
	0xc7000000, 0xc7200000, 0xc7400000, 0xc7600000, 0xff800000, 0x7fc00000, 0x7fc00000, 0x7fc00000,
};

static void check_fp8_decode(const uint32_t *table, float (*decode)(uint8_t),
                             uint8_t (*encode)(float, bool), const char *name)
{
	for (int i = 0; i < 256; i++) {
		uint8_t v = (uint8_t)i;
		float f = decode(v);
		if (table[i] == 0x7fc00000u) {
			if (!isnan(f))
				fail_msg("%s 0x%02x decodes to %a, not NaN", name, v, (double)f);
			assert_int_equal(bits(f) >> 31, v >> 7); /* sign kept */
			/* NaN encodes to a NaN of the same sign */
			assert_true(isnan(decode(encode(f, false))));
			assert_true(isnan(decode(encode(f, true))));
			assert_int_equal(encode(f, false) & 0x80, v & 0x80);
			continue;
		}
		if (bits(f) != table[i])
			fail_msg("%s 0x%02x decodes to %a (0x%08x), the spec says %a", name, v,
			         (double)f, bits(f), (double)from_bits(table[i]));
		if (encode(f, false) != v)
			fail_msg("%s 0x%02x: %a encodes to 0x%02x", name, v, (double)f,
			         encode(f, false));
		/* every finite value is in range: saturation changes nothing */
		if (!isinf(f) && encode(f, true) != v)
			fail_msg("%s 0x%02x: %a encodes (saturating) to 0x%02x", name, v, (double)f,
			         encode(f, true));
	}
}

static void test_e4m3fn_all_patterns(void **state)
{
	(void)state;
	check_fp8_decode(e4m3fn_value, mc_f8e4m3fn_to_f32, mc_f32_to_f8e4m3fn, "e4m3fn");
	/* e4m3fn has exactly two NaN patterns and both encode back to themselves */
	assert_int_equal(mc_f32_to_f8e4m3fn(mc_f8e4m3fn_to_f32(0x7f), false), 0x7f);
	assert_int_equal(mc_f32_to_f8e4m3fn(mc_f8e4m3fn_to_f32(0xff), false), 0xff);
	assert_true(mc_f8e4m3fn_to_f32(0x7e) == 448.0f);
	assert_true(mc_f8e4m3fn_to_f32(0x01) == ldexpf(1.0f, -9));
}

static void test_e5m2_all_patterns(void **state)
{
	(void)state;
	check_fp8_decode(e5m2_value, mc_f8e5m2_to_f32, mc_f32_to_f8e5m2, "e5m2");
	assert_true(mc_f8e5m2_to_f32(0x7b) == 57344.0f);
	assert_true(mc_f8e5m2_to_f32(0x01) == ldexpf(1.0f, -16));
	assert_true(isinf(mc_f8e5m2_to_f32(0x7c)) && mc_f8e5m2_to_f32(0x7c) > 0);
	assert_true(isinf(mc_f8e5m2_to_f32(0xfc)) && mc_f8e5m2_to_f32(0xfc) < 0);
}

/* float32 bits -> {e4m3fn, e4m3fn saturating, e5m2, e5m2 saturating}.
 * Expected values: the nearest representable value, ties to the even
 * encoding, where the step past the largest finite value (480 for e4m3fn,
 * 65536 for e5m2) stands for overflow: NaN (0x7f) or inf (0x7c), or the
 * largest finite value (0x7e, 0x7b) when saturating. */
static const struct {
	uint32_t f;
	uint8_t e4m3fn, e4m3fn_sat, e5m2, e5m2_sat;
} fp8_round[] = {
	{0x00000000, 0x00, 0x00, 0x00, 0x00}, /* 0.0 */
	{0x80000000, 0x80, 0x80, 0x80, 0x80}, /* -0.0 */
	{0x3f800000, 0x38, 0x38, 0x3c, 0x3c}, /* 1.0 */
	{0xbf800000, 0xb8, 0xb8, 0xbc, 0xbc}, /* -1.0 */
	{0x43e00000, 0x7e, 0x7e, 0x5f, 0x5f}, /* 448.0 */
	{0x43e08000, 0x7e, 0x7e, 0x5f, 0x5f}, /* 449.0 */
	{0x43e7f333, 0x7e, 0x7e, 0x5f, 0x5f}, /* 463.8999938964844 */
	{0x43e80000, 0x7e, 0x7e, 0x5f, 0x5f}, /* 464.0 */
	{0x43e80ccd, 0x7f, 0x7e, 0x5f, 0x5f}, /* 464.1000061035156 */
	{0x43ef8000, 0x7f, 0x7e, 0x5f, 0x5f}, /* 479.0 */
	{0x43f00000, 0x7f, 0x7e, 0x60, 0x60}, /* 480.0 */
	{0x43fa0000, 0x7f, 0x7e, 0x60, 0x60}, /* 500.0 */
	{0x49742400, 0x7f, 0x7e, 0x7c, 0x7b}, /* 1000000.0 */
	{0xc3e80000, 0xfe, 0xfe, 0xdf, 0xdf}, /* -464.0 */
	{0xc3e88000, 0xff, 0xfe, 0xdf, 0xdf}, /* -465.0 */
	{0x3b000000, 0x01, 0x01, 0x18, 0x18}, /* 0.001953125 */
	{0x3a800000, 0x00, 0x00, 0x14, 0x14}, /* 0.0009765625 */
	{0x3a800347, 0x01, 0x01, 0x14, 0x14}, /* 0.0009766601724550128 */
	{0x3b400000, 0x02, 0x02, 0x1a, 0x1a}, /* 0.0029296875 */
	{0x3ba00000, 0x02, 0x02, 0x1d, 0x1d}, /* 0.0048828125 */
	{0x3a000000, 0x00, 0x00, 0x10, 0x10}, /* 0.00048828125 */
	{0x3c800000, 0x08, 0x08, 0x24, 0x24}, /* 0.015625 */
	{0x3c700000, 0x08, 0x08, 0x24, 0x24}, /* 0.0146484375 */
	{0x3f880000, 0x38, 0x38, 0x3c, 0x3c}, /* 1.0625 */
	{0x3f980000, 0x3a, 0x3a, 0x3d, 0x3d}, /* 1.1875 */
	{0x3f880008, 0x39, 0x39, 0x3c, 0x3c}, /* 1.0625009536743164 */
	{0x3dcccccd, 0x1d, 0x1d, 0x2e, 0x2e}, /* 0.10000000149011612 */
	{0x40400000, 0x44, 0x44, 0x42, 0x42}, /* 3.0 */
	{0x41880000, 0x58, 0x58, 0x4c, 0x4c}, /* 17.0 */
	{0x41900000, 0x59, 0x59, 0x4c, 0x4c}, /* 18.0 */
	{0x41980000, 0x5a, 0x5a, 0x4d, 0x4d}, /* 19.0 */
	{0x47600000, 0x7f, 0x7e, 0x7b, 0x7b}, /* 57344.0 */
	{0x476fff00, 0x7f, 0x7e, 0x7b, 0x7b}, /* 61439.0 */
	{0x47700000, 0x7f, 0x7e, 0x7c, 0x7b}, /* 61440.0 */
	{0x47700100, 0x7f, 0x7e, 0x7c, 0x7b}, /* 61441.0 */
	{0x47800000, 0x7f, 0x7e, 0x7c, 0x7b}, /* 65536.0 */
	{0x4e6e6b28, 0x7f, 0x7e, 0x7c, 0x7b}, /* 1000000000.0 */
	{0xc7700000, 0xff, 0xfe, 0xfc, 0xfb}, /* -61440.0 */
	{0x37800000, 0x00, 0x00, 0x01, 0x01}, /* 1.52587890625e-05 */
	{0x37000000, 0x00, 0x00, 0x00, 0x00}, /* 7.62939453125e-06 */
	{0x37c00000, 0x00, 0x00, 0x02, 0x02}, /* 2.288818359375e-05 */
	{0x36800000, 0x00, 0x00, 0x00, 0x00}, /* 3.814697265625e-06 */
	{0x38800000, 0x00, 0x00, 0x04, 0x04}, /* 6.103515625e-05 */
	{0x3f900000, 0x39, 0x39, 0x3c, 0x3c}, /* 1.125 */
	{0x3fb00000, 0x3b, 0x3b, 0x3e, 0x3e}, /* 1.375 */
	{0x40200000, 0x42, 0x42, 0x41, 0x41}, /* 2.5 */
	{0x40600000, 0x46, 0x46, 0x43, 0x43}, /* 3.5 */
	{0x41600000, 0x56, 0x56, 0x4b, 0x4b}, /* 14.0 */
	{0x41700000, 0x57, 0x57, 0x4c, 0x4c}, /* 15.0 */
};

static void test_fp8_rounding(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fp8_round) / sizeof(fp8_round[0]); i++) {
		float f = from_bits(fp8_round[i].f);
		uint8_t a = mc_f32_to_f8e4m3fn(f, false), b = mc_f32_to_f8e4m3fn(f, true);
		uint8_t c = mc_f32_to_f8e5m2(f, false), d = mc_f32_to_f8e5m2(f, true);
		if (a != fp8_round[i].e4m3fn || b != fp8_round[i].e4m3fn_sat ||
		    c != fp8_round[i].e5m2 || d != fp8_round[i].e5m2_sat)
			fail_msg("%a: got e4m3fn 0x%02x/0x%02x e5m2 0x%02x/0x%02x, expected "
			         "0x%02x/0x%02x 0x%02x/0x%02x",
			         (double)f, a, b, c, d, fp8_round[i].e4m3fn, fp8_round[i].e4m3fn_sat,
			         fp8_round[i].e5m2, fp8_round[i].e5m2_sat);
	}
}

static void test_fp8_out_of_range(void **state)
{
	(void)state;
	/* e4m3fn has no inf: inf and NaN are NaN unless saturating */
	assert_int_equal(mc_f32_to_f8e4m3fn(INFINITY, false), 0x7f);
	assert_int_equal(mc_f32_to_f8e4m3fn(-INFINITY, false), 0xff);
	assert_int_equal(mc_f32_to_f8e4m3fn(INFINITY, true), 0x7e);
	assert_int_equal(mc_f32_to_f8e4m3fn(-INFINITY, true), 0xfe);
	assert_int_equal(mc_f32_to_f8e4m3fn(NAN, false), 0x7f);
	assert_int_equal(mc_f32_to_f8e4m3fn(NAN, true), 0x7f);
	assert_int_equal(mc_f32_to_f8e4m3fn(-NAN, true), 0xff);
	assert_int_equal(mc_f32_to_f8e4m3fn(FLT_MAX, false), 0x7f);
	assert_int_equal(mc_f32_to_f8e4m3fn(FLT_MAX, true), 0x7e);
	assert_int_equal(mc_f32_to_f8e4m3fn(-FLT_MAX, true), 0xfe);
	/* e5m2 has inf */
	assert_int_equal(mc_f32_to_f8e5m2(INFINITY, false), 0x7c);
	assert_int_equal(mc_f32_to_f8e5m2(-INFINITY, false), 0xfc);
	assert_int_equal(mc_f32_to_f8e5m2(INFINITY, true), 0x7b);
	assert_int_equal(mc_f32_to_f8e5m2(-INFINITY, true), 0xfb);
	assert_int_equal(mc_f32_to_f8e5m2(FLT_MAX, false), 0x7c);
	assert_int_equal(mc_f32_to_f8e5m2(FLT_MAX, true), 0x7b);
	assert_true(isnan(mc_f8e5m2_to_f32(mc_f32_to_f8e5m2(NAN, false))));
	assert_true(isnan(mc_f8e5m2_to_f32(mc_f32_to_f8e5m2(NAN, true))));
	/* the tiniest float32 values round to signed zero */
	assert_int_equal(mc_f32_to_f8e4m3fn(from_bits(0x00000001), false), 0x00);
	assert_int_equal(mc_f32_to_f8e4m3fn(from_bits(0x80000001), false), 0x80);
	assert_int_equal(mc_f32_to_f8e5m2(from_bits(0x80000001), false), 0x80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_names_round_trip),
		cmocka_unit_test(test_table_invalid),
		cmocka_unit_test(test_four_bit_sizes),
		cmocka_unit_test(test_fnuz_and_e2m1),
		cmocka_unit_test(test_f16_all_patterns_round_trip),
		cmocka_unit_test(test_f16_known_values),
		cmocka_unit_test(test_f16_rounding_matches_numpy),
		cmocka_unit_test(test_bf16_all_patterns_round_trip),
		cmocka_unit_test(test_bf16_rounding),
		cmocka_unit_test(test_e4m3fn_all_patterns),
		cmocka_unit_test(test_e5m2_all_patterns),
		cmocka_unit_test(test_fp8_rounding),
		cmocka_unit_test(test_fp8_out_of_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
