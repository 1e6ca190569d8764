/* SPDX-License-Identifier: MIT */
/*
 * The pickle allowlist: the globals a pickle may name, what each one
 * becomes, and the handlers that stand in for the allowed callables.
 *
 * A name is first mapped as Python's Unpickler maps Python 2 names
 * (Lib/_compat_pickle.py: NAME_MAPPING, then IMPORT_MAPPING), then matched
 * exactly, module and name, against the table below.  Nothing is matched by
 * prefix: torch.* holds code runners (torch.utils.collect_env.run,
 * torch._inductor, torch.serialization's own imports), numpy.* holds
 * numpy.testing's runstring.  A dotted name (an attribute of an attribute,
 * which protocol 4 resolves) is never on the table.
 *
 * Each allowed callable checks its arguments as the real one would use
 * them and builds data only: torch's tensor and parameter rebuild functions
 * hand a checked size/stride/offset to the reader's tensor hook; numpy's
 * _reconstruct + BUILD, _frombuffer and scalar hand checked arrays to the
 * array hook or become plain values; OrderedDict, set, frozenset,
 * bytearray, bytes(), _codecs.encode(str, 'latin1'), torch.Size and
 * torch.device become plain values; storage types and torch dtypes are
 * values themselves.  BUILD (an object's __setstate__) is accepted only on
 * values these handlers made, with the states torch and numpy write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "pickle_int.h"
#include "value.h"
#include "banned.h"

/* ---- Python 2 names (Lib/_compat_pickle.py) ---------------------------------- */

static const struct {
	const char *from, *to;
} import_map[] = {
	{"__builtin__", "builtins"}, {"copy_reg", "copyreg"}, {"Queue", "queue"},
	{"SocketServer", "socketserver"}, {"ConfigParser", "configparser"}, {"repr", "reprlib"},
	{"tkFileDialog", "tkinter.filedialog"}, {"tkSimpleDialog", "tkinter.simpledialog"},
	{"tkColorChooser", "tkinter.colorchooser"}, {"tkCommonDialog", "tkinter.commondialog"},
	{"Dialog", "tkinter.dialog"}, {"Tkdnd", "tkinter.dnd"}, {"tkFont", "tkinter.font"},
	{"tkMessageBox", "tkinter.messagebox"}, {"ScrolledText", "tkinter.scrolledtext"},
	{"Tkconstants", "tkinter.constants"}, {"Tix", "tkinter.tix"}, {"ttk", "tkinter.ttk"},
	{"Tkinter", "tkinter"}, {"markupbase", "_markupbase"}, {"_winreg", "winreg"},
	{"thread", "_thread"}, {"dummy_thread", "_dummy_thread"}, {"dbhash", "dbm.bsd"},
	{"dumbdbm", "dbm.dumb"}, {"dbm", "dbm.ndbm"}, {"gdbm", "dbm.gnu"},
	{"xmlrpclib", "xmlrpc.client"}, {"SimpleXMLRPCServer", "xmlrpc.server"},
	{"httplib", "http.client"}, {"htmlentitydefs", "html.entities"},
	{"HTMLParser", "html.parser"}, {"Cookie", "http.cookies"}, {"cookielib", "http.cookiejar"},
	{"BaseHTTPServer", "http.server"}, {"test.test_support", "test.support"},
	{"commands", "subprocess"}, {"urlparse", "urllib.parse"},
	{"robotparser", "urllib.robotparser"}, {"urllib2", "urllib.request"}, {"anydbm", "dbm"},
	{"_abcoll", "collections.abc"}, {"cPickle", "pickle"},
	{"_elementtree", "xml.etree.ElementTree"}, {"FileDialog", "tkinter.filedialog"},
	{"SimpleDialog", "tkinter.simpledialog"}, {"DocXMLRPCServer", "xmlrpc.server"},
	{"SimpleHTTPServer", "http.server"}, {"CGIHTTPServer", "http.server"},
	{"UserDict", "collections"}, {"UserList", "collections"}, {"UserString", "collections"},
	{"whichdb", "dbm"}, {"StringIO", "io"}, {"cStringIO", "io"},
};

static const struct {
	const char *fm, *fn, *tm, *tn;
} name_map[] = {
	{"__builtin__", "xrange", "builtins", "range"},
	{"__builtin__", "reduce", "functools", "reduce"},
	{"__builtin__", "intern", "sys", "intern"},
	{"__builtin__", "unichr", "builtins", "chr"},
	{"__builtin__", "unicode", "builtins", "str"},
	{"__builtin__", "long", "builtins", "int"},
	{"__builtin__", "basestring", "builtins", "str"},
	{"itertools", "izip", "builtins", "zip"},
	{"itertools", "imap", "builtins", "map"},
	{"itertools", "ifilter", "builtins", "filter"},
	{"itertools", "ifilterfalse", "itertools", "filterfalse"},
	{"itertools", "izip_longest", "itertools", "zip_longest"},
	{"UserDict", "IterableUserDict", "collections", "UserDict"},
	{"UserDict", "UserDict", "collections", "UserDict"},
	{"UserList", "UserList", "collections", "UserList"},
	{"UserString", "UserString", "collections", "UserString"},
	{"whichdb", "whichdb", "dbm", "whichdb"},
	{"_socket", "fromfd", "socket", "fromfd"},
	{"socket", "_socketobject", "socket", "SocketType"},
	{"_multiprocessing", "Connection", "multiprocessing.connection", "Connection"},
	{"multiprocessing.process", "Process", "multiprocessing.context", "Process"},
	{"multiprocessing.forking", "Popen", "multiprocessing.popen_fork", "Popen"},
	{"multiprocessing", "AuthenticationError", "multiprocessing.context", "AuthenticationError"},
	{"multiprocessing", "BufferTooShort", "multiprocessing.context", "BufferTooShort"},
	{"multiprocessing", "ProcessError", "multiprocessing.context", "ProcessError"},
	{"multiprocessing", "TimeoutError", "multiprocessing.context", "TimeoutError"},
	{"urllib", "ContentTooShortError", "urllib.error", "ContentTooShortError"},
	{"urllib", "getproxies", "urllib.request", "getproxies"},
	{"urllib", "pathname2url", "urllib.request", "pathname2url"},
	{"urllib", "quote_plus", "urllib.parse", "quote_plus"},
	{"urllib", "quote", "urllib.parse", "quote"},
	{"urllib", "unquote_plus", "urllib.parse", "unquote_plus"},
	{"urllib", "unquote", "urllib.parse", "unquote"},
	{"urllib", "url2pathname", "urllib.request", "url2pathname"},
	{"urllib", "urlcleanup", "urllib.request", "urlcleanup"},
	{"urllib", "urlencode", "urllib.parse", "urlencode"},
	{"urllib", "urlopen", "urllib.request", "urlopen"},
	{"urllib", "urlretrieve", "urllib.request", "urlretrieve"},
	{"urllib2", "HTTPError", "urllib.error", "HTTPError"},
	{"urllib2", "URLError", "urllib.error", "URLError"},
	{"exceptions", "StandardError", "builtins", "Exception"},
};

/* Python 2's exceptions module: every name maps to builtins. */
static const char *const py2_exceptions[] = {
	"ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BufferError",
	"BytesWarning", "DeprecationWarning", "EOFError", "EnvironmentError", "Exception",
	"FloatingPointError", "FutureWarning", "GeneratorExit", "IOError", "ImportError",
	"ImportWarning", "IndentationError", "IndexError", "KeyError", "KeyboardInterrupt",
	"LookupError", "MemoryError", "NameError", "NotImplementedError", "OSError",
	"OverflowError", "PendingDeprecationWarning", "ReferenceError", "RuntimeError",
	"RuntimeWarning", "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError",
	"SystemExit", "TabError", "TypeError", "UnboundLocalError", "UnicodeDecodeError",
	"UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError", "UnicodeWarning",
	"UserWarning", "ValueError", "Warning", "ZeroDivisionError",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

void pk_map_py2(const char **module, const char **name)
{
	for (size_t i = 0; i < COUNT(name_map); i++) {
		if (strcmp(*module, name_map[i].fm) == 0 && strcmp(*name, name_map[i].fn) == 0) {
			*module = name_map[i].tm;
			*name = name_map[i].tn;
			return;
		}
	}
	if (strcmp(*module, "exceptions") == 0) {
		for (size_t i = 0; i < COUNT(py2_exceptions); i++) {
			if (strcmp(*name, py2_exceptions[i]) == 0) {
				*module = "builtins";
				*name = py2_exceptions[i];
				return;
			}
		}
	}
	for (size_t i = 0; i < COUNT(import_map); i++) {
		if (strcmp(*module, import_map[i].from) == 0) {
			*module = import_map[i].to;
			return;
		}
	}
}

/* ---- the table ------------------------------------------------------------------ */

/* Handler families: how an entry is recognised as another one's argument. */
enum {
	FN_NONE,
	FN_REBUILD_TENSOR_V2,
	FN_REBUILD_TENSOR_V3,
	FN_REBUILD_TENSOR,
	FN_REBUILD_PARAMETER,
	FN_REBUILD_PARAMETER_STATE,
	FN_TENSOR_TYPE,
	FN_PARAMETER_TYPE,
	FN_NDARRAY_TYPE,
	FN_STORAGE,
	FN_TORCH_DTYPE
};

static int h_rebuild_tensor(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_rebuild_parameter(pk_vm *, const pk_global *, mc_value *const *, size_t,
                               mc_value **);
static int h_from_type_v2(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_ordered_dict(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_set(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_bytearray(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_codecs_encode(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_torch_size(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_torch_device(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_np_reconstruct(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_np_dtype(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_np_scalar(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);
static int h_np_frombuffer(pk_vm *, const pk_global *, mc_value *const *, size_t, mc_value **);

#define CALLABLE(m, n, flags, fn, call) {m, n, m "." n, PK_G_CALLABLE, flags, fn, 0, call}
#define ARGUMENT(m, n, fn) {m, n, m "." n, PK_G_ARGUMENT, 0, fn, 0, NULL}
#define STORAGE(n, dt) {"torch", n, "torch." n, PK_G_VALUE, 0, FN_STORAGE, dt, NULL}
#define TORCH_DTYPE(n, dt) {"torch", n, "torch." n, PK_G_VALUE, 0, FN_TORCH_DTYPE, dt, NULL}

static const pk_global table[] = {
	/* torch tensors and parameters (torch/_utils.py, torch/_tensor.py) */
	CALLABLE("torch._utils", "_rebuild_tensor_v2", 0, FN_REBUILD_TENSOR_V2, h_rebuild_tensor),
	CALLABLE("torch._utils", "_rebuild_tensor_v3", 0, FN_REBUILD_TENSOR_V3, h_rebuild_tensor),
	CALLABLE("torch._utils", "_rebuild_tensor", 0, FN_REBUILD_TENSOR, h_rebuild_tensor),
	CALLABLE("torch._utils", "_rebuild_parameter", 0, FN_REBUILD_PARAMETER,
	         h_rebuild_parameter),
	CALLABLE("torch._utils", "_rebuild_parameter_with_state", 0, FN_REBUILD_PARAMETER_STATE,
	         h_rebuild_parameter),
	CALLABLE("torch._tensor", "_rebuild_from_type_v2", 0, FN_NONE, h_from_type_v2),
	ARGUMENT("torch", "Tensor", FN_TENSOR_TYPE),
	ARGUMENT("torch.nn.parameter", "Parameter", FN_PARAMETER_TYPE),
	/* storage types, named inside persistent ids */
	STORAGE("FloatStorage", MC_FLOAT32),
	STORAGE("DoubleStorage", MC_FLOAT64),
	STORAGE("HalfStorage", MC_FLOAT16),
	STORAGE("BFloat16Storage", MC_BFLOAT16),
	STORAGE("LongStorage", MC_INT64),
	STORAGE("IntStorage", MC_INT32),
	STORAGE("ShortStorage", MC_INT16),
	STORAGE("CharStorage", MC_INT8),
	STORAGE("ByteStorage", MC_UINT8),
	STORAGE("BoolStorage", MC_BOOL),
	STORAGE("ComplexFloatStorage", MC_COMPLEX64),
	STORAGE("ComplexDoubleStorage", MC_COMPLEX128),
	STORAGE("UntypedStorage", MC_UINT8),
	/* quantized storages: data, which the format refuses with its own
	 * message (dequantize first) rather than as an unknown global */
	STORAGE("QInt8Storage", MC_DTYPE_INVALID),
	STORAGE("QUInt8Storage", MC_DTYPE_INVALID),
	STORAGE("QInt32Storage", MC_DTYPE_INVALID),
	STORAGE("QUInt4x2Storage", MC_DTYPE_INVALID),
	STORAGE("QUInt2x4Storage", MC_DTYPE_INVALID),
	/* the same class as torch.UntypedStorage, and named so */
	{"torch.storage", "UntypedStorage", "torch.UntypedStorage", PK_G_VALUE, 0, FN_STORAGE,
	 MC_UINT8, NULL},
	/* torch dtypes (torch.float32 pickles as the global torch.float32) */
	TORCH_DTYPE("float32", MC_FLOAT32),
	TORCH_DTYPE("float", MC_FLOAT32),
	TORCH_DTYPE("float16", MC_FLOAT16),
	TORCH_DTYPE("half", MC_FLOAT16),
	TORCH_DTYPE("bfloat16", MC_BFLOAT16),
	TORCH_DTYPE("float64", MC_FLOAT64),
	TORCH_DTYPE("double", MC_FLOAT64),
	TORCH_DTYPE("int8", MC_INT8),
	TORCH_DTYPE("int16", MC_INT16),
	TORCH_DTYPE("int32", MC_INT32),
	TORCH_DTYPE("int64", MC_INT64),
	TORCH_DTYPE("uint8", MC_UINT8),
	TORCH_DTYPE("uint16", MC_UINT16), /* torch 2.3 and later */
	TORCH_DTYPE("uint32", MC_UINT32),
	TORCH_DTYPE("uint64", MC_UINT64),
	TORCH_DTYPE("short", MC_INT16),
	TORCH_DTYPE("int", MC_INT32),
	TORCH_DTYPE("long", MC_INT64),
	TORCH_DTYPE("cfloat", MC_COMPLEX64),
	TORCH_DTYPE("cdouble", MC_COMPLEX128),
	TORCH_DTYPE("bool", MC_BOOL),
	TORCH_DTYPE("complex64", MC_COMPLEX64),
	TORCH_DTYPE("complex128", MC_COMPLEX128),
	TORCH_DTYPE("float8_e4m3fn", MC_FLOAT8_E4M3FN),
	TORCH_DTYPE("float8_e5m2", MC_FLOAT8_E5M2),
	TORCH_DTYPE("float8_e4m3fnuz", MC_FLOAT8_E4M3FNUZ), /* torch 2.1 and later */
	TORCH_DTYPE("float8_e5m2fnuz", MC_FLOAT8_E5M2FNUZ),
	CALLABLE("torch", "device", PK_NEW_SAME, FN_NONE, h_torch_device),
	CALLABLE("torch", "Size", PK_NEW_SAME, FN_NONE, h_torch_size),
	/* containers and bytes */
	CALLABLE("collections", "OrderedDict", PK_NEW_EMPTY, FN_NONE, h_ordered_dict),
	CALLABLE("builtins", "set", PK_NEW_EMPTY, FN_NONE, h_set),
	CALLABLE("builtins", "frozenset", PK_NEW_SAME, FN_NONE, h_set),
	CALLABLE("builtins", "bytearray", PK_NEW_EMPTY, FN_NONE, h_bytearray),
	/* bytes() is how protocols 0-2 write b'' (a zero-size numpy array's data) */
	CALLABLE("builtins", "bytes", PK_NEW_EMPTY, FN_NONE, h_bytearray),
	CALLABLE("_codecs", "encode", 0, FN_NONE, h_codecs_encode),
	/* numpy 1.x (numpy.core) and 2.x (numpy._core) */
	CALLABLE("numpy.core.multiarray", "_reconstruct", 0, FN_NONE, h_np_reconstruct),
	CALLABLE("numpy._core.multiarray", "_reconstruct", 0, FN_NONE, h_np_reconstruct),
	CALLABLE("numpy.core.multiarray", "scalar", 0, FN_NONE, h_np_scalar),
	CALLABLE("numpy._core.multiarray", "scalar", 0, FN_NONE, h_np_scalar),
	CALLABLE("numpy.core.numeric", "_frombuffer", 0, FN_NONE, h_np_frombuffer),
	CALLABLE("numpy._core.numeric", "_frombuffer", 0, FN_NONE, h_np_frombuffer),
	CALLABLE("numpy", "dtype", PK_NEW_SAME, FN_NONE, h_np_dtype),
	ARGUMENT("numpy", "ndarray", FN_NDARRAY_TYPE),
};

const pk_global *pk_global_find(const char *module, const char *name)
{
	if (strchr(name, '.'))
		return NULL;
	for (size_t i = 0; i < COUNT(table); i++)
		if (strcmp(table[i].name, name) == 0 && strcmp(table[i].module, module) == 0)
			return &table[i];
	return NULL;
}

bool mc_pickle_allowed(const char *module, const char *name)
{
	if (!module || !name)
		return false;
	pk_map_py2(&module, &name);
	return pk_global_find(module, name) != NULL;
}

const pk_global *pk_global_of(const mc_value *v)
{
	if (!v || v->kind != MC_VALUE_OBJECT || !v->u.obj.ptr)
		return NULL;
	for (size_t i = 0; i < COUNT(table); i++)
		if (v->u.obj.ptr == (const void *)&table[i])
			return &table[i];
	return NULL;
}

static const char torch_dtype_type[] = "torch.dtype";
static const char numpy_dtype_type[] = "numpy.dtype";
static const char numpy_ndarray_type[] = "numpy.ndarray";
static const char torch_device_type[] = "torch.device";

int pk_global_value(pk_vm *vm, const pk_global *g, mc_value **out)
{
	mc_value *v = pk_new(vm, MC_VALUE_OBJECT);

	*out = NULL;
	if (!v)
		return mc_error_last()->code;
	v->u.obj.type = g->qualname;
	switch (g->fn) {
	case FN_STORAGE:
		v->u.obj.tag = g->tag;
		break;
	case FN_TORCH_DTYPE: {
		const char *name = mc_dtype_name((mc_dtype)g->tag);
		mc_value *s = pk_new_str(vm, MC_VALUE_STR, name, strlen(name));
		v->u.obj.type = torch_dtype_type;
		v->u.obj.tag = g->tag;
		if (!s || !(v->u.obj.args = pk_new_tuple(vm, &s, 1)))
			return mc_error_last()->code;
		break;
	}
	default:
		/* a callable or argument-only global: the entry is its identity */
		v->u.obj.ptr = (void *)(uintptr_t)g;
		break;
	}
	*out = v;
	return 0;
}

/* ---- argument checks ------------------------------------------------------------- */

static int want_args(pk_vm *vm, const pk_global *g, size_t argc, size_t lo, size_t hi)
{
	if (argc >= lo && argc <= hi)
		return 0;
	if (lo == hi)
		return pk_fail(vm, MC_ECORRUPT, "%s takes %zu argument%s, not %zu", g->qualname, lo,
		               lo == 1 ? "" : "s", argc);
	return pk_fail(vm, MC_ECORRUPT, "%s takes %zu to %zu arguments, not %zu", g->qualname, lo,
	               hi, argc);
}

/* An int argument; negative ones refused when `nonneg`. */
static int get_int(pk_vm *vm, const pk_global *g, const char *what, const mc_value *v,
                   bool nonneg, int64_t *out)
{
	if (v->kind == MC_VALUE_BIGINT)
		return pk_fail(vm, v->u.s.p[0] == '-' && nonneg ? MC_ECORRUPT : MC_ELIMIT,
		               "%s: %s %.40s is %s", g->qualname, what, v->u.s.p,
		               v->u.s.p[0] == '-' && nonneg ? "negative" : "too large");
	if (v->kind != MC_VALUE_INT)
		return pk_fail(vm, MC_ECORRUPT, "%s: %s is %s, not an int", g->qualname, what,
		               pk_what(vm, v));
	if (nonneg && v->u.i < 0)
		return pk_fail(vm, MC_ECORRUPT, "%s: %s %lld is negative", g->qualname, what,
		               (long long)v->u.i);
	*out = v->u.i;
	return 0;
}

static int get_bool(pk_vm *vm, const pk_global *g, const char *what, const mc_value *v, bool *out)
{
	if (v->kind == MC_VALUE_BOOL)
		*out = v->u.b;
	else if (v->kind == MC_VALUE_INT && (v->u.i == 0 || v->u.i == 1))
		*out = v->u.i != 0;
	else
		return pk_fail(vm, MC_ECORRUPT, "%s: %s is %s, not a bool", g->qualname, what,
		               pk_what(vm, v));
	return 0;
}

/* A size or stride: a tuple (torch.Size is one) of non-negative ints. */
static int get_dims(pk_vm *vm, const pk_global *g, const char *what, const mc_value *v,
                    int64_t *dims, int *ndim)
{
	size_t n;
	int rc;

	if (v->kind != MC_VALUE_TUPLE && v->kind != MC_VALUE_LIST)
		return pk_fail(vm, MC_ECORRUPT, "%s: %s is %s, not a tuple", g->qualname, what,
		               pk_what(vm, v));
	n = v->u.seq.n;
	if (n > MC_MAX_DIMS)
		return pk_fail(vm, MC_ELIMIT, "%s: %s has %zu dimensions, more than %d", g->qualname,
		               what, n, MC_MAX_DIMS);
	for (size_t i = 0; i < n; i++)
		if ((rc = get_int(vm, g, what, v->u.seq.items[i], true, &dims[i])))
			return rc;
	*ndim = (int)n;
	return 0;
}

static bool is_empty_dict(const mc_value *v)
{
	return v->kind == MC_VALUE_DICT && v->u.seq.n == 0;
}

/* A state that sets nothing: None, {}, or (None or {}, None or {}). */
static bool state_is_empty(const mc_value *v)
{
	if (v->kind == MC_VALUE_NONE || is_empty_dict(v))
		return true;
	if (v->kind == MC_VALUE_TUPLE && v->u.seq.n == 2) {
		for (size_t i = 0; i < 2; i++) {
			const mc_value *x = v->u.seq.items[i];
			if (x->kind != MC_VALUE_NONE && !is_empty_dict(x))
				return false;
		}
		return true;
	}
	return false;
}

/* A state of plain attributes (what Python's BUILD and torch's
 * _set_obj_state set with setattr or __dict__.update): None, a dict of str
 * keys, or a (dict, slots dict) pair.  Names starting with "__" are
 * refused: they reach the machinery (__setstate__ stored on an instance
 * is called by the next BUILD, __class__ changes the type).  The values
 * are data the pickle has built already; the reader drops them. */
static int check_attrs(pk_vm *vm, const mc_value *state, const char *on)
{
	const mc_value *parts[2] = {state, NULL};

	if (state->kind == MC_VALUE_TUPLE && state->u.seq.n == 2) {
		parts[0] = state->u.seq.items[0];
		parts[1] = state->u.seq.items[1];
	}
	for (int p = 0; p < 2; p++) {
		const mc_value *d = parts[p];
		if (!d || d->kind == MC_VALUE_NONE)
			continue;
		if (d->kind != MC_VALUE_DICT)
			return pk_fail(vm, MC_ECORRUPT, "%s state of %s is %s, not a dict of attributes",
			               pk_op_name(vm->op), on, pk_what(vm, d));
		for (size_t i = 0; i < d->u.seq.n; i += 2) {
			const mc_value *k = d->u.seq.items[i];
			if (k->kind != MC_VALUE_STR)
				return pk_fail(vm, MC_ECORRUPT, "%s sets an attribute of %s named by %s",
				               pk_op_name(vm->op), on, pk_what(vm, k));
			if (k->u.s.n >= 2 && k->u.s.p[0] == '_' && k->u.s.p[1] == '_')
				return pk_fail(vm, MC_ECORRUPT,
				               "%s sets '%.100s' on %s: only plain attributes (such as "
				               "torch's '_metadata') are accepted", pk_op_name(vm->op),
				               k->u.s.p, on);
		}
	}
	return 0;
}

/* The bytes of a bytes value, or of a str as str.encode('latin-1') gives
 * them (Python 2 pickles carry array data in str); NULL with the error
 * recorded. */
static const uint8_t *data_of(pk_vm *vm, const pk_global *g, const char *what, const mc_value *v,
                              size_t *n)
{
	uint8_t *buf;

	if (v->kind == MC_VALUE_BYTES) {
		*n = v->u.s.n;
		return (const uint8_t *)v->u.s.p;
	}
	if (v->kind != MC_VALUE_STR) {
		pk_fail(vm, MC_ECORRUPT, "%s: %s is %s, not bytes", g->qualname, what, pk_what(vm, v));
		return NULL;
	}
	if (!(buf = mc_arena_alloc(vm->a, v->u.s.n ? v->u.s.n : 1))) {
		mc_err_context(vm->env->path, vm->env->entry);
		return NULL;
	}
	if (!pk_latin1_encode(buf, n, (const uint8_t *)v->u.s.p, v->u.s.n)) {
		pk_fail(vm, MC_ECORRUPT, "%s: %s holds characters beyond latin-1", g->qualname, what);
		return NULL;
	}
	return buf;
}

/* ---- torch ------------------------------------------------------------------------ */

static int call_parameter_hook(pk_vm *vm, mc_value *tensor, const pk_tensor_rec *rec,
                               bool requires_grad)
{
	mc_pickle_tensor t;

	if (!vm->env->parameter)
		return 0;
	memset(&t, 0, sizeof(t));
	t.storage = rec->storage;
	t.storage_offset = rec->storage_offset;
	t.shape.ndim = rec->ndim;
	memcpy(t.shape.dims, rec->v, (size_t)rec->ndim * sizeof(int64_t));
	memcpy(t.strides, rec->v + rec->ndim, (size_t)rec->ndim * sizeof(int64_t));
	t.requires_grad = requires_grad;
	t.parameter = true;
	return vm->env->parameter(vm->env->ctx, &t, tensor, vm->op_off);
}

/* torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
 * requires_grad, backward_hooks[, metadata]), _rebuild_tensor_v3(... the same,
 * then dtype[, metadata]) which torch 2.x writes for dtypes that have no typed
 * storage class (float8, uint16/32/64), and _rebuild_tensor(storage,
 * storage_offset, size, stride). */
static int h_rebuild_tensor(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                            mc_value **out)
{
	mc_pickle_tensor t;
	pk_tensor_rec *rec;
	int sdim = 0, rc;
	uint64_t numel = 1, extent = 0;
	bool v3 = g->fn == FN_REBUILD_TENSOR_V3;
	bool v2 = g->fn == FN_REBUILD_TENSOR_V2 || v3;

	if ((rc = v3   ? want_args(vm, g, argc, 7, 8)
	          : v2 ? want_args(vm, g, argc, 6, 7)
	               : want_args(vm, g, argc, 4, 4)))
		return rc;
	memset(&t, 0, sizeof(t));
	t.dtype = MC_DTYPE_INVALID;
	if (pk_origin_of(vm, argv[0], NULL) != PK_O_STORAGE)
		return pk_fail(vm, MC_ECORRUPT, "%s: storage is %s, not a storage from a persistent id",
		               g->qualname, pk_what(vm, argv[0]));
	t.storage = argv[0];
	if ((rc = get_int(vm, g, "storage offset", argv[1], true, &t.storage_offset)) ||
	    (rc = get_dims(vm, g, "size", argv[2], t.shape.dims, &t.shape.ndim)) ||
	    (rc = get_dims(vm, g, "stride", argv[3], t.strides, &sdim)))
		return rc;
	if (sdim != t.shape.ndim)
		return pk_fail(vm, MC_ECORRUPT, "%s: size has %d dimensions but stride has %d",
		               g->qualname, t.shape.ndim, sdim);
	if (v2) {
		if ((rc = get_bool(vm, g, "requires_grad", argv[4], &t.requires_grad)))
			return rc;
		if (!is_empty_dict(argv[5]))
			return pk_fail(vm, MC_ECORRUPT, "%s: backward hooks are %s, not an empty dict",
			               g->qualname, pk_what(vm, argv[5]));
		if (v3) {
			/* only a torch.dtype global builds an object of this type */
			if (argv[6]->kind != MC_VALUE_OBJECT || argv[6]->u.obj.type != torch_dtype_type ||
			    !mc_dtype_get((mc_dtype)argv[6]->u.obj.tag))
				return pk_fail(vm, MC_ECORRUPT, "%s: dtype is %s, not a torch dtype",
				               g->qualname, pk_what(vm, argv[6]));
			t.dtype = (mc_dtype)argv[6]->u.obj.tag;
		}
		if (argc == (v3 ? 8u : 7u) && argv[argc - 1]->kind != MC_VALUE_NONE &&
		    argv[argc - 1]->kind != MC_VALUE_DICT)
			return pk_fail(vm, MC_ECORRUPT, "%s: metadata is %s, not a dict", g->qualname,
			               pk_what(vm, argv[argc - 1]));
	}
	/* element count and the furthest element (offset + sum (size-1)*stride)
	 * in int64, as torch computes them */
	for (int d = 0; d < t.shape.ndim; d++)
		if (!mc_mul_u64(&numel, numel, (uint64_t)t.shape.dims[d]) || numel > INT64_MAX)
			return pk_fail(vm, MC_ELIMIT, "%s: the element count of the size overflows",
			               g->qualname);
	if (numel > 0) {
		extent = (uint64_t)t.storage_offset;
		for (int d = 0; d < t.shape.ndim; d++) {
			uint64_t span;
			if (!mc_mul_u64(&span, (uint64_t)(t.shape.dims[d] - 1), (uint64_t)t.strides[d]) ||
			    !mc_add_u64(&extent, extent, span) || extent > INT64_MAX)
				return pk_fail(vm, MC_ELIMIT,
				               "%s: the extent of the size, stride and offset overflows",
				               g->qualname);
		}
	}
	if (!vm->env->tensor)
		return pk_fail(vm, MC_EUNSUPPORTED, "%s: torch tensors are not read here", g->qualname);
	if (!(rec = mc_arena_alloc(vm->a, sizeof(*rec) + 2 * (size_t)t.shape.ndim * sizeof(int64_t))))
		return mc_err_context(vm->env->path, vm->env->entry);
	rec->storage = t.storage;
	rec->storage_offset = t.storage_offset;
	rec->requires_grad = t.requires_grad;
	rec->ndim = t.shape.ndim;
	memcpy(rec->v, t.shape.dims, (size_t)t.shape.ndim * sizeof(int64_t));
	memcpy(rec->v + t.shape.ndim, t.strides, (size_t)t.shape.ndim * sizeof(int64_t));
	*out = NULL;
	if ((rc = vm->env->tensor(vm->env->ctx, &t, vm->op_off, out)))
		return rc;
	if (!*out)
		return pk_fail(vm, MC_EINVAL, "the tensor hook returned no value");
	return pk_set_origin(vm, *out, PK_O_TENSOR, (uint64_t)(uintptr_t)rec);
}

/* torch._utils._rebuild_parameter(data, requires_grad, backward_hooks) and
 * _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
 * the value stays the tensor; the parameter hook learns of the wrapper. */
static int h_rebuild_parameter(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                               mc_value **out)
{
	bool with_state = g->fn == FN_REBUILD_PARAMETER_STATE, requires_grad = false;
	uint64_t aux = 0;
	int rc;

	if ((rc = want_args(vm, g, argc, with_state ? 4 : 3, with_state ? 4 : 3)))
		return rc;
	if (pk_origin_of(vm, argv[0], &aux) != PK_O_TENSOR)
		return pk_fail(vm, MC_ECORRUPT, "%s: data is %s, not a rebuilt tensor", g->qualname,
		               pk_what(vm, argv[0]));
	if ((rc = get_bool(vm, g, "requires_grad", argv[1], &requires_grad)))
		return rc;
	if (!is_empty_dict(argv[2]))
		return pk_fail(vm, MC_ECORRUPT, "%s: backward hooks are %s, not an empty dict",
		               g->qualname, pk_what(vm, argv[2]));
	if (with_state && (rc = check_attrs(vm, argv[3], "a Parameter")))
		return rc;
	if ((rc = call_parameter_hook(vm, argv[0], (const pk_tensor_rec *)(uintptr_t)aux,
	                              requires_grad)))
		return rc;
	*out = argv[0];
	return 0;
}

/* torch._tensor._rebuild_from_type_v2(func, new_type, args, state): func
 * rebuilds the tensor from args, new_type is torch.Tensor or Parameter. */
static int h_from_type_v2(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                          mc_value **out)
{
	const pk_global *func, *type;
	const mc_value *args;
	uint64_t aux;
	int rc;

	if ((rc = want_args(vm, g, argc, 4, 4)))
		return rc;
	func = pk_global_of(argv[0]);
	type = pk_global_of(argv[1]);
	args = argv[2];
	if (!func || (func->fn != FN_REBUILD_TENSOR_V2 && func->fn != FN_REBUILD_TENSOR_V3 &&
	              func->fn != FN_REBUILD_TENSOR &&
	              func->fn != FN_REBUILD_PARAMETER && func->fn != FN_REBUILD_PARAMETER_STATE))
		return pk_fail(vm, MC_EUNSAFE, "%s: func is %s, not one of torch's rebuild functions",
		               g->qualname, pk_what(vm, argv[0]));
	if (!type || (type->fn != FN_TENSOR_TYPE && type->fn != FN_PARAMETER_TYPE))
		return pk_fail(vm, MC_EUNSAFE, "%s: new_type is %s, not torch.Tensor or Parameter",
		               g->qualname, pk_what(vm, argv[1]));
	if (args->kind != MC_VALUE_TUPLE)
		return pk_fail(vm, MC_ECORRUPT, "%s: args is %s, not a tuple", g->qualname,
		               pk_what(vm, args));
	if (!state_is_empty(argv[3]))
		return pk_fail(vm, MC_ECORRUPT, "%s: state is %s, not empty", g->qualname,
		               pk_what(vm, argv[3]));
	if ((rc = func->call(vm, func, args->u.seq.items, args->u.seq.n, out)))
		return rc;
	if (type->fn == FN_PARAMETER_TYPE && func->fn != FN_REBUILD_PARAMETER &&
	    func->fn != FN_REBUILD_PARAMETER_STATE && pk_origin_of(vm, *out, &aux) == PK_O_TENSOR) {
		const pk_tensor_rec *rec = (const pk_tensor_rec *)(uintptr_t)aux;
		return call_parameter_hook(vm, *out, rec, rec->requires_grad);
	}
	return 0;
}

/* torch.Size(sizes): a tuple of non-negative ints. */
static int h_torch_size(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                        mc_value **out)
{
	const mc_value *s;
	int64_t d = 0;
	int rc;

	if ((rc = want_args(vm, g, argc, 0, 1)))
		return rc;
	if (argc == 0)
		return (*out = pk_new(vm, MC_VALUE_TUPLE)) ? 0 : mc_error_last()->code;
	s = argv[0];
	if (s->kind != MC_VALUE_TUPLE && s->kind != MC_VALUE_LIST)
		return pk_fail(vm, MC_ECORRUPT, "%s: sizes are %s, not a tuple", g->qualname,
		               pk_what(vm, s));
	for (size_t i = 0; i < s->u.seq.n; i++)
		if ((rc = get_int(vm, g, "size", s->u.seq.items[i], true, &d)))
			return rc;
	return (*out = pk_new_tuple(vm, s->u.seq.items, s->u.seq.n)) ? 0 : mc_error_last()->code;
}

/* torch.device(type[, index]): torch.device('cpu'), ('cuda', 0). */
static int h_torch_device(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                          mc_value **out)
{
	mc_value *v;
	int64_t index = 0;
	int rc;

	if ((rc = want_args(vm, g, argc, 1, 2)))
		return rc;
	if (argv[0]->kind != MC_VALUE_STR || argv[0]->u.s.n == 0 || argv[0]->u.s.n > 64)
		return pk_fail(vm, MC_ECORRUPT, "%s: type is %s, not a device name", g->qualname,
		               pk_what(vm, argv[0]));
	if (argc == 2 && argv[1]->kind != MC_VALUE_NONE &&
	    (rc = get_int(vm, g, "index", argv[1], true, &index)))
		return rc;
	if (!(v = pk_new(vm, MC_VALUE_OBJECT)) || !(v->u.obj.args = pk_new_tuple(vm, argv, argc)))
		return mc_error_last()->code;
	v->u.obj.type = torch_device_type;
	*out = v;
	return 0;
}

/* ---- containers and bytes ------------------------------------------------------- */

/* collections.OrderedDict(): empty, or from a list of (key, value) pairs
 * (older Pythons reduced it so), or from a dict. */
static int h_ordered_dict(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                          mc_value **out)
{
	mc_value *d;
	int rc;

	if ((rc = want_args(vm, g, argc, 0, 1)))
		return rc;
	if (!(d = pk_new(vm, MC_VALUE_DICT)))
		return mc_error_last()->code;
	if (argc == 1) {
		const mc_value *src = argv[0];
		if (src->kind == MC_VALUE_DICT) {
			for (size_t i = 0; i < src->u.seq.n; i += 2)
				if ((rc = pk_dict_set(vm, d, src->u.seq.items[i], src->u.seq.items[i + 1])))
					return rc;
		} else if (src->kind == MC_VALUE_LIST || src->kind == MC_VALUE_TUPLE) {
			for (size_t i = 0; i < src->u.seq.n; i++) {
				const mc_value *p = src->u.seq.items[i];
				if ((p->kind != MC_VALUE_TUPLE && p->kind != MC_VALUE_LIST) || p->u.seq.n != 2)
					return pk_fail(vm, MC_ECORRUPT, "%s: item %zu is %s, not a (key, value) "
					               "pair", g->qualname, i, pk_what(vm, p));
				if ((rc = pk_dict_set(vm, d, p->u.seq.items[0], p->u.seq.items[1])))
					return rc;
			}
		} else {
			return pk_fail(vm, MC_ECORRUPT, "%s: items are %s, not a list of pairs",
			               g->qualname, pk_what(vm, src));
		}
	}
	if ((rc = pk_set_origin(vm, d, PK_O_ODICT, 0)))
		return rc;
	*out = d;
	return 0;
}

/* builtins.set(items) and builtins.frozenset(items), items a list, tuple
 * or set. */
static int h_set(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                 mc_value **out)
{
	bool frozen = strcmp(g->name, "frozenset") == 0;
	mc_value *s;
	int rc;

	if ((rc = want_args(vm, g, argc, 0, 1)))
		return rc;
	if (!(s = pk_new(vm, MC_VALUE_SET)))
		return mc_error_last()->code;
	if (frozen && (rc = pk_set_origin(vm, s, PK_O_FROZENSET, 0)))
		return rc;
	if (argc == 1) {
		const mc_value *src = argv[0];
		if (src->kind != MC_VALUE_LIST && src->kind != MC_VALUE_TUPLE &&
		    src->kind != MC_VALUE_SET)
			return pk_fail(vm, MC_ECORRUPT, "%s: items are %s, not a list", g->qualname,
			               pk_what(vm, src));
		for (size_t i = 0; i < src->u.seq.n; i++)
			if ((rc = pk_set_add(vm, s, src->u.seq.items[i])))
				return rc;
	}
	*out = s;
	return 0;
}

static bool is_latin1_name(const mc_value *v)
{
	return v->kind == MC_VALUE_STR &&
	       ((v->u.s.n == 6 && memcmp(v->u.s.p, "latin1", 6) == 0) ||
	        (v->u.s.n == 7 && memcmp(v->u.s.p, "latin-1", 7) == 0));
}

/* builtins.bytearray() / bytearray(bytes) / bytearray(str, 'latin-1'), and
 * builtins.bytes() / bytes(bytes): no size argument (bytes(n) would
 * allocate n bytes the file does not hold). */
static int h_bytearray(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                       mc_value **out)
{
	bool is_bytes = strcmp(g->name, "bytes") == 0;
	const uint8_t *p = (const uint8_t *)"";
	size_t n = 0;
	int rc;

	if ((rc = want_args(vm, g, argc, 0, is_bytes ? 1 : 2)))
		return rc;
	if (argc == 1 && argv[0]->kind != MC_VALUE_BYTES)
		return pk_fail(vm, MC_ECORRUPT, "%s: argument is %s, not bytes", g->qualname,
		               pk_what(vm, argv[0]));
	if (argc == 2 && (argv[0]->kind != MC_VALUE_STR || !is_latin1_name(argv[1])))
		return pk_fail(vm, MC_ECORRUPT, "%s: arguments are not a str and 'latin-1'",
		               g->qualname);
	if (argc && !(p = data_of(vm, g, "argument", argv[0], &n)))
		return mc_error_last()->code;
	return (*out = pk_new_str(vm, MC_VALUE_BYTES, p, n)) ? 0 : mc_error_last()->code;
}

/* _codecs.encode(str, 'latin1'): how protocols 0-2 write bytes. */
static int h_codecs_encode(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                           mc_value **out)
{
	const uint8_t *p;
	size_t n;
	int rc;

	if ((rc = want_args(vm, g, argc, 2, 2)))
		return rc;
	if (argv[0]->kind != MC_VALUE_STR)
		return pk_fail(vm, MC_ECORRUPT, "%s: argument is %s, not a str", g->qualname,
		               pk_what(vm, argv[0]));
	if (!is_latin1_name(argv[1]))
		return pk_fail(vm, MC_EUNSUPPORTED, "%s: only the 'latin1' encoding is supported, "
		               "not %s", g->qualname, pk_what(vm, argv[1]));
	if (!(p = data_of(vm, g, "argument", argv[0], &n)))
		return mc_error_last()->code;
	if (!(*out = pk_new_str(vm, MC_VALUE_BYTES, p, n)))
		return mc_error_last()->code;
	return pk_set_origin(vm, *out, PK_O_BYTES, vm->op_off);
}

/* ---- numpy ------------------------------------------------------------------------- */

static const struct {
	const char *code;
	mc_dtype dtype;
} np_codes[] = {
	{"b1", MC_BOOL},     {"?", MC_BOOL},      {"i1", MC_INT8},      {"u1", MC_UINT8},
	{"i2", MC_INT16},    {"u2", MC_UINT16},   {"i4", MC_INT32},     {"u4", MC_UINT32},
	{"i8", MC_INT64},    {"u8", MC_UINT64},   {"f2", MC_FLOAT16},   {"f4", MC_FLOAT32},
	{"f8", MC_FLOAT64},  {"c8", MC_COMPLEX64}, {"c16", MC_COMPLEX128},
};

/* A numpy.dtype value: tag the dtype, args the 1-tuple of its descr with
 * the byte order ('<f4', '|u1'). */
static int np_dtype_value(pk_vm *vm, mc_dtype dt, char order, mc_value **out)
{
	char descr[16];
	const char *code = "?";
	mc_value *s, *v;

	for (size_t i = 0; i < COUNT(np_codes); i++)
		if (np_codes[i].dtype == dt && np_codes[i].code[0] != '?') {
			code = np_codes[i].code;
			break;
		}
	if (mc_dtype_size(dt) == 1)
		order = '|';
	else if (order == '=' || order == '|')
		order = '<'; /* native: little-endian on every machine numpy files come from */
	snprintf(descr, sizeof(descr), "%c%s", order, code);
	if (!(s = pk_new_str(vm, MC_VALUE_STR, descr, strlen(descr))) ||
	    !(v = pk_new(vm, MC_VALUE_OBJECT)) || !(v->u.obj.args = pk_new_tuple(vm, &s, 1)))
		return mc_error_last()->code;
	v->u.obj.type = numpy_dtype_type;
	v->u.obj.tag = dt;
	*out = v;
	return 0;
}

static bool is_np_dtype(const mc_value *v)
{
	return v->kind == MC_VALUE_OBJECT && v->u.obj.type == numpy_dtype_type;
}

/* Byte order of a numpy.dtype value: true when its data is big-endian. */
static bool np_dtype_swap(const mc_value *v)
{
	const mc_value *d = v->u.obj.args ? mc_value_at(v->u.obj.args, 0) : NULL;
	return d && d->kind == MC_VALUE_STR && d->u.s.n && d->u.s.p[0] == '>' &&
	       mc_dtype_size((mc_dtype)v->u.obj.tag) > 1;
}

static int want_np_dtype(pk_vm *vm, const pk_global *g, const mc_value *v)
{
	if (!is_np_dtype(v))
		return pk_fail(vm, MC_ECORRUPT, "%s: dtype is %s, not a numpy.dtype", g->qualname,
		               pk_what(vm, v));
	return 0;
}

/* numpy.dtype(descr, align, copy), descr as numpy's reduce writes it:
 * kind and size ('f8', 'i4', 'b1'), optionally after a byte order. */
static int h_np_dtype(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                      mc_value **out)
{
	char shown[24];
	const char *s, *code;
	size_t n;
	char order = '=';
	bool flag = false;
	int rc;

	if ((rc = want_args(vm, g, argc, 1, 3)))
		return rc;
	if (argv[0]->kind != MC_VALUE_STR)
		return pk_fail(vm, MC_ECORRUPT, "%s: descr is %s, not a str", g->qualname,
		               pk_what(vm, argv[0]));
	for (size_t i = 1; i < argc; i++)
		if ((rc = get_bool(vm, g, i == 1 ? "align" : "copy", argv[i], &flag)))
			return rc;
	s = argv[0]->u.s.p;
	n = argv[0]->u.s.n;
	snprintf(shown, sizeof(shown), "%.*s%s", (int)(n < 16 ? n : 16), s, n > 16 ? "..." : "");
	code = s;
	if (n && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
		order = s[0];
		code++;
	}
	if (*code == 'O') {
		pk_fail(vm, MC_EUNSAFE, "numpy dtype '%s' holds Python objects (an object array), "
		        "whose elements are pickles that can run code", shown);
		return mc_err_hint("save numeric arrays instead");
	}
	for (size_t i = 0; i < COUNT(np_codes); i++)
		if (strlen(code) == (size_t)(s + n - code) && strcmp(code, np_codes[i].code) == 0)
			return np_dtype_value(vm, np_codes[i].dtype, order, out);
	return pk_fail(vm, MC_EUNSUPPORTED, "numpy dtype '%s' is not supported", shown);
}

/* numpy's dtype state: (version, byteorder, subarray, names, fields, elsize,
 * alignment, flags[, metadata]), version 3 (4 with metadata). */
static int np_dtype_build(pk_vm *vm, mc_value *dt, const mc_value *st)
{
	mc_value *const *it;
	int64_t version = 0, elsize = 0, align = 0, flags = 0;
	const pk_global g = {"numpy", "dtype", "numpy.dtype", PK_G_CALLABLE, 0, FN_NONE, 0, NULL};
	const mc_value *order;
	int rc;

	if (st->kind != MC_VALUE_TUPLE || (st->u.seq.n != 8 && st->u.seq.n != 9))
		return pk_fail(vm, MC_EUNSUPPORTED, "numpy.dtype state is %s, not the 8-tuple numpy "
		               "writes", pk_what(vm, st));
	it = st->u.seq.items;
	if ((rc = get_int(vm, &g, "state version", it[0], true, &version)) ||
	    (rc = get_int(vm, &g, "elsize", it[5], false, &elsize)) ||
	    (rc = get_int(vm, &g, "alignment", it[6], false, &align)) ||
	    (rc = get_int(vm, &g, "flags", it[7], false, &flags)))
		return rc;
	if (version != 3 && version != 4)
		return pk_fail(vm, MC_EUNSUPPORTED, "numpy.dtype state version %lld is not supported",
		               (long long)version);
	order = it[1];
	if (order->kind != MC_VALUE_STR || order->u.s.n != 1 || !strchr("<>|=", order->u.s.p[0]))
		return pk_fail(vm, MC_ECORRUPT, "numpy.dtype byte order is %s, not one of < > | =",
		               pk_what(vm, order));
	if (it[2]->kind != MC_VALUE_NONE || it[3]->kind != MC_VALUE_NONE ||
	    it[4]->kind != MC_VALUE_NONE)
		return pk_fail(vm, MC_EUNSUPPORTED, "numpy.dtype with fields or a subarray (a "
		               "structured dtype) is not supported");
	if (flags & 1) /* NPY_ITEM_REFCOUNT: the items are Python objects */
		return pk_fail(vm, MC_EUNSAFE, "numpy.dtype flags %lld mark Python objects",
		               (long long)flags);
	if (elsize != -1 && elsize != (int64_t)mc_dtype_size((mc_dtype)dt->u.obj.tag))
		return pk_fail(vm, MC_ECORRUPT, "numpy.dtype state elsize %lld does not match '%s'",
		               (long long)elsize, mc_dtype_name((mc_dtype)dt->u.obj.tag));
	if (st->u.seq.n == 9 && it[8]->kind != MC_VALUE_NONE && it[8]->kind != MC_VALUE_DICT)
		return pk_fail(vm, MC_ECORRUPT, "numpy.dtype metadata is %s, not a dict",
		               pk_what(vm, it[8]));
	{
		mc_value *fresh;
		if ((rc = np_dtype_value(vm, (mc_dtype)dt->u.obj.tag, order->u.s.p[0], &fresh)))
			return rc;
		dt->u.obj.args = fresh->u.obj.args;
	}
	return 0;
}

/* Hand an array to the array hook: dtype a numpy.dtype value, shape a
 * tuple of non-negative ints, data exactly the array's bytes. */
static int np_array(pk_vm *vm, const pk_global *g, const mc_value *dtype, const mc_value *shape,
                    bool fortran, const mc_value *data, mc_value **out)
{
	mc_pickle_array arr;
	uint64_t numel = 1, nbytes, aux;
	int rc;

	memset(&arr, 0, sizeof(arr));
	if ((rc = want_np_dtype(vm, g, dtype)) ||
	    (rc = get_dims(vm, g, "shape", shape, arr.shape.dims, &arr.shape.ndim)))
		return rc;
	if (data->kind == MC_VALUE_LIST) {
		pk_fail(vm, MC_EUNSAFE, "%s: the array holds Python objects (an object array)",
		        g->qualname);
		return mc_err_hint("save numeric arrays instead");
	}
	arr.dtype = (mc_dtype)dtype->u.obj.tag;
	arr.swap = np_dtype_swap(dtype);
	arr.fortran = fortran;
	for (int d = 0; d < arr.shape.ndim; d++)
		if (!mc_mul_u64(&numel, numel, (uint64_t)arr.shape.dims[d]))
			return pk_fail(vm, MC_ELIMIT, "%s: the element count of the shape overflows",
			               g->qualname);
	if (!mc_mul_u64(&nbytes, numel, mc_dtype_size(arr.dtype)))
		return pk_fail(vm, MC_ELIMIT, "%s: the byte size of the shape overflows", g->qualname);
	if (!(arr.data = data_of(vm, g, "data", data, &arr.len)))
		return mc_error_last()->code;
	if (nbytes != arr.len)
		return pk_fail(vm, MC_ECORRUPT, "%s: a %s array of %llu elements needs %llu bytes, "
		               "the pickle holds %zu", g->qualname, mc_dtype_name(arr.dtype),
		               (unsigned long long)numel, (unsigned long long)nbytes, arr.len);
	/* the file offset of the bytes when the pickle holds them as they are
	 * (a str is the same bytes only when it is ASCII) */
	if (pk_origin_of(vm, data, &aux) == PK_O_BYTES &&
	    (data->kind == MC_VALUE_BYTES || arr.len == data->u.s.n))
		arr.offset = aux;
	else
		arr.offset = vm->op_off;
	if (!vm->env->array)
		return pk_fail(vm, MC_EUNSUPPORTED, "%s: numpy arrays are not read here", g->qualname);
	*out = NULL;
	if ((rc = vm->env->array(vm->env->ctx, &arr, vm->op_off, out)))
		return rc;
	if (!*out)
		return pk_fail(vm, MC_EINVAL, "the array hook returned no value");
	return pk_set_origin(vm, *out, PK_O_ARRAY, 0);
}

/* numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b'): an empty
 * array that the BUILD after it fills in. */
static int h_np_reconstruct(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                            mc_value **out)
{
	const pk_global *sub;
	int64_t dims[MC_MAX_DIMS];
	int ndim = 0, rc;
	mc_value *v;

	if ((rc = want_args(vm, g, argc, 3, 3)))
		return rc;
	sub = pk_global_of(argv[0]);
	if (!sub || sub->fn != FN_NDARRAY_TYPE)
		return pk_fail(vm, MC_EUNSAFE, "%s: subtype is %s, not numpy.ndarray", g->qualname,
		               pk_what(vm, argv[0]));
	if ((rc = get_dims(vm, g, "shape", argv[1], dims, &ndim)))
		return rc;
	if (argv[2]->kind != MC_VALUE_BYTES && argv[2]->kind != MC_VALUE_STR)
		return pk_fail(vm, MC_ECORRUPT, "%s: dtype code is %s, not bytes", g->qualname,
		               pk_what(vm, argv[2]));
	if (!(v = pk_new(vm, MC_VALUE_OBJECT)))
		return mc_error_last()->code;
	v->u.obj.type = numpy_ndarray_type;
	if ((rc = pk_set_origin(vm, v, PK_O_NDARRAY, 0)))
		return rc;
	*out = v;
	return 0;
}

/* numpy.ndarray's state: ([version,] shape, dtype, is_fortran, data). */
static int np_ndarray_build(pk_vm *vm, mc_value *inst, const mc_value *st)
{
	const pk_global g = {"numpy", "ndarray", "numpy.ndarray", PK_G_ARGUMENT, 0, FN_NONE, 0, NULL};
	mc_value *const *it;
	mc_value *arr;
	bool fortran = false;
	int64_t version = 0;
	int rc;

	if (st->kind != MC_VALUE_TUPLE || (st->u.seq.n != 5 && st->u.seq.n != 4))
		return pk_fail(vm, MC_ECORRUPT, "numpy.ndarray state is %s, not the 5-tuple numpy "
		               "writes", pk_what(vm, st));
	it = st->u.seq.items;
	if (st->u.seq.n == 5) {
		if ((rc = get_int(vm, &g, "state version", it[0], true, &version)))
			return rc;
		if (version != 1)
			return pk_fail(vm, MC_EUNSUPPORTED, "numpy.ndarray state version %lld is not "
			               "supported", (long long)version);
		it++;
	}
	if ((rc = get_bool(vm, &g, "is_fortran", it[2], &fortran)) ||
	    (rc = np_array(vm, &g, it[1], it[0], fortran, it[3], &arr)))
		return rc;
	/* BUILD changes the object in place: the memo may hold it already */
	*inst = *arr;
	return pk_set_origin(vm, inst, PK_O_ARRAY, 0);
}

/* numpy.core.numeric._frombuffer(buffer, dtype, shape, order): protocol 5's
 * reduce of a contiguous array (its buffer in-band). */
static int h_np_frombuffer(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                           mc_value **out)
{
	const mc_value *order;
	int rc;

	if ((rc = want_args(vm, g, argc, 4, 4)))
		return rc;
	order = argv[3];
	if (order->kind != MC_VALUE_STR || order->u.s.n != 1 ||
	    (order->u.s.p[0] != 'C' && order->u.s.p[0] != 'F'))
		return pk_fail(vm, MC_ECORRUPT, "%s: order is %s, not 'C' or 'F'", g->qualname,
		               pk_what(vm, order));
	if (argv[0]->kind != MC_VALUE_BYTES)
		return pk_fail(vm, MC_ECORRUPT, "%s: buffer is %s, not bytes", g->qualname,
		               pk_what(vm, argv[0]));
	return np_array(vm, g, argv[1], argv[2], order->u.s.p[0] == 'F', argv[0], out);
}

static uint64_t load_le(const uint8_t *p, size_t n, bool swap)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[swap ? n - 1 - i : i] << (8 * i);
	return v;
}

static double float_of(const uint8_t *p, size_t n, bool swap)
{
	uint64_t u = load_le(p, n, swap);
	if (n == 2)
		return (double)mc_f16_to_f32((uint16_t)u);
	if (n == 4) {
		uint32_t w = (uint32_t)u;
		float f;
		memcpy(&f, &w, sizeof(f));
		return (double)f;
	}
	{
		double d;
		memcpy(&d, &u, sizeof(d));
		return d;
	}
}

/* numpy.core.multiarray.scalar(dtype, data): a numpy scalar becomes the
 * plain value (complex: a tuple of its two parts). */
static int h_np_scalar(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                       mc_value **out)
{
	const uint8_t *p;
	size_t n, size;
	mc_dtype dt;
	bool swap;
	int rc;

	if ((rc = want_args(vm, g, argc, 2, 2)) || (rc = want_np_dtype(vm, g, argv[0])))
		return rc;
	dt = (mc_dtype)argv[0]->u.obj.tag;
	swap = np_dtype_swap(argv[0]);
	size = mc_dtype_size(dt);
	if (!(p = data_of(vm, g, "data", argv[1], &n)))
		return mc_error_last()->code;
	if (n != size)
		return pk_fail(vm, MC_ECORRUPT, "%s: a %s scalar needs %zu bytes, the pickle holds %zu",
		               g->qualname, mc_dtype_name(dt), size, n);
	switch (mc_dtype_get(dt)->kind) {
	case MC_KIND_BOOL:
		*out = p[0] ? vm->yes : vm->no;
		return 0;
	case MC_KIND_INT: {
		uint64_t u = load_le(p, n, swap);
		if (n < 8 && (u >> (8 * n - 1)) & 1)
			u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
		return (*out = pk_new_int(vm, (int64_t)u)) ? 0 : mc_error_last()->code;
	}
	case MC_KIND_UINT:
		return pk_int_from_u64(vm, load_le(p, n, swap), false, out);
	case MC_KIND_FLOAT:
		return (*out = pk_new_float(vm, float_of(p, n, swap))) ? 0 : mc_error_last()->code;
	case MC_KIND_COMPLEX: {
		mc_value *parts[2];
		size_t half = n / 2;
		if (!(parts[0] = pk_new_float(vm, float_of(p, half, swap))) ||
		    !(parts[1] = pk_new_float(vm, float_of(p + half, half, swap))))
			return mc_error_last()->code;
		return (*out = pk_new_tuple(vm, parts, 2)) ? 0 : mc_error_last()->code;
	}
	default:
		break;
	}
	return pk_fail(vm, MC_EUNSUPPORTED, "%s: %s scalars are not supported", g->qualname,
	               mc_dtype_name(dt));
}

/* ---- BUILD --------------------------------------------------------------------------- */

int pk_global_build(pk_vm *vm, mc_value *inst, mc_value *state)
{
	switch (pk_origin_of(vm, inst, NULL)) {
	case PK_O_ODICT:
		/* torch keeps a state dict's _metadata (version numbers per module) as
		 * an attribute of the OrderedDict; it is not part of the dict's items,
		 * and nothing modelctl reports needs it, so it is checked and dropped */
		return check_attrs(vm, state, "an OrderedDict");
	case PK_O_NDARRAY:
		return np_ndarray_build(vm, inst, state);
	case PK_O_TENSOR:
		/* torch 1.x/2.x write None or an empty state here; anything else
		 * would go through Tensor.__setstate__ */
		if (!state_is_empty(state))
			return pk_fail(vm, MC_ECORRUPT, "BUILD on a tensor with %s as its state: only an "
			               "empty state is accepted", pk_what(vm, state));
		return 0;
	default:
		break;
	}
	if (is_np_dtype(inst))
		return np_dtype_build(vm, inst, state);
	return 1;
}
