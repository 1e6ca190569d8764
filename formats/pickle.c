/* SPDX-License-Identifier: MIT */
/*
 * The pickle machine: Python's Unpickler (Lib/pickle.py, Modules/_pickle.c)
 * without the part that imports and calls things.  It runs every opcode of
 * protocols 0 to 5 over a stack, a MARK stack and a memo, and builds the
 * value tree of lib/modelctl.h in env->arena.  Where Python would import a
 * global, the machine looks the name up on the allowlist of
 * pickle_globals.c; where Python would call it (REDUCE, INST, OBJ, NEWOBJ,
 * NEWOBJ_EX) or set an object's state (BUILD), only the handler of an
 * allowed global runs, and it checks its arguments.  Anything else is
 * refused with the opcode's file offset.
 *
 * Bounds: every length is checked against the bytes left before anything
 * is allocated (pk_read_op); values live in env->arena, whose cap bounds
 * the load; the stack, the MARKs and the memo are malloc'd and capped by
 * MC_PICKLE_MAX_STACK, MC_PICKLE_MAX_DEPTH and MC_PICKLE_MAX_MEMO; the memo
 * is a hash table that grows with the entries stored.  Work on dict keys
 * and set items, which allocates nothing the arena could stop, has a budget
 * of its own (MC_PICKLE_WORK_PER_BYTE).  Each stack slot
 * carries the nesting depth of its value, so containers built from the
 * stack (TUPLE1 over TUPLE1 ..., a list appended into a list ...) stop at
 * MC_PICKLE_MAX_DEPTH levels; a container filled through a memo reference
 * after it was nested can exceed it, and a pickle can build cycles, so
 * whoever walks the tree bounds the walk (lib/flatten.c does).
 *
 * Stack discipline follows _pickle.c: MARK opens a frame, opcodes that pop
 * values cannot reach below the last MARK, POP right after MARK pops the
 * MARK.  STOP wants exactly one value and no open MARK.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "checked.h"
#include "cursor.h"
#include "error.h"
#include "pickle_int.h"
#include "value.h"
#include "banned.h"

/* A value on the stack, with the nesting depth of what it holds and
 * whether it is a str a string opcode pushed (STACK_GLOBAL wants those). */
typedef struct slot {
	mc_value *v;
	uint32_t depth;
	uint32_t flags;
} slot;

#define SLOT_LITERAL 1u

/* str and bytes values longer than this have their content hash cached by
 * pointer, so a long key fetched from the memo many times is hashed once. */
#define HASH_CACHE_MIN 32u

/* The work an insertion costs beyond the bytes it hashes and compares. */
#define INSERT_WORK 16u

typedef struct machine {
	pk_vm vm; /* first: the handlers get &m->vm */
	mc_cur cur;
	slot *stack;
	size_t sp, cap;
	size_t *marks;
	size_t nmarks, mcap;
	pk_map memo;          /* index + 1 -> a: value, b: depth | flags << 32 */
	uint64_t memo_count;  /* distinct indices stored: MEMOIZE's next index */
	pk_map origins;       /* value -> a: pk_origin, b: aux */
	pk_map hashes;        /* long str/bytes value -> a: content hash */
	pk_map keys;          /* (container, item hash) -> a: container, b: position */
	uint64_t work_left;   /* MC_PICKLE_WORK_PER_BYTE: on dict keys and set items */
	bool framed;
	size_t frame_end;
} machine;

static machine *M(pk_vm *vm)
{
	return (machine *)vm;
}

/* ---- values ---------------------------------------------------------------- */

static int arena_error(void)
{
	int code = mc_error_last()->code;
	return code ? code : MC_ENOMEM;
}

/* The value builders of lib/value.c, with the pickle's context added to an
 * allocation failure (the arena's cap was reached). */
static mc_value *with_context(pk_vm *vm, mc_value *v)
{
	if (!v)
		mc_err_context(vm->env->path, vm->env->entry);
	return v;
}

mc_value *pk_new(pk_vm *vm, mc_value_kind kind)
{
	return with_context(vm, mc_value_new(vm->a, kind));
}

mc_value *pk_new_int(pk_vm *vm, int64_t i)
{
	return with_context(vm, mc_value_new_int(vm->a, i));
}

mc_value *pk_new_float(pk_vm *vm, double f)
{
	return with_context(vm, mc_value_new_float(vm->a, f));
}

mc_value *pk_new_str(pk_vm *vm, mc_value_kind kind, const void *s, size_t n)
{
	return with_context(vm, mc_value_new_str(vm->a, kind, s, n));
}

/* Room for `extra` more items in a container, growing by doubling. */
static int seq_reserve(pk_vm *vm, mc_value *seq, size_t extra)
{
	size_t need, cap, bytes;
	mc_value **items;

	if (!mc_add_size(&need, seq->u.seq.n, extra))
		return pk_fail(vm, MC_ELIMIT, "too many items in one container");
	if (need <= seq->u.seq.cap)
		return 0;
	cap = seq->u.seq.cap ? seq->u.seq.cap : 4;
	while (cap < need)
		if (!mc_mul_size(&cap, cap, 2))
			return pk_fail(vm, MC_ELIMIT, "too many items in one container");
	if (!mc_mul_size(&bytes, cap, sizeof(*items)))
		return pk_fail(vm, MC_ELIMIT, "too many items in one container");
	/* the old array stays in the arena; doubling bounds the waste */
	if (!(items = mc_arena_alloc(vm->a, bytes)))
		return mc_err_context(vm->env->path, vm->env->entry);
	if (seq->u.seq.n)
		memcpy(items, seq->u.seq.items, seq->u.seq.n * sizeof(*items));
	seq->u.seq.items = items;
	seq->u.seq.cap = cap;
	return 0;
}

static int seq_push(pk_vm *vm, mc_value *seq, mc_value *item)
{
	int rc = seq_reserve(vm, seq, 1);
	if (!rc)
		seq->u.seq.items[seq->u.seq.n++] = item;
	return rc;
}

mc_value *pk_new_tuple(pk_vm *vm, mc_value *const *items, size_t n)
{
	mc_value *t = pk_new(vm, MC_VALUE_TUPLE);

	if (!t || (n && seq_reserve(vm, t, n)))
		return NULL;
	if (n)
		memcpy(t->u.seq.items, items, n * sizeof(*items));
	t->u.seq.n = n;
	return t;
}

int pk_int_from_u64(pk_vm *vm, uint64_t mag, bool negative, mc_value **out)
{
	char buf[32];

	if (!negative && mag <= (uint64_t)INT64_MAX)
		*out = pk_new_int(vm, (int64_t)mag);
	else if (negative && mag <= (uint64_t)INT64_MAX + 1)
		*out = pk_new_int(vm, mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag);
	else {
		snprintf(buf, sizeof(buf), "%s%llu", negative ? "-" : "", (unsigned long long)mag);
		*out = pk_new_str(vm, MC_VALUE_BIGINT, buf, strlen(buf));
	}
	return *out ? 0 : arena_error();
}

/* ---- origins --------------------------------------------------------------- */

pk_origin pk_origin_of(pk_vm *vm, const mc_value *v, uint64_t *aux)
{
	pk_map_entry *e = v ? pk_map_find(&M(vm)->origins, (uint64_t)(uintptr_t)v) : NULL;

	if (aux)
		*aux = e ? e->b : 0;
	return e ? (pk_origin)e->a : PK_O_NONE;
}

int pk_set_origin(pk_vm *vm, const mc_value *v, pk_origin o, uint64_t aux)
{
	pk_map_entry *e;
	int rc = pk_map_put(&M(vm)->origins, (uint64_t)(uintptr_t)v, &e);

	if (!rc) {
		e->a = (uint64_t)o;
		e->b = aux;
	}
	return rc;
}

const char *pk_what(pk_vm *vm, const mc_value *v)
{
	static _Thread_local char bufs[2][160];
	static _Thread_local int turn;
	const pk_global *g;
	char *buf;

	if (!v)
		return "nothing";
	switch (pk_origin_of(vm, v, NULL)) {
	case PK_O_STORAGE: return "a storage";
	case PK_O_TENSOR: return "a tensor";
	case PK_O_ODICT: return "an OrderedDict";
	case PK_O_FROZENSET: return "a frozenset";
	case PK_O_NDARRAY:
	case PK_O_ARRAY: return "a numpy array";
	default: break;
	}
	switch (v->kind) {
	case MC_VALUE_NONE: return "None";
	case MC_VALUE_BOOL: return "a bool";
	case MC_VALUE_INT: return "an int";
	case MC_VALUE_BIGINT: return "an int";
	case MC_VALUE_FLOAT: return "a float";
	case MC_VALUE_STR: return "a str";
	case MC_VALUE_BYTES: return "a bytes";
	case MC_VALUE_LIST: return "a list";
	case MC_VALUE_TUPLE: return "a tuple";
	case MC_VALUE_DICT: return "a dict";
	case MC_VALUE_SET: return "a set";
	case MC_VALUE_TENSOR: return "a tensor";
	case MC_VALUE_OBJECT: break;
	}
	buf = bufs[turn];
	turn ^= 1;
	if ((g = pk_global_of(v)) != NULL)
		snprintf(buf, 160, "global '%s'", g->qualname);
	else
		snprintf(buf, 160, "a %.140s", v->u.obj.type ? v->u.obj.type : "object");
	return buf;
}

/* ---- dict keys and set items ------------------------------------------------- */

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	return mc_hash(p, n);
}

/* Charge `units` of work on keys (limits.h, MC_PICKLE_WORK_PER_BYTE). */
static int charge(machine *m, uint64_t units)
{
	if (units > m->work_left)
		return pk_fail(&m->vm, MC_ELIMIT,
		               "dict keys and set items need more work than this pickle's size "
		               "allows (the same items inserted over and over)");
	m->work_left -= units;
	return 0;
}

/* A hash of a key consistent with mc_value_key_equal (scalars by value,
 * tuples, frozensets and objects by identity); unhashable values (list,
 * dict, set) are refused as Python refuses them. */
static int key_hash(machine *m, const mc_value *k, const char *what, uint64_t *out)
{
	pk_map_entry *e;
	uint64_t h;
	int rc;

	switch (k->kind) {
	case MC_VALUE_NONE: *out = 0x243f6a8885a308d3ull; return 0;
	case MC_VALUE_BOOL: *out = pk_mix(k->u.b ? 1 : 2); return 0;
	case MC_VALUE_INT: *out = pk_mix((uint64_t)k->u.i ^ 0x13198a2e03707344ull); return 0;
	case MC_VALUE_FLOAT: {
		uint64_t bits;
		double f = k->u.f == 0 ? 0.0 : k->u.f; /* -0.0 == 0.0 */
		memcpy(&bits, &f, sizeof(bits));
		*out = pk_mix(bits ^ 0xa4093822299f31d0ull);
		return 0;
	}
	case MC_VALUE_STR:
	case MC_VALUE_BYTES:
	case MC_VALUE_BIGINT:
		if (k->u.s.n < HASH_CACHE_MIN) {
			*out = hash_bytes((const uint8_t *)k->u.s.p, k->u.s.n) ^ (uint64_t)k->kind;
			return charge(m, k->u.s.n);
		}
		if ((e = pk_map_find(&m->hashes, (uint64_t)(uintptr_t)k)) != NULL) {
			*out = e->a;
			return 0;
		}
		if ((rc = charge(m, k->u.s.n)))
			return rc;
		h = hash_bytes((const uint8_t *)k->u.s.p, k->u.s.n) ^ (uint64_t)k->kind;
		if ((rc = pk_map_put(&m->hashes, (uint64_t)(uintptr_t)k, &e)))
			return rc;
		e->a = h;
		*out = h;
		return 0;
	case MC_VALUE_LIST:
	case MC_VALUE_DICT:
		return pk_fail(&m->vm, MC_ECORRUPT, "unhashable %s as %s", pk_what(&m->vm, k), what);
	case MC_VALUE_SET:
		if (pk_origin_of(&m->vm, k, NULL) != PK_O_FROZENSET)
			return pk_fail(&m->vm, MC_ECORRUPT, "unhashable %s as %s", pk_what(&m->vm, k),
			               what);
		break;
	default:
		break;
	}
	*out = pk_mix((uint64_t)(uintptr_t)k ^ 0x082efa98ec4e6c89ull);
	return 0;
}

static int keys_equal(machine *m, const mc_value *x, const mc_value *y, bool *eq)
{
	if (x == y) {
		*eq = true;
		return 0;
	}
	if (x->kind == y->kind && x->u.s.n == y->u.s.n &&
	    (x->kind == MC_VALUE_STR || x->kind == MC_VALUE_BYTES || x->kind == MC_VALUE_BIGINT)) {
		/* Python never writes two equal keys into one dict: comparing
		 * long equal-hash keys over and over is an attack on the time */
		int rc = charge(m, x->u.s.n);
		if (rc)
			return rc;
	}
	*eq = mc_value_key_equal(x, y);
	return 0;
}

/* Look `item` up among the keys of a dict (stride 2) or the items of a set
 * (stride 1); *pos gets its index or SIZE_MAX, *slot_key the key to insert
 * it under. */
static int keys_lookup(machine *m, const mc_value *c, const mc_value *item, size_t stride,
                       const char *what, size_t *pos, uint64_t *slot_key)
{
	uint64_t h = 0, key;
	size_t mask, i;
	int rc;

	*pos = SIZE_MAX;
	if ((rc = charge(m, INSERT_WORK)) || (rc = key_hash(m, item, what, &h)))
		return rc;
	key = pk_mix((uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ull ^ h) | 1;
	*slot_key = key;
	if (!m->keys.cap)
		return 0;
	mask = m->keys.cap - 1;
	for (i = pk_mix(key) & mask; m->keys.e[i].key; i = (i + 1) & mask) {
		pk_map_entry *e = &m->keys.e[i];
		bool eq = false;
		if (e->key != key || e->a != (uint64_t)(uintptr_t)c)
			continue;
		if ((rc = keys_equal(m, c->u.seq.items[e->b * stride], item, &eq)))
			return rc;
		if (eq) {
			*pos = (size_t)e->b;
			return 0;
		}
	}
	return 0;
}

static int keys_insert(machine *m, const mc_value *c, uint64_t key, size_t pos)
{
	size_t mask, i;
	int rc;

	if ((rc = pk_map_reserve(&m->keys)))
		return rc;
	mask = m->keys.cap - 1;
	for (i = pk_mix(key) & mask; m->keys.e[i].key; i = (i + 1) & mask)
		;
	m->keys.e[i].key = key;
	m->keys.e[i].a = (uint64_t)(uintptr_t)c;
	m->keys.e[i].b = pos;
	m->keys.n++;
	return 0;
}

int pk_dict_set(pk_vm *vm, mc_value *dict, mc_value *key, mc_value *val)
{
	machine *m = M(vm);
	uint64_t slot_key;
	size_t pos;
	int rc;

	if ((rc = keys_lookup(m, dict, key, 2, "a dict key", &pos, &slot_key)))
		return rc;
	if (pos != SIZE_MAX) {
		dict->u.seq.items[2 * pos + 1] = val;
		return 0;
	}
	pos = dict->u.seq.n / 2;
	if ((rc = seq_reserve(vm, dict, 2)) || (rc = keys_insert(m, dict, slot_key, pos)))
		return rc;
	dict->u.seq.items[dict->u.seq.n++] = key;
	dict->u.seq.items[dict->u.seq.n++] = val;
	return 0;
}

int pk_set_add(pk_vm *vm, mc_value *set, mc_value *item)
{
	machine *m = M(vm);
	uint64_t slot_key;
	size_t pos;
	int rc;

	if ((rc = keys_lookup(m, set, item, 1, "a set item", &pos, &slot_key)))
		return rc;
	if (pos != SIZE_MAX)
		return 0;
	if ((rc = keys_insert(m, set, slot_key, set->u.seq.n)))
		return rc;
	return seq_push(vm, set, item);
}

/* ---- stack, marks, memo ------------------------------------------------------ */

static int push(machine *m, mc_value *v, uint32_t depth, uint32_t flags)
{
	if (!v)
		return arena_error();
	if (depth > MC_PICKLE_MAX_DEPTH)
		return pk_fail(&m->vm, MC_ELIMIT, "values nest deeper than %d levels",
		               MC_PICKLE_MAX_DEPTH);
	if (m->sp == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		slot *p;
		if (m->cap >= MC_PICKLE_MAX_STACK)
			return pk_fail(&m->vm, MC_ELIMIT, "more than %u values on the pickle stack",
			               (unsigned)MC_PICKLE_MAX_STACK);
		if (!(p = realloc(m->stack, cap * sizeof(*p))))
			return mc_nomem();
		m->stack = p;
		m->cap = cap;
	}
	m->stack[m->sp].v = v;
	m->stack[m->sp].depth = depth;
	m->stack[m->sp].flags = flags;
	m->sp++;
	return 0;
}

static size_t fence(const machine *m)
{
	return m->nmarks ? m->marks[m->nmarks - 1] : 0;
}

/* At least k values above the last MARK. */
static int need(machine *m, size_t k)
{
	if (m->sp - fence(m) >= k)
		return 0;
	return pk_fail(&m->vm, MC_ECORRUPT, "%s needs %zu value%s on the stack%s", pk_op_name(m->vm.op),
	               k, k == 1 ? "" : "s", m->nmarks ? " above its MARK" : "");
}

static slot *top(machine *m)
{
	return &m->stack[m->sp - 1];
}

/* Close the last MARK: the values above it are stack[*start..sp), left in
 * place for the caller to use and drop (m->sp = *start). */
static int pop_mark(machine *m, size_t *start)
{
	if (!m->nmarks)
		return pk_fail(&m->vm, MC_ECORRUPT, "%s without a MARK", pk_op_name(m->vm.op));
	*start = m->marks[--m->nmarks];
	return 0;
}

static uint32_t max_depth(const slot *s, size_t n)
{
	uint32_t d = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i].depth > d)
			d = s[i].depth;
	return d;
}

/* A container slot takes an item of `depth`: it now nests one level more. */
static int deepen(machine *m, slot *c, uint32_t depth)
{
	if (depth + 1 > c->depth)
		c->depth = depth + 1;
	if (c->depth > MC_PICKLE_MAX_DEPTH)
		return pk_fail(&m->vm, MC_ELIMIT, "values nest deeper than %d levels",
		               MC_PICKLE_MAX_DEPTH);
	return 0;
}

static int memo_put(machine *m, uint64_t idx)
{
	pk_map_entry *e;
	slot *s;
	int rc;

	if ((rc = need(m, 1)))
		return rc;
	if (idx >= MC_PICKLE_MAX_MEMO)
		return pk_fail(&m->vm, MC_ELIMIT, "memo index %llu is beyond the limit of %u entries",
		               (unsigned long long)idx, (unsigned)MC_PICKLE_MAX_MEMO);
	if (!pk_map_find(&m->memo, idx + 1))
		m->memo_count++;
	if ((rc = pk_map_put(&m->memo, idx + 1, &e)))
		return rc;
	s = top(m);
	e->a = (uint64_t)(uintptr_t)s->v;
	e->b = (uint64_t)s->depth | ((uint64_t)s->flags << 32);
	return 0;
}

static int memo_get(machine *m, uint64_t idx)
{
	pk_map_entry *e = idx < MC_PICKLE_MAX_MEMO ? pk_map_find(&m->memo, idx + 1) : NULL;

	if (!e)
		return pk_fail(&m->vm, MC_ECORRUPT, "%s of memo index %llu, which was never set",
		               pk_op_name(m->vm.op), (unsigned long long)idx);
	return push(m, (mc_value *)(uintptr_t)e->a, (uint32_t)e->b, (uint32_t)(e->b >> 32));
}

/* The decimal index of GET and PUT (Python: int(line)). */
static int text_index(machine *m, const pk_op *op, uint64_t *out)
{
	uint64_t v = 0;

	if (!op->n)
		return pk_fail(&m->vm, MC_ECORRUPT, "%s index is empty", op->name);
	for (size_t i = 0; i < op->n; i++) {
		uint8_t ch = op->s[i];
		if (ch < '0' || ch > '9')
			return pk_fail(&m->vm, MC_ECORRUPT, "%s index is not a non-negative decimal",
			               op->name);
		if (v <= MC_PICKLE_MAX_MEMO) /* beyond, it only has to stay beyond */
			v = v * 10 + (uint64_t)(ch - '0');
	}
	if (v >= MC_PICKLE_MAX_MEMO)
		return pk_fail(&m->vm, MC_ELIMIT, "memo index %.*s is beyond the limit of %u entries",
		               (int)(op->n < 40 ? op->n : 40), (const char *)op->s,
		               (unsigned)MC_PICKLE_MAX_MEMO);
	*out = v;
	return 0;
}

/* ---- numbers ------------------------------------------------------------------ */

/* Decimal digits (most significant first) as an int or a big int. */
static int decimal_value(machine *m, const uint8_t *d, size_t n, bool negative, mc_value **out)
{
	uint64_t mag = 0;
	bool big = false;

	while (n > 1 && d[0] == '0')
		d++, n--;
	if (n > MC_PICKLE_MAX_BIGINT_DIGITS)
		return pk_fail(&m->vm, MC_ELIMIT, "integer of %zu digits is beyond the limit of %u",
		               n, MC_PICKLE_MAX_BIGINT_DIGITS);
	for (size_t i = 0; i < n && !big; i++)
		if (!mc_mul_u64(&mag, mag, 10) || !mc_add_u64(&mag, mag, (uint64_t)(d[i] - '0')))
			big = true;
	if (!big && (negative ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX))
		return pk_int_from_u64(&m->vm, mag, negative && mag != 0, out);
	{
		char *buf = mc_arena_alloc(m->vm.a, n + 2);
		if (!buf)
			return mc_err_context(m->vm.env->path, m->vm.env->entry);
		if (negative)
			buf[0] = '-';
		memcpy(buf + negative, d, n);
		if (!(*out = pk_new(&m->vm, MC_VALUE_BIGINT)))
			return arena_error();
		(*out)->u.s.p = buf;
		(*out)->u.s.n = n + negative;
	}
	return 0;
}

/* INT and LONG of protocol 0: an optional sign and decimal digits, LONG
 * with an optional trailing 'L' (Python 2 wrote it); INT "00" and "01" are
 * False and True. */
static int text_int(machine *m, const pk_op *op, mc_value **out)
{
	const uint8_t *s = op->s;
	size_t n = op->n;
	bool negative = false;

	if (op->code == PK_INT && n == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1')) {
		*out = s[1] == '1' ? m->vm.yes : m->vm.no;
		return 0;
	}
	if (op->code == PK_LONG && n && s[n - 1] == 'L')
		n--;
	if (n && (s[0] == '-' || s[0] == '+')) {
		negative = s[0] == '-';
		s++, n--;
	}
	if (!n)
		return pk_fail(&m->vm, MC_ECORRUPT, "%s argument is not a decimal integer", op->name);
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return pk_fail(&m->vm, MC_ECORRUPT, "%s argument is not a decimal integer",
			               op->name);
	/* int(x, 0) refuses leading zeros but for zero itself */
	if (n > 1 && s[0] == '0') {
		for (size_t i = 0; i < n; i++)
			if (s[i] != '0')
				return pk_fail(&m->vm, MC_ECORRUPT,
				               "%s argument has leading zeros", op->name);
	}
	return decimal_value(m, s, n, negative, out);
}

static bool ascii_ieq(const uint8_t *s, size_t n, const char *w)
{
	if (n != strlen(w))
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = s[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (uint8_t)(ch - 'A' + 'a');
		if (ch != (uint8_t)w[i])
			return false;
	}
	return true;
}

/* FLOAT of protocol 0: repr(float) -- digits with an optional fraction and
 * exponent, or inf, infinity, nan -- checked before strtod sees it, so no
 * hex float or locale-dependent form gets through. */
static int text_float(machine *m, const pk_op *op, mc_value **out)
{
	char buf[MC_PICKLE_MAX_FLOAT_TEXT + 1], *endp;
	const uint8_t *s = op->s;
	size_t n = op->n, i = 0, digits = 0;
	double f;

	if (n > MC_PICKLE_MAX_FLOAT_TEXT)
		return pk_fail(&m->vm, MC_ECORRUPT, "FLOAT argument of %zu bytes is too long", n);
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (ascii_ieq(s + i, n - i, "inf") || ascii_ieq(s + i, n - i, "infinity") ||
	    ascii_ieq(s + i, n - i, "nan")) {
		i = n;
		digits = 1;
	} else {
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (i < n && s[i] == '.')
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				digits++;
		if (digits && i < n && (s[i] == 'e' || s[i] == 'E')) {
			size_t exp = 0;
			i++;
			if (i < n && (s[i] == '+' || s[i] == '-'))
				i++;
			for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				exp++;
			if (!exp)
				digits = 0;
		}
	}
	if (!digits || i != n)
		return pk_fail(&m->vm, MC_ECORRUPT, "FLOAT argument is not a number");
	memcpy(buf, s, n);
	buf[n] = '\0';
	f = strtod(buf, &endp);
	if (endp != buf + n)
		return pk_fail(&m->vm, MC_ECORRUPT, "FLOAT argument is not a number");
	*out = pk_new_float(&m->vm, f);
	return *out ? 0 : arena_error();
}

/* LONG1 and LONG4: little-endian two's complement. */
static int long_bytes(machine *m, const pk_op *op, mc_value **out)
{
	const uint8_t *p = op->s;
	size_t n = op->n, k, words, nd = 0;
	bool negative;
	uint32_t *w = NULL;
	uint8_t *mag = NULL;
	char *dec = NULL;
	int rc = 0;

	if (n > MC_PICKLE_MAX_LONG_BYTES)
		return pk_fail(&m->vm, MC_ELIMIT, "%s of %zu bytes is beyond the limit of %u", op->name,
		               n, MC_PICKLE_MAX_LONG_BYTES);
	if (n == 0)
		return pk_int_from_u64(&m->vm, 0, false, out);
	negative = (p[n - 1] & 0x80) != 0;
	/* drop bytes that only repeat the sign */
	for (k = n; k > 1; k--) {
		if (!((p[k - 1] == 0x00 && !(p[k - 2] & 0x80)) || (p[k - 1] == 0xff && (p[k - 2] & 0x80))))
			break;
	}
	if (k <= 8) {
		uint64_t u = negative ? UINT64_MAX : 0;
		for (size_t i = 0; i < k; i++) {
			u &= ~((uint64_t)0xff << (8 * i));
			u |= (uint64_t)p[i] << (8 * i);
		}
		*out = pk_new_int(&m->vm, (int64_t)u);
		return *out ? 0 : arena_error();
	}
	/* magnitude in 32-bit words, most significant first, then repeated
	 * division by 10^9: quadratic, bounded by MC_PICKLE_MAX_LONG_BYTES */
	words = (k + 3) / 4;
	if (!(mag = calloc(words * 4, 1)) || !(w = calloc(words, sizeof(*w))) ||
	    /* 9 digits per 10^9 step: at most 32*log10(2) = 9.64 digits a
	     * word, rounded up to whole steps, and the sign */
	    !(dec = malloc(words * 11 + 20))) {
		rc = mc_nomem();
		goto out;
	}
	memcpy(mag, p, k);
	if (negative) {
		unsigned carry = 1;
		for (size_t i = 0; i < words * 4; i++) {
			unsigned b = (unsigned)(uint8_t)~(i < k ? p[i] : 0xff) + carry;
			mag[i] = (uint8_t)b;
			carry = b >> 8;
		}
	}
	for (size_t i = 0; i < words; i++)
		w[words - 1 - i] = mc_load_u32le(mag + 4 * i);
	{
		size_t lead = 0;
		char chunk[10];
		/* chunks of 9 digits, least significant first, reversed at the end */
		while (lead < words) {
			uint64_t r = 0;
			for (size_t i = lead; i < words; i++) {
				uint64_t cur = (r << 32) | w[i];
				w[i] = (uint32_t)(cur / 1000000000u);
				r = cur % 1000000000u;
			}
			while (lead < words && w[lead] == 0)
				lead++;
			snprintf(chunk, sizeof(chunk), "%09u", (unsigned)r);
			for (int j = 8; j >= 0; j--)
				dec[nd++] = chunk[j];
		}
	}
	while (nd > 1 && dec[nd - 1] == '0')
		nd--;
	if (negative)
		dec[nd++] = '-';
	for (size_t i = 0; i < nd / 2; i++) {
		char t = dec[i];
		dec[i] = dec[nd - 1 - i];
		dec[nd - 1 - i] = t;
	}
	if (nd - negative > MC_PICKLE_MAX_BIGINT_DIGITS) {
		rc = pk_fail(&m->vm, MC_ELIMIT, "integer of %zu digits is beyond the limit of %u",
		             nd - negative, MC_PICKLE_MAX_BIGINT_DIGITS);
		goto out;
	}
	if (!(*out = pk_new_str(&m->vm, MC_VALUE_BIGINT, dec, nd)))
		rc = arena_error();
out:
	free(mag);
	free(w);
	free(dec);
	return rc;
}

/* ---- strings ---------------------------------------------------------------- */

/* A Python 3 str: UTF-8 as pickle writes it ('surrogatepass'). */
static int push_str(machine *m, const uint8_t *s, size_t n)
{
	if (!pk_utf8_valid(s, n, true))
		return pk_fail(&m->vm, MC_ECORRUPT, "%s is not valid UTF-8", pk_op_name(m->vm.op));
	return push(m, pk_new_str(&m->vm, MC_VALUE_STR, s, n), 0, SLOT_LITERAL);
}

/* A Python 2 str (STRING, BINSTRING, SHORT_BINSTRING): text when it is
 * valid UTF-8 (torch.load decodes them so), else bytes.  `raw_off` is the
 * file offset of the bytes when the pickle holds them verbatim, or 0. */
static int push_py2_str(machine *m, const uint8_t *s, size_t n, uint64_t raw_off)
{
	bool text = pk_utf8_valid(s, n, false);
	mc_value *v = pk_new_str(&m->vm, text ? MC_VALUE_STR : MC_VALUE_BYTES, s, n);
	int rc;

	if (!v)
		return arena_error();
	if (raw_off && (rc = pk_set_origin(&m->vm, v, PK_O_BYTES, raw_off)))
		return rc;
	return push(m, v, 0, text ? SLOT_LITERAL : 0);
}

static int push_bytes(machine *m, const pk_op *op)
{
	mc_value *v = pk_new_str(&m->vm, MC_VALUE_BYTES, op->s, op->n);
	int rc;

	if (!v)
		return arena_error();
	if ((rc = pk_set_origin(&m->vm, v, PK_O_BYTES, op->s_offset)))
		return rc;
	return push(m, v, 0, 0);
}

/* STRING and UNICODE of protocol 0, decoded through a scratch buffer. */
static int push_text(machine *m, const pk_op *op)
{
	const uint8_t *body = op->s;
	size_t bn = op->n, cap, outn = 0;
	const char *why = NULL;
	uint8_t *buf;
	bool ok;
	int rc;

	if (op->code == PK_STRING && !pk_string_body(op->s, op->n, &body, &bn, &why))
		return pk_fail(&m->vm, MC_ECORRUPT, "%s", why);
	if (!mc_mul_size(&cap, bn ? bn : 1, 2))
		return pk_fail(&m->vm, MC_ELIMIT, "%s too long", op->name);
	if (!(buf = malloc(cap)))
		return mc_nomem();
	if (op->code == PK_STRING)
		ok = pk_escape_decode(buf, &outn, body, bn, &why);
	else
		ok = pk_raw_unicode_decode(buf, &outn, body, bn, &why);
	if (!ok)
		rc = pk_fail(&m->vm, MC_ECORRUPT, "%s", why);
	else if (op->code == PK_STRING)
		rc = push_py2_str(m, buf, outn, 0);
	else
		rc = push(m, pk_new_str(&m->vm, MC_VALUE_STR, buf, outn), 0, SLOT_LITERAL);
	free(buf);
	return rc;
}

/* ---- globals ---------------------------------------------------------------- */

static const char nn_module_hint[] =
	"this is a pickled nn.Module (torch.save(model)); save model.state_dict() instead";

/* The value of the global module.name named at the current opcode, or a
 * refusal naming it.  Names are UTF-8 as Python decodes them, mapped from
 * Python 2, and matched exactly: a dotted name (an attribute of an
 * attribute) is never on the allowlist. */
static int resolve(machine *m, const uint8_t *ms, size_t mn, const uint8_t *ns, size_t nn,
                   mc_value **out)
{
	char mod[MC_PICKLE_MAX_GLOBAL_NAME + 1], nam[MC_PICKLE_MAX_GLOBAL_NAME + 1];
	const char *module = mod, *name = nam;
	const pk_global *g = NULL;
	bool hint;

	if (mn > MC_PICKLE_MAX_GLOBAL_NAME || nn > MC_PICKLE_MAX_GLOBAL_NAME)
		return pk_fail(&m->vm, MC_ELIMIT, "%s name of %zu bytes is longer than %u",
		               pk_op_name(m->vm.op), mn > nn ? mn : nn, MC_PICKLE_MAX_GLOBAL_NAME);
	if (!pk_utf8_valid(ms, mn, false) || !pk_utf8_valid(ns, nn, false) || memchr(ms, '\0', mn) ||
	    memchr(ns, '\0', nn) || !mn || !nn)
		return pk_fail(&m->vm, MC_ECORRUPT, "%s names a global that is not valid text",
		               pk_op_name(m->vm.op));
	memcpy(mod, ms, mn);
	mod[mn] = '\0';
	memcpy(nam, ns, nn);
	nam[nn] = '\0';
	pk_map_py2(&module, &name);
	if (!strchr(name, '.'))
		g = pk_global_find(module, name);
	if (g)
		return pk_global_value(&m->vm, g, out);
	/* walk the whole pickle for the hint before recording the refusal */
	hint = pk_names_nn_module(m->vm.data, m->vm.len, m->vm.env);
	pk_fail(&m->vm, MC_EUNSAFE, "global '%s.%s' is not allowed", module, name);
	if (hint)
		mc_err_hint("%s", nn_module_hint);
	return MC_EUNSAFE;
}

enum { HOW_CALL, HOW_NEW };

/* Call `callable` (REDUCE, INST, OBJ) or its __new__ (NEWOBJ, NEWOBJ_EX):
 * only an allowed global's handler runs. */
static int call(machine *m, int how, const mc_value *callable, mc_value *const *argv, size_t argc,
                mc_value **out)
{
	const char *opname = pk_op_name(m->vm.op);
	const pk_global *g = pk_global_of(callable);

	*out = NULL;
	if (!g)
		return pk_fail(&m->vm, MC_EUNSAFE, "%s calls %s, which is not an allowed callable", opname,
		               pk_what(&m->vm, callable));
	if (g->kind != PK_G_CALLABLE)
		return pk_fail(&m->vm, MC_EUNSUPPORTED,
		               "%s calls '%s', which is allowed only as an argument of another "
		               "allowed callable", opname, g->qualname);
	if (how == HOW_NEW && !(g->flags & PK_NEW_SAME) &&
	    !((g->flags & PK_NEW_EMPTY) && argc == 0))
		return pk_fail(&m->vm, MC_EUNSUPPORTED, "%s of '%s' (__new__ without __init__) is not "
		               "supported", opname, g->qualname);
	return g->call(&m->vm, g, argv, argc, out);
}

static int persistent(machine *m, mc_value *pid, uint32_t depth)
{
	const mc_pickle_env *env = m->vm.env;
	mc_value *v = NULL;
	int rc;

	if (!env->persistent_load)
		return pk_fail(&m->vm, MC_EUNSUPPORTED,
		               "%s: persistent ids (data outside the pickle) are not read here",
		               pk_op_name(m->vm.op));
	if ((rc = env->persistent_load(env->ctx, pid, m->vm.op_off, &v)))
		return rc;
	if (!v)
		return pk_fail(&m->vm, MC_EINVAL, "persistent_load returned no value");
	if ((rc = pk_set_origin(&m->vm, v, PK_O_STORAGE, 0)))
		return rc;
	return push(m, v, depth, 0);
}

/* A container of the values stack[start..sp), which are then dropped. */
static int build_from(machine *m, size_t start, mc_value_kind kind, bool frozen)
{
	size_t n = m->sp - start;
	slot *items = m->stack + start;
	uint32_t depth = max_depth(items, n) + 1;
	mc_value *c;
	int rc = 0;

	if (!(c = pk_new(&m->vm, kind)))
		return arena_error();
	if (kind == MC_VALUE_DICT) {
		if (n % 2)
			return pk_fail(&m->vm, MC_ECORRUPT, "DICT of an odd number of values (%zu)", n);
		for (size_t i = 0; i < n && !rc; i += 2)
			rc = pk_dict_set(&m->vm, c, items[i].v, items[i + 1].v);
	} else if (kind == MC_VALUE_SET) {
		if (frozen && (rc = pk_set_origin(&m->vm, c, PK_O_FROZENSET, 0)))
			return rc;
		for (size_t i = 0; i < n && !rc; i++)
			rc = pk_set_add(&m->vm, c, items[i].v);
	} else if (n) {
		if (!(rc = seq_reserve(&m->vm, c, n))) {
			for (size_t i = 0; i < n; i++)
				c->u.seq.items[i] = items[i].v;
			c->u.seq.n = n;
		}
	}
	if (rc)
		return rc;
	m->sp = start;
	return push(m, c, n ? depth : 0, 0);
}

/* APPENDS, SETITEMS, ADDITEMS: the values above the last MARK go into the
 * container right below it, which must be of the right kind. */
static int add_items(machine *m)
{
	uint8_t op = m->vm.op;
	size_t start = 0, n;
	slot *c;
	int rc = 0;

	if ((rc = pop_mark(m, &start)))
		return rc;
	if (start == 0 || start - 1 < fence(m))
		return pk_fail(&m->vm, MC_ECORRUPT, "%s has no container below its MARK",
		               pk_op_name(op));
	c = &m->stack[start - 1];
	n = m->sp - start;
	if (op == PK_APPENDS && c->v->kind != MC_VALUE_LIST)
		return pk_fail(&m->vm, MC_ECORRUPT, "APPENDS on %s: only a list takes APPENDS",
		               pk_what(&m->vm, c->v));
	if (op == PK_SETITEMS && c->v->kind != MC_VALUE_DICT)
		return pk_fail(&m->vm, MC_ECORRUPT, "SETITEMS on %s: only a dict takes SETITEMS",
		               pk_what(&m->vm, c->v));
	if (op == PK_ADDITEMS &&
	    (c->v->kind != MC_VALUE_SET || pk_origin_of(&m->vm, c->v, NULL) == PK_O_FROZENSET))
		return pk_fail(&m->vm, MC_ECORRUPT, "ADDITEMS on %s: only a set takes ADDITEMS",
		               pk_what(&m->vm, c->v));
	if (op == PK_SETITEMS && n % 2)
		return pk_fail(&m->vm, MC_ECORRUPT, "SETITEMS of an odd number of values (%zu)", n);
	if (n && (rc = deepen(m, c, max_depth(m->stack + start, n))))
		return rc;
	if (op == PK_APPENDS)
		rc = seq_reserve(&m->vm, c->v, n);
	for (size_t i = 0; i < n && !rc; i++) {
		if (op == PK_APPENDS)
			c->v->u.seq.items[c->v->u.seq.n++] = m->stack[start + i].v;
		else if (op == PK_ADDITEMS)
			rc = pk_set_add(&m->vm, c->v, m->stack[start + i].v);
		else if (i % 2 == 0)
			rc = pk_dict_set(&m->vm, c->v, m->stack[start + i].v, m->stack[start + i + 1].v);
	}
	m->sp = start;
	return rc;
}

/* REDUCE, NEWOBJ, NEWOBJ_EX: callable and argument tuple on the stack. */
static int op_call(machine *m)
{
	uint8_t op = m->vm.op;
	size_t k = op == PK_NEWOBJ_EX ? 3 : 2;
	slot *s;
	mc_value *args, *out;
	uint32_t depth;
	int rc;

	if ((rc = need(m, k)))
		return rc;
	s = &m->stack[m->sp - k];
	args = s[1].v;
	if (op == PK_NEWOBJ_EX) {
		const mc_value *kw = s[2].v;
		if (kw->kind != MC_VALUE_DICT || mc_value_len(kw) != 0)
			return pk_fail(&m->vm, MC_EUNSUPPORTED,
			               "NEWOBJ_EX with keyword arguments (%s) is not supported",
			               pk_what(&m->vm, kw));
	}
	if (args->kind != MC_VALUE_TUPLE)
		return pk_fail(&m->vm, MC_ECORRUPT, "%s arguments are %s, not a tuple", pk_op_name(op),
		               pk_what(&m->vm, args));
	depth = s[1].depth;
	if ((rc = call(m, op == PK_REDUCE ? HOW_CALL : HOW_NEW, s[0].v, args->u.seq.items,
	               args->u.seq.n, &out)))
		return rc;
	m->sp -= k;
	return push(m, out, depth, 0);
}

/* INST (class from its argument) and OBJ (class first above the MARK):
 * Python's _instantiate calls the class with the values above the MARK. */
static int op_instantiate(machine *m, const pk_op *op)
{
	mc_value *cls = NULL, *out;
	size_t start = 0, first;
	uint32_t depth;
	int rc;

	if (op->code == PK_INST && (rc = resolve(m, op->s, op->n, op->s2, op->n2, &cls)))
		return rc;
	if ((rc = pop_mark(m, &start)))
		return rc;
	first = start;
	if (op->code == PK_OBJ) {
		if (m->sp == start)
			return pk_fail(&m->vm, MC_ECORRUPT, "OBJ without a class above its MARK");
		cls = m->stack[start].v;
		first++;
	}
	depth = max_depth(m->stack + first, m->sp - first);
	{
		size_t argc = m->sp - first;
		mc_value **argv = argc ? malloc(argc * sizeof(*argv)) : NULL;
		if (argc && !argv)
			return mc_nomem();
		for (size_t i = 0; i < argc; i++)
			argv[i] = m->stack[first + i].v;
		rc = call(m, HOW_CALL, cls, argv, argc, &out);
		free(argv);
	}
	if (rc)
		return rc;
	m->sp = start;
	return push(m, out, depth + 1, 0);
}

static int op_stack_global(machine *m)
{
	slot *s;
	mc_value *out;
	int rc;

	if ((rc = need(m, 2)))
		return rc;
	s = &m->stack[m->sp - 2];
	if (s[0].v->kind != MC_VALUE_STR || s[1].v->kind != MC_VALUE_STR ||
	    !(s[0].flags & SLOT_LITERAL) || !(s[1].flags & SLOT_LITERAL))
		return pk_fail(&m->vm, MC_EUNSAFE,
		               "STACK_GLOBAL operands are not literal strings (%s and %s)",
		               pk_what(&m->vm, s[0].v), pk_what(&m->vm, s[1].v));
	if ((rc = resolve(m, (const uint8_t *)s[0].v->u.s.p, s[0].v->u.s.n,
	                  (const uint8_t *)s[1].v->u.s.p, s[1].v->u.s.n, &out)))
		return rc;
	m->sp -= 2;
	return push(m, out, 0, 0);
}

static int op_build(machine *m)
{
	slot *s;
	int rc;

	if ((rc = need(m, 2)))
		return rc;
	s = &m->stack[m->sp - 2];
	rc = pk_global_build(&m->vm, s[0].v, s[1].v);
	if (rc == 1)
		return pk_fail(&m->vm, MC_ECORRUPT,
		               "BUILD on %s is not allowed: setting an object's state can run code",
		               pk_what(&m->vm, s[0].v));
	if (rc)
		return rc;
	m->sp--; /* the state was consumed or dropped: inst nests no deeper */
	return 0;
}

/* ---- the loop ----------------------------------------------------------------- */

static int step(machine *m, const pk_op *op, bool *stop)
{
	mc_value *v = NULL;
	size_t start = 0;
	uint64_t idx = 0;
	slot *s;
	int rc;

	switch (op->code) {
	case PK_MARK:
		if (m->nmarks == MC_PICKLE_MAX_DEPTH)
			return pk_fail(&m->vm, MC_ELIMIT, "MARKs nest deeper than %d levels",
			               MC_PICKLE_MAX_DEPTH);
		if (m->nmarks == m->mcap) {
			size_t cap = m->mcap ? m->mcap * 2 : 16;
			size_t *p = realloc(m->marks, cap * sizeof(*p));
			if (!p)
				return mc_nomem();
			m->marks = p;
			m->mcap = cap;
		}
		m->marks[m->nmarks++] = m->sp;
		return 0;
	case PK_STOP:
		if (m->nmarks || m->sp != 1)
			return pk_fail(&m->vm, MC_ECORRUPT,
			               "STOP with %zu values on the stack and %zu open MARKs (want 1 and 0)",
			               m->sp, m->nmarks);
		*stop = true;
		return 0;
	case PK_POP:
		if (m->nmarks && m->marks[m->nmarks - 1] == m->sp) {
			m->nmarks--;
			return 0;
		}
		if ((rc = need(m, 1)))
			return rc;
		m->sp--;
		return 0;
	case PK_POP_MARK:
		if ((rc = pop_mark(m, &start)))
			return rc;
		m->sp = start;
		return 0;
	case PK_DUP:
		if ((rc = need(m, 1)))
			return rc;
		s = top(m);
		return push(m, s->v, s->depth, s->flags);

	case PK_NONE:
		return push(m, m->vm.none, 0, 0);
	case PK_NEWTRUE:
		return push(m, m->vm.yes, 0, 0);
	case PK_NEWFALSE:
		return push(m, m->vm.no, 0, 0);
	case PK_BININT:
	case PK_BININT1:
	case PK_BININT2:
		return push(m, pk_new_int(&m->vm, op->i), 0, 0);
	case PK_INT:
	case PK_LONG:
		if ((rc = text_int(m, op, &v)))
			return rc;
		return push(m, v, 0, 0);
	case PK_LONG1:
	case PK_LONG4:
		if ((rc = long_bytes(m, op, &v)))
			return rc;
		return push(m, v, 0, 0);
	case PK_FLOAT:
		if ((rc = text_float(m, op, &v)))
			return rc;
		return push(m, v, 0, 0);
	case PK_BINFLOAT:
		return push(m, pk_new_float(&m->vm, op->f), 0, 0);

	case PK_STRING:
	case PK_UNICODE:
		return push_text(m, op);
	case PK_BINSTRING:
	case PK_SHORT_BINSTRING:
		return push_py2_str(m, op->s, op->n, op->s_offset);
	case PK_BINUNICODE:
	case PK_SHORT_BINUNICODE:
	case PK_BINUNICODE8:
		return push_str(m, op->s, op->n);
	case PK_BINBYTES:
	case PK_SHORT_BINBYTES:
	case PK_BINBYTES8:
	case PK_BYTEARRAY8:
		return push_bytes(m, op);

	case PK_EMPTY_LIST:
		return push(m, pk_new(&m->vm, MC_VALUE_LIST), 0, 0);
	case PK_EMPTY_TUPLE:
		return push(m, pk_new(&m->vm, MC_VALUE_TUPLE), 0, 0);
	case PK_EMPTY_DICT:
		return push(m, pk_new(&m->vm, MC_VALUE_DICT), 0, 0);
	case PK_EMPTY_SET:
		return push(m, pk_new(&m->vm, MC_VALUE_SET), 0, 0);
	case PK_LIST:
	case PK_TUPLE:
	case PK_DICT:
	case PK_FROZENSET:
		if ((rc = pop_mark(m, &start)))
			return rc;
		return build_from(m, start,
		                  op->code == PK_LIST    ? MC_VALUE_LIST
		                  : op->code == PK_TUPLE ? MC_VALUE_TUPLE
		                  : op->code == PK_DICT  ? MC_VALUE_DICT
		                                         : MC_VALUE_SET,
		                  op->code == PK_FROZENSET);
	case PK_TUPLE1:
	case PK_TUPLE2:
	case PK_TUPLE3: {
		size_t k = (size_t)(op->code - PK_TUPLE1 + 1);
		if ((rc = need(m, k)))
			return rc;
		return build_from(m, m->sp - k, MC_VALUE_TUPLE, false);
	}
	case PK_APPEND:
		if ((rc = need(m, 2)))
			return rc;
		s = &m->stack[m->sp - 2];
		if (s[0].v->kind != MC_VALUE_LIST)
			return pk_fail(&m->vm, MC_ECORRUPT, "APPEND on %s: only a list takes APPEND",
			               pk_what(&m->vm, s[0].v));
		if ((rc = deepen(m, &s[0], s[1].depth)) || (rc = seq_push(&m->vm, s[0].v, s[1].v)))
			return rc;
		m->sp--;
		return 0;
	case PK_SETITEM:
		if ((rc = need(m, 3)))
			return rc;
		s = &m->stack[m->sp - 3];
		if (s[0].v->kind != MC_VALUE_DICT)
			return pk_fail(&m->vm, MC_ECORRUPT, "SETITEM on %s: only a dict takes items",
			               pk_what(&m->vm, s[0].v));
		if ((rc = deepen(m, &s[0], s[1].depth > s[2].depth ? s[1].depth : s[2].depth)) ||
		    (rc = pk_dict_set(&m->vm, s[0].v, s[1].v, s[2].v)))
			return rc;
		m->sp -= 2;
		return 0;
	case PK_APPENDS:
	case PK_SETITEMS:
	case PK_ADDITEMS:
		return add_items(m);

	case PK_GET:
		if ((rc = text_index(m, op, &idx)))
			return rc;
		return memo_get(m, idx);
	case PK_BINGET:
	case PK_LONG_BINGET:
		return memo_get(m, op->u);
	case PK_PUT:
		if ((rc = text_index(m, op, &idx)))
			return rc;
		return memo_put(m, idx);
	case PK_BINPUT:
	case PK_LONG_BINPUT:
		return memo_put(m, op->u);
	case PK_MEMOIZE:
		return memo_put(m, m->memo_count);

	case PK_GLOBAL:
		if ((rc = resolve(m, op->s, op->n, op->s2, op->n2, &v)))
			return rc;
		return push(m, v, 0, 0);
	case PK_STACK_GLOBAL:
		return op_stack_global(m);
	case PK_REDUCE:
	case PK_NEWOBJ:
	case PK_NEWOBJ_EX:
		return op_call(m);
	case PK_INST:
	case PK_OBJ:
		return op_instantiate(m, op);
	case PK_BUILD:
		return op_build(m);

	case PK_PERSID:
		for (size_t i = 0; i < op->n; i++)
			if (op->s[i] >= 0x80)
				return pk_fail(&m->vm, MC_ECORRUPT, "PERSID argument is not ASCII");
		if (!(v = pk_new_str(&m->vm, MC_VALUE_STR, op->s, op->n)))
			return arena_error();
		return persistent(m, v, 0);
	case PK_BINPERSID:
		if ((rc = need(m, 1)))
			return rc;
		s = top(m);
		v = s->v;
		m->sp--;
		return persistent(m, v, s->depth);

	case PK_EXT1:
	case PK_EXT2:
	case PK_EXT4:
		return pk_fail(&m->vm, MC_EUNSAFE,
		               "%s extension code %lld is not allowed: it names a callable from "
		               "copyreg's extension registry", op->name, (long long)op->i);
	case PK_PROTO:
		if (op->u > PK_MAX_PROTO)
			return pk_fail(&m->vm, MC_EUNSUPPORTED,
			               "pickle protocol %u is not supported (at most %d)", (unsigned)op->u,
			               PK_MAX_PROTO);
		m->vm.proto = (int)op->u;
		return 0;
	case PK_FRAME:
		/* the length was checked against the bytes left */
		if (m->framed)
			return pk_fail(&m->vm, MC_ECORRUPT,
			               "FRAME starts before the end of the previous frame");
		if (op->u) {
			m->framed = true;
			m->frame_end = m->cur.pos + (size_t)op->u;
		}
		return 0;
	case PK_NEXT_BUFFER:
	case PK_READONLY_BUFFER:
		return pk_fail(&m->vm, MC_EUNSUPPORTED,
		               "%s: out-of-band buffers are not supported (their data is not in the "
		               "file)", op->name);
	}
	return pk_fail(&m->vm, MC_ECORRUPT, "unknown opcode 0x%02x", op->code);
}

static void machine_release(machine *m)
{
	free(m->stack);
	free(m->marks);
	pk_map_release(&m->memo);
	pk_map_release(&m->origins);
	pk_map_release(&m->hashes);
	pk_map_release(&m->keys);
}

int mc_pickle_load(mc_value **out, size_t *end, const uint8_t *data, size_t len,
                   const mc_pickle_env *env)
{
	machine *m;
	bool stop = false;
	uint64_t budget;
	int rc = 0;

	*out = NULL;
	if (end)
		*end = 0;
	if (!env || !env->arena || (!data && len))
		return mc_fail(MC_EINVAL, env ? env->path : NULL, env ? env->entry : NULL, -1,
		               "mc_pickle_load needs an arena and data");
	if (!(m = calloc(1, sizeof(*m))))
		return mc_nomem();
	m->vm.env = env;
	m->vm.a = env->arena;
	m->vm.data = data;
	m->vm.len = len;
	mc_cur_init(&m->cur, data, len, env->origin, env->path, env->entry);
	if (!mc_mul_u64(&budget, len, MC_PICKLE_WORK_PER_BYTE) ||
	    !mc_add_u64(&budget, budget, MC_PICKLE_WORK_FLOOR))
		budget = UINT64_MAX;
	m->work_left = budget;
	/* allocated up front: stack + start must never be arithmetic on NULL */
	if (!(m->stack = malloc(256 * sizeof(*m->stack)))) {
		rc = mc_nomem();
		goto out;
	}
	m->cap = 256;
	if (!(m->vm.none = pk_new(&m->vm, MC_VALUE_NONE)) ||
	    !(m->vm.yes = mc_value_new_bool(env->arena, true)) ||
	    !(m->vm.no = mc_value_new_bool(env->arena, false))) {
		rc = arena_error();
		goto out;
	}
	while (!stop) {
		pk_op op;
		/* an opcode that starts at the end of a frame is outside it */
		if (m->framed && m->cur.pos >= m->frame_end)
			m->framed = false;
		if ((rc = pk_read_op(&m->cur, &op)))
			goto out;
		m->vm.op = op.code;
		m->vm.op_off = op.offset;
		if (m->framed && m->cur.pos > m->frame_end) {
			rc = pk_fail(&m->vm, MC_ECORRUPT, "%s crosses the end of its FRAME", op.name);
			goto out;
		}
		if ((rc = step(m, &op, &stop)))
			goto out;
	}
	*out = m->stack[0].v;
	if (end)
		*end = m->cur.pos;
out:
	machine_release(m);
	free(m);
	return rc;
}
