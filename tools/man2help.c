/* SPDX-License-Identifier: MIT */
/*
 * man2help: render modelctl's man pages (man/NAME.1) to plain text and emit a C
 * file with one string per page, so `modelctl help CMD` and `CMD --help`
 * print exactly what the man page says.  It understands the small roff
 * subset the pages use: .TH .SH .SS .PP .LP .P .TP .IP .RS .RE .nf .fi .EX
 * .EE .B .I .BR .RB .IR .RI .BI .IB, font escapes and a few named glyphs.
 *
 * usage: man2help OUT.c PAGE.1...
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 80
#define BODY 4   /* body indent under a section heading */
#define TAGGED 8 /* extra indent of a .TP body */

typedef struct buf {
	char *p;
	size_t n, cap;
} buf;

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "man2help: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

static void put(buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("out of memory", NULL);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* Replace roff escapes in `in` with plain text. */
static void unescape(buf *out, const char *in)
{
	for (const char *s = in; *s; s++) {
		if (*s != '\\') {
			put(out, s, 1);
			continue;
		}
		s++;
		switch (*s) {
		case '\0': return;
		case 'f':
			if (s[1] == '(')
				s += 3; /* \f(CW */
			else if (s[1])
				s += 1; /* \fB \fI \fR \fP */
			break;
		case '-': puts_(out, "-"); break;
		case 'e': puts_(out, "\\"); break;
		case '&': break;
		case 'c': break;
		case ' ': puts_(out, " "); break;
		case '(':
			if (s[1] && s[2]) {
				if (!strncmp(s + 1, "em", 2)) puts_(out, "--");
				else if (!strncmp(s + 1, "en", 2)) puts_(out, "-");
				else if (!strncmp(s + 1, "bu", 2)) puts_(out, "*");
				else if (!strncmp(s + 1, "aq", 2)) puts_(out, "'");
				else if (!strncmp(s + 1, "dq", 2)) puts_(out, "\"");
				else if (!strncmp(s + 1, "mu", 2)) puts_(out, "x");
				else if (!strncmp(s + 1, "<=", 2)) puts_(out, "<=");
				else if (!strncmp(s + 1, ">=", 2)) puts_(out, ">=");
				else if (!strncmp(s + 1, "->", 2)) puts_(out, "->");
				s += 2;
			}
			break;
		default: put(out, s, 1); break;
		}
	}
}

/* Split macro arguments, honouring double quotes. */
static int split_args(char *line, char **argv, int max)
{
	int argc = 0;
	char *s = line;
	while (*s && argc < max) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (*s == '"') {
			argv[argc++] = ++s;
			while (*s && *s != '"')
				s++;
		} else {
			argv[argc++] = s;
			while (*s && *s != ' ' && *s != '\t')
				s++;
		}
		if (*s)
			*s++ = '\0';
	}
	return argc;
}

typedef struct render {
	buf out;
	buf para;     /* words of the paragraph being filled */
	int indent;   /* current left margin */
	int rs;       /* extra indent from .RS */
	int nofill;
	int tag_next; /* the next text line is a .TP tag */
	int in_tag;   /* body of a .TP item follows */
	int blank;    /* last emitted line was blank */
} render;

static void emit_line(render *r, int indent, const char *text)
{
	for (int i = 0; i < indent; i++)
		puts_(&r->out, " ");
	puts_(&r->out, text);
	puts_(&r->out, "\n");
	r->blank = 0;
}

static void blank_line(render *r)
{
	if (!r->blank && r->out.n) {
		puts_(&r->out, "\n");
		r->blank = 1;
	}
}

/* Fill the pending paragraph to the page width. */
static void flush(render *r)
{
	int margin = r->indent + r->rs;
	buf line = {0};
	char *words, *w;

	if (!r->para.n)
		return;
	words = r->para.p;
	while ((w = strtok_r(words, " \t", &words)) != NULL) {
		if (line.n && (int)(margin + line.n + 1 + strlen(w)) > WIDTH) {
			emit_line(r, margin, line.p);
			line.n = 0;
		}
		if (line.n)
			puts_(&line, " ");
		puts_(&line, w);
	}
	if (line.n)
		emit_line(r, margin, line.p);
	free(line.p);
	r->para.n = 0;
	r->para.p[0] = '\0';
}

static void add_text(render *r, const char *text)
{
	buf plain = {0};
	unescape(&plain, text);
	if (!plain.p)
		puts_(&plain, "");
	if (r->tag_next) {
		flush(r);
		emit_line(r, BODY + r->rs, plain.p);
		r->tag_next = 0;
		r->in_tag = 1;
		r->indent = BODY + TAGGED;
	} else if (r->nofill) {
		emit_line(r, r->indent + r->rs, plain.p);
	} else {
		if (r->para.n)
			puts_(&r->para, " ");
		puts_(&r->para, plain.p);
	}
	free(plain.p);
}

static void paragraph(render *r)
{
	flush(r);
	blank_line(r);
	r->in_tag = 0;
	r->indent = BODY;
}

static void macro(render *r, char *line)
{
	char *argv[16];
	char name[8] = "";
	int argc, i;
	size_t n = strcspn(line + 1, " \t");

	if (n >= sizeof(name))
		die("unknown macro", line);
	memcpy(name, line + 1, n);
	argc = split_args(line + 1 + n, argv, 16);

	if (!strcmp(name, "\\\"") || !strncmp(line, ".\\\"", 3) || !strcmp(name, "TH") ||
	    !strcmp(name, "ad") || !strcmp(name, "na") || !strcmp(name, "hy") || !strcmp(name, "nh"))
		return;
	if (!strcmp(name, "SH") || !strcmp(name, "SS")) {
		buf title = {0};
		flush(r);
		blank_line(r);
		for (i = 0; i < argc; i++) {
			if (i)
				puts_(&title, " ");
			puts_(&title, argv[i]);
		}
		if (title.p) {
			buf plain = {0};
			unescape(&plain, title.p);
			emit_line(r, name[1] == 'S' ? 2 : 0, plain.p ? plain.p : "");
			free(plain.p);
			r->blank = 1; /* no blank line between a heading and its body */
		}
		free(title.p);
		r->indent = BODY;
		r->rs = 0;
		r->in_tag = 0;
		return;
	}
	if (!strcmp(name, "PP") || !strcmp(name, "LP") || !strcmp(name, "P")) {
		paragraph(r);
		return;
	}
	if (!strcmp(name, "TP")) {
		flush(r);
		blank_line(r);
		r->tag_next = 1;
		return;
	}
	if (!strcmp(name, "IP")) {
		flush(r);
		blank_line(r);
		if (argc > 0 && argv[0][0]) {
			r->tag_next = 1;
			add_text(r, argv[0]);
		} else {
			r->indent = BODY + TAGGED;
		}
		return;
	}
	if (!strcmp(name, "RS")) {
		flush(r);
		r->rs += 4;
		return;
	}
	if (!strcmp(name, "RE")) {
		flush(r);
		if (r->rs >= 4)
			r->rs -= 4;
		return;
	}
	if (!strcmp(name, "nf") || !strcmp(name, "EX")) {
		flush(r);
		r->nofill = 1;
		return;
	}
	if (!strcmp(name, "fi") || !strcmp(name, "EE")) {
		r->nofill = 0;
		return;
	}
	if (!strcmp(name, "br")) {
		flush(r);
		return;
	}
	if (!strcmp(name, "sp")) {
		flush(r);
		blank_line(r);
		return;
	}
	if (!strcmp(name, "B") || !strcmp(name, "I")) {
		buf text = {0};
		for (i = 0; i < argc; i++) {
			if (i)
				puts_(&text, " ");
			puts_(&text, argv[i]);
		}
		add_text(r, text.p ? text.p : "");
		free(text.p);
		return;
	}
	if (strlen(name) == 2 && strchr("BIR", name[0]) && strchr("BIR", name[1])) {
		/* alternating fonts: the arguments join without spaces */
		buf text = {0};
		for (i = 0; i < argc; i++)
			puts_(&text, argv[i]);
		add_text(r, text.p ? text.p : "");
		free(text.p);
		return;
	}
	die("unknown macro", line);
}

static char *render_page(const char *path)
{
	FILE *f = fopen(path, "r");
	render r = {0};
	char line[4096];

	if (!f)
		die("cannot open", path);
	puts_(&r.para, "");
	r.indent = BODY;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '.' || line[0] == '\'')
			macro(&r, line);
		else if (!line[0] && !r.nofill)
			paragraph(&r);
		else
			add_text(&r, line);
	}
	flush(&r);
	fclose(f);
	free(r.para.p);
	if (!r.out.p)
		die("empty page", path);
	return r.out.p;
}

static void emit_c_string(FILE *out, const char *s)
{
	fputs("\t\"", out);
	for (; *s; s++) {
		if (*s == '\n') {
			fputs("\\n\"\n\t\"", out);
		} else if (*s == '"' || *s == '\\') {
			fputc('\\', out);
			fputc(*s, out);
		} else if ((unsigned char)*s < 0x20) {
			fprintf(out, "\\%03o", (unsigned char)*s);
		} else {
			fputc(*s, out);
		}
	}
	fputs("\"", out);
}

int main(int argc, char **argv)
{
	FILE *out;

	if (argc < 2)
		die("usage: man2help OUT.c PAGE.1...", NULL);
	out = fopen(argv[1], "w");
	if (!out)
		die("cannot write", argv[1]);
	fputs("/* Generated by tools/man2help.c from the man pages: do not edit. */\n"
	      "#include <stddef.h>\n#include \"help.h\"\n\n"
	      "const mc_help_page mc_help_pages[] = {\n", out);
	for (int i = 2; i < argc; i++) {
		const char *base = strrchr(argv[i], '/');
		char name[256];
		size_t n;
		char *text;

		base = base ? base + 1 : argv[i];
		if (strncmp(base, "modelctl", 8) != 0)
			continue;
		base += 8;
		if (*base == '-')
			base++;
		n = strcspn(base, ".");
		if (n >= sizeof(name))
			die("page name too long", argv[i]);
		memcpy(name, base, n);
		name[n] = '\0';
		text = render_page(argv[i]);
		fprintf(out, "\t{\"%s\",\n", name);
		emit_c_string(out, text);
		fputs("},\n", out);
		free(text);
	}
	fputs("};\nconst size_t mc_help_count = sizeof(mc_help_pages) / sizeof(mc_help_pages[0]);\n",
	      out);
	if (fclose(out) != 0)
		die("cannot write", argv[1]);
	return 0;
}
