#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the malicious pickle and PyTorch corpora: testdata/bad/pickle/ and
testdata/bad/pytorch/, with their README.md tables.

Every payload is written opcode by opcode with struct (nothing here pickles a
real object), so each file holds exactly the bytes it is meant to hold, and
running this script twice gives the same bytes.  Standard library only.

What a payload would do if a real unpickler (pickle.load, torch.load without
weights_only, numpy.load(allow_pickle=True)) ran it is always harmless and
observable: it creates the canary file /tmp/modelctl-canary-<stem>, where
<stem> is the corpus file's name without its extension (os.system('touch
...'), open(..., 'w'), subprocess, shutil.copyfile from /dev/null, ...).
tests/cli/malicious_test.py removes each canary, runs modelctl on the file,
and checks that the canary was not created.

Layouts follow what torch writes:
  zip checkpoints  entries archive/data.pkl, archive/byteorder ("little"),
                   archive/data/<key> (raw storage bytes), archive/version
                   ("3\\n"), all stored; the persistent id of a storage is the
                   tuple ('storage', torch.FloatStorage, key, 'cpu', numel)
  legacy files     pickles: the magic number 0x1950a86a20f9469cfc6c, the
                   protocol version 1001, the sys_info dict, the object, the
                   storage keys list; then for each key a u64 LE element count
                   and the raw bytes; persistent ids carry a sixth element,
                   None (no view)
A tensor is REDUCE of torch._utils._rebuild_tensor_v2 over (storage, offset,
size, stride, requires_grad, OrderedDict()).

Each README row is `| file | reason | expected | message fragment |`:
expected is the exit code of `modelctl scan FILE` (1: unsafe content, 3:
cannot be parsed); `modelctl dump FILE` must exit 3 with the fragment in its
one-line error (tests/cli/run.sh); a raw pickle without a PROTO 2..5 header
is not sniffed as a pickle, so its row says so and expects `unrecognised
file format`.

Usage: python3 testdata/bad/make_malicious.py   (from anywhere)
"""
import io
import os
import struct
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BAD = os.path.join(ROOT, "testdata", "bad")
CANARY_PREFIX = "/tmp/modelctl-canary-"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def canary(name):
    """The file a payload in `name` would create: /tmp/modelctl-canary-<stem>."""
    return CANARY_PREFIX + name.rsplit(".", 1)[0]


# ---- opcodes ----------------------------------------------------------------

MARK = b"("
STOP = b"."
POP = b"0"
NONE = b"N"
NEWTRUE = b"\x88"
NEWFALSE = b"\x89"
EMPTY_TUPLE = b")"
TUPLE = b"t"
TUPLE1 = b"\x85"
TUPLE2 = b"\x86"
TUPLE3 = b"\x87"
EMPTY_LIST = b"]"
EMPTY_DICT = b"}"
APPEND = b"a"
APPENDS = b"e"
SETITEM = b"s"
SETITEMS = b"u"
REDUCE = b"R"
BUILD = b"b"
OBJ = b"o"
NEWOBJ = b"\x81"
NEWOBJ_EX = b"\x92"
STACK_GLOBAL = b"\x93"
MEMOIZE = b"\x94"
BINPERSID = b"Q"


def proto(n):
    return b"\x80" + bytes([n])


def framed(n, body):
    """Protocol 4/5: PROTO n, then one FRAME holding the whole body."""
    return proto(n) + b"\x95" + struct.pack("<Q", len(body)) + body


def glob(module, name):  # GLOBAL (all protocols)
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def inst(module, name):  # INST (protocol 0)
    return b"i" + module.encode() + b"\n" + name.encode() + b"\n"


def sglob(module, name):  # STACK_GLOBAL over two short literals (protocol 4)
    return sbu(module) + MEMOIZE + sbu(name) + MEMOIZE + STACK_GLOBAL + MEMOIZE


def bu(s):  # BINUNICODE (protocol 1)
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def sbu(s):  # SHORT_BINUNICODE (protocol 4)
    b = s.encode()
    assert len(b) < 256
    return b"\x8c" + bytes([len(b)]) + b


def uni0(s):  # UNICODE (protocol 0): raw-unicode-escape text up to a newline
    assert "\n" not in s and "\\" not in s
    return b"V" + s.encode() + b"\n"


def sbb(b):  # SHORT_BINBYTES (protocol 3)
    assert len(b) < 256
    return b"C" + bytes([len(b)]) + b


def binbytes(b):  # BINBYTES (protocol 3)
    return b"B" + struct.pack("<I", len(b)) + b


def long1(n):
    """LONG1: two's complement little-endian, as short as possible."""
    if n == 0:
        return b"\x8a\x00"
    size = (n.bit_length() + 8) // 8
    return b"\x8a" + bytes([size]) + n.to_bytes(size, "little", signed=True)


def integer(n):
    """The opcode pickle itself would use for an int."""
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if 0 <= n < 65536:
        return b"M" + struct.pack("<H", n)
    if -(2 ** 31) <= n < 2 ** 31:
        return b"J" + struct.pack("<i", n)
    return long1(n)


def int0(n):  # INT (protocol 0)
    return b"I" + str(n).encode() + b"\n"


def binput(i):
    return b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i)


def binget(i):
    return b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i)


def tup(items):
    """A tuple of already-encoded items."""
    items = list(items)
    if not items:
        return EMPTY_TUPLE
    if len(items) <= 3:
        return b"".join(items) + [TUPLE1, TUPLE2, TUPLE3][len(items) - 1]
    return MARK + b"".join(items) + TUPLE


def ints(xs):
    return tup(integer(x) for x in xs)


def lst(items):
    return EMPTY_LIST + MARK + b"".join(items) + APPENDS


def dct(pairs):
    return EMPTY_DICT + MARK + b"".join(k + v for k, v in pairs) + SETITEMS


def call(callable_, *args):
    """REDUCE: callable_(*args), both already encoded."""
    return callable_ + tup(args) + REDUCE


def touch(name):
    return "touch " + canary(name)


# ---- tensors ------------------------------------------------------------------


def storage_pid(key, numel, legacy=False):
    fields = [bu("storage"), glob("torch", "FloatStorage"), bu(key), bu("cpu"), integer(numel)]
    if legacy:
        fields.append(NONE)  # the view metadata of the legacy format
    return MARK + b"".join(fields) + TUPLE + BINPERSID


def tensor(key="0", numel=2, offset=0, size=(2,), stride=(1,), legacy=False, raw_offset=None):
    """_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())."""
    return (glob("torch._utils", "_rebuild_tensor_v2") + MARK + storage_pid(key, numel, legacy) +
            (integer(offset) if raw_offset is None else raw_offset) + ints(size) + ints(stride) +
            NEWFALSE + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + TUPLE + REDUCE)


def state_dict(*pairs):
    """Protocol 2 pickle of {name: value, ...} (values already encoded)."""
    return proto(2) + dct([(bu(k), v) for k, v in pairs]) + STOP


GOOD_PKL = state_dict(("w", tensor()))
GOOD_DATA = {"0": struct.pack("<2f", 1.0, 2.0)}


# ---- containers ---------------------------------------------------------------


def zip_bytes(entries):
    """A stored zip of (name, bytes) in order, as Python's zipfile writes it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o600 << 16
            info.create_system = 3
            z.writestr(info, data)
    return buf.getvalue()


def torch_zip(data_pkl=GOOD_PKL, storages=None, extra=(), prefix="archive"):
    """Entries in the order torch.save writes them, plus `extra` at the end."""
    storages = GOOD_DATA if storages is None else storages
    entries = [(prefix + "/data.pkl", data_pkl), (prefix + "/byteorder", b"little")]
    entries += [(prefix + "/data/" + k, v) for k, v in storages.items()]
    entries.append((prefix + "/version", b"3\n"))
    entries += list(extra)
    return zip_bytes(entries)


MAGIC_PKL = proto(2) + b"\x8a\x0a" + LEGACY_MAGIC.to_bytes(10, "little") + STOP
VERSION_PKL = proto(2) + integer(1001) + STOP
SYS_INFO_PKL = proto(2) + dct([
    (bu("protocol_version"), integer(1001)),
    (bu("little_endian"), NEWTRUE),
    (bu("type_sizes"), dct([(bu("short"), integer(2)), (bu("int"), integer(4)),
                            (bu("long"), integer(4))])),
]) + STOP
LEGACY_OBJ_PKL = state_dict(("w", tensor(key="k0", legacy=True)))


def keys_pkl(keys):
    return proto(2) + lst(bu(k) for k in keys) + STOP


def legacy(magic=MAGIC_PKL, version=VERSION_PKL, sys_info=SYS_INFO_PKL, obj=LEGACY_OBJ_PKL,
           keys=None, storages=None):
    """The legacy (non-zip) torch.save layout: five pickles, then the storages."""
    storages = [("k0", 2, struct.pack("<2f", 1.0, 2.0))] if storages is None else storages
    keys = keys_pkl([k for k, _, _ in storages]) if keys is None else keys
    out = magic + version + sys_info + obj + keys
    for _, numel, data in storages:
        out += struct.pack("<Q", numel) + data
    return out


def npy_object(payload):
    """An npy file with dtype |O whose data is the pickle `payload`."""
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * (pad % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


# ---- the raw pickle corpus ----------------------------------------------------


def os_system(name, module="os"):
    """Protocol 2: GLOBAL module.system, REDUCE ('touch <canary>',)."""
    return proto(2) + call(glob(module, "system"), bu(touch(name))) + STOP


def pickle_files():
    f = []

    def add(name, data, reason, expected, frag):
        f.append((name, data(name) if callable(data) else data, reason, expected, frag))

    # -- REDUCE / INST / OBJ / NEWOBJ / NEWOBJ_EX in every protocol
    add("p0_reduce_os_system.pkl",
        lambda n: glob("os", "system") + MARK + uni0(touch(n)) + TUPLE + REDUCE + STOP,
        "protocol 0 (text opcodes, no PROTO): REDUCE os.system; not sniffed as a pickle",
        3, "unrecognised file format")
    add("p0_inst_posix_system.pkl",
        lambda n: MARK + uni0(touch(n)) + inst("posix", "system") + STOP,
        "protocol 0 INST posix.system; not sniffed as a pickle", 3, "unrecognised file format")
    add("p1_obj_os_system.pkl",
        lambda n: MARK + glob("os", "system") + binput(0) + bu(touch(n)) + OBJ + STOP,
        "protocol 1 (binary opcodes, no PROTO): OBJ os.system; not sniffed as a pickle",
        3, "unrecognised file format")
    add("p1_reduce_subprocess_call.pkl",
        lambda n: glob("subprocess", "call") + binput(0) + MARK +
        lst([bu("touch"), bu(canary(n))]) + TUPLE + REDUCE + STOP,
        "protocol 1 REDUCE subprocess.call(['touch', ...]); not sniffed as a pickle",
        3, "unrecognised file format")
    add("p2_reduce_os_system.pkl", os_system,
        "protocol 2: REDUCE os.system", 1, "os.system")
    add("p2_inst_os_system.pkl",
        lambda n: proto(2) + MARK + bu(touch(n)) + inst("os", "system") + STOP,
        "protocol 2 header, INST os.system", 1, "os.system")
    add("p2_obj_builtins_open.pkl",
        lambda n: proto(2) + MARK + glob("builtins", "open") + bu(canary(n)) + bu("w") +
        OBJ + STOP,
        "protocol 2 header, OBJ builtins.open(canary, 'w')", 1, "builtins.open")
    add("p2_newobj_partial.pkl",
        lambda n: proto(2) + glob("functools", "partial") +
        tup([glob("os", "system"), bu(touch(n))]) + NEWOBJ + EMPTY_TUPLE + REDUCE + STOP,
        "protocol 2: NEWOBJ functools.partial(os.system, ...), then called", 1,
        "functools.partial")
    add("p3_reduce_posix_system.pkl",
        lambda n: proto(3) + call(glob("posix", "system"), sbb(touch(n).encode())) + STOP,
        "protocol 3: REDUCE posix.system on a bytes command", 1, "posix.system")
    add("p4_stack_global_popen.pkl",
        lambda n: framed(4, sglob("subprocess", "Popen") +
                         tup([lst([sbu("touch"), sbu(canary(n))])]) + REDUCE + STOP),
        "protocol 4: STACK_GLOBAL subprocess.Popen, REDUCE", 1, "subprocess.Popen")
    add("p4_newobj_ex_partial.pkl",
        lambda n: framed(4, sglob("functools", "partial") +
                         tup([sglob("os", "system"), sbu(touch(n))]) + EMPTY_DICT +
                         NEWOBJ_EX + EMPTY_TUPLE + REDUCE + STOP),
        "protocol 4: NEWOBJ_EX functools.partial(os.system, ...), then called", 1,
        "functools.partial")
    add("p3_inst_check_output.pkl",
        lambda n: proto(3) + MARK + lst([bu("touch"), bu(canary(n))]) +
        inst("subprocess", "check_output") + STOP,
        "protocol 3: INST subprocess.check_output(['touch', ...])", 1,
        "subprocess.check_output")
    add("p3_obj_posix_system.pkl",
        lambda n: proto(3) + MARK + glob("posix", "system") + sbb(touch(n).encode()) + OBJ +
        STOP,
        "protocol 3: OBJ posix.system on a bytes command", 1, "posix.system")
    add("p3_newobj_partial.pkl",
        lambda n: proto(3) + glob("functools", "partial") +
        tup([glob("subprocess", "getoutput"), bu(touch(n))]) + NEWOBJ + EMPTY_TUPLE + REDUCE +
        STOP,
        "protocol 3: NEWOBJ functools.partial(subprocess.getoutput, ...), then called", 1,
        "functools.partial")
    add("p4_inst_builtins_exec.pkl",
        lambda n: framed(4, MARK + sbu("open(%r, 'w').close()" % canary(n)) +
                         inst("builtins", "exec") + STOP),
        "protocol 4: INST builtins.exec", 1, "builtins.exec")
    add("p4_obj_os_system.pkl",
        lambda n: framed(4, MARK + sglob("os", "system") + sbu(touch(n)) + OBJ + STOP),
        "protocol 4: OBJ of STACK_GLOBAL os.system", 1, "os.system")
    add("p4_newobj_partial.pkl",
        lambda n: framed(4, sglob("functools", "partial") +
                         tup([sglob("posix", "system"), sbu(touch(n))]) + NEWOBJ +
                         EMPTY_TUPLE + REDUCE + STOP),
        "protocol 4: NEWOBJ functools.partial(posix.system, ...), then called", 1,
        "functools.partial")
    add("p5_inst_os_system.pkl",
        lambda n: framed(5, b"\x96" + struct.pack("<Q", 8) + b"modelctl" + POP + MARK +
                         sbu(touch(n)) + inst("os", "system") + STOP),
        "protocol 5 (a BYTEARRAY8, popped): INST os.system", 1, "os.system")
    add("p5_obj_subprocess_run.pkl",
        lambda n: framed(5, MARK + sglob("subprocess", "run") +
                         lst([sbu("touch"), sbu(canary(n))]) + OBJ + STOP),
        "protocol 5: OBJ of STACK_GLOBAL subprocess.run(['touch', ...])", 1, "subprocess.run")
    add("p5_newobj_partial.pkl",
        lambda n: framed(5, sglob("functools", "partial") +
                         tup([sglob("builtins", "exec"),
                              sbu("open(%r, 'w').close()" % canary(n))]) + NEWOBJ +
                         EMPTY_TUPLE + REDUCE + STOP),
        "protocol 5: NEWOBJ functools.partial(builtins.exec, ...), then called", 1,
        "functools.partial")
    add("p5_reduce_builtins_exec.pkl",
        lambda n: framed(5, call(sglob("builtins", "exec"),
                                 sbu("open(%r, 'w').close()" % canary(n))) + STOP),
        "protocol 5: REDUCE builtins.exec", 1, "builtins.exec")

    # -- exact names after the Python 2 mapping
    add("py2_builtin_eval.pkl",
        lambda n: proto(2) + call(glob("__builtin__", "eval"),
                                  bu("__import__('os').system(%r)" % touch(n))) + STOP,
        "__builtin__.eval, which the Python 2 mapping makes builtins.eval", 1,
        "builtins.eval")
    add("py2_commands_getoutput.pkl",
        lambda n: proto(2) + call(glob("commands", "getoutput"), bu(touch(n))) + STOP,
        "commands.getoutput, which the Python 2 mapping makes subprocess.getoutput", 1,
        "subprocess.getoutput")
    add("numpy_runstring.pkl",
        lambda n: proto(2) + call(glob("numpy.testing._private.utils", "runstring"),
                                  bu("open(%r, 'w').close()" % canary(n)), EMPTY_DICT) + STOP,
        "numpy.testing._private.utils.runstring (exec) under an allowed package's name", 1,
        "runstring")

    # -- STACK_GLOBAL fed by non-string or non-literal operands
    add("stack_global_ints.pkl",
        framed(4, integer(1) + integer(2) + STACK_GLOBAL + STOP),
        "STACK_GLOBAL over two ints", 1, "STACK_GLOBAL")
    add("stack_global_memo_reduce.pkl",
        framed(4, glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + MEMOIZE + POP +
               binget(0) + sbu("x") + STACK_GLOBAL + STOP),
        "STACK_GLOBAL whose module is a memoised OrderedDict() result", 1, "STACK_GLOBAL")
    add("stack_global_memo_codecs.pkl",
        framed(4, call(glob("_codecs", "encode"), sbu("os"), sbu("latin1")) + MEMOIZE + POP +
               call(glob("_codecs", "encode"), sbu("system"), sbu("latin1")) + MEMOIZE + POP +
               binget(0) + binget(1) + STACK_GLOBAL + STOP),
        "STACK_GLOBAL over memoised bytes made by the allowed _codecs.encode", 1,
        "STACK_GLOBAL")
    add("stack_global_decoy.pkl",
        lambda n: framed(4, sbu("os") + MEMOIZE + sbu("system") + MEMOIZE + POP + POP +
                         sbu("collections") + sbu("OrderedDict") + POP + POP +
                         binget(0) + binget(1) + STACK_GLOBAL + tup([sbu(touch(n))]) +
                         REDUCE + STOP),
        "STACK_GLOBAL over memoised 'os' 'system', right after the decoy literals "
        "'collections' 'OrderedDict'", 1, "os.system")
    add("stack_global_memo_rebind.pkl",
        lambda n: framed(4, sbu("collections") + binput(0) + sbu("OrderedDict") + binput(1) +
                         POP + POP + sbu("os") + binput(0) + POP + sbu("system") + binput(1) +
                         POP + binget(0) + binget(1) + STACK_GLOBAL + tup([sbu(touch(n))]) +
                         REDUCE + STOP),
        "memo slots first bound to 'collections' 'OrderedDict', rebound to 'os' 'system', "
        "then fed to STACK_GLOBAL", 1, "os.system")

    # -- dotted qualnames, getattr and attrgetter chains
    add("dotted_ordereddict_class.pkl",
        framed(4, call(glob("collections", "OrderedDict.__class__"), sbu("x")) + STOP),
        "GLOBAL 'collections OrderedDict.__class__' (type)", 1, "OrderedDict.__class__")
    add("dotted_rebuild_globals.pkl",
        framed(4, sglob("torch._utils", "_rebuild_tensor_v2.__globals__") + STOP),
        "STACK_GLOBAL torch._utils _rebuild_tensor_v2.__globals__: an allowed function's "
        "module globals", 1, "_rebuild_tensor_v2.__globals__")
    add("builtins_getattr.pkl",
        lambda n: proto(2) + call(call(glob("builtins", "getattr"),
                                       call(glob("builtins", "__import__"), bu("os")),
                                       bu("system")),
                                  bu(touch(n))) + STOP,
        "getattr(__import__('os'), 'system')(...)", 1, "builtins.getattr")

    def getattr_chain(n):
        g = binget(1)  # builtins.getattr

        def ga(obj, attr):
            return g + tup([obj, bu(attr)]) + REDUCE
        globals_ = ga(binget(0), "__globals__")
        sys_mod = call(ga(globals_, "get"), bu("sys"))
        os_mod = call(ga(ga(sys_mod, "modules"), "get"), bu("os"))
        return (proto(2) + glob("torch._utils", "_rebuild_tensor_v2") + binput(0) + POP +
                glob("builtins", "getattr") + binput(1) + POP +
                call(ga(os_mod, "system"), bu(touch(n))) + STOP)
    add("getattr_chain_rebuild.pkl", getattr_chain,
        "a getattr chain from the allowed _rebuild_tensor_v2: __globals__, sys.modules, "
        "os.system", 1, "builtins.getattr")
    add("attrgetter_chain.pkl",
        lambda n: proto(2) + call(call(call(glob("operator", "attrgetter"), bu("path.os.system")),
                                       call(glob("importlib", "import_module"), bu("os"))),
                                  bu(touch(n))) + STOP,
        "operator.attrgetter('path.os.system')(os)(...)", 1, "operator.attrgetter")

    # -- code-running modules
    add("runpy_run_code.pkl",
        lambda n: proto(2) + call(glob("runpy", "_run_code"),
                                  bu("open(%r, 'w').close()" % canary(n)), EMPTY_DICT) + STOP,
        "runpy._run_code (exec)", 1, "runpy._run_code")
    add("importlib_import_module.pkl",
        lambda n: proto(2) + glob("importlib", "import_module") + binput(0) + POP +
        call(call(glob("builtins", "getattr"), call(binget(0), bu("os")), bu("system")),
             bu(touch(n))) + STOP,
        "importlib.import_module('os'), its system called through getattr", 1,
        "importlib.import_module")
    add("webbrowser_open.pkl",
        lambda n: proto(2) + call(glob("webbrowser", "open"), bu("file://" + canary(n))) + STOP,
        "webbrowser.open", 1, "webbrowser.open")
    add("shutil_copyfile.pkl",
        lambda n: proto(2) + call(glob("shutil", "copyfile"), bu("/dev/null"),
                                  bu(canary(n))) + STOP,
        "shutil.copyfile('/dev/null', canary)", 1, "shutil.copyfile")
    add("functools_partial_reduce.pkl",
        lambda n: proto(2) + call(call(glob("_functools", "partial"), glob("os", "system"),
                                       bu(touch(n)))) + STOP,
        "REDUCE _functools.partial(os.system, ...), then called", 1, "partial")

    # -- extension registry
    add("ext1.pkl", proto(2) + b"\x82\x01" + EMPTY_TUPLE + REDUCE + STOP,
        "EXT1 code 1 (the copyreg extension registry), called", 1, "extension")
    add("ext2.pkl", proto(2) + b"\x83" + struct.pack("<H", 0x1234) + EMPTY_TUPLE + REDUCE + STOP,
        "EXT2 code 0x1234, called", 1, "extension")
    add("ext4.pkl", proto(2) + b"\x84" + struct.pack("<i", 0x7FFFFFFF) + STOP,
        "EXT4 code 0x7fffffff", 1, "extension")

    # -- SETITEM(S) on non-dicts, APPEND(S) on non-lists, BUILD into allowed types
    add("setitem_on_list.pkl", proto(2) + EMPTY_LIST + integer(0) + integer(1) + SETITEM + STOP,
        "SETITEM on a list", 3, "SETITEM")
    add("setitems_on_torch_size.pkl",
        proto(2) + call(glob("torch", "Size"), ints((2, 3))) + MARK + integer(0) + integer(7) +
        SETITEMS + STOP,
        "SETITEMS on a torch.Size", 3, "SETITEM")
    add("append_on_dict.pkl", proto(2) + EMPTY_DICT + integer(1) + APPEND + STOP,
        "APPEND on a dict", 3, "APPEND")
    add("appends_on_ordereddict.pkl",
        proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + MARK +
        integer(1) + integer(2) + APPENDS + STOP,
        "APPENDS on an OrderedDict", 3, "APPEND")
    add("build_ordereddict_os_system.pkl",
        lambda n: proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE +
        dct([(bu("__setstate__"), glob("os", "system"))]) + BUILD + bu(touch(n)) + BUILD + STOP,
        "BUILD puts __setstate__ = os.system on an OrderedDict, a second BUILD calls it", 1,
        "os.system")
    add("build_ordereddict_setstate.pkl",
        proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE +
        dct([(bu("__setstate__"), glob("_codecs", "encode"))]) + BUILD + bu("x") + BUILD + STOP,
        "BUILD puts __setstate__ = _codecs.encode (allowed) on an OrderedDict, a second "
        "BUILD calls it", 3, "__setstate__")
    add("build_torch_device.pkl",
        proto(2) + call(glob("torch", "device"), bu("cpu")) +
        dct([(bu("type"), bu("cuda"))]) + BUILD + STOP,
        "BUILD on a torch.device", 3, "BUILD")

    # -- numpy object arrays inside pickles, npy and npz
    def numpy_object(n):
        dtype = (call(glob("numpy", "dtype"), bu("O8"), NEWFALSE, NEWTRUE) +
                 tup([integer(3), bu("|"), NONE, NONE, NONE, integer(-1), integer(-1),
                      integer(63)]) + BUILD)
        element = call(glob("os", "system"), bu(touch(n)))
        return (proto(2) + call(glob("numpy.core.multiarray", "_reconstruct"),
                                glob("numpy", "ndarray"), ints((0,)),
                                call(glob("_codecs", "encode"), bu("b"), bu("latin1"))) +
                MARK + integer(1) + ints((1,)) + dtype + NEWFALSE + lst([element]) + TUPLE +
                BUILD + STOP)
    add("numpy_object_array.pkl", numpy_object,
        "a numpy object array (dtype O8) whose element is os.system(...)", 1, "O8")
    add("object_os_system.npy",
        lambda n: npy_object(proto(3) + call(glob("os", "system"), bu(touch(n))) + STOP),
        "npy object array whose pickle calls os.system", 1, "needs pickle")
    add("object_member_os_system.npz",
        lambda n: zip_bytes([("x.npy", npy_object(
            proto(3) + call(glob("os", "system"), bu(touch(n))) + STOP))]),
        "npz whose member is an object array whose pickle calls os.system", 1, "needs pickle")

    # -- malformed streams
    add("trailing_after_stop.pkl", proto(2) + EMPTY_DICT + STOP + b"\x00garbage",
        "8 bytes after STOP", 3, "bytes after")
    add("truncated_no_stop.pkl",
        proto(2) + EMPTY_DICT + bu("a") + integer(1) + SETITEM,
        "the pickle ends without STOP", 3, "truncated")
    add("truncated_in_string.pkl", proto(2) + b"X" + struct.pack("<I", 100) + b"abc",
        "the file ends inside a 100-byte string", 3, "truncated")
    add("len_binunicode_4g.pkl",
        proto(2) + b"X" + struct.pack("<I", 0xFFFFFFFF) + b"abc" + STOP,
        "BINUNICODE length 0xffffffff in a small file", 3, "truncated")
    add("len_binbytes8_2p63.pkl",
        framed(4, b"\x8e" + struct.pack("<Q", 2 ** 63) + b"abc" + STOP),
        "BINBYTES8 length 2^63", 3, "truncated")
    add("len_bytearray8_max.pkl",
        proto(5) + b"\x96" + struct.pack("<Q", 2 ** 64 - 1) + b"abc" + STOP,
        "BYTEARRAY8 length 2^64-1", 3, "truncated")
    add("len_long4.pkl", proto(2) + b"\x8b" + struct.pack("<i", 1000) + b"\x01" + STOP,
        "LONG4 of 1000 bytes with 2 left", 3, "truncated")
    add("len_frame_huge.pkl", proto(4) + b"\x95" + struct.pack("<Q", 2 ** 62) + NONE + STOP,
        "FRAME length 2^62", 3, "truncated")
    add("memo_huge_index.pkl",
        proto(2) + NONE + binput(0xFFFFFFFF) + POP + binget(0xFFFFFFFF) + STOP,
        "LONG_BINPUT and LONG_BINGET at memo index 0xffffffff", 3, "memo")
    add("memo_get_unset.pkl", proto(2) + NONE + binput(0) + POP + binget(5) + STOP,
        "BINGET of a memo index never set", 3, "memo")
    add("nest_tuples.pkl", proto(2) + EMPTY_TUPLE + TUPLE1 * 100000 + STOP,
        "tuples nested 100000 deep", 3, "nest")
    add("nest_marks.pkl", proto(2) + MARK * 5000 + TUPLE * 5000 + STOP,
        "tuples nested 5000 deep through 5000 open MARKs", 3, "nest")
    return f


# ---- the PyTorch corpus -----------------------------------------------------------


def zip_payload(pkl_for_name):
    return lambda n: torch_zip(pkl_for_name(n))


def pytorch_files():
    f = []

    def add(name, data, reason, expected, frag):
        f.append((name, data(name) if callable(data) else data, reason, expected, frag))

    # -- every protocol and call opcode in archive/data.pkl
    add("zip_p0_reduce_os_system.pt",
        zip_payload(lambda n: glob("os", "system") + MARK + uni0(touch(n)) + TUPLE + REDUCE +
                    STOP),
        "data.pkl in protocol 0: REDUCE os.system", 1, "os.system")
    add("zip_p0_inst_getoutput.pt",
        zip_payload(lambda n: MARK + uni0(touch(n)) + inst("subprocess", "getoutput") + STOP),
        "data.pkl in protocol 0: INST subprocess.getoutput", 1, "subprocess.getoutput")
    add("zip_p1_reduce_posix_system.pt",
        zip_payload(lambda n: glob("posix", "system") + MARK + bu(touch(n)) + TUPLE + REDUCE +
                    STOP),
        "data.pkl in protocol 1: REDUCE posix.system", 1, "posix.system")
    add("zip_p1_inst_os_system.pt",
        zip_payload(lambda n: MARK + bu(touch(n)) + inst("os", "system") + STOP),
        "data.pkl in protocol 1: INST os.system", 1, "os.system")
    add("zip_p1_obj_os_system.pt",
        zip_payload(lambda n: MARK + glob("os", "system") + bu(touch(n)) + OBJ + STOP),
        "data.pkl in protocol 1: OBJ os.system", 1, "os.system")
    add("zip_p2_newobj_module.pt",
        torch_zip(proto(2) + glob("torch.nn.modules.linear", "Linear") + EMPTY_TUPLE + NEWOBJ +
                  dct([(bu("training"), NEWTRUE)]) + BUILD + STOP),
        "a pickled nn.Module: NEWOBJ torch.nn.modules.linear.Linear, BUILD", 1,
        "torch.nn.modules.linear.Linear")
    add("zip_p2_collect_env_run.pt",
        zip_payload(lambda n: proto(2) + call(glob("torch.utils.collect_env", "run"),
                                              bu(touch(n))) + STOP),
        "torch.utils.collect_env.run: a torch name that runs a shell command", 1,
        "torch.utils.collect_env.run")
    add("zip_p3_exec_bytes.pt",
        zip_payload(lambda n: proto(3) + call(glob("builtins", "exec"), binbytes(
            ("open(%r, 'w').close()" % canary(n)).encode())) + STOP),
        "data.pkl in protocol 3: builtins.exec of BINBYTES source", 1, "builtins.exec")
    add("zip_p4_inductor_codecache.pt",
        zip_payload(lambda n: framed(4, call(sglob("torch._inductor.codecache",
                                                   "PyCodeCache.load"),
                                             sbu("open(%r, 'w').close()" % canary(n))) + STOP)),
        "torch._inductor.codecache.PyCodeCache.load: torch's own code loader", 1,
        "torch._inductor")
    add("zip_p4_serialization_os.pt",
        zip_payload(lambda n: framed(4, call(glob("torch.serialization", "os.system"),
                                             sbu(touch(n))) + STOP)),
        "GLOBAL 'torch.serialization os.system': os reached through a torch module", 1,
        "os.system")
    add("zip_p4_rebuild_globals.pt",
        torch_zip(framed(4, sglob("torch._utils", "_rebuild_tensor_v2.__globals__") + STOP)),
        "STACK_GLOBAL torch._utils _rebuild_tensor_v2.__globals__", 1,
        "_rebuild_tensor_v2.__globals__")
    add("zip_p5_newobj_ex_partial.pt",
        zip_payload(lambda n: framed(5, sglob("functools", "partial") +
                                     tup([sglob("os", "system"), sbu(touch(n))]) +
                                     EMPTY_DICT + NEWOBJ_EX + EMPTY_TUPLE + REDUCE + STOP)),
        "data.pkl in protocol 5: NEWOBJ_EX functools.partial(os.system, ...), then called",
        1, "functools.partial")
    add("zip_tensor_then_os_system.pt",
        zip_payload(lambda n: proto(2) + dct([
            (bu("w"), tensor()),
            (bu("x"), call(glob("os", "system"), bu(touch(n))))]) + STOP),
        "a valid tensor, then os.system as a second value", 1, "os.system")

    # -- allowed types misused
    add("zip_setitem_on_tensor.pt",
        torch_zip(proto(2) + EMPTY_DICT + bu("w") + tensor() + integer(0) + integer(5) +
                  SETITEM + SETITEM + STOP),
        "SETITEM on a rebuilt tensor", 3, "SETITEM")
    add("zip_build_tensor_hooks.pt",
        torch_zip(proto(2) + EMPTY_DICT + bu("w") + tensor() +
                  tup([NEWFALSE, NONE, glob("collections", "OrderedDict") + EMPTY_TUPLE +
                       REDUCE]) + BUILD + SETITEM + STOP),
        "BUILD on a rebuilt tensor (Tensor.__setstate__ would set _backward_hooks)", 3,
        "BUILD")

    # -- storages
    add("zip_missing_storage.pt",
        torch_zip(state_dict(("w", tensor(key="1")))),
        "persistent id names storage '1'; the archive has only data/0", 3, "data/1")
    add("zip_storage_key_traversal.pt",
        torch_zip(state_dict(("w", tensor(key="../version")))),
        "storage key '../version' points outside archive/data/", 3, "../version")
    add("zip_storage_numel_mismatch.pt",
        torch_zip(state_dict(("w", tensor(numel=4)))),
        "persistent id says 4 elements; archive/data/0 holds 8 bytes", 3, "data/0")
    add("zip_storage_small_size.pt",
        torch_zip(state_dict(("w", tensor(size=(3,))))),
        "size (3,) in a 2-element storage", 3, "storage")
    add("zip_storage_small_stride.pt",
        torch_zip(state_dict(("w", tensor(size=(2,), stride=(2,))))),
        "size (2,) stride (2,) needs 3 elements of a 2-element storage", 3, "storage")
    add("zip_storage_small_offset.pt",
        torch_zip(state_dict(("w", tensor(offset=2, size=(1,))))),
        "storage offset 2 in a 2-element storage", 3, "storage")
    add("zip_negative_size.pt", torch_zip(state_dict(("w", tensor(size=(-1,))))),
        "size (-1,)", 3, "negative")
    add("zip_negative_stride.pt", torch_zip(state_dict(("w", tensor(stride=(-1,))))),
        "stride (-1,)", 3, "negative")
    add("zip_negative_offset.pt", torch_zip(state_dict(("w", tensor(offset=-1, size=(1,))))),
        "storage offset -1", 3, "negative")
    add("zip_negative_numel.pt", torch_zip(state_dict(("w", tensor(numel=-1)))),
        "persistent id numel -1", 3, "negative")
    add("zip_overflow_size.pt",
        torch_zip(state_dict(("w", tensor(size=(2 ** 62, 2 ** 62), stride=(2 ** 62, 1))))),
        "size (2^62, 2^62): the element count overflows", 3, "overflow")
    add("zip_overflow_stride.pt",
        torch_zip(state_dict(("w", tensor(size=(2,), stride=(2 ** 63 - 1,))))),
        "stride 2^63-1: the extent overflows", 3, "overflow")
    add("zip_overflow_offset.pt",
        torch_zip(state_dict(("w", tensor(raw_offset=long1(2 ** 64), size=(1,))))),
        "storage offset 2^64, not an int64", 3, "too large")

    # -- the archive itself
    add("zip_extra_pickle.pt",
        lambda n: torch_zip(extra=[("archive/extra.pkl", os_system(n))]),
        "archive/extra.pkl beside data.pkl calls os.system", 1, "extra.pkl")
    add("zip_crc_mismatch.pt",
        torch_zip(),  # patched below
        "archive/data.pkl changed after its crc-32 was written", 3, "crc-32 mismatch")
    add("zip_path_traversal.pt",
        lambda n: torch_zip(extra=[("archive/../../../.." + canary(n), b"x")]),
        "an entry named archive/../../../../tmp/... escapes the archive", 1,
        "escapes the archive")
    add("zip_backslash_name.pt",
        lambda n: torch_zip(extra=[("archive/..\\..\\modelctl-canary-" +
                                    n.rsplit(".", 1)[0], b"x")]),
        "an entry name with backslashes (a windows path traversal)", 1, "contains a backslash")
    add("zip_trailing_after_stop.pt",
        torch_zip(GOOD_PKL + b"\x00\x00junk"),
        "data.pkl has 6 bytes after STOP", 3, "bytes after")
    add("zip_truncated_pickle.pt", torch_zip(GOOD_PKL[:52]),
        "data.pkl cut inside the string 'storage'", 3, "truncated")
    add("zip_nest_dicts.pt",
        torch_zip(proto(2) + bu("a") + binput(0) + POP + (EMPTY_DICT + binget(0)) * 5000 +
                  EMPTY_DICT + SETITEM * 5000 + STOP),
        "dicts nested 5000 deep", 3, "nest")

    # -- code: TorchScript and torch.package
    ts_code = lambda n: ("def forward(self, x):\n    open(%r, 'w').close()\n    return x\n"
                         % canary(n)).encode()
    add("torchscript_archive.pt",
        lambda n: zip_bytes([
            ("archive/data/0", GOOD_DATA["0"]),
            ("archive/data.pkl", GOOD_PKL),
            ("archive/code/__torch__.py", ts_code(n)),
            ("archive/constants.pkl", proto(2) + EMPTY_TUPLE + STOP),
            ("archive/version", b"3\n")]),
        "a TorchScript archive (code/ and constants.pkl), laid out as torch.jit.save does", 1,
        "TorchScript")
    add("torchscript_constants_only.pt",
        torch_zip(extra=[("archive/constants.pkl", proto(2) + EMPTY_TUPLE + STOP)]),
        "a checkpoint with a TorchScript constants.pkl", 1, "TorchScript")
    add("torchscript_code_only.pt",
        lambda n: torch_zip(extra=[("archive/code/__torch__.py", ts_code(n))]),
        "a checkpoint with TorchScript code/", 1, "TorchScript")
    add("torch_package_polyglot.pt",
        lambda n: torch_zip(extra=[
            ("archive/.data/version", b"6\n"),
            ("archive/.data/extern_modules", b"os\n"),
            ("archive/evil.py", ("open(%r, 'w').close()\n" % canary(n)).encode())]),
        "a checkpoint that is also a torch.package (.data/version, .data/extern_modules, "
        "a module)", 1, "torch.package")
    add("torch_package.pt",
        lambda n: zip_bytes([
            ("pkg/model/model.pkl", os_system(n)),
            ("pkg/evil.py", ("open(%r, 'w').close()\n" % canary(n)).encode()),
            ("pkg/.data/extern_modules", b"os\n"),
            ("pkg/.data/python_version", b"3.11\n"),
            ("pkg/.data/version", b"6\n")]),
        "a torch.package archive as PackageExporter lays it out (no data.pkl)", 1,
        "torch.package")

    # -- legacy formats
    def tar_checkpoint(n):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
            for member, data in [("sys_info", SYS_INFO_PKL), ("pickle", os_system(n)),
                                 ("tensors", proto(2) + EMPTY_LIST + STOP),
                                 ("storages", proto(2) + EMPTY_LIST + STOP)]:
                info = tarfile.TarInfo(member)
                info.size = len(data)
                info.mtime = 0
                info.mode = 0o600
                t.addfile(info, io.BytesIO(data))
        return buf.getvalue()
    add("legacy_tar.pt", tar_checkpoint,
        "a legacy tar-format checkpoint (torch 0.3 and earlier) whose 'pickle' member calls "
        "os.system: refused as unsupported, or not sniffed at all", 3, "tar")
    add("legacy_magic_eval.pt",
        lambda n: legacy(magic=proto(2) + call(glob("builtins", "eval"), bu(
            "__import__('os').system(%r) or %d" % (touch(n), LEGACY_MAGIC))) + STOP),
        "the magic-number pickle is eval(...) that returns the magic number", 1,
        "builtins.eval")
    add("legacy_first_pickle_os_system.pt",
        lambda n: legacy(magic=os_system(n)),
        "the first pickle calls os.system", 1, "os.system")
    add("legacy_magic_long4.pt",
        legacy(magic=proto(2) + b"\x8b" + struct.pack("<i", 10) +
               LEGACY_MAGIC.to_bytes(10, "little") + STOP),
        "the magic number written as LONG4, not the literal LONG1 constant", 3, "bytes after")
    add("legacy_magic_memoised.pt",
        legacy(magic=MAGIC_PKL[:-1] + binput(0) + STOP),
        "the magic number followed by BINPUT, not the literal constant: sniffed neither as "
        "legacy torch nor as a plain pickle (which must not start with the magic)", 3,
        "unrecognised file format")
    add("legacy_magic_wrong.pt",
        legacy(magic=proto(2) + long1(LEGACY_MAGIC + 1) + STOP),
        "a different 10-byte magic number", 3, "bytes after")
    add("legacy_version_os_system.pt",
        lambda n: legacy(version=os_system(n)),
        "the protocol-version pickle calls os.system", 1, "os.system")
    add("legacy_sys_info_os_system.pt",
        lambda n: legacy(sys_info=proto(2) + dct([
            (bu("protocol_version"), integer(1001)),
            (bu("little_endian"), call(glob("os", "system"), bu(touch(n))))]) + STOP),
        "the sys_info pickle calls os.system", 1, "os.system")
    add("legacy_object_os_system.pt",
        lambda n: legacy(obj=proto(2) + dct([
            (bu("w"), tensor(key="k0", legacy=True)),
            (bu("x"), call(glob("os", "system"), bu(touch(n))))]) + STOP),
        "the object pickle calls os.system after a valid tensor", 1, "os.system")
    add("legacy_keys_os_system.pt",
        lambda n: legacy(keys=proto(2) + lst([bu("k0"), call(glob("os", "system"),
                                                            bu(touch(n)))]) + STOP),
        "the storage-keys pickle calls os.system", 1, "os.system")
    add("legacy_missing_storage.pt",
        legacy(obj=state_dict(("w", tensor(key="k9", legacy=True)))),
        "the object names storage 'k9'; the file holds only 'k0'", 3, "k9")
    add("legacy_numel_past_end.pt",
        legacy(obj=state_dict(("w", tensor(key="k0", numel=2 ** 40, legacy=True))),
               storages=[("k0", 2 ** 40, struct.pack("<2f", 1.0, 2.0))]),
        "a storage of 2^40 elements (persistent id and count agree) in an 8-byte remainder",
        3, "truncated")
    add("legacy_storage_small.pt",
        legacy(obj=state_dict(("w", tensor(key="k0", size=(4,), legacy=True)))),
        "size (4,) in a 2-element legacy storage", 3, "storage")
    return f


def patch_crc(data, entry):
    """Change one byte of `entry`'s data in place, leaving its crc-32 stale."""
    z = zipfile.ZipFile(io.BytesIO(data))
    info = z.getinfo(entry)
    nlen, xlen = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + nlen + xlen
    at = data.index(b"X\x01\x00\x00\x00w", start) + 5  # the key 'w' -> 'v'
    assert at < start + info.compress_size
    return data[:at] + b"v" + data[at + 1:]


def write_dir(path, title, files):
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name != "README.md":
            os.remove(os.path.join(path, name))
    lines = ["# %s" % title, "",
             "Each file must be refused by `modelctl dump` (exit 3, one error line holding the "
             "message fragment) and reported by `modelctl scan` with the expected exit code "
             "(1: unsafe content, 3: cannot be parsed), and nothing in it may run: a payload "
             "that ran would create `%s<stem>` (checked by tests/cli/malicious_test.py)."
             % CANARY_PREFIX, "",
             "Written by `testdata/bad/make_malicious.py`; do not edit by hand.", "",
             "| file | reason | expected | message fragment |", "|---|---|---|---|"]
    seen = set()
    for name, data, reason, expected, frag in files:
        stem = name.rsplit(".", 1)[0]
        assert stem not in seen, name
        seen.add(stem)
        assert expected in (1, 3) and "`" not in reason, name
        with open(os.path.join(path, name), "wb") as out:
            out.write(data)
        lines.append("| `%s` | %s | %d | `%s` |" % (name, reason.replace("|", "\\|"), expected,
                                                   frag.replace("|", "\\|")))
    with open(os.path.join(path, "README.md"), "w") as out:
        out.write("\n".join(lines) + "\n")


def main():
    pk = pickle_files()
    pt = pytorch_files()
    pt = [(n, patch_crc(d, "archive/data.pkl") if n == "zip_crc_mismatch.pt" else d, r, e, fr)
          for n, d, r, e, fr in pt]
    stems = [n.rsplit(".", 1)[0] for n, *_ in pk + pt]
    assert len(stems) == len(set(stems)), "canary stems must be unique"
    write_dir(os.path.join(BAD, "pickle"), "Malicious and hostile pickles", pk)
    write_dir(os.path.join(BAD, "pytorch"), "Malicious and hostile PyTorch checkpoints", pt)


if __name__ == "__main__":
    main()
