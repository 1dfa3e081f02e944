#include "kdeps.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define NONE SIZE_MAX

/* Kconfig files are ASCII, read in the C locale mkdistro runs in. */
static int is_blank(char c)
{
	return c != '\n' && isspace((unsigned char)c);
}

static int is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int is_n(const char *v)
{
	return kconfig_same(v, "n");
}

/* ---- an index of the Kconfig definitions that matter ---- */

struct kdef {
	char *name;
	char *file;     /* relative to the tree */
	int line;
	char **deps;    /* enclosing if/menu/choice conditions, then its own depends on */
	size_t ndeps;
	int prompt;
	int choice;     /* inside choice ... endchoice */
	char *range;
};

struct ksel {
	char *target;
	char *by;
};

struct kindex {
	const struct kconfig_set *want;  /* the only names worth recording */
	const char *karch;               /* arch/ subdirectory to read, NULL for all */
	struct kdef *defs;
	size_t ndefs;
	struct ksel *sels;
	size_t nsels;
	int failed;
};

enum { B_NONE, B_ENTRY, B_MENU, B_CHOICE, B_OTHER };

struct frame {
	char **deps;
	size_t ndeps;
	int kind;
};

static void strv_add(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Add a dependency unless it is already there (BusyBox repeats its if
 * conditions as depends on). Takes S. */
static void add_dep(char ***v, size_t *n, char *s)
{
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*v)[i], s)) {
			free(s);
			return;
		}
	}
	strv_add(v, n, s);
}

/* An expression from a Kconfig line: comment dropped, spaces collapsed. */
static char *clean_expr(const char *s)
{
	struct buf b = {0};
	char quote = 0;
	for (; *s; s++) {
		if (!quote && *s == '#')
			break;
		if (quote && *s == quote)
			quote = 0;
		else if (!quote && (*s == '"' || *s == '\''))
			quote = *s;
		if (is_blank(*s)) {
			if (b.len && b.s[b.len - 1] != ' ')
				buf_addch(&b, ' ');
			continue;
		}
		buf_addch(&b, *s);
	}
	if (b.len && b.s[b.len - 1] == ' ')
		b.s[--b.len] = '\0';
	return buf_steal(&b);
}

static int indent_of(const char *s)
{
	int col = 0;
	for (; *s == ' ' || *s == '\t'; s++)
		col = *s == '\t' ? (col / 8 + 1) * 8 : col + 1;
	return col;
}

/* The first word of S into W (bounded); returns the text after it. */
static const char *word(const char *s, char *w, size_t wsize)
{
	while (is_blank(*s))
		s++;
	size_t n = 0;
	while (*s && !is_blank(*s)) {
		if (n + 1 < wsize)
			w[n++] = *s;
		s++;
	}
	w[n] = '\0';
	while (is_blank(*s))
		s++;
	return s;
}

static int is_type(const char *w)
{
	return !strcmp(w, "bool") || !strcmp(w, "boolean") || !strcmp(w, "tristate") ||
	       !strcmp(w, "string") || !strcmp(w, "int") || !strcmp(w, "hex");
}

struct kparse {
	struct kindex *ix;
	const char *rel;
	struct frame *frames;
	size_t nframes;
	int block;
	size_t cur;             /* index of the definition being read, NONE if not recorded */
	char cur_name[128];
	int in_help, help_indent;
};

static void push_frame(struct kparse *k, int kind, char *dep)
{
	k->frames = xreallocarray(k->frames, k->nframes + 1, sizeof(*k->frames));
	struct frame *f = &k->frames[k->nframes++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	if (dep)
		strv_add(&f->deps, &f->ndeps, dep);
}

static void pop_frame(struct kparse *k)
{
	if (!k->nframes)
		return;
	struct frame *f = &k->frames[--k->nframes];
	strv_free(f->deps, f->ndeps);
}

static void start_def(struct kparse *k, const char *name, int line)
{
	struct kindex *ix = k->ix;
	k->block = B_ENTRY;
	k->cur = NONE;
	snprintf(k->cur_name, sizeof(k->cur_name), "%s", name);
	if (!kconfig_get(ix->want, name))
		return;
	ix->defs = xreallocarray(ix->defs, ix->ndefs + 1, sizeof(*ix->defs));
	struct kdef *d = &ix->defs[ix->ndefs];
	memset(d, 0, sizeof(*d));
	d->name = xstrdup(name);
	d->file = xstrdup(k->rel);
	d->line = line;
	for (size_t i = 0; i < k->nframes; i++) {
		for (size_t j = 0; j < k->frames[i].ndeps; j++)
			add_dep(&d->deps, &d->ndeps, xstrdup(k->frames[i].deps[j]));
		d->choice |= k->frames[i].kind == B_CHOICE;
	}
	k->cur = ix->ndefs++;
}

static void scan_line(struct kparse *k, const char *line, int lineno)
{
	struct kindex *ix = k->ix;
	int ind = indent_of(line);
	const char *s = line;
	while (is_blank(*s))
		s++;

	/* As in kconfig's lexer: help text ends at an unindented line or one
	 * indented less than its first line (which BusyBox indents no deeper
	 * than the "help" keyword itself). */
	if (k->in_help) {
		if (*s == '\0')
			return;
		if (ind > 0 && k->help_indent < 0)
			k->help_indent = ind;
		if (ind > 0 && ind >= k->help_indent)
			return;
		k->in_help = 0;
	}
	if (*s == '\0' || *s == '#')
		return;

	char w[32], arg[128];
	const char *rest = word(s, w, sizeof(w));
	struct kdef *d = k->block == B_ENTRY && k->cur != NONE ? &ix->defs[k->cur] : NULL;

	if (!strcmp(w, "config") || !strcmp(w, "menuconfig")) {
		word(rest, arg, sizeof(arg));
		start_def(k, arg, lineno);
	} else if (!strcmp(w, "menu")) {
		push_frame(k, B_MENU, NULL);
		k->block = B_MENU;
	} else if (!strcmp(w, "choice")) {
		push_frame(k, B_CHOICE, NULL);
		k->block = B_CHOICE;
	} else if (!strcmp(w, "if")) {
		push_frame(k, B_NONE, clean_expr(rest));
		k->block = B_NONE;
	} else if (!strcmp(w, "endmenu") || !strcmp(w, "endchoice") || !strcmp(w, "endif")) {
		pop_frame(k);
		k->block = B_NONE;
	} else if (!strcmp(w, "comment") || !strcmp(w, "mainmenu") || !strcmp(w, "source") ||
		   !strcmp(w, "rsource") || !strcmp(w, "osource") || !strcmp(w, "orsource")) {
		k->block = B_OTHER;
	} else if (!strcmp(w, "depends")) {
		rest = word(rest, arg, sizeof(arg));
		if (strcmp(arg, "on"))
			return;
		if (d)
			add_dep(&d->deps, &d->ndeps, clean_expr(rest));
		else if ((k->block == B_MENU || k->block == B_CHOICE) && k->nframes)
			add_dep(&k->frames[k->nframes - 1].deps, &k->frames[k->nframes - 1].ndeps,
				clean_expr(rest));
	} else if (!strcmp(w, "select")) {
		word(rest, arg, sizeof(arg));
		if (k->block == B_ENTRY && kconfig_get(ix->want, arg)) {
			ix->sels = xreallocarray(ix->sels, ix->nsels + 1, sizeof(*ix->sels));
			ix->sels[ix->nsels].target = xstrdup(arg);
			ix->sels[ix->nsels].by = xstrdup(k->cur_name);
			ix->nsels++;
		}
	} else if (d && (!strcmp(w, "prompt") || (is_type(w) && (*rest == '"' || *rest == '\'')))) {
		d->prompt = 1;
	} else if (d && !strcmp(w, "range") && !d->range) {
		d->range = clean_expr(rest);
	} else if (!strcmp(w, "help") || !strcmp(w, "---help---")) {
		k->in_help = 1;
		k->help_indent = -1;
	}
}

static void scan_file(struct kindex *ix, const char *path, const char *rel)
{
	char *text = read_file_quiet(path, NULL);
	if (!text) {
		warn("read '%s':", path);
		ix->failed = 1;
		return;
	}
	struct kparse k = { .ix = ix, .rel = rel, .cur = NONE };
	struct buf logical = {0};
	int lineno = 0, first = 0;
	for (const char *l = text; *l;) {
		const char *end = strchrnul(l, '\n');
		const char *e = end;
		lineno++;
		if (!logical.len)
			first = lineno;
		while (e > l && is_blank(e[-1]))
			e--;
		/* A backslash at the end continues the line. */
		int cont = e > l && e[-1] == '\\';
		buf_add(&logical, l, (size_t)(e - l - cont));
		if (cont)
			buf_addch(&logical, ' ');
		l = *end ? end + 1 : end;
		if (cont && *l)
			continue;
		scan_line(&k, logical.s, first);
		buf_free(&logical);
	}
	while (k.nframes)
		pop_frame(&k);
	free(k.frames);
	buf_free(&logical);
	free(text);
}

static int wanted_file(const char *name)
{
	return !strncmp(name, "Kconfig", 7) || !strcmp(name, "Config.in");
}

static void walk(struct kindex *ix, const char *dir, const char *rel, int depth)
{
	if (depth > 32)
		return;
	DIR *d = opendir(dir);
	if (!d) {
		warn("read '%s':", dir);
		ix->failed = 1;
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		if (name[0] == '.')
			continue;
		int type = de->d_type;
		char *full = path_join(dir, name);
		if (type == DT_UNKNOWN) {
			struct stat st;
			type = lstat(full, &st) < 0 ? DT_UNKNOWN : S_ISDIR(st.st_mode) ? DT_DIR :
			       S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		}
		char *r = *rel ? path_join(rel, name) : xstrdup(name);
		if (type == DT_DIR) {
			/* Other architectures define the same symbols differently,
			 * and kconfig's own test suite defines toy ones. */
			int skip = (!strcmp(rel, "arch") && ix->karch && strcmp(name, ix->karch)) ||
				   !strcmp(r, "scripts/kconfig");
			if (!skip)
				walk(ix, full, r, depth + 1);
		} else if (type == DT_REG && wanted_file(name)) {
			scan_file(ix, full, r);
		}
		free(r);
		free(full);
	}
	closedir(d);
}

/* BusyBox generates most Config.in files into its O= directory, but the
 * top one stays in the source tree, which the Makefile it writes there
 * names ("KERNELSRC    := /path"). Returns that in new memory, or NULL. */
static char *objtree_source(const char *dir)
{
	char *mk = path_join(dir, "Makefile");
	char *text = read_file_quiet(mk, NULL);
	free(mk);
	if (!text)
		return NULL;
	char *src = NULL;
	for (const char *l = text; *l && !src;) {
		const char *end = strchrnul(l, '\n');
		if (!strncmp(l, "KERNELSRC", 9)) {
			const char *p = l + 9 + strspn(l + 9, " \t\r\v\f"), *e = end;
			if (end - p > 2 && !strncmp(p, ":=", 2)) {
				p += 2 + strspn(p + 2, " \t\r\v\f");
				while (e > p && is_blank(e[-1]))
					e--;
				if (e > p)
					src = xstrndup(p, (size_t)(e - p));
			}
		}
		l = *end ? end + 1 : end;
	}
	free(text);
	struct stat st;
	if (src && (stat(src, &st) < 0 || !S_ISDIR(st.st_mode))) {
		free(src);
		src = NULL;
	}
	return src;
}

/* 1 if DIR is one of the ':'-separated LIST. */
static int in_list(const char *list, const char *dir)
{
	size_t n = strlen(dir);
	for (const char *t = list; *t;) {
		const char *colon = strchrnul(t, ':');
		if ((size_t)(colon - t) == n && !strncmp(t, dir, n))
			return 1;
		t = *colon ? colon + 1 : colon;
	}
	return 0;
}

/* The kernel's .config names its source architecture in its header:
 * "# Linux/x86 6.1.176 Kernel Configuration". */
static char *config_karch(const char *text)
{
	for (const char *l = text; *l && *l == '#';) {
		const char *end = strchrnul(l, '\n');
		if (!strncmp(l, "# Linux/", 8)) {
			const char *a = l + 8, *b = a;
			while (b < end && is_name_char(*b))
				b++;
			return b > a ? xstrndup(a, (size_t)(b - a)) : NULL;
		}
		l = *end ? end + 1 : end;
	}
	return NULL;
}

static void kindex_free(struct kindex *ix)
{
	for (size_t i = 0; i < ix->ndefs; i++) {
		struct kdef *d = &ix->defs[i];
		free(d->name);
		free(d->file);
		free(d->range);
		strv_free(d->deps, d->ndeps);
	}
	free(ix->defs);
	for (size_t i = 0; i < ix->nsels; i++) {
		free(ix->sels[i].target);
		free(ix->sels[i].by);
	}
	free(ix->sels);
}

/* ---- explaining a mismatch ---- */

static int cmp_def(const void *a, const void *b)
{
	const struct kdef *const *x = a, *const *y = b;
	int c = strcmp((*x)->file, (*y)->file);
	return c ? c : (*x)->line - (*y)->line;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parenthesise an operand that contains an operator. */
static void add_operand(struct buf *b, const char *e, int several)
{
	if (several && (strstr(e, "||") || strstr(e, "&&")))
		buf_printf(b, "(%s)", e);
	else
		buf_addstr(b, e);
}

static char *def_expr(const struct kdef *d)
{
	struct buf b = {0};
	for (size_t i = 0; i < d->ndeps; i++) {
		if (i)
			buf_addstr(&b, " && ");
		add_operand(&b, d->deps[i], d->ndeps > 1);
	}
	return buf_steal(&b);
}

/* A Kconfig expression, parsed so that the symbols which actually keep a
 * dependency from being met can be named. */
enum { E_SYM, E_CONST, E_UNKNOWN, E_NOT, E_AND, E_OR, E_EQ, E_NE, E_LT, E_LE, E_GT, E_GE };

struct enode {
	int op;
	char *text;              /* E_SYM, E_CONST: name or literal (unquoted) */
	struct enode *l, *r;
};

struct elex {
	const char *s;
	int bad;
};

static struct enode *enode_new(int op, char *text, struct enode *l, struct enode *r)
{
	struct enode *n = xcalloc(1, sizeof(*n));
	n->op = op;
	n->text = text;
	n->l = l;
	n->r = r;
	return n;
}

static void enode_free(struct enode *n)
{
	if (!n)
		return;
	enode_free(n->l);
	enode_free(n->r);
	free(n->text);
	free(n);
}

static void lex_space(struct elex *x)
{
	while (is_blank(*x->s))
		x->s++;
}

static int lex_eat(struct elex *x, const char *tok)
{
	lex_space(x);
	size_t n = strlen(tok);
	if (strncmp(x->s, tok, n))
		return 0;
	/* "!" must not swallow the start of "!=" */
	if (!strcmp(tok, "!") && x->s[1] == '=')
		return 0;
	if ((!strcmp(tok, "<") || !strcmp(tok, ">")) && x->s[1] == '=')
		return 0;
	x->s += n;
	return 1;
}

static struct enode *parse_or(struct elex *x, int depth);

static struct enode *parse_atom(struct elex *x)
{
	lex_space(x);
	const char *s = x->s;
	if (*s == '"' || *s == '\'') {
		const char *q = s + 1;
		while (*q && *q != *s)
			q += (*q == '\\' && q[1]) ? 2 : 1;
		if (!*q) {
			x->bad = 1;
			return enode_new(E_UNKNOWN, NULL, NULL, NULL);
		}
		x->s = q + 1;
		return enode_new(E_CONST, xstrndup(s + 1, (size_t)(q - s - 1)), NULL, NULL);
	}
	if (s[0] == '$' && s[1] == '(') {
		int depth = 0;
		for (; *s; s++) {
			if (*s == '(')
				depth++;
			else if (*s == ')' && --depth == 0) {
				s++;
				break;
			}
		}
		x->s = s;
		return enode_new(E_UNKNOWN, NULL, NULL, NULL);
	}
	const char *e = s;
	while (is_name_char(*e) || *e == '-' || *e == '.')
		e++;
	if (e == s) {
		x->bad = 1;
		return enode_new(E_UNKNOWN, NULL, NULL, NULL);
	}
	x->s = e;
	size_t len = (size_t)(e - s);
	int literal = (*s >= '0' && *s <= '9') || *s == '-' ||
		      (len == 1 && (*s == 'y' || *s == 'm' || *s == 'n'));
	return enode_new(literal ? E_CONST : E_SYM, xstrndup(s, len), NULL, NULL);
}

static struct enode *parse_unary(struct elex *x, int depth)
{
	if (depth > 64) {
		x->bad = 1;
		return enode_new(E_UNKNOWN, NULL, NULL, NULL);
	}
	if (lex_eat(x, "!"))
		return enode_new(E_NOT, NULL, parse_unary(x, depth + 1), NULL);
	if (lex_eat(x, "(")) {
		struct enode *n = parse_or(x, depth + 1);
		if (!lex_eat(x, ")"))
			x->bad = 1;
		return n;
	}
	static const struct { const char *tok; int op; } cmps[] = {
		{ "!=", E_NE }, { "<=", E_LE }, { ">=", E_GE }, { "=", E_EQ }, { "<", E_LT }, { ">", E_GT },
	};
	struct enode *a = parse_atom(x);
	for (size_t i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++)
		if (lex_eat(x, cmps[i].tok))
			return enode_new(cmps[i].op, NULL, a, parse_atom(x));
	return a;
}

static struct enode *parse_and(struct elex *x, int depth)
{
	struct enode *n = parse_unary(x, depth);
	while (!x->bad && lex_eat(x, "&&"))
		n = enode_new(E_AND, NULL, n, parse_unary(x, depth));
	return n;
}

static struct enode *parse_or(struct elex *x, int depth)
{
	struct enode *n = parse_and(x, depth);
	while (!x->bad && lex_eat(x, "||"))
		n = enode_new(E_OR, NULL, n, parse_and(x, depth));
	return n;
}

/* Tristate of a symbol's value: y=2, m=1, anything else 0. */
static int tri(const char *v)
{
	return !v ? 0 : !strcmp(v, "y") ? 2 : !strcmp(v, "m") ? 1 : 0;
}

/* The value an operand of a comparison stands for, as text. */
static char *operand_text(const struct enode *n, const struct kconfig_set *cur)
{
	if (n->op == E_CONST)
		return xstrdup(n->text);
	const char *v = kconfig_get(cur, n->text);
	if (!v)
		return xstrdup("n");
	size_t len = strlen(v);
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"')
		return xstrndup(v + 1, len - 2);
	return xstrdup(v);
}

static int numeric(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (!*s || *end || errno)
		return 0;
	*out = v;
	return 1;
}

/* 0/1/2 for n/m/y, or -1 when it cannot be known (a $(macro)). */
static int eval(const struct enode *n, const struct kconfig_set *cur)
{
	int a, b;
	switch (n->op) {
	case E_SYM:
		return tri(kconfig_get(cur, n->text));
	case E_CONST:
		return tri(n->text);
	case E_UNKNOWN:
		return -1;
	case E_NOT:
		a = eval(n->l, cur);
		return a < 0 ? -1 : 2 - a;
	case E_AND:
	case E_OR:
		a = eval(n->l, cur);
		b = eval(n->r, cur);
		if (a < 0 || b < 0)
			return -1;
		if (n->op == E_AND)
			return a < b ? a : b;
		return a > b ? a : b;
	default:
		break;
	}
	if (n->l->op == E_UNKNOWN || n->r->op == E_UNKNOWN)
		return -1;
	char *x = operand_text(n->l, cur), *y = operand_text(n->r, cur);
	long long nx, ny;
	int c = numeric(x, &nx) && numeric(y, &ny) ? (nx > ny) - (nx < ny) : strcmp(x, y);
	free(x);
	free(y);
	int r = n->op == E_EQ ? c == 0 : n->op == E_NE ? c != 0 : n->op == E_LT ? c < 0 :
		n->op == E_LE ? c <= 0 : n->op == E_GT ? c > 0 : c >= 0;
	return r ? 2 : 0;
}

static void node_symbols(const struct enode *n, char ***v, size_t *nv)
{
	if (!n)
		return;
	if (n->op == E_SYM) {
		for (size_t i = 0; i < *nv; i++)
			if (!strcmp((*v)[i], n->text))
				return;
		strv_add(v, nv, xstrdup(n->text));
	}
	node_symbols(n->l, v, nv);
	node_symbols(n->r, v, nv);
}

/* Symbols of the operands of the top-level && chain that stay below NEED. */
static void culprits(const struct enode *n, const struct kconfig_set *cur, int need, char ***v,
		     size_t *nv, int *nfail)
{
	if (n->op == E_AND) {
		culprits(n->l, cur, need, v, nv, nfail);
		culprits(n->r, cur, need, v, nv, nfail);
		return;
	}
	int val = eval(n, cur);
	if (val < 0 || val < need) {
		node_symbols(n, v, nv);
		(*nfail)++;
	}
}

/* The symbols keeping EXPR below what REQ needs into *SYMS; returns the
 * number of failing operands of its top-level &&, 0 if it is met. */
static int dep_failures(const struct kconfig_set *cur, const char *expr, const char *req,
			char ***syms, size_t *n)
{
	struct elex x = { expr, 0 };
	struct enode *root = parse_or(&x, 0);
	lex_space(&x);
	int nfail = 0;
	if (x.bad || *x.s) {
		node_symbols(root, syms, n); /* cannot tell which: name them all */
		nfail = 1;
	} else {
		culprits(root, cur, !strcmp(req, "y") ? 2 : 1, syms, n, &nfail);
	}
	enode_free(root);
	return nfail;
}

/* " (A is not set, B=m)": those of SYMS that are off or modules, else all
 * of them with their values. */
static void add_states(struct buf *b, const struct kconfig_set *cur, char **syms, size_t n)
{
	size_t shown_n = 0;
	for (int pass = 0; pass < 2 && !shown_n; pass++) {
		for (size_t i = 0; i < n; i++) {
			const char *v = kconfig_get(cur, syms[i]);
			if (pass == 0 && !is_n(v) && strcmp(v, "m"))
				continue;
			buf_addstr(b, shown_n++ ? ", " : " (");
			if (is_n(v))
				buf_printf(b, "%s is not set", syms[i]);
			else
				buf_printf(b, "%s=%s", syms[i], v);
		}
	}
	if (shown_n)
		buf_addch(b, ')');
}

static char *explain(const struct kindex *ix, const struct kconfig_set *cur, const char *name,
		     const char *req, const char *now)
{
	struct buf b = {0};
	const struct kdef **defs = xcalloc(ix->ndefs ? ix->ndefs : 1, sizeof(*defs));
	size_t nd = 0;
	int prompt = 0, choice = 0;
	const char *range = NULL;
	for (size_t i = 0; i < ix->ndefs; i++) {
		if (strcmp(ix->defs[i].name, name))
			continue;
		defs[nd++] = &ix->defs[i];
		prompt |= ix->defs[i].prompt;
		choice |= ix->defs[i].choice;
	}
	qsort(defs, nd, sizeof(*defs), cmp_def);
	for (size_t i = 0; i < nd && !range; i++)
		range = defs[i]->range;

	/* Definitions in several files are alternatives: join them with ||. */
	char **exprs = NULL, **by = NULL, **syms = NULL;
	size_t nexprs = 0, nby = 0, nsyms = 0;
	for (size_t i = 0; i < nd; i++) {
		char *e = def_expr(defs[i]);
		size_t j;
		for (j = 0; j < nexprs && strcmp(exprs[j], e); j++)
			;
		if (*e && j == nexprs)
			strv_add(&exprs, &nexprs, e);
		else
			free(e);
	}
	struct buf deps = {0};
	for (size_t i = 0; i < nexprs; i++) {
		if (i)
			buf_addstr(&deps, " || ");
		add_operand(&deps, exprs[i], nexprs > 1);
	}
	int failing = nexprs ? dep_failures(cur, deps.s, req, &syms, &nsyms) : 0;

	for (size_t i = 0; i < ix->nsels; i++) {
		if (strcmp(ix->sels[i].target, name) || is_n(kconfig_get(cur, ix->sels[i].by)))
			continue;
		size_t j;
		for (j = 0; j < nby && strcmp(by[j], ix->sels[i].by); j++)
			;
		if (j == nby)
			strv_add(&by, &nby, xstrdup(ix->sels[i].by));
	}
	if (nby)
		qsort(by, nby, sizeof(*by), cmp_str);

	if (nd == 0) {
		buf_addstr(&b, "no such option in this version");
	} else if (is_n(req) && nby) {
		buf_addstr(&b, "it is selected by ");
		for (size_t i = 0; i < nby; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", by[i]);
	} else if (!is_n(req) && !is_n(now) && range) {
		buf_printf(&b, "its allowed range is %s", range);
	} else if (!is_n(req) && failing) {
		buf_printf(&b, "it depends on %s", deps.s);
		add_states(&b, cur, syms, nsyms);
	} else if (!prompt) {
		buf_addstr(&b, "it has no prompt, so only a default or a select can set it");
	} else if (choice) {
		buf_addstr(&b, "it is one option of a choice; the choice decides which is set");
	} else {
		buf_printf(&b, "see its definition at %s:%d", defs[0]->file, defs[0]->line);
	}
	buf_free(&deps);
	strv_free(exprs, nexprs);
	strv_free(syms, nsyms);
	strv_free(by, nby);
	free(defs);
	return buf_steal(&b);
}

int kdeps_verify(const char *dotconfig, const struct kconfig_set *frag, const char *srctree,
		 const char *what)
{
	size_t len;
	char *text = read_file(dotconfig, &len);
	if (!text)
		return -1;
	struct kconfig_set cur;
	if (memchr(text, '\0', len) || kconfig_parse(text, dotconfig, &cur) < 0) {
		warn("'%s' is not a valid .config", dotconfig);
		free(text);
		return -1;
	}

	struct kconfig_set bad = {0};
	for (size_t i = 0; i < frag->n; i++) {
		const struct kconfig_sym *s = &frag->syms[i];
		if (!kconfig_same(s->value, kconfig_get(&cur, s->name)))
			kconfig_put(&bad, s->name, s->value, s->line);
	}
	int rc = (int)bad.n;
	if (bad.n) {
		struct kindex ix = { .want = &bad };
		char *karch = config_karch(text);
		ix.karch = karch;
		for (const char *t = srctree; *t;) {
			const char *colon = strchrnul(t, ':');
			char *dir = xstrndup(t, (size_t)(colon - t));
			if (*dir) {
				walk(&ix, dir, "", 0);
				char *src = objtree_source(dir);
				if (src && !in_list(srctree, src))
					walk(&ix, src, "", 0);
				free(src);
			}
			free(dir);
			t = *colon ? colon + 1 : colon;
		}
		if (ix.failed)
			rc = -1;
		for (size_t i = 0; i < bad.n; i++) {
			const struct kconfig_sym *s = &bad.syms[i];
			const char *now = kconfig_get(&cur, s->name);
			const char *verb = is_n(s->value) ? "was overridden" :
					   is_n(now) ? "was dropped" : "was changed";
			char *why = explain(&ix, &cur, s->name, s->value, now);
			warn("%s option CONFIG_%s=%s %s (now: %s): %s", what, s->name, s->value,
			     verb, is_n(now) ? "not set" : now, why);
			free(why);
		}
		kindex_free(&ix);
		free(karch);
	}
	kconfig_free(&bad);
	kconfig_free(&cur);
	free(text);
	return rc;
}
