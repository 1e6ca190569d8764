/* SPDX-License-Identifier: MIT */
/*
 * Zip archives, read strictly from memory and written deterministically.
 * Specified by PKWARE's APPNOTE.TXT (".ZIP File Format Specification",
 * version 6.3.x), sections 4.3 (layout) and 4.4-4.5 (fields, extra fields).
 *
 *   [local header 1][data 1][data descriptor 1]   one per entry, in order
 *   ...
 *   [central directory header 1] ... [n]           the table of contents
 *   [zip64 end of central directory record]        only in zip64 archives
 *   [zip64 end of central directory locator]       only in zip64 archives
 *   [end of central directory record][comment]     last in the file
 *
 * Local header (30 bytes + name + extra): "PK\3\4", version needed, flags,
 * method, DOS time, DOS date, crc-32, compressed size, uncompressed size,
 * name length, extra length.  With flag bit 3 the CRC and sizes may be zero
 * there and follow the data in a data descriptor: an optional "PK\7\8",
 * crc-32, then the two sizes as 4-byte fields, or 8-byte fields when the
 * local header has a zip64 extra field.  Central directory header (46
 * bytes + name + extra + comment): "PK\1\2", version made by, the local
 * fields again, comment length, disk number, attributes, local header
 * offset.  End record (22 bytes + comment): "PK\5\6", disk numbers, entry
 * counts, directory size and offset, comment length; it is found by
 * scanning back from the end of the file.  When a count, size or offset
 * does not fit, the field holds 0xFFFF / 0xFFFFFFFF and the real value is
 * in a zip64 record ("PK\6\6", 56 bytes and more) found through the 20-byte
 * locator ("PK\6\7") just before the end record, or, per entry, in the
 * zip64 extra field (id 0x0001): uncompressed size, compressed size, local
 * header offset, disk, each present only when its field is saturated (a
 * local header's holds both sizes).  Extra fields are (id u16, size u16,
 * data) records; PyTorch pads local headers with one ("FB") so that data is
 * 64-byte aligned.
 *
 * What the reader accepts is what Python's zipfile (numpy's savez, which
 * forces zip64 local extras) and PyTorch's writer (flags 0x0808, data
 * descriptors, zero sizes in local headers, a zip64 end record) produce.
 * It refuses what lets two zip readers see different content: the end
 * record must end the file exactly and be the only one that does; the
 * central directory must end where the end records begin; entries must
 * tile the file from offset 0 to the central directory with no gap or
 * overlap (no pickle glued in front, no hidden bytes between entries);
 * local headers must agree with the central directory; names must be
 * unique, relative and free of "..", backslashes and NUL.  Encrypted
 * entries are refused as unsafe (their content cannot be inspected);
 * methods other than stored and deflate as unsupported.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "strmap.h"
#include "checked.h"
#include "cursor.h"
#include "error.h"
#include "zip.h"
#include "banned.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define SIG_DESC 0x08074b50u

#define LOCAL_SIZE 30u
#define CENTRAL_SIZE 46u
#define EOCD_SIZE 22u
#define EOCD64_SIZE 56u
#define LOC64_SIZE 20u
#define MAX_COMMENT 0xFFFFu

#define EXTRA_ZIP64 0x0001u

/* Python's zipfile switches to zip64 fields above 2 GiB - 1 (ZIP64_LIMIT),
 * since some readers treat the 32-bit fields as signed; the writer does
 * the same so that an npz is byte-identical to np.savez's. */
#define WRITE_ZIP64_LIMIT 0x7FFFFFFFull
#define WRITE_COUNT_LIMIT 0xFFFFull
#define DOS_DATE_1980 0x0021u /* 1980-01-01 */
#define DOS_TIME_0 0x0000u    /* 00:00:00 */

/* deflate output: zlib's counters are 32-bit, so feed it bounded pieces */
#define ZCHUNK (1u << 30)

#define ZFAIL(z, code, entry, off, ...) \
	mc_fail((code), (z)->path, (entry), (int64_t)(off), __VA_ARGS__)

struct mc_zip {
	const uint8_t *data;
	size_t len;
	char *path;
	mc_zip_entry *entries;
	size_t count;
	size_t *by_name; /* entry indices sorted by name */
	char *names;     /* every name, NUL-terminated, back to back */
	uint64_t cd_offset, cd_size;
	bool zip64;
};

/* What open needs per entry beyond the public fields. */
typedef struct raw_entry {
	const uint8_t *name; /* raw bytes as in the central directory */
	size_t name_len;
	size_t name_off;     /* decoded name's offset in the name buffer */
	uint64_t end;        /* end of data and descriptor */
} raw_entry;

/* ---- names ------------------------------------------------------------- */

/* Unicode code points of CP437 bytes 0x80-0xFF: names without the UTF-8
 * flag are CP437 (APPNOTE appendix D), as Python's zipfile reads them. */
static const uint16_t cp437_high[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
	0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
	0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
	0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
	0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4,
	0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
	0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248,
	0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

/* A printable copy of a name for messages: control bytes become '?', long
 * names are cut with "...". */
static const char *shown(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < size; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[n++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (n + 4 >= size && len > n) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when invalid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_seq(const uint8_t *s, size_t len)
{
	uint32_t cp, min;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2; cp = s[0] & 0x1F; min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3; cp = s[0] & 0x0F; min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4; cp = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static int check_name_at(const char *path, const char *name, size_t len, int64_t off)
{
	char buf[256];

	if (len == 0)
		return mc_fail(MC_ECORRUPT, path, NULL, off, "empty entry name");
	if (len > MC_ZIP_MAX_NAME)
		return mc_fail(MC_ELIMIT, path, NULL, off,
		               "entry name '%s' is %zu bytes, over the limit of %u",
		               shown(buf, sizeof(buf), name, len), len, MC_ZIP_MAX_NAME);
	if (memchr(name, '\0', len))
		return mc_fail(MC_ECORRUPT, path, NULL, off, "entry name '%s' contains a NUL byte",
		               shown(buf, sizeof(buf), name, len));
	if (memchr(name, '\\', len))
		return mc_fail(MC_EUNSAFE, path, NULL, off,
		               "entry name '%s' contains a backslash, which windows reads as a "
		               "directory separator", shown(buf, sizeof(buf), name, len));
	if (name[0] == '/' ||
	    (len >= 2 && name[1] == ':' &&
	     ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'))))
		return mc_fail(MC_EUNSAFE, path, NULL, off, "entry name '%s' is an absolute path",
		               shown(buf, sizeof(buf), name, len));
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && name[j] != '/')
			j++;
		if (j - i == 2 && name[i] == '.' && name[i + 1] == '.')
			return mc_fail(MC_EUNSAFE, path, NULL, off,
			               "entry name '%s' escapes the archive ('..' component)",
			               shown(buf, sizeof(buf), name, len));
		i = j + 1;
	}
	return 0;
}

int mc_zip_check_name(const char *path, const char *name, size_t len)
{
	return check_name_at(path, name, len, -1);
}

/* Append the decoded name to the growing name buffer. */
static int push_name(char **names, size_t *used, size_t *cap, const uint8_t *raw, size_t n,
                     bool utf8, size_t *out_off)
{
	size_t need;

	/* CP437 bytes decode to at most 3 UTF-8 bytes each */
	if (!mc_mul_size(&need, n, 3) || !mc_add_size(&need, need, *used + 1))
		return mc_nomem();
	if (need > *cap) {
		size_t ncap = *cap ? *cap : 4096;
		char *p;
		while (ncap < need)
			ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
		p = realloc(*names, ncap);
		if (!p)
			return mc_nomem();
		*names = p;
		*cap = ncap;
	}
	*out_off = *used;
	if (utf8) {
		memcpy(*names + *used, raw, n);
		*used += n;
	} else {
		for (size_t i = 0; i < n; i++) {
			uint32_t cp = raw[i] < 0x80 ? raw[i] : cp437_high[raw[i] - 0x80];
			char *d = *names + *used;
			if (cp < 0x80) {
				d[0] = (char)cp;
				*used += 1;
			} else if (cp < 0x800) {
				d[0] = (char)(0xC0 | (cp >> 6));
				d[1] = (char)(0x80 | (cp & 0x3F));
				*used += 2;
			} else {
				d[0] = (char)(0xE0 | (cp >> 12));
				d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
				d[2] = (char)(0x80 | (cp & 0x3F));
				*used += 3;
			}
		}
	}
	(*names)[(*used)++] = '\0';
	return 0;
}

/* ---- extra fields ------------------------------------------------------ */

/* Walk the extra fields in x; return the zip64 field's data (or NULL) in
 * *z64.  Every record must fit exactly; a repeated zip64 field is refused. */
static int find_zip64(mc_cur *x, mc_cur *z64, bool *found)
{
	*found = false;
	while (mc_cur_left(x)) {
		uint16_t id, size;
		mc_cur data;
		int rc;
		if (mc_cur_left(x) < 4)
			return mc_corrupt(x, "malformed extra field: %zu stray bytes at its end",
			                  mc_cur_left(x));
		if ((rc = mc_cur_u16le(x, &id)) || (rc = mc_cur_u16le(x, &size)))
			return rc;
		if (size > mc_cur_left(x))
			return mc_corrupt(x, "malformed extra field: record 0x%04x of %u bytes runs past "
			                  "the extra data (%zu bytes left)", id, size, mc_cur_left(x));
		if ((rc = mc_cur_sub(&data, x, size)))
			return rc;
		if (id == EXTRA_ZIP64) {
			if (*found)
				return mc_corrupt(x, "malformed extra field: two zip64 records");
			*z64 = data;
			*found = true;
		}
	}
	return 0;
}

/* Replace a saturated 32-bit value by the next 64-bit one of the zip64 field. */
static int zip64_value(uint64_t *v, uint64_t saturated, mc_cur *z64, bool have, const char *what)
{
	if (*v != saturated)
		return 0;
	if (!have)
		return 0; /* taken literally, as Python's zipfile does */
	if (saturated == 0xFFFFu) {
		uint32_t d;
		int rc = mc_cur_u32le(z64, &d);
		if (rc)
			return mc_corrupt(z64, "zip64 extra field lacks the %s", what);
		*v = d;
		return 0;
	}
	if (mc_cur_left(z64) < 8)
		return mc_corrupt(z64, "zip64 extra field lacks the %s", what);
	return mc_cur_u64le(z64, v);
}

/* ---- the end records ---------------------------------------------------- */

/* Find the one end of central directory record that ends the file. */
static int find_eocd(mc_zip *z, mc_cur *c, size_t *out)
{
	size_t len = z->len, lo, found = SIZE_MAX, last_sig = SIZE_MAX;

	if (len < EOCD_SIZE)
		return mc_corrupt(c, "not a zip archive: %zu bytes is too short for an end of "
		                  "central directory record", len);
	lo = len - EOCD_SIZE > MAX_COMMENT ? len - EOCD_SIZE - MAX_COMMENT : 0;
	for (size_t pos = len - EOCD_SIZE + 1; pos-- > lo;) {
		uint32_t sig;
		uint16_t clen;
		if (mc_cur_seek(c, pos) || mc_cur_u32le(c, &sig))
			return MC_ECORRUPT;
		if (sig != SIG_EOCD)
			continue;
		if (last_sig == SIZE_MAX)
			last_sig = pos;
		if (mc_cur_seek(c, pos + 20) || mc_cur_u16le(c, &clen))
			return MC_ECORRUPT;
		if (pos + EOCD_SIZE + clen != len)
			continue;
		if (found != SIZE_MAX) {
			mc_cur_seek(c, pos);
			return mc_corrupt(c, "ambiguous archive: the comment of the end of central "
			                  "directory record at offset %zu holds another one", pos);
		}
		found = pos;
	}
	if (found != SIZE_MAX) {
		*out = found;
		return 0;
	}
	if (last_sig == SIZE_MAX) {
		mc_cur_seek(c, len);
		return mc_corrupt(c, "not a zip archive (or truncated): no end of central directory "
		                  "record");
	}
	{
		uint16_t clen;
		size_t end;
		mc_cur_seek(c, last_sig + 20);
		mc_cur_u16le(c, &clen);
		end = last_sig + EOCD_SIZE + clen;
		mc_cur_seek(c, end < len ? end : last_sig);
		if (end < len)
			return mc_corrupt(c, "%zu bytes after the end of central directory record",
			                  len - end);
		return mc_corrupt(c, "truncated: the archive comment (%u bytes) runs past the end "
		                  "of the file", clen);
	}
}

typedef struct eocd_info {
	uint64_t count, cd_size, cd_offset;
	uint64_t cd_end; /* where the central directory must end */
} eocd_info;

static int read_zip64_end(mc_zip *z, mc_cur *c, size_t eocd_pos, eocd_info *info,
                          uint16_t count16, uint32_t size32, uint32_t off32)
{
	size_t loc = eocd_pos - LOC64_SIZE;
	uint32_t sig, disk32, cd_disk32, rec_disk, disks;
	uint64_t rec_off, rec_size, n_disk, n_total, cd_size, cd_off;
	uint16_t made, needed;
	int rc;

	if ((rc = mc_cur_seek(c, loc + 4)) || (rc = mc_cur_u32le(c, &rec_disk)) ||
	    (rc = mc_cur_u64le(c, &rec_off)) || (rc = mc_cur_u32le(c, &disks)))
		return rc;
	if (rec_disk != 0 || disks > 1) {
		mc_cur_seek(c, loc);
		return mc_cur_fail(c, MC_EUNSUPPORTED,
		                   "multi-disk (spanned) archives are not supported (zip64 locator "
		                   "names disk %u of %u)", rec_disk, disks);
	}
	if (rec_off > loc || loc - rec_off < EOCD64_SIZE) {
		mc_cur_seek(c, loc + 8);
		return mc_corrupt(c, "zip64 end of central directory record offset %llu does not "
		                  "leave room for the record before its locator (offset %zu)",
		                  (unsigned long long)rec_off, loc);
	}
	if ((rc = mc_cur_seek(c, (size_t)rec_off)) || (rc = mc_cur_u32le(c, &sig)))
		return rc;
	if (sig != SIG_EOCD64) {
		mc_cur_seek(c, (size_t)rec_off);
		return mc_corrupt(c, "zip64 locator points to offset %llu, which holds no zip64 end "
		                  "of central directory record", (unsigned long long)rec_off);
	}
	if ((rc = mc_cur_u64le(c, &rec_size)) || (rc = mc_cur_u16le(c, &made)) ||
	    (rc = mc_cur_u16le(c, &needed)) || (rc = mc_cur_u32le(c, &disk32)) ||
	    (rc = mc_cur_u32le(c, &cd_disk32)) || (rc = mc_cur_u64le(c, &n_disk)) ||
	    (rc = mc_cur_u64le(c, &n_total)) || (rc = mc_cur_u64le(c, &cd_size)) ||
	    (rc = mc_cur_u64le(c, &cd_off)))
		return rc;
	if (rec_size != loc - rec_off - 12) {
		mc_cur_seek(c, (size_t)rec_off + 4);
		return mc_corrupt(c, "zip64 end of central directory record says %llu bytes but "
		                  "%llu lie between it and its locator",
		                  (unsigned long long)rec_size, (unsigned long long)(loc - rec_off - 12));
	}
	if (disk32 != 0 || cd_disk32 != 0) {
		mc_cur_seek(c, (size_t)rec_off + 16);
		return mc_cur_fail(c, MC_EUNSUPPORTED, "multi-disk (spanned) archives are not supported");
	}
	if (n_disk != n_total) {
		mc_cur_seek(c, (size_t)rec_off + 24);
		return mc_corrupt(c, "zip64 end of central directory record counts disagree: %llu "
		                  "entries on this disk, %llu in all", (unsigned long long)n_disk,
		                  (unsigned long long)n_total);
	}
	if ((count16 != 0xFFFF && count16 != n_total) ||
	    (size32 != 0xFFFFFFFFu && size32 != cd_size) ||
	    (off32 != 0xFFFFFFFFu && off32 != cd_off)) {
		mc_cur_seek(c, eocd_pos);
		return mc_corrupt(c, "end of central directory record (%u entries, %u bytes at "
		                  "offset %u) disagrees with the zip64 record (%llu entries, %llu bytes "
		                  "at offset %llu)", count16, size32, off32,
		                  (unsigned long long)n_total, (unsigned long long)cd_size,
		                  (unsigned long long)cd_off);
	}
	info->count = n_total;
	info->cd_size = cd_size;
	info->cd_offset = cd_off;
	info->cd_end = rec_off;
	z->zip64 = true;
	return 0;
}

static int read_end(mc_zip *z, mc_cur *c, eocd_info *info)
{
	uint16_t disk, cd_disk, n_disk, n_total;
	uint32_t cd_size, cd_off, sig;
	size_t pos = 0;
	int rc;

	if ((rc = find_eocd(z, c, &pos)))
		return rc;
	if ((rc = mc_cur_seek(c, pos + 4)) || (rc = mc_cur_u16le(c, &disk)) ||
	    (rc = mc_cur_u16le(c, &cd_disk)) || (rc = mc_cur_u16le(c, &n_disk)) ||
	    (rc = mc_cur_u16le(c, &n_total)) || (rc = mc_cur_u32le(c, &cd_size)) ||
	    (rc = mc_cur_u32le(c, &cd_off)))
		return rc;
	info->count = n_total;
	info->cd_size = cd_size;
	info->cd_offset = cd_off;
	info->cd_end = pos;
	if (n_disk != n_total) {
		mc_cur_seek(c, pos + 8);
		return mc_corrupt(c, "end of central directory record counts disagree: %u entries "
		                  "on this disk, %u in all", n_disk, n_total);
	}
	if (pos >= LOC64_SIZE) {
		if ((rc = mc_cur_seek(c, pos - LOC64_SIZE)) || (rc = mc_cur_u32le(c, &sig)))
			return rc;
		if (sig == SIG_LOC64) {
			if ((disk != 0 && disk != 0xFFFF) || (cd_disk != 0 && cd_disk != 0xFFFF)) {
				mc_cur_seek(c, pos + 4);
				return mc_cur_fail(c, MC_EUNSUPPORTED,
				                   "multi-disk (spanned) archives are not supported");
			}
			return read_zip64_end(z, c, pos, info, n_total, cd_size, cd_off);
		}
	}
	if (disk != 0 || cd_disk != 0) {
		mc_cur_seek(c, pos + 4);
		return mc_cur_fail(c, MC_EUNSUPPORTED,
		                   "multi-disk (spanned) archives are not supported (disk %u, "
		                   "directory on disk %u)", disk, cd_disk);
	}
	return 0;
}

/* ---- central directory --------------------------------------------------- */

static int check_flags_method(mc_zip *z, const char *name, uint64_t off, uint16_t flags,
                              uint16_t method)
{
	if (flags & (MC_ZIP_FLAG_ENCRYPTED | MC_ZIP_FLAG_STRONG | MC_ZIP_FLAG_MASKED) ||
	    method == 99) {
		ZFAIL(z, MC_EUNSAFE, name, off,
		      "encrypted entry (flags 0x%04x%s): its content cannot be inspected", flags,
		      method == 99 ? ", aes" : "");
		return mc_err_hint("decrypt the archive and write it again without a password");
	}
	if (flags & MC_ZIP_FLAG_PATCH)
		return ZFAIL(z, MC_EUNSUPPORTED, name, off,
		             "patch data entries (flag bit 5) are not supported");
	if (method != MC_ZIP_STORED && method != MC_ZIP_DEFLATED) {
		const char *what = method == 12 ? " (bzip2)" : method == 14 ? " (lzma)"
		                 : method == 93 ? " (zstandard)" : method == 9 ? " (deflate64)" : "";
		ZFAIL(z, MC_EUNSUPPORTED, name, off, "compression method %u%s is not supported",
		      method, what);
		return mc_err_hint("modelctl reads stored (0) and deflated (8) entries; write the "
		                   "archive again with one of those");
	}
	return 0;
}

static int read_central(mc_zip *z, mc_cur *c, size_t i, raw_entry *raw, char **names,
                        size_t *names_used, size_t *names_cap)
{
	mc_zip_entry *e = &z->entries[i];
	uint64_t start = mc_cur_offset(c);
	uint32_t sig, crc, comp32, size32, ext_attr, off32;
	uint16_t made, needed, flags, method, mtime, mdate, nlen, xlen, clen, disk16, int_attr;
	uint64_t comp, size, off, disk;
	const uint8_t *name, *extra;
	mc_cur x, z64;
	bool have64;
	char buf[256];
	int rc;

	if (mc_cur_left(c) < CENTRAL_SIZE)
		return mc_corrupt(c, "truncated central directory: entry %zu of %zu needs %u bytes, "
		                  "%zu left", i + 1, z->count, CENTRAL_SIZE, mc_cur_left(c));
	if ((rc = mc_cur_u32le(c, &sig)))
		return rc;
	if (sig != SIG_CENTRAL) {
		c->pos -= 4;
		return mc_corrupt(c, "central directory entry %zu of %zu has a bad signature "
		                  "0x%08x", i + 1, z->count, sig);
	}
	if ((rc = mc_cur_u16le(c, &made)) || (rc = mc_cur_u16le(c, &needed)) ||
	    (rc = mc_cur_u16le(c, &flags)) || (rc = mc_cur_u16le(c, &method)) ||
	    (rc = mc_cur_u16le(c, &mtime)) || (rc = mc_cur_u16le(c, &mdate)) ||
	    (rc = mc_cur_u32le(c, &crc)) || (rc = mc_cur_u32le(c, &comp32)) ||
	    (rc = mc_cur_u32le(c, &size32)) || (rc = mc_cur_u16le(c, &nlen)) ||
	    (rc = mc_cur_u16le(c, &xlen)) || (rc = mc_cur_u16le(c, &clen)) ||
	    (rc = mc_cur_u16le(c, &disk16)) || (rc = mc_cur_u16le(c, &int_attr)) ||
	    (rc = mc_cur_u32le(c, &ext_attr)) || (rc = mc_cur_u32le(c, &off32)))
		return rc;
	(void)made; (void)mtime; (void)mdate; (void)int_attr; (void)ext_attr;
	if ((size_t)nlen + xlen + clen > mc_cur_left(c))
		return mc_corrupt(c, "truncated central directory: entry %zu of %zu has a %u-byte "
		                  "name, %u-byte extra field and %u-byte comment but %zu bytes are left",
		                  i + 1, z->count, nlen, xlen, clen, mc_cur_left(c));
	if ((rc = mc_cur_bytes(c, nlen, &name)))
		return rc;
	if ((rc = check_name_at(z->path, (const char *)name, nlen, (int64_t)start + CENTRAL_SIZE)))
		return rc;
	if (flags & MC_ZIP_FLAG_UTF8) {
		for (size_t k = 0; k < nlen;) {
			size_t n = utf8_seq(name + k, nlen - k);
			if (!n)
				return ZFAIL(z, MC_ECORRUPT, NULL, start + CENTRAL_SIZE + k,
				             "entry name '%s' is flagged utf-8 but is not valid utf-8",
				             shown(buf, sizeof(buf), (const char *)name, nlen));
			k += n;
		}
	}
	raw->name = name;
	raw->name_len = nlen;
	if ((rc = push_name(names, names_used, names_cap, name, nlen,
	                    (flags & MC_ZIP_FLAG_UTF8) != 0, &raw->name_off)))
		return rc;
	if ((rc = mc_cur_bytes(c, xlen, &extra)) || (rc = mc_cur_skip(c, clen)))
		return rc;
	/* messages from here on name the entry */
	shown(buf, sizeof(buf), (const char *)name, nlen);
	if ((rc = check_flags_method(z, buf, start, flags, method)))
		return rc;
	if ((needed & 0xFF) > 63)
		return ZFAIL(z, MC_EUNSUPPORTED, buf, start + 6,
		             "entry needs zip version %u.%u, newer than 6.3", (needed & 0xFF) / 10,
		             (needed & 0xFF) % 10);
	mc_cur_init(&x, extra, xlen, start + CENTRAL_SIZE + nlen, z->path, buf);
	if ((rc = find_zip64(&x, &z64, &have64)))
		return rc;
	size = size32;
	comp = comp32;
	off = off32;
	disk = disk16;
	if ((rc = zip64_value(&size, 0xFFFFFFFFu, &z64, have64, "uncompressed size")) ||
	    (rc = zip64_value(&comp, 0xFFFFFFFFu, &z64, have64, "compressed size")) ||
	    (rc = zip64_value(&off, 0xFFFFFFFFu, &z64, have64, "local header offset")) ||
	    (rc = zip64_value(&disk, 0xFFFFu, &z64, have64, "disk number")))
		return rc;
	if (disk != 0)
		return ZFAIL(z, MC_EUNSUPPORTED, buf, start + 34,
		             "entry starts on disk %llu: multi-disk (spanned) archives are not "
		             "supported", (unsigned long long)disk);
	if (method == MC_ZIP_STORED && comp != size)
		return ZFAIL(z, MC_ECORRUPT, buf, start + 20,
		             "stored entry has compressed size %llu but uncompressed size %llu",
		             (unsigned long long)comp, (unsigned long long)size);
	if (method == MC_ZIP_DEFLATED) {
		uint64_t cap;
		if (!mc_mul_u64(&cap, comp, MC_DEFLATE_MAX_RATIO) || !mc_add_u64(&cap, cap, 1024))
			cap = UINT64_MAX;
		if (size > cap)
			return ZFAIL(z, MC_ECORRUPT, buf, start + 24,
			             "declared size %llu is more than deflate can produce from %llu "
			             "bytes (ratio over %u:1): a zip bomb or a corrupt header",
			             (unsigned long long)size, (unsigned long long)comp,
			             MC_DEFLATE_MAX_RATIO);
	}
	e->method = method;
	e->flags = flags;
	e->crc32 = crc;
	e->comp_size = comp;
	e->size = size;
	e->header_offset = off;
	return 0;
}

/* ---- local headers --------------------------------------------------------- */

static int read_local(mc_zip *z, mc_cur *c, mc_zip_entry *e, raw_entry *raw)
{
	const char *name = e->name;
	uint32_t sig, crc, comp32, size32;
	uint16_t needed, flags, method, mtime, mdate, nlen, xlen;
	uint64_t comp, size, start = e->header_offset;
	const uint8_t *lname, *extra, *data;
	mc_cur x, z64;
	bool have64;
	int rc;

	c->entry = name;
	if (start >= z->cd_offset)
		return ZFAIL(z, MC_ECORRUPT, name, start,
		             "local header offset %llu is not before the central directory "
		             "(offset %llu)", (unsigned long long)start,
		             (unsigned long long)z->cd_offset);
	if ((rc = mc_cur_seek(c, (size_t)start)))
		return rc;
	if ((rc = mc_cur_u32le(c, &sig)))
		return rc;
	if (sig != SIG_LOCAL) {
		c->pos -= 4;
		return mc_corrupt(c, "no local header at offset %llu (signature 0x%08x)",
		                  (unsigned long long)start, sig);
	}
	if ((rc = mc_cur_u16le(c, &needed)) || (rc = mc_cur_u16le(c, &flags)) ||
	    (rc = mc_cur_u16le(c, &method)) || (rc = mc_cur_u16le(c, &mtime)) ||
	    (rc = mc_cur_u16le(c, &mdate)) || (rc = mc_cur_u32le(c, &crc)) ||
	    (rc = mc_cur_u32le(c, &comp32)) || (rc = mc_cur_u32le(c, &size32)) ||
	    (rc = mc_cur_u16le(c, &nlen)) || (rc = mc_cur_u16le(c, &xlen)))
		return rc;
	(void)needed; (void)mtime; (void)mdate;
	if ((rc = mc_cur_bytes(c, nlen, &lname)))
		return rc;
	if (nlen != raw->name_len || memcmp(lname, raw->name, nlen) != 0) {
		char buf[256];
		c->pos -= nlen;
		return mc_corrupt(c, "local header names the entry '%s' but the central directory "
		                  "names it '%s'", shown(buf, sizeof(buf), (const char *)lname, nlen),
		                  name);
	}
	if (flags != e->flags)
		return ZFAIL(z, MC_ECORRUPT, name, start + 6,
		             "local header flags 0x%04x disagree with the central directory's 0x%04x",
		             flags, e->flags);
	if (method != e->method)
		return ZFAIL(z, MC_ECORRUPT, name, start + 8,
		             "local header method %u disagrees with the central directory's %u",
		             method, e->method);
	if ((rc = mc_cur_bytes(c, xlen, &extra)))
		return rc;
	mc_cur_init(&x, extra, xlen, start + LOCAL_SIZE + nlen, z->path, name);
	if ((rc = find_zip64(&x, &z64, &have64)))
		return rc;
	size = size32;
	comp = comp32;
	if (have64 && size32 != 0xFFFFFFFFu && comp32 != 0xFFFFFFFFu && mc_cur_left(&z64) >= 16) {
		/* numpy forces zip64: the extra repeats sizes the fields already hold */
		uint64_t s64, c64;
		mc_cur_u64le(&z64, &s64);
		mc_cur_u64le(&z64, &c64);
		bool zero = (flags & MC_ZIP_FLAG_DESCRIPTOR) != 0;
		if (!((s64 == e->size || (zero && s64 == 0)) && (c64 == e->comp_size || (zero && c64 == 0))))
			return ZFAIL(z, MC_ECORRUPT, name, start + LOCAL_SIZE + nlen,
			             "local zip64 sizes (%llu, %llu) disagree with the central "
			             "directory's (%llu, %llu)", (unsigned long long)c64,
			             (unsigned long long)s64, (unsigned long long)e->comp_size,
			             (unsigned long long)e->size);
	} else if ((rc = zip64_value(&size, 0xFFFFFFFFu, &z64, have64, "uncompressed size")) ||
	           (rc = zip64_value(&comp, 0xFFFFFFFFu, &z64, have64, "compressed size"))) {
		return rc;
	}
	if (flags & MC_ZIP_FLAG_DESCRIPTOR) {
		/* the writer did not know them yet: zero, or already the real values */
		if ((crc != 0 && crc != e->crc32) || (comp != 0 && comp != e->comp_size) ||
		    (size != 0 && size != e->size))
			return ZFAIL(z, MC_ECORRUPT, name, start + 14,
			             "local header crc-32 0x%08x and sizes (%llu, %llu) disagree with the "
			             "central directory's 0x%08x (%llu, %llu)", crc,
			             (unsigned long long)comp, (unsigned long long)size, e->crc32,
			             (unsigned long long)e->comp_size, (unsigned long long)e->size);
	} else if (crc != e->crc32 || comp != e->comp_size || size != e->size) {
		return ZFAIL(z, MC_ECORRUPT, name, start + 14,
		             "local header crc-32 0x%08x and sizes (%llu, %llu) disagree with the "
		             "central directory's 0x%08x (%llu, %llu)", crc, (unsigned long long)comp,
		             (unsigned long long)size, e->crc32, (unsigned long long)e->comp_size,
		             (unsigned long long)e->size);
	}
	e->data_offset = mc_cur_offset(c);
	if (!mc_range_ok(e->data_offset, e->comp_size, z->cd_offset))
		return ZFAIL(z, MC_ECORRUPT, name, e->data_offset,
		             "data (%llu bytes at offset %llu) runs past the start of the central "
		             "directory (offset %llu)", (unsigned long long)e->comp_size,
		             (unsigned long long)e->data_offset, (unsigned long long)z->cd_offset);
	if ((rc = mc_cur_bytes(c, (size_t)e->comp_size, &data)))
		return rc;
	e->data = data;
	if (flags & MC_ZIP_FLAG_DESCRIPTOR) {
		/* optional signature, crc-32, then 8-byte sizes after a zip64 local
		 * header and 4-byte ones otherwise; try the other width if the
		 * expected one does not match (writers differ) */
		size_t at = c->pos, ok = 0;
		uint32_t dsig = 0, dcrc;
		if (mc_cur_left(c) >= 4 && mc_cur_u32le(c, &dsig) == 0 && dsig != SIG_DESC)
			c->pos = at;
		if (mc_cur_u32le(c, &dcrc) == 0 && dcrc == e->crc32) {
			size_t base = c->pos;
			for (int pass = 0; pass < 2 && !ok; pass++) {
				bool wide = (pass == 0) == have64;
				uint64_t dc, ds;
				c->pos = base;
				if (wide) {
					if (mc_cur_u64le(c, &dc) || mc_cur_u64le(c, &ds))
						continue;
				} else {
					uint32_t a, b;
					if (mc_cur_u32le(c, &a) || mc_cur_u32le(c, &b))
						continue;
					dc = a;
					ds = b;
				}
				if (dc == e->comp_size && ds == e->size)
					ok = c->pos;
			}
		}
		if (!ok) {
			c->pos = at;
			return mc_corrupt(c, "data descriptor is missing or disagrees with the central "
			                  "directory (crc-32 0x%08x, sizes %llu, %llu)", e->crc32,
			                  (unsigned long long)e->comp_size, (unsigned long long)e->size);
		}
		c->pos = ok;
	}
	raw->end = mc_cur_offset(c);
	return 0;
}

/* ---- open ------------------------------------------------------------------ */

/* Sort keys carry what they compare, so no global state is needed (C11's
 * qsort has no context argument, and readers may run on several threads). */
typedef struct sort_key {
	const char *name;
	uint64_t offset;
	size_t index;
} sort_key;

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const sort_key *)a)->name, ((const sort_key *)b)->name);
}

static int cmp_offset(const void *a, const void *b)
{
	uint64_t x = ((const sort_key *)a)->offset, y = ((const sort_key *)b)->offset;
	return x < y ? -1 : x > y;
}

/* Entry indices in z->count slots of `out`, sorted by `cmp`. */
static int sorted_indices(size_t *out, const mc_zip *z, int (*cmp)(const void *, const void *))
{
	sort_key *k = malloc((z->count ? z->count : 1) * sizeof(*k));

	if (!k)
		return mc_nomem();
	for (size_t i = 0; i < z->count; i++) {
		k[i].name = z->entries[i].name;
		k[i].offset = z->entries[i].header_offset;
		k[i].index = i;
	}
	qsort(k, z->count, sizeof(*k), cmp);
	for (size_t i = 0; i < z->count; i++)
		out[i] = k[i].index;
	free(k);
	return 0;
}

/* Entries must tile [0, cd_offset): no prefix, no gap, no overlap. */
static int check_tiling(mc_zip *z, const raw_entry *raw)
{
	size_t *order = NULL;
	uint64_t at = 0;
	const char *prev = NULL;
	int rc = 0;

	if (z->count == 0) {
		if (z->cd_offset != 0)
			rc = ZFAIL(z, MC_ECORRUPT, NULL, 0,
			           "%llu bytes before the central directory of an empty archive",
			           (unsigned long long)z->cd_offset);
		return rc;
	}
	order = malloc(z->count * sizeof(*order));
	if (!order)
		return mc_nomem();
	if ((rc = sorted_indices(order, z, cmp_offset)) != 0)
		goto out;
	for (size_t k = 0; k < z->count; k++) {
		const mc_zip_entry *e = &z->entries[order[k]];
		if (e->header_offset != at) {
			if (!prev && e->header_offset > 0)
				rc = ZFAIL(z, MC_ECORRUPT, e->name, 0,
				           "%llu bytes before the first entry: a zip archive must start "
				           "with a local header", (unsigned long long)e->header_offset);
			else if (e->header_offset > at)
				rc = ZFAIL(z, MC_ECORRUPT, e->name, at,
				           "%llu bytes between entries '%s' and '%s' belong to no entry",
				           (unsigned long long)(e->header_offset - at), prev, e->name);
			else
				rc = ZFAIL(z, MC_ECORRUPT, e->name, e->header_offset,
				           "entries '%s' and '%s' overlap", prev, e->name);
			goto out;
		}
		at = raw[order[k]].end;
		prev = e->name;
	}
	if (at != z->cd_offset)
		rc = ZFAIL(z, MC_ECORRUPT, prev, at,
		           "%llu bytes between entry '%s' and the central directory belong to no "
		           "entry", (unsigned long long)(z->cd_offset - at), prev);
out:
	free(order);
	return rc;
}

int mc_zip_open(mc_zip **out, const uint8_t *data, size_t len, const char *path)
{
	mc_zip *z;
	mc_cur c, cd;
	eocd_info info;
	raw_entry *raw = NULL;
	size_t names_used = 0, names_cap = 0;
	uint64_t min_cd;
	int rc;

	*out = NULL;
	z = calloc(1, sizeof(*z));
	if (!z || !(z->path = strdup(path ? path : "<memory>"))) {
		free(z);
		return mc_nomem();
	}
	z->data = data;
	z->len = len;
	mc_cur_init(&c, data, len, 0, z->path, NULL);
	if ((rc = read_end(z, &c, &info)))
		goto out;
	if (info.cd_offset > info.cd_end || info.cd_size != info.cd_end - info.cd_offset) {
		rc = ZFAIL(z, MC_ECORRUPT, NULL, info.cd_end,
		           "central directory (%llu bytes at offset %llu) does not end where the end "
		           "records start (offset %llu)", (unsigned long long)info.cd_size,
		           (unsigned long long)info.cd_offset, (unsigned long long)info.cd_end);
		goto out;
	}
	if (info.count > MC_ZIP_MAX_ENTRIES) {
		rc = ZFAIL(z, MC_ELIMIT, NULL, info.cd_end,
		           "archive has %llu entries, over the limit of %u",
		           (unsigned long long)info.count, MC_ZIP_MAX_ENTRIES);
		goto out;
	}
	if (!mc_mul_u64(&min_cd, info.count, CENTRAL_SIZE) || min_cd > info.cd_size) {
		rc = ZFAIL(z, MC_ECORRUPT, NULL, info.cd_end,
		           "%llu entries cannot fit in a central directory of %llu bytes",
		           (unsigned long long)info.count, (unsigned long long)info.cd_size);
		goto out;
	}
	z->cd_offset = info.cd_offset;
	z->cd_size = info.cd_size;
	z->count = (size_t)info.count;
	z->entries = calloc(z->count ? z->count : 1, sizeof(*z->entries));
	z->by_name = calloc(z->count ? z->count : 1, sizeof(*z->by_name));
	raw = calloc(z->count ? z->count : 1, sizeof(*raw));
	if (!z->entries || !z->by_name || !raw) {
		rc = mc_nomem();
		goto out;
	}
	mc_cur_init(&cd, data + info.cd_offset, (size_t)info.cd_size, info.cd_offset, z->path, NULL);
	for (size_t i = 0; i < z->count; i++)
		if ((rc = read_central(z, &cd, i, &raw[i], &z->names, &names_used, &names_cap)))
			goto out;
	if (mc_cur_left(&cd)) {
		rc = mc_corrupt(&cd, "%zu bytes after the last of %zu central directory entries",
		                mc_cur_left(&cd), z->count);
		goto out;
	}
	for (size_t i = 0; i < z->count; i++)
		z->entries[i].name = z->names + raw[i].name_off;
	if ((rc = sorted_indices(z->by_name, z, cmp_name)) != 0)
		goto out;
	for (size_t k = 1; k < z->count; k++) {
		const mc_zip_entry *e = &z->entries[z->by_name[k]];
		if (strcmp(z->entries[z->by_name[k - 1]].name, e->name) == 0) {
			char buf[256];
			rc = ZFAIL(z, MC_ECORRUPT, NULL, (int64_t)e->header_offset,
			           "duplicate entry name '%s'",
			           shown(buf, sizeof(buf), e->name, strlen(e->name)));
			goto out;
		}
	}
	mc_cur_init(&c, data, (size_t)info.cd_offset, 0, z->path, NULL);
	for (size_t i = 0; i < z->count; i++)
		if ((rc = read_local(z, &c, &z->entries[i], &raw[i])))
			goto out;
	rc = check_tiling(z, raw);
out:
	free(raw);
	if (rc) {
		mc_zip_free(z);
		return rc;
	}
	*out = z;
	return 0;
}

void mc_zip_free(mc_zip *z)
{
	if (!z)
		return;
	free(z->entries);
	free(z->by_name);
	free(z->names);
	free(z->path);
	free(z);
}

size_t mc_zip_count(const mc_zip *z) { return z->count; }
bool mc_zip_is_zip64(const mc_zip *z) { return z->zip64; }

const mc_zip_entry *mc_zip_entry_at(const mc_zip *z, size_t i)
{
	return i < z->count ? &z->entries[i] : NULL;
}

int64_t mc_zip_index(const mc_zip *z, const char *name)
{
	size_t lo = 0, hi = z->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(z->entries[z->by_name[mid]].name, name);
		if (c == 0)
			return (int64_t)z->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int mc_zip_find(const mc_zip_entry **out, const mc_zip *z, const char *name)
{
	int64_t i = mc_zip_index(z, name);

	*out = NULL;
	if (i < 0)
		return ZFAIL(z, MC_ECORRUPT, NULL, -1, "no entry '%s' in the archive", name);
	*out = &z->entries[i];
	return 0;
}

/* ---- reading data ------------------------------------------------------------ */

static uint32_t crc32_of(uint32_t crc, const uint8_t *p, size_t n)
{
	return (uint32_t)crc32_z(crc, p, n);
}

static int crc_mismatch(const mc_zip *z, const mc_zip_entry *e, uint32_t got)
{
	return ZFAIL(z, MC_ECORRUPT, e->name, e->data_offset,
	             "crc-32 mismatch (stored 0x%08x, computed 0x%08x)", e->crc32, got);
}

enum inflate_mode {
	INFLATE_ALL,    /* fill dst exactly; the stream must end there */
	INFLATE_PREFIX, /* stop once dst is full */
	INFLATE_CHECK   /* reuse dst as a window; count and crc everything */
};

/* Inflate the entry's raw deflate stream into dst[0..cap).  For INFLATE_ALL
 * and INFLATE_CHECK the output must be exactly e->size bytes, followed by
 * the end of the stream and of the compressed data. */
static int inflate_entry(const mc_zip *z, const mc_zip_entry *e, uint8_t *dst, size_t cap,
                         enum inflate_mode mode, size_t *produced, uint32_t *crc)
{
	z_stream s;
	uint64_t in_left = e->comp_size, total = 0;
	const uint8_t *in = e->data;
	size_t have = 0; /* bytes in dst */
	uint8_t spare;
	int zr = Z_OK, rc = 0;

	memset(&s, 0, sizeof(s));
	*crc = 0;
	if (inflateInit2(&s, -MAX_WBITS) != Z_OK)
		return mc_nomem();
	for (;;) {
		uInt give_in, give_out;
		bool over = false;

		if (s.avail_in == 0 && in_left) {
			give_in = in_left > ZCHUNK ? ZCHUNK : (uInt)in_left;
			s.next_in = (Bytef *)(uintptr_t)in;
			s.avail_in = give_in;
			in += give_in;
			in_left -= give_in;
		}
		if (have == cap) {
			if (mode == INFLATE_PREFIX)
				break;
			if (mode == INFLATE_CHECK) {
				*crc = crc32_of(*crc, dst, have);
				have = 0;
			}
		}
		if (have < cap) {
			size_t room = cap - have;
			give_out = room > ZCHUNK ? ZCHUNK : (uInt)room;
			s.next_out = dst + have;
		} else {
			/* output is full: one more byte would be too many */
			give_out = 1;
			s.next_out = &spare;
			over = true;
		}
		s.avail_out = give_out;
		zr = inflate(&s, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			rc = ZFAIL(z, MC_ECORRUPT, e->name, e->data_offset + (e->comp_size - in_left - s.avail_in),
			           "invalid deflate data: %s", s.msg ? s.msg : "error");
			goto out;
		}
		{
			size_t got = give_out - s.avail_out;
			total += got;
			if (over && got) {
				rc = ZFAIL(z, MC_ECORRUPT, e->name, e->data_offset,
				           "inflates to more than the declared %llu bytes",
				           (unsigned long long)e->size);
				goto out;
			}
			if (!over)
				have += got;
			if (mode != INFLATE_PREFIX && total > e->size) {
				rc = ZFAIL(z, MC_ECORRUPT, e->name, e->data_offset,
				           "inflates to more than the declared %llu bytes",
				           (unsigned long long)e->size);
				goto out;
			}
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && s.avail_in == 0 && in_left == 0) {
			if (mode == INFLATE_PREFIX && have == cap)
				break;
			rc = ZFAIL(z, MC_ECORRUPT, e->name, e->data_offset + e->comp_size,
			           "truncated deflate data: the stream stops after %llu of %llu bytes",
			           (unsigned long long)total, (unsigned long long)e->size);
			goto out;
		}
	}
	if (mode == INFLATE_PREFIX) {
		/* the caller asked for no more than the declared size */
		if (have < cap) {
			rc = ZFAIL(z, MC_ECORRUPT, e->name, e->data_offset,
			           "inflates to only %llu bytes but %llu are declared",
			           (unsigned long long)total, (unsigned long long)e->size);
			goto out;
		}
		*produced = have;
		goto out;
	}
	if (total != e->size) {
		rc = ZFAIL(z, MC_ECORRUPT, e->name, e->data_offset,
		           "inflates to %llu bytes but %llu are declared", (unsigned long long)total,
		           (unsigned long long)e->size);
		goto out;
	}
	if (s.avail_in || in_left) {
		rc = ZFAIL(z, MC_ECORRUPT, e->name, e->data_offset + e->comp_size - in_left - s.avail_in,
		           "%llu bytes after the end of the deflate stream",
		           (unsigned long long)(in_left + s.avail_in));
		goto out;
	}
	*crc = crc32_of(*crc, dst, have);
	*produced = have;
out:
	inflateEnd(&s);
	return rc;
}

int mc_zip_read(uint8_t **out, size_t *out_len, const mc_zip *z, const mc_zip_entry *e)
{
	uint8_t *buf;
	uint32_t crc;
	size_t n = 0;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (e->method == MC_ZIP_DEFLATED) {
		uint64_t cap;
		if (!mc_mul_u64(&cap, e->comp_size, MC_DEFLATE_MAX_RATIO) || !mc_add_u64(&cap, cap, 1024))
			cap = UINT64_MAX;
		if (e->size > cap)
			return ZFAIL(z, MC_ECORRUPT, e->name, e->header_offset,
			             "declared size %llu is more than deflate can produce from %llu bytes",
			             (unsigned long long)e->size, (unsigned long long)e->comp_size);
	} else if (e->method != MC_ZIP_STORED || e->size != e->comp_size) {
		return ZFAIL(z, MC_EINVAL, e->name, e->header_offset, "entry is not readable");
	}
	if (e->size > SIZE_MAX - 1)
		return ZFAIL(z, MC_ELIMIT, e->name, e->header_offset,
		             "entry of %llu bytes is too large to hold in memory",
		             (unsigned long long)e->size);
	buf = malloc(e->size ? (size_t)e->size : 1);
	if (!buf)
		return mc_nomem();
	if (e->method == MC_ZIP_STORED) {
		memcpy(buf, e->data, (size_t)e->size);
		crc = crc32_of(0, buf, (size_t)e->size);
		n = (size_t)e->size;
	} else if ((rc = inflate_entry(z, e, buf, (size_t)e->size, INFLATE_ALL, &n, &crc))) {
		free(buf);
		return rc;
	}
	if (crc != e->crc32) {
		free(buf);
		return crc_mismatch(z, e, crc);
	}
	*out = buf;
	*out_len = n;
	return 0;
}

int mc_zip_read_prefix(size_t *out_len, uint8_t *buf, size_t cap, const mc_zip *z,
                       const mc_zip_entry *e)
{
	size_t want = e->size < cap ? (size_t)e->size : cap;
	uint32_t crc;

	*out_len = 0;
	if (e->method == MC_ZIP_STORED) {
		memcpy(buf, e->data, want);
		*out_len = want;
		return 0;
	}
	if (want == 0)
		return 0;
	return inflate_entry(z, e, buf, want, INFLATE_PREFIX, out_len, &crc);
}

int mc_zip_check_crc(const mc_zip *z, const mc_zip_entry *e)
{
	uint32_t crc;
	int rc;

	if (e->method == MC_ZIP_STORED) {
		crc = crc32_of(0, e->data, (size_t)e->comp_size);
	} else {
		size_t n;
		uint8_t *win = malloc(1u << 16);
		if (!win)
			return mc_nomem();
		rc = inflate_entry(z, e, win, 1u << 16, INFLATE_CHECK, &n, &crc);
		free(win);
		if (rc)
			return rc;
	}
	return crc == e->crc32 ? 0 : crc_mismatch(z, e, crc);
}

/* ---- writing ------------------------------------------------------------------- */

typedef struct wentry {
	char *name;
	size_t name_len;
	uint16_t flags, method;
	uint32_t crc;
	uint64_t comp, size, offset;
} wentry;

struct mc_zip_writer {
	FILE *fp;
	char *path;
	wentry *e;
	size_t n, cap;
	mc_strmap names; /* the entry names so far */
	uint64_t pos;
	bool failed;
};

static int w_io(mc_zip_writer *w, int e)
{
	w->failed = true;
	return mc_fail(MC_EIO, w->path, NULL, -1, "cannot write: %s",
	               e ? strerror(e) : "write error");
}

static int w_write(mc_zip_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->fp) != n)
		return w_io(w, errno);
	w->pos += n;
	return 0;
}

static int w_seek(mc_zip_writer *w, uint64_t pos)
{
	if (pos > INT64_MAX || fseeko(w->fp, (off_t)pos, SEEK_SET) != 0)
		return w_io(w, errno);
	return 0;
}


int mc_zip_writer_open(mc_zip_writer **out, FILE *fp, const char *path)
{
	mc_zip_writer *w = calloc(1, sizeof(*w));
	off_t at;

	*out = NULL;
	if (!w || !(w->path = strdup(path ? path : "<stream>"))) {
		free(w);
		return mc_nomem();
	}
	w->fp = fp;
	at = ftello(fp);
	if (at < 0) {
		int e = errno;
		mc_zip_writer_free(w);
		return mc_fail(MC_EIO, path, NULL, -1, "zip output must be seekable: %s", strerror(e));
	}
	w->pos = (uint64_t)at;
	*out = w;
	return 0;
}

void mc_zip_writer_free(mc_zip_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->e[i].name);
	free(w->e);
	mc_strmap_release(&w->names);
	free(w->path);
	free(w);
}

typedef struct wsink {
	mc_zip_writer *w;
	z_stream *zs;
	uint8_t *zbuf;
	uint32_t crc;
	uint64_t in, comp;
} wsink;

#define ZBUF_SIZE (1u << 16)

static int deflate_pump(wsink *s, int flush)
{
	int zr;

	do {
		s->zs->next_out = s->zbuf;
		s->zs->avail_out = ZBUF_SIZE;
		zr = deflate(s->zs, flush);
		if (zr == Z_STREAM_ERROR)
			return mc_fail(MC_EINVAL, s->w->path, NULL, -1, "deflate failed");
		{
			size_t got = ZBUF_SIZE - s->zs->avail_out;
			int rc = w_write(s->w, s->zbuf, got);
			if (rc)
				return rc;
			s->comp += got;
		}
	} while (s->zs->avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static int w_sink(void *ctx, const uint8_t *p, size_t n)
{
	wsink *s = ctx;
	int rc;

	if (s->w->failed)
		return MC_EIO;
	s->crc = crc32_of(s->crc, p, n);
	s->in += n;
	if (!s->zs) {
		s->comp += n;
		return w_write(s->w, p, n);
	}
	while (n) {
		uInt give = n > ZCHUNK ? ZCHUNK : (uInt)n;
		s->zs->next_in = (Bytef *)(uintptr_t)p;
		s->zs->avail_in = give;
		if ((rc = deflate_pump(s, Z_NO_FLUSH)))
			return rc;
		p += give;
		n -= give;
	}
	return 0;
}

static void put_local(uint8_t *h, uint16_t version, uint16_t flags, uint16_t method, uint32_t crc,
                      uint32_t comp, uint32_t size, uint16_t nlen, uint16_t xlen)
{
	mc_store_u32le(h, SIG_LOCAL);
	mc_store_u16le(h + 4, version);
	mc_store_u16le(h + 6, flags);
	mc_store_u16le(h + 8, method);
	mc_store_u16le(h + 10, DOS_TIME_0);
	mc_store_u16le(h + 12, DOS_DATE_1980);
	mc_store_u32le(h + 14, crc);
	mc_store_u32le(h + 18, comp);
	mc_store_u32le(h + 22, size);
	mc_store_u16le(h + 26, nlen);
	mc_store_u16le(h + 28, xlen);
}

int mc_zip_writer_add(mc_zip_writer *w, const char *name, int method, uint64_t size,
                      mc_zip_source_fn src, void *ctx)
{
	size_t nlen = strlen(name);
	uint8_t hdr[LOCAL_SIZE], x64[20];
	uint16_t flags = 0;
	bool big;
	int dup;
	z_stream zs;
	wsink s;
	wentry *e;
	int rc;

	if (w->failed)
		return mc_fail(MC_EINVAL, w->path, name, -1, "zip writer already failed");
	if (method != MC_ZIP_STORED && method != MC_ZIP_DEFLATED)
		return mc_fail(MC_EINVAL, w->path, name, -1, "cannot write compression method %d",
		               method);
	if ((rc = mc_zip_check_name(w->path, name, nlen)))
		return rc;
	for (size_t k = 0; k < nlen;) {
		size_t n = utf8_seq((const uint8_t *)name + k, nlen - k);
		if (!n)
			return mc_fail(MC_EINVAL, w->path, NULL, -1, "entry name is not valid utf-8");
		if (n > 1)
			flags = MC_ZIP_FLAG_UTF8; /* as Python: set only when the name is not ascii */
		k += n;
	}
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 16;
		wentry *p = realloc(w->e, ncap * sizeof(*p));
		if (!p)
			return mc_nomem();
		w->e = p;
		w->cap = ncap;
	}
	e = &w->e[w->n];
	memset(e, 0, sizeof(*e));
	if (!(e->name = strdup(name)))
		return mc_nomem();
	if ((rc = mc_strmap_put(&w->names, e->name, e->name, &dup)) || dup) {
		free(e->name);
		if (rc)
			return rc;
		return mc_fail(MC_EINVAL, w->path, NULL, -1, "duplicate entry name '%s'", name);
	}
	w->n++; /* from here on e is owned by the writer */
	e->name_len = nlen;
	e->flags = flags;
	e->method = (uint16_t)method;
	e->offset = w->pos;
	e->size = size;

	/* local header with a zip64 extra field reserved; patched below */
	put_local(hdr, 20, flags, (uint16_t)method, 0, 0, 0, (uint16_t)nlen, sizeof(x64));
	memset(x64, 0, sizeof(x64));
	mc_store_u16le(x64, EXTRA_ZIP64);
	mc_store_u16le(x64 + 2, 16);
	if ((rc = w_write(w, hdr, sizeof(hdr))) || (rc = w_write(w, name, nlen)) ||
	    (rc = w_write(w, x64, sizeof(x64))))
		return rc;

	memset(&s, 0, sizeof(s));
	s.w = w;
	if (method == MC_ZIP_DEFLATED) {
		memset(&zs, 0, sizeof(zs));
		if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
		                 Z_DEFAULT_STRATEGY) != Z_OK)
			return mc_nomem();
		s.zs = &zs;
		s.zbuf = malloc(ZBUF_SIZE);
		if (!s.zbuf) {
			deflateEnd(&zs);
			return mc_nomem();
		}
	}
	rc = src(ctx, w_sink, &s);
	if (!rc && s.zs)
		rc = deflate_pump(&s, Z_FINISH);
	if (s.zs) {
		deflateEnd(s.zs);
		free(s.zbuf);
	}
	if (rc) {
		w->failed = true;
		return rc;
	}
	if (s.in != size) {
		w->failed = true;
		return mc_fail(MC_EINVAL, w->path, name, -1,
		               "entry source gave %llu bytes but %llu were declared",
		               (unsigned long long)s.in, (unsigned long long)size);
	}
	e->crc = s.crc;
	e->comp = s.comp;

	/* patch the local header: Python's FileHeader(zip64=True) */
	big = e->size > WRITE_ZIP64_LIMIT || e->comp > WRITE_ZIP64_LIMIT;
	put_local(hdr, big ? 45 : 20, flags, (uint16_t)method, e->crc,
	          big ? 0xFFFFFFFFu : (uint32_t)e->comp, big ? 0xFFFFFFFFu : (uint32_t)e->size,
	          (uint16_t)nlen, sizeof(x64));
	mc_store_u64le(x64 + 4, e->size);
	mc_store_u64le(x64 + 12, e->comp);
	{
		uint64_t end = w->pos;
		if ((rc = w_seek(w, e->offset)))
			return rc;
		if (fwrite(hdr, 1, sizeof(hdr), w->fp) != sizeof(hdr) ||
		    fwrite(name, 1, nlen, w->fp) != nlen || fwrite(x64, 1, sizeof(x64), w->fp) != sizeof(x64))
			return w_io(w, errno);
		if ((rc = w_seek(w, end)))
			return rc;
	}
	return 0;
}

typedef struct buf_src {
	const uint8_t *p;
	size_t n;
} buf_src;

static int buffer_source(void *ctx, mc_sink_fn sink, void *sink_ctx)
{
	buf_src *b = ctx;
	return b->n ? sink(sink_ctx, b->p, b->n) : 0;
}

int mc_zip_writer_add_buffer(mc_zip_writer *w, const char *name, int method, const void *data,
                             size_t len)
{
	buf_src b = {data, len};
	return mc_zip_writer_add(w, name, method, len, buffer_source, &b);
}

int mc_zip_writer_finish(mc_zip_writer *w)
{
	uint64_t cd_start = w->pos, cd_size;
	uint8_t h[CENTRAL_SIZE], ext[4 + 24], end[EOCD64_SIZE + LOC64_SIZE + EOCD_SIZE];
	size_t n_end = 0;
	int rc;

	if (w->failed)
		return mc_fail(MC_EINVAL, w->path, NULL, -1, "zip writer already failed");
	for (size_t i = 0; i < w->n; i++) {
		const wentry *e = &w->e[i];
		bool big = e->size > WRITE_ZIP64_LIMIT || e->comp > WRITE_ZIP64_LIMIT;
		bool far = e->offset > WRITE_ZIP64_LIMIT;
		uint16_t version = (big || far) ? 45 : 20;
		size_t xlen = 0;

		if (big || far) {
			xlen = 4;
			if (big) {
				mc_store_u64le(ext + xlen, e->size);
				mc_store_u64le(ext + xlen + 8, e->comp);
				xlen += 16;
			}
			if (far) {
				mc_store_u64le(ext + xlen, e->offset);
				xlen += 8;
			}
			mc_store_u16le(ext, EXTRA_ZIP64);
			mc_store_u16le(ext + 2, (uint16_t)(xlen - 4));
		}
		mc_store_u32le(h, SIG_CENTRAL);
		mc_store_u16le(h + 4, (uint16_t)(version | (3u << 8))); /* made by: unix */
		mc_store_u16le(h + 6, version);
		mc_store_u16le(h + 8, e->flags);
		mc_store_u16le(h + 10, e->method);
		mc_store_u16le(h + 12, DOS_TIME_0);
		mc_store_u16le(h + 14, DOS_DATE_1980);
		mc_store_u32le(h + 16, e->crc);
		mc_store_u32le(h + 20, big ? 0xFFFFFFFFu : (uint32_t)e->comp);
		mc_store_u32le(h + 24, big ? 0xFFFFFFFFu : (uint32_t)e->size);
		mc_store_u16le(h + 28, (uint16_t)e->name_len);
		mc_store_u16le(h + 30, (uint16_t)xlen);
		mc_store_u16le(h + 32, 0);            /* comment */
		mc_store_u16le(h + 34, 0);            /* disk */
		mc_store_u16le(h + 36, 0);            /* internal attributes */
		mc_store_u32le(h + 38, 0600u << 16);  /* unix mode rw------- */
		mc_store_u32le(h + 42, far ? 0xFFFFFFFFu : (uint32_t)e->offset);
		if ((rc = w_write(w, h, sizeof(h))) || (rc = w_write(w, e->name, e->name_len)) ||
		    (rc = w_write(w, ext, xlen)))
			return rc;
	}
	cd_size = w->pos - cd_start;
	if (w->n > WRITE_COUNT_LIMIT || cd_start > WRITE_ZIP64_LIMIT || cd_size > WRITE_ZIP64_LIMIT) {
		uint8_t *r = end;
		mc_store_u32le(r, SIG_EOCD64);
		mc_store_u64le(r + 4, 44);
		mc_store_u16le(r + 12, 45);
		mc_store_u16le(r + 14, 45);
		mc_store_u32le(r + 16, 0);
		mc_store_u32le(r + 20, 0);
		mc_store_u64le(r + 24, w->n);
		mc_store_u64le(r + 32, w->n);
		mc_store_u64le(r + 40, cd_size);
		mc_store_u64le(r + 48, cd_start);
		r += EOCD64_SIZE;
		mc_store_u32le(r, SIG_LOC64);
		mc_store_u32le(r + 4, 0);
		mc_store_u64le(r + 8, cd_start + cd_size);
		mc_store_u32le(r + 16, 1);
		n_end = EOCD64_SIZE + LOC64_SIZE;
	}
	{
		uint8_t *r = end + n_end;
		uint16_t count = w->n > 0xFFFF ? 0xFFFF : (uint16_t)w->n;
		mc_store_u32le(r, SIG_EOCD);
		mc_store_u16le(r + 4, 0);
		mc_store_u16le(r + 6, 0);
		mc_store_u16le(r + 8, count);
		mc_store_u16le(r + 10, count);
		mc_store_u32le(r + 12, cd_size > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)cd_size);
		mc_store_u32le(r + 16, cd_start > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)cd_start);
		mc_store_u16le(r + 20, 0);
		n_end += EOCD_SIZE;
	}
	return w_write(w, end, n_end);
}
