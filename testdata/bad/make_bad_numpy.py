#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the hostile npy, npz and zip files of testdata/bad/{npy,npz,zip}/,
their README.md tables, and the seed corpora of tests/fuzz/corpus/{npy,npz,zip}/.

Standard library only (struct, zlib), deterministic: running it twice gives
the same bytes.  The npy and npz files are laid out exactly as numpy's
np.save / np.savez write them (numpy pads headers to 64 bytes and savez
forces zip64 local extra fields); the zip seeds also include the layout
PyTorch's torch.save writes (flags 0x0808, data descriptors, "FB" padding
extra fields, a zip64 end record).

Each README row is `| file | reason | code | message fragment |`; the unit
tests (tests/unit/test_npy.c, test_npz.c, test_zip.c) read those rows and
check that every file is refused with that code and fragment.

Usage: python3 testdata/bad/make_bad_numpy.py   (from anywhere)
"""
import os
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BAD = os.path.join(ROOT, "testdata", "bad")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")

# ---- npy ------------------------------------------------------------------

MAGIC = b"\x93NUMPY"


def npy_dict(descr, shape, fortran=False):
    """numpy's header text (format._write_array_header) before wrapping."""
    shape_repr = "()" if not shape else (
        "(%d,)" % shape[0] if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")")
    text = "{'descr': %r, 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", shape_repr)
    if shape:
        text += " " * (21 - len(str(shape[-1 if fortran else 0])))
    return text


def npy_wrap(text, version=(1, 0), hlen=None):
    """numpy's format._wrap_header: pad to 64 bytes and end with a newline."""
    raw = text.encode("utf-8" if version[0] == 3 else "latin1")
    fmt = "<H" if version[0] == 1 else "<I"
    hl = len(raw) + 1
    pad = 64 - ((len(MAGIC) + 2 + struct.calcsize(fmt) + hl) % 64)
    body = raw + b" " * pad + b"\n"
    if hlen is None:
        hlen = len(body)
    return MAGIC + bytes(version) + struct.pack(fmt, hlen) + body


def npy(descr, shape, data, fortran=False, version=(1, 0)):
    return npy_wrap(npy_dict(descr, shape, fortran), version) + data


def f32(*xs):
    return struct.pack("<%df" % len(xs), *xs)


# ---- zip ------------------------------------------------------------------

SIG_LOCAL, SIG_CENTRAL, SIG_EOCD = 0x04034B50, 0x02014B50, 0x06054B50
SIG_EOCD64, SIG_LOC64, SIG_DESC = 0x06064B50, 0x07064B50, 0x08074B50
DATE_1980 = 0x21


class Entry:
    """One member; the defaults give what Python's zipfile writes for numpy."""

    def __init__(self, name, data, method=0, **kw):
        self.name = name.encode() if isinstance(name, str) else name
        self.data = data
        self.method = method
        self.flags = kw.get("flags", 0x800 if any(b > 127 for b in self.name) else 0)
        self.local_name = kw.get("local_name", self.name)
        self.local_method = kw.get("local_method", method)
        self.local_flags = kw.get("local_flags", self.flags)
        self.zip64_local = kw.get("zip64_local", True)     # numpy's force_zip64
        self.descriptor = kw.get("descriptor", False)      # torch / unseekable writers
        self.pad_extra = kw.get("pad_extra", 0)            # torch "FB" padding to 64
        self.crc = kw.get("crc")
        self.size = kw.get("size")                         # declared uncompressed size
        self.comp = kw.get("comp")
        self.version = kw.get("version", 20)
        self.made_by = kw.get("made_by", 0x0314)
        self.offset_delta = kw.get("offset_delta", 0)
        self.phantom_at = kw.get("phantom_at")             # no local header of its own
        self.payload = None


def deflate(data):
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def build_zip(entries, prefix=b"", suffix=b"", comment=b"", zip64_end=False, gap=b"",
              cd_extra=b""):
    out = bytearray(prefix)
    for i, e in enumerate(entries):
        if i and gap and e.phantom_at is None:
            out += gap
        payload = deflate(e.data) if e.method == 8 else e.data
        if e.payload is not None:
            payload = e.payload
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        size = len(e.data) if e.size is None else e.size
        comp = len(payload) if e.comp is None else e.comp
        e.header_offset = len(out)
        e.real = (crc, comp, size)
        if e.phantom_at is not None:
            e.header_offset = e.phantom_at
            continue
        extra = b""
        if e.zip64_local:
            extra += struct.pack("<HHQQ", 1, 16, 0 if e.descriptor else size,
                                 0 if e.descriptor else comp)
        if e.pad_extra:
            at = len(out) + 30 + len(e.local_name) + len(extra) + 4
            n = (-at) % 64
            extra += struct.pack("<HH", 0x4246, n) + b"Z" * n
        lcrc, lcomp, lsize = (0, 0, 0) if e.descriptor else (crc, comp, size)
        out += struct.pack("<IHHHHHIIIHH", SIG_LOCAL, e.version, e.local_flags,
                           e.local_method, 0, DATE_1980, lcrc, lcomp, lsize,
                           len(e.local_name), len(extra))
        out += e.local_name + extra + payload
        if e.descriptor:
            if e.zip64_local:
                out += struct.pack("<IIQQ", SIG_DESC, crc, comp, size)
            else:
                out += struct.pack("<IIII", SIG_DESC, crc, comp, size)
    cd_offset = len(out)
    for e in entries:
        crc, comp, size = e.real
        out += struct.pack("<IHHHHHHIIIHHHHHII", SIG_CENTRAL, e.made_by, e.version, e.flags,
                           e.method, 0, DATE_1980, crc, comp, size, len(e.name),
                           len(cd_extra), 0, 0, 0, 0o600 << 16,
                           e.header_offset + e.offset_delta)
        out += e.name + cd_extra
    cd_size = len(out) - cd_offset
    if zip64_end:
        rec = len(out)
        out += struct.pack("<IQHHIIQQQQ", SIG_EOCD64, 44, 45, 45, 0, 0, len(entries),
                           len(entries), cd_size, cd_offset)
        out += struct.pack("<IIQI", SIG_LOC64, 0, rec, 1)
    out += struct.pack("<IHHHHIIH", SIG_EOCD, 0, 0, len(entries), len(entries), cd_size,
                       cd_offset, len(comment)) + comment + suffix
    return bytes(out)


def u16(buf, off, v):
    b = bytearray(buf)
    struct.pack_into("<H", b, off, v)
    return bytes(b)


def u32(buf, off, v):
    b = bytearray(buf)
    struct.pack_into("<I", b, off, v)
    return bytes(b)


def eocd(buf):
    return buf.rfind(struct.pack("<I", SIG_EOCD))


def cd_offset(buf):
    return struct.unpack_from("<I", buf, eocd(buf) + 16)[0]


# ---- the files ---------------------------------------------------------------

A = npy("<f4", (2, 3), f32(1, 2, 3, 4, 5, 6))
B = npy("<i8", (3,), struct.pack("<3q", 7, 8, 9))


def npy_files():
    hdr = npy_dict("<f4", (2, 3))
    data = f32(1, 2, 3, 4, 5, 6)
    v2 = npy_wrap(hdr, (2, 0))
    return [
        ("bad_magic.npy", b"\x93NUMPZ" + A[6:], "the magic is not \\x93NUMPY",
         "corrupt", "not an npy file"),
        ("version_4.npy", A[:6] + b"\x04\x00" + A[8:], "npy version 4.0 does not exist",
         "unsupported", "npy version 4.0 is not supported"),
        ("header_len_0.npy", MAGIC + b"\x01\x00\x00\x00" + data, "header length 0",
         "corrupt", "header length is 0"),
        ("header_len_1.npy", MAGIC + b"\x01\x00\x01\x00\n" + data, "a 1-byte header",
         "corrupt", "expected '{'"),
        ("header_len_ffff.npy", MAGIC + b"\x01\x00\xff\xff" + b" " * 64,
         "header length 65535, over the 10000-byte cap", "limit", "over the limit"),
        ("header_len_7fffffff.npy", v2[:8] + struct.pack("<I", 0x7FFFFFFF) + v2[12:] + data,
         "v2 header length 0x7fffffff", "limit", "header length 2147483647"),
        ("header_len_ffffffff.npy", v2[:8] + struct.pack("<I", 0xFFFFFFFF) + v2[12:] + data,
         "v2 header length 0xffffffff", "limit", "header length 4294967295"),
        ("header_truncated.npy", A[:40], "the file ends inside the header",
         "corrupt", "truncated"),
        ("object.npy", npy("|O", (2,), b"\x80\x02N."),
         "object array: loading it would unpickle", "unsafe", "needs pickle"),
        ("object_field.npy", npy_wrap("{'descr': [('a', '<f4'), ('b', '|O')], "
                                      "'fortran_order': False, 'shape': (1,), }") + b"\0" * 12,
         "structured dtype with an object field", "unsafe", "needs pickle"),
        ("structured.npy", npy_wrap("{'descr': [('x', '<f4'), ('y', '<i4')], "
                                    "'fortran_order': False, 'shape': (1,), }") + b"\0" * 8,
         "structured dtypes are not tensors", "unsupported", "structured dtype"),
        ("unicode.npy", npy("<U3", (1,), b"\0" * 12), "string arrays are not tensors",
         "unsupported", "unsupported dtype '<U3'"),
        ("bytes.npy", npy("|S4", (1,), b"abcd"), "byte-string arrays are not tensors",
         "unsupported", "unsupported dtype '|S4'"),
        ("longdouble.npy", npy("<f16", (1,), b"\0" * 16), "long double is not portable",
         "unsupported", "unsupported dtype '<f16'"),
        ("datetime.npy", npy("<M8[ns]", (1,), b"\0" * 8), "datetimes are not tensors",
         "unsupported", "unsupported dtype '<M8[ns]'"),
        ("negative_dim.npy", npy_wrap("{'descr': '<f4', 'fortran_order': False, "
                                      "'shape': (-1, 3), }") + data,
         "a negative dimension", "corrupt", "negative dimension -1"),
        ("overflow_shape.npy", npy("<f4", (2**40, 2**40), data),
         "the byte size overflows", "limit", "too big"),
        ("dim_2_63.npy", npy("<u1", (2**63,), data), "a dimension of 2^63",
         "limit", "dimension 9223372036854775808 in 'shape' is too large"),
        ("dim_ffffffff.npy", npy("<f4", (0xFFFFFFFF,), data),
         "a 0xffffffff-element array in a 24-byte file", "corrupt", "truncated"),
        ("too_many_dims.npy", npy("<f4", (1,) * 65, f32(1)), "65 dimensions",
         "limit", "more than 64 dimensions"),
        ("truncated_data.npy", A[:-4], "the data is 4 bytes short", "corrupt",
         "truncated: the array needs 24 bytes of data, 20 are left"),
        ("trailing_data.npy", A + b"PWNED", "bytes after the array", "corrupt",
         "5 extra bytes after the array"),
        ("missing_key.npy", npy_wrap("{'descr': '<f4', 'shape': (2, 3), }") + data,
         "no fortran_order", "corrupt", "missing key 'fortran_order'"),
        ("extra_key.npy", npy_wrap("{'descr': '<f4', 'fortran_order': False, "
                                   "'shape': (2, 3), 'x': 1, }") + data,
         "an unknown key", "corrupt", "unexpected key 'x'"),
        ("duplicate_key.npy", npy_wrap("{'descr': '<f4', 'descr': '<f4', "
                                       "'fortran_order': False, 'shape': (2, 3), }") + data,
         "a key given twice", "corrupt", "duplicate key 'descr'"),
        ("fortran_not_bool.npy", npy_wrap("{'descr': '<f4', 'fortran_order': 0, "
                                          "'shape': (2, 3), }") + data,
         "fortran_order is not a bool", "corrupt", "must be True or False"),
        ("shape_int.npy", npy_wrap("{'descr': '<f4', 'fortran_order': False, "
                                   "'shape': (6), }") + data,
         "(6) is an int, not a tuple", "corrupt", "is an int, not a tuple"),
        ("shape_list.npy", npy_wrap("{'descr': '<f4', 'fortran_order': False, "
                                    "'shape': [2, 3], }") + data,
         "shape is a list", "corrupt", "'shape' must be a tuple"),
        ("no_newline.npy", MAGIC + b"\x01\x00" + struct.pack("<H", 118) +
         hdr.encode().ljust(118, b" ") + data, "the header does not end with a newline",
         "corrupt", "does not end with a newline"),
        ("trailing_text.npy", npy_wrap(hdr + " os.system('x')") + data,
         "code after the dict", "corrupt", "unexpected text after the dict"),
        ("escape.npy", npy_wrap("{'descr': '<f\\x34', 'fortran_order': False, "
                                "'shape': (2, 3), }") + data,
         "a string escape", "corrupt", "escape sequences"),
    ]


def npz_member_bytes():
    return A, B


def npz_files():
    good = [Entry("a.npy", A), Entry("b.npy", B)]
    base = build_zip(good)
    a_crc = zlib.crc32(A)
    files = []

    def add(name, data, reason, code, frag):
        files.append((name, data, reason, code, frag))

    add("not_npy_member.npz", build_zip([Entry("a.npy", A), Entry("notes.txt", b"hello")]),
        "a member that is not an npy file", "unsupported", "is not an npy member")
    add("empty_stem.npz", build_zip([Entry(".npy", A)]), "a member named just '.npy'",
        "unsupported", "is not an npy member")
    add("object_member.npz", build_zip([Entry("o.npy", npy("|O", (1,), b"\x80\x02N."))]),
        "an object array member", "unsafe", "needs pickle")
    add("bad_member_magic.npz", build_zip([Entry("a.npy", b"\x93NUMPZ" + A[6:])]),
        "a member that is not npy", "corrupt", "not an npy file")
    add("member_too_long.npz", build_zip([Entry("a.npy", A + b"\0" * 8)]),
        "8 bytes after the array in a member", "corrupt", "8 extra bytes after the array")
    add("member_too_short.npz", build_zip([Entry("a.npy", A[:-4])]),
        "the member ends 4 bytes early", "corrupt", "truncated: the array needs 24 bytes")
    crc_bad = bytearray(base)
    crc_bad[len(A) - 1 + 30 + 5 + 20] ^= 0x40  # flip a bit of a.npy's last data byte
    add("crc_mismatch.npz", bytes(crc_bad), "a flipped data bit (caught when read)",
        "corrupt", "crc-32 mismatch")
    add("deflate_crc_mismatch.npz",
        build_zip([Entry("a.npy", A, method=8, crc=a_crc ^ 1)]),
        "deflated member with a wrong crc", "corrupt", "crc-32 mismatch")
    add("escaping_name.npz", build_zip([Entry("../evil.npy", A)]),
        "a name that escapes the extraction directory", "unsafe", "escapes the archive")
    add("absolute_name.npz", build_zip([Entry("/tmp/evil.npy", A)]), "an absolute name",
        "unsafe", "is an absolute path")
    add("backslash_name.npz", build_zip([Entry("..\\evil.npy", A)]),
        "a name with a backslash", "unsafe", "contains a backslash")
    add("duplicate_name.npz", build_zip([Entry("a.npy", A), Entry("a.npy", B)]),
        "two members with the same name", "corrupt", "duplicate entry name 'a.npy'")
    add("encrypted.npz", build_zip([Entry("a.npy", A, flags=1)]), "an encrypted member",
        "unsafe", "encrypted entry")
    add("method_12.npz", build_zip([Entry("a.npy", A, method=12)]), "bzip2 compression",
        "unsupported", "compression method 12 (bzip2) is not supported")
    bomb = Entry("a.npy", A, method=8, size=0x7FFFFFF0)
    add("deflate_bomb.npz", build_zip([bomb]),
        "declares 2 GiB from a few bytes of deflate", "corrupt", "more than deflate can produce")
    add("pickle_prefix.npz", build_zip(good, prefix=b"\x80\x02c__builtin__\neval\n."),
        "a pickle glued in front of the archive", "corrupt", "bytes before the first entry")
    add("trailing_bytes.npz", base + b"junk", "bytes after the end record", "corrupt",
        "4 bytes after the end of central directory record")
    add("name_mismatch.npz", build_zip([Entry("a.npy", A, local_name=b"x.npy")]),
        "local header and central directory disagree on the name", "corrupt",
        "local header names the entry 'x.npy'")
    add("truncated.npz", base[: len(base) // 2], "the archive is cut in half", "corrupt",
        "no end of central directory record")
    bad_deflate = Entry("a.npy", A, method=8)
    bad_deflate.payload = b"\xff" * 40
    add("bad_deflate.npz", build_zip([bad_deflate]), "a deflate stream that is garbage",
        "corrupt", "invalid deflate data")
    return files


def zip_files():
    d1, d2 = b"hello, world\n" * 4, bytes(range(256))
    good = [Entry("a.txt", d1), Entry("dir/b.bin", d2)]
    base = build_zip(good)
    cd = cd_offset(base)
    e = eocd(base)
    files = []

    def add(name, data, reason, code, frag):
        files.append((name, data, reason, code, frag))

    add("empty_file.zip", b"", "zero bytes", "corrupt", "too short")
    add("no_eocd.zip", base[:e], "no end of central directory record", "corrupt",
        "no end of central directory record")
    add("trailing_bytes.zip", base + b"\0" * 7, "bytes after the end record", "corrupt",
        "7 bytes after the end of central directory record")
    add("prefix.zip", build_zip(good, prefix=b"MZ" + b"\0" * 62),
        "64 bytes before the first local header (a self-extractor or glued pickle)",
        "corrupt", "64 bytes before the first entry")
    add("comment_past_end.zip", u16(base, e + 20, 10), "the comment runs past the end",
        "corrupt", "runs past the end of the file")
    add("cd_offset_wrong.zip", u32(base, e + 16, cd - 1),
        "central directory offset one byte early", "corrupt", "does not end where the end")
    add("count_too_big.zip", u16(u16(base, e + 8, 0xFFFE), e + 10, 0xFFFE),
        "65534 entries claimed in a 2-entry directory", "corrupt", "cannot fit in a central")
    add("cd_bad_signature.zip", u32(base, cd, 0x12345678), "central header signature broken",
        "corrupt", "bad signature")
    add("local_bad_signature.zip", u32(base, 0, 0x04034B51), "local header signature broken",
        "corrupt", "no local header at offset 0")
    add("name_mismatch.zip", build_zip([Entry("a.txt", d1, local_name=b"b.txt")]),
        "local and central names differ", "corrupt", "local header names the entry 'b.txt'")
    add("method_mismatch.zip", build_zip([Entry("a.txt", d1, local_method=8)]),
        "local and central methods differ", "corrupt", "local header method 8 disagrees")
    add("flags_mismatch.zip", build_zip([Entry("a.txt", d1, local_flags=0x800)]),
        "local and central flags differ", "corrupt", "local header flags 0x0800 disagree")
    add("crc_mismatch.zip", build_zip([Entry("a.txt", d1, crc=0x1234ABCD)]),
        "the stored crc is wrong (caught when read)", "corrupt",
        "crc-32 mismatch (stored 0x1234abcd")
    add("encrypted.zip", build_zip([Entry("a.txt", d1, flags=1)]), "traditional encryption",
        "unsafe", "encrypted entry")
    add("strong_encryption.zip", build_zip([Entry("a.txt", d1, flags=0x41)]),
        "strong encryption", "unsafe", "encrypted entry")
    add("aes.zip", build_zip([Entry("a.txt", d1, method=99)]), "winzip aes (method 99)",
        "unsafe", "encrypted entry")
    add("patch_data.zip", build_zip([Entry("a.txt", d1, flags=0x20)]), "patch data (bit 5)",
        "unsupported", "patch data")
    add("method_14.zip", build_zip([Entry("a.txt", d1, method=14)]), "lzma",
        "unsupported", "compression method 14 (lzma)")
    add("method_1.zip", build_zip([Entry("a.txt", d1, method=1)]), "shrink (method 1)",
        "unsupported", "compression method 1 is not supported")
    add("absolute.zip", build_zip([Entry("/etc/passwd", d1)]), "an absolute name",
        "unsafe", "is an absolute path")
    add("drive_letter.zip", build_zip([Entry("C:/evil.txt", d1)]), "a windows drive letter",
        "unsafe", "is an absolute path")
    add("dotdot.zip", build_zip([Entry("a/../../evil.txt", d1)]), "a '..' component",
        "unsafe", "escapes the archive")
    add("backslash.zip", build_zip([Entry("a\\b.txt", d1)]), "a backslash in a name",
        "unsafe", "contains a backslash")
    add("nul_name.zip", build_zip([Entry(b"a\0.txt", d1)]), "a NUL byte in a name",
        "corrupt", "contains a NUL byte")
    add("empty_name.zip", build_zip([Entry(b"", d1)]), "an empty name", "corrupt",
        "empty entry name")
    add("duplicate.zip", build_zip([Entry("a.txt", d1), Entry("a.txt", d2)]),
        "two entries with one name", "corrupt", "duplicate entry name 'a.txt'")
    add("bad_utf8.zip", build_zip([Entry(b"\xff\xfe.txt", d1, flags=0x800)]),
        "flagged utf-8 but is not", "corrupt", "is not valid utf-8")
    inner = struct.pack("<IHHHHHIIIHH", SIG_LOCAL, 20, 0, 0, 0, DATE_1980, zlib.crc32(d1),
                        len(d1), len(d1), 5, 0) + b"b.txt" + d1
    add("overlap.zip", build_zip([Entry("a.txt", inner),
                                  Entry("b.txt", d1, zip64_local=False, phantom_at=30 + 5 + 20)]),
        "entry 'b.txt' lies inside the data of 'a.txt'", "corrupt",
        "entries 'a.txt' and 'b.txt' overlap")
    add("gap.zip", build_zip(good, gap=b"\0" * 16), "16 hidden bytes between entries",
        "corrupt", "16 bytes between entries 'a.txt' and 'dir/b.bin' belong to no entry")
    add("stored_size_mismatch.zip", build_zip([Entry("a.txt", d1, size=len(d1) + 1)]),
        "a stored entry whose sizes differ", "corrupt", "stored entry has compressed size")
    add("deflate_bomb.zip", build_zip([Entry("a.txt", d1, method=8, size=0xFFFFFFF0)]),
        "4 GiB declared from a few bytes of deflate", "corrupt",
        "more than deflate can produce")
    short = Entry("a.txt", d1, method=8)
    short.payload = deflate(d1)[:-3]
    add("truncated_deflate.zip", build_zip([short]), "the deflate stream is cut short",
        "corrupt", "truncated deflate data")
    add("deflate_ends_early.zip", build_zip([Entry("a.txt", d1, method=8, size=len(d1) + 10)]),
        "the deflate stream ends 10 bytes before the declared size", "corrupt",
        "inflates to 52 bytes but 62 are declared")
    add("data_past_cd.zip", build_zip([Entry("a.txt", d1, comp=len(d1) + 100, size=len(d1) + 100)]),
        "the data runs into the central directory", "corrupt",
        "runs past the start of the central directory")
    multi = u16(base, e + 4, 1)
    add("multi_disk.zip", multi, "a spanned archive", "unsupported", "multi-disk")
    z64 = build_zip(good, zip64_end=True)
    ze = eocd(z64)
    add("zip64_locator_wrong.zip", z64[: ze - 12] + struct.pack("<Q", 3) + z64[ze - 4:],
        "the zip64 locator points at the wrong place", "corrupt",
        "zip64 locator points to offset 3")
    add("zip64_disagrees.zip", u16(u16(z64, ze + 8, 3), ze + 10, 3),
        "end record says 3 entries, zip64 record 2", "corrupt", "disagrees with the zip64 record")
    desc = Entry("a.txt", d1, flags=0x808, descriptor=True, zip64_local=False)
    dd = build_zip([desc])
    dpos = dd.rfind(struct.pack("<I", SIG_DESC))
    add("descriptor_mismatch.zip", u32(dd, dpos + 8, 1), "the data descriptor lies",
        "corrupt", "data descriptor is missing or disagrees")
    add("extra_malformed.zip", build_zip(good, cd_extra=b"\x01\x00\x40\x00"),
        "an extra field longer than its space", "corrupt", "malformed extra field")
    add("ambiguous_eocd.zip",
        build_zip(good, comment=struct.pack("<IHHHHIIH", SIG_EOCD, 0, 0, 0, 0, 0, 0, 0)),
        "the comment holds a second end record", "corrupt", "ambiguous archive")
    return files


# ---- seeds --------------------------------------------------------------------

def npy_seeds():
    seeds = {
        "f32_2x3.npy": A,
        "i8_3.npy": B,
        "bool.npy": npy("|b1", (4,), b"\1\0\1\1"),
        "u1.npy": npy("|u1", (2, 2), b"\1\2\3\4"),
        "i1.npy": npy("|i1", (3,), b"\xff\0\1"),
        "i2_be.npy": npy(">i2", (3,), struct.pack(">3h", 1, -2, 3)),
        "u2.npy": npy("<u2", (2,), struct.pack("<2H", 1, 65535)),
        "i4.npy": npy("<i4", (2,), struct.pack("<2i", -1, 7)),
        "u4_be.npy": npy(">u4", (2,), struct.pack(">2I", 1, 2)),
        "u8.npy": npy("<u8", (1,), struct.pack("<Q", 2**64 - 1)),
        "f2.npy": npy("<f2", (2,), b"\x00\x3c\x00\xc0"),
        "f8_fortran.npy": npy("<f8", (2, 3), struct.pack("<6d", 1, 4, 2, 5, 3, 6), fortran=True),
        "c8.npy": npy("<c8", (1,), f32(1, -1)),
        "c16_be.npy": npy(">c16", (1,), struct.pack(">2d", 1.5, -2.5)),
        "scalar.npy": npy("<f8", (), struct.pack("<d", 3.25)),
        "empty.npy": npy("<i2", (0, 3), b""),
        "v2.npy": npy("<f4", (2, 3), f32(1, 2, 3, 4, 5, 6), version=(2, 0)),
        "v3.npy": npy("<f4", (2,), f32(1, 2), version=(3, 0)),
        "py2.npy": npy_wrap("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }") +
        f32(1, 2, 3, 4, 5, 6),
    }
    return seeds


def npz_seeds():
    return {
        # np.savez(f, a=..., b=...) exactly; test_npz.c writes the same tensors
        # with mc_write("npz") and expects these bytes
        "savez.npz": build_zip([Entry("a.npy", A), Entry("b.npy", B)]),
        "savez_compressed.npz": build_zip([Entry("a.npy", A, method=8),
                                           Entry("b.npy", B, method=8)]),
        "fortran_be.npz": build_zip([
            Entry("f.npy", npy("<f8", (2, 3), struct.pack("<6d", 1, 4, 2, 5, 3, 6), fortran=True)),
            Entry("be.npy", npy(">i4", (2,), struct.pack(">2i", 1, -1)))]),
        "empty.npz": build_zip([]),
        "scalar_empty.npz": build_zip([Entry("s.npy", npy("<f8", (), struct.pack("<d", 1))),
                                       Entry("e.npy", npy("<u1", (0,), b""))]),
        "streamed.npz": build_zip([Entry("a.npy", A, flags=8, local_flags=8, descriptor=True)]),
    }


def zip_seeds():
    d1, d2 = b"hello, world\n" * 4, bytes(range(256))
    torch = [Entry("archive/data.pkl", b"\x80\x02}q\x00.", flags=0x808, descriptor=True,
                   zip64_local=False, pad_extra=True, version=0, made_by=45),
             Entry("archive/byteorder", b"little", flags=0x808, descriptor=True,
                   zip64_local=False, pad_extra=True, version=0, made_by=45),
             Entry("archive/data/0", f32(1, 2, 3, 4), flags=0x808, descriptor=True,
                   zip64_local=False, pad_extra=True, version=0, made_by=45),
             Entry("archive/version", b"3\n", flags=0x808, descriptor=True,
                   zip64_local=False, pad_extra=True, version=0, made_by=45),
             Entry("archive/.data/serialization_id", b"1234567890", flags=0x808,
                   descriptor=True, zip64_local=False, pad_extra=True, version=0, made_by=45)]
    return {
        "stored.zip": build_zip([Entry("a.txt", d1), Entry("dir/b.bin", d2)]),
        "deflated.zip": build_zip([Entry("a.txt", d1, method=8), Entry("b.bin", d2, method=8)]),
        "torch_like.zip": build_zip(torch, zip64_end=True),
        "descriptor64.zip": build_zip([Entry("a.txt", d1, flags=8, descriptor=True)]),
        "cp437.zip": build_zip([Entry(b"caf\x82.txt", d1, flags=0)]),
        "utf8.zip": build_zip([Entry("caf\u00e9.txt", d1)]),
        "comment.zip": build_zip([Entry("a.txt", d1)], comment=b"a comment"),
        "empty.zip": build_zip([]),
        "zip64_end.zip": build_zip([Entry("a.txt", d1)], zip64_end=True),
    }


# ---- output -------------------------------------------------------------------

def write_dir(path, files, title, how):
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name != "README.md":
            os.remove(os.path.join(path, name))
    lines = ["# %s" % title, "", how, "",
             "Written by `testdata/bad/make_bad_numpy.py`; do not edit by hand.", "",
             "| file | reason | code | message fragment |", "|---|---|---|---|"]
    for name, data, reason, code, frag in files:
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
        lines.append("| `%s` | %s | %s | `%s` |" % (name, reason, code, frag.replace("|", "\\|")))
    with open(os.path.join(path, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_seeds(path, seeds):
    os.makedirs(path, exist_ok=True)
    for name, data in sorted(seeds.items()):
        assert len(data) < 4096, name
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


def main():
    write_dir(os.path.join(BAD, "npy"), npy_files(), "Hostile npy files",
              "Each must be refused by `modelctl` (opened as npy) with the code and a "
              "message containing the fragment.")
    write_dir(os.path.join(BAD, "npz"), npz_files(), "Hostile npz files",
              "Each must be refused when opened as npz or when its tensors are read.")
    write_dir(os.path.join(BAD, "zip"), zip_files(), "Hostile zip archives",
              "Each must be refused by mc_zip_open or when an entry is read "
              "(mc_zip_read); the zip reader also serves PyTorch checkpoints.")
    write_seeds(os.path.join(CORPUS, "npy"), npy_seeds())
    write_seeds(os.path.join(CORPUS, "npz"), npz_seeds())
    write_seeds(os.path.join(CORPUS, "zip"), zip_seeds())


if __name__ == "__main__":
    main()
