/* SPDX-License-Identifier: MIT */
/*
 * The dtype table (the contract's names and sizes) and conversions between
 * float32 and the narrow float formats: IEEE half, bfloat16, and the OCP
 * 8-bit formats E4M3FN (no infinities, one NaN pattern per sign, max 448)
 * and E5M2 (IEEE-like, max 57344); and, read only, the fnuz variants of
 * both (exponent bias one higher, 0x80 the only NaN, max 240 and 57344)
 * and the OCP 4-bit E2M1 (values 0, 0.5, 1, 1.5, 2, 3, 4, 6).  The 4-bit
 * types are packed two to a byte, and dtype names follow ml_dtypes.
 */
#include <math.h>
#include <string.h>

#include "modelctl.h"
#include "banned.h"

static const mc_dtype_info table[MC_DTYPE_COUNT] = {
	[MC_BOOL] = {"bool", MC_KIND_BOOL, 1, 1, 1},
	[MC_INT8] = {"int8", MC_KIND_INT, 1, 1, 1},
	[MC_UINT8] = {"uint8", MC_KIND_UINT, 1, 1, 1},
	[MC_INT16] = {"int16", MC_KIND_INT, 1, 2, 2},
	[MC_UINT16] = {"uint16", MC_KIND_UINT, 1, 2, 2},
	[MC_INT32] = {"int32", MC_KIND_INT, 1, 4, 4},
	[MC_UINT32] = {"uint32", MC_KIND_UINT, 1, 4, 4},
	[MC_INT64] = {"int64", MC_KIND_INT, 1, 8, 8},
	[MC_UINT64] = {"uint64", MC_KIND_UINT, 1, 8, 8},
	[MC_FLOAT16] = {"float16", MC_KIND_FLOAT, 1, 2, 2},
	[MC_BFLOAT16] = {"bfloat16", MC_KIND_FLOAT, 1, 2, 2},
	[MC_FLOAT32] = {"float32", MC_KIND_FLOAT, 1, 4, 4},
	[MC_FLOAT64] = {"float64", MC_KIND_FLOAT, 1, 8, 8},
	[MC_COMPLEX64] = {"complex64", MC_KIND_COMPLEX, 1, 8, 4},
	[MC_COMPLEX128] = {"complex128", MC_KIND_COMPLEX, 1, 16, 8},
	[MC_FLOAT8_E4M3FN] = {"float8_e4m3fn", MC_KIND_FLOAT, 1, 1, 1},
	[MC_FLOAT8_E5M2] = {"float8_e5m2", MC_KIND_FLOAT, 1, 1, 1},
	[MC_FLOAT8_E4M3FNUZ] = {"float8_e4m3fnuz", MC_KIND_FLOAT, 1, 1, 1},
	[MC_FLOAT8_E5M2FNUZ] = {"float8_e5m2fnuz", MC_KIND_FLOAT, 1, 1, 1},
	[MC_INT4] = {"int4", MC_KIND_INT, 2, 1, 1},
	[MC_UINT4] = {"uint4", MC_KIND_UINT, 2, 1, 1},
	[MC_FLOAT4_E2M1FN] = {"float4_e2m1fn", MC_KIND_FLOAT, 2, 1, 1},
};

const mc_dtype_info *mc_dtype_get(mc_dtype dt)
{
	if ((int)dt <= MC_DTYPE_INVALID || (int)dt >= MC_DTYPE_COUNT)
		return NULL;
	return &table[dt];
}

const char *mc_dtype_name(mc_dtype dt)
{
	const mc_dtype_info *info = mc_dtype_get(dt);
	return info ? info->name : "invalid";
}

mc_dtype mc_dtype_from_name(const char *name)
{
	for (int i = MC_DTYPE_INVALID + 1; i < MC_DTYPE_COUNT; i++)
		if (name && strcmp(table[i].name, name) == 0)
			return (mc_dtype)i;
	return MC_DTYPE_INVALID;
}

size_t mc_dtype_size(mc_dtype dt)
{
	const mc_dtype_info *info = mc_dtype_get(dt);
	if (!info || info->block_elems != 1)
		return 0;
	return info->block_bytes;
}

static uint32_t f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	return u;
}

static float bits_f32(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof(f));
	return f;
}

float mc_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f;
	uint32_t man = h & 0x3ff;

	if (exp == 0x1f) /* inf or NaN, keeping the payload */
		return bits_f32(sign | 0x7f800000u | (man << 13));
	if (exp == 0) {
		/* zero or subnormal: man * 2^-24 is exact in float32 */
		float v = ldexpf((float)man, -24);
		return sign ? -v : v;
	}
	return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

/*
 * Round a float32 to a narrower IEEE-style format with `ebits` exponent bits
 * and `mbits` mantissa bits, nearest-even, and return the packed bits without
 * the sign.  Overflow returns the infinity pattern; callers adjust formats
 * that have none.
 */
static uint32_t narrow_float(float f, int ebits, int mbits, int *overflow)
{
	int bias = (1 << (ebits - 1)) - 1;
	float a = fabsf(f);
	int e;
	uint32_t q;

	*overflow = 0;
	if (a == 0.0f)
		return 0;
	frexpf(a, &e); /* a = m * 2^e, m in [0.5, 1) */
	e -= 1;        /* a = (2m) * 2^e, 2m in [1, 2) */
	if (e < 1 - bias) {
		/* subnormal: quantum is 2^(1-bias-mbits) */
		float scaled = ldexpf(a, mbits - (1 - bias));
		q = (uint32_t)nearbyintf(scaled); /* default rounding is nearest-even */
		return q; /* may carry into the smallest normal, which is correct */
	}
	{
		float scaled = ldexpf(a, mbits - e); /* in [2^mbits, 2^(mbits+1)) */
		uint32_t mant = (uint32_t)nearbyintf(scaled);
		if (mant == (1u << (mbits + 1))) {
			mant >>= 1;
			e += 1;
		}
		if (e + bias >= (1 << ebits) - 1) {
			*overflow = 1;
			return (uint32_t)((1 << ebits) - 1) << mbits;
		}
		q = ((uint32_t)(e + bias) << mbits) | (mant & ((1u << mbits) - 1));
	}
	return q;
}

uint16_t mc_f32_to_f16(float f)
{
	uint32_t u = f32_bits(f);
	uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
	int ovf;

	if (isnan(f))
		return (uint16_t)(sign | 0x7e00 | ((u >> 13) & 0x3ff));
	if (isinf(f))
		return (uint16_t)(sign | 0x7c00);
	return (uint16_t)(sign | narrow_float(f, 5, 10, &ovf));
}

float mc_bf16_to_f32(uint16_t h)
{
	return bits_f32((uint32_t)h << 16);
}

uint16_t mc_f32_to_bf16(float f)
{
	uint32_t u = f32_bits(f);

	if (isnan(f))
		return (uint16_t)((u >> 16) | 0x0040); /* stay a (quiet) NaN */
	/* round to nearest even on the dropped 16 bits; overflow becomes inf */
	u += 0x7fffu + ((u >> 16) & 1u);
	return (uint16_t)(u >> 16);
}

float mc_f8e4m3fn_to_f32(uint8_t v)
{
	uint32_t exp = (v >> 3) & 0xf;
	uint32_t man = v & 0x7;
	float r;

	if (exp == 0xf && man == 0x7)
		return (v & 0x80) ? -NAN : NAN;
	if (exp == 0)
		r = ldexpf((float)man, -9); /* subnormal: man * 2^-6 * 2^-3 */
	else
		r = ldexpf((float)(8 + man), (int)exp - 7 - 3);
	return (v & 0x80) ? -r : r;
}

uint8_t mc_f32_to_f8e4m3fn(float f, bool saturate)
{
	uint8_t sign = (f32_bits(f) >> 24) & 0x80;
	uint8_t too_big = (uint8_t)(sign | (saturate ? 0x7e : 0x7f));
	float a = fabsf(f);
	uint32_t mant;
	int e;

	if (isnan(f))
		return (uint8_t)(sign | 0x7f);
	if (isinf(f))
		return too_big;
	if (a < ldexpf(1.0f, -6)) {
		/* subnormal range, quantum 2^-9; 8 quanta is the smallest normal
		 * and happens to be encoded the same way */
		return (uint8_t)(sign | (uint32_t)nearbyintf(ldexpf(a, 9)));
	}
	frexpf(a, &e);
	e -= 1; /* a = 1.x * 2^e */
	mant = (uint32_t)nearbyintf(ldexpf(a, 3 - e)); /* in [8, 16] */
	if (mant == 16) {
		mant = 8;
		e += 1;
	}
	/* exponent 15 with mantissa 7 is NaN: 480 and up do not exist */
	if (e + 7 > 15 || (e + 7 == 15 && (mant & 7) == 7))
		return too_big;
	return (uint8_t)(sign | ((uint32_t)(e + 7) << 3) | (mant & 7));
}

float mc_f8e5m2_to_f32(uint8_t v)
{
	return mc_f16_to_f32((uint16_t)v << 8);
}

uint8_t mc_f32_to_f8e5m2(float f, bool saturate)
{
	uint8_t sign = (f32_bits(f) >> 24) & 0x80;
	int ovf;
	uint32_t q;

	if (isnan(f))
		return (uint8_t)(sign | 0x7e);
	if (isinf(f))
		return (uint8_t)(sign | (saturate ? 0x7b : 0x7c));
	q = narrow_float(f, 5, 2, &ovf);
	if (ovf)
		return (uint8_t)(sign | (saturate ? 0x7b : 0x7c));
	return (uint8_t)(sign | q);
}

/* A float of `ebits` exponent and `mbits` mantissa bits with exponent
 * bias `bias` and no infinities: subnormal when the exponent field is 0. */
static float small_float(uint32_t exp, uint32_t man, int bias, int mbits, bool negative)
{
	float r;
	if (exp == 0)
		r = ldexpf((float)man, 1 - bias - mbits);
	else
		r = ldexpf((float)((1u << mbits) + man), (int)exp - bias - mbits);
	return negative ? -r : r;
}

float mc_f8e4m3fnuz_to_f32(uint8_t v)
{
	if (v == 0x80)
		return NAN;
	return small_float((v >> 3) & 0xf, v & 0x7, 8, 3, v & 0x80);
}

float mc_f8e5m2fnuz_to_f32(uint8_t v)
{
	if (v == 0x80)
		return NAN;
	return small_float((v >> 2) & 0x1f, v & 0x3, 16, 2, v & 0x80);
}

float mc_f4e2m1_to_f32(uint8_t v)
{
	return small_float((v >> 1) & 0x3, v & 0x1, 1, 1, v & 0x8);
}
