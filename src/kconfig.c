#include "kconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NONE SIZE_MAX
/* Longest piece of a bad line quoted back in a message. */
#define SHOW_MAX 40

/* ---- the symbol set ---- */

static size_t hash_name(const char *s, size_t n)
{
	size_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static size_t find_n(const struct kconfig_set *s, const char *name, size_t len)
{
	if (!s->nslots)
		return NONE;
	size_t mask = s->nslots - 1;
	for (size_t h = hash_name(name, len) & mask; s->slots[h]; h = (h + 1) & mask) {
		const char *k = s->syms[s->slots[h] - 1].name;
		if (!strncmp(k, name, len) && k[len] == '\0')
			return s->slots[h] - 1;
	}
	return NONE;
}

static size_t find(const struct kconfig_set *s, const char *name)
{
	return find_n(s, name, strlen(name));
}

static void slot_insert(struct kconfig_set *s, size_t i)
{
	size_t mask = s->nslots - 1;
	const char *k = s->syms[i].name;
	size_t h = hash_name(k, strlen(k)) & mask;
	while (s->slots[h])
		h = (h + 1) & mask;
	s->slots[h] = i + 1;
}

static void rehash(struct kconfig_set *s)
{
	size_t n = s->nslots ? s->nslots : 32;
	while (n < 2 * (s->n + 1))
		n *= 2;
	free(s->slots);
	s->slots = xcalloc(n, sizeof(*s->slots));
	s->nslots = n;
	for (size_t i = 0; i < s->n; i++)
		slot_insert(s, i);
}

static void put_n(struct kconfig_set *s, const char *name, size_t nlen, const char *value,
		  size_t vlen, int line)
{
	size_t i = find_n(s, name, nlen);
	if (i != NONE) {
		free(s->syms[i].value);
		s->syms[i].value = xstrndup(value, vlen);
		s->syms[i].line = line;
		return;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->syms = xreallocarray(s->syms, s->cap, sizeof(*s->syms));
	}
	s->syms[s->n].name = xstrndup(name, nlen);
	s->syms[s->n].value = xstrndup(value, vlen);
	s->syms[s->n].line = line;
	s->n++;
	if (2 * s->n > s->nslots)
		rehash(s);
	else
		slot_insert(s, s->n - 1);
}

void kconfig_put(struct kconfig_set *s, const char *name, const char *value, int line)
{
	put_n(s, name, strlen(name), value, strlen(value), line);
}

const char *kconfig_get(const struct kconfig_set *s, const char *name)
{
	size_t i = find(s, name);
	return i == NONE ? NULL : s->syms[i].value;
}

int kconfig_merge(struct kconfig_set *dst, const struct kconfig_set *src)
{
	for (size_t i = 0; i < src->n; i++)
		kconfig_put(dst, src->syms[i].name, src->syms[i].value, src->syms[i].line);
	return 0;
}

void kconfig_free(struct kconfig_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->syms[i].name);
		free(s->syms[i].value);
	}
	free(s->syms);
	free(s->slots);
	free(s->file);
	memset(s, 0, sizeof(*s));
}

/* ---- parsing ---- */

static int is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static const char *skip_blank(const char *s, const char *e)
{
	while (s < e && is_blank(*s))
		s++;
	return s;
}

/* "# CONFIG_NAME is not set" in [s, e): 1 and the name, else 0. */
static int parse_not_set(const char *s, const char *e, const char **name, size_t *len)
{
	static const char tail[] = "is not set";
	s = skip_blank(s, e);
	if (s == e || *s != '#')
		return 0;
	s = skip_blank(s + 1, e);
	if (e - s < 7 || strncmp(s, "CONFIG_", 7))
		return 0;
	const char *n = s + 7, *q = n;
	while (q < e && is_name_char(*q))
		q++;
	if (q == n || q == e || !is_blank(*q))
		return 0;
	q = skip_blank(q, e);
	size_t tl = sizeof(tail) - 1;
	if ((size_t)(e - q) < tl || strncmp(q, tail, tl) || skip_blank(q + tl, e) != e)
		return 0;
	*name = n;
	*len = (size_t)(q - n);
	while (*len > 0 && is_blank(n[*len - 1]))
		(*len)--;
	return 1;
}

/* A .config line that sets a symbol, either form: 1 and the name, else 0. */
static int line_symbol(const char *s, const char *e, const char **name, size_t *len)
{
	s = skip_blank(s, e);
	if (s < e && *s == '#')
		return parse_not_set(s, e, name, len);
	if (e - s < 7 || strncmp(s, "CONFIG_", 7))
		return 0;
	const char *n = s + 7, *q = n;
	while (q < e && is_name_char(*q))
		q++;
	if (q == n)
		return 0;
	if (skip_blank(q, e) == e || *skip_blank(q, e) != '=')
		return 0;
	*name = n;
	*len = (size_t)(q - n);
	return 1;
}

static int all_of(const char *s, const char *e, const char *set)
{
	if (s == e)
		return 0;
	for (; s < e; s++)
		if (!strchr(set, *s) || *s == '\0')
			return 0;
	return 1;
}

/* y, m, n, a decimal number or 0x hex: what Kconfig writes unquoted. */
static int valid_bare(const char *s, const char *e)
{
	if (e - s == 1 && (*s == 'y' || *s == 'm' || *s == 'n'))
		return 1;
	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return all_of(s + 2, e, "0123456789abcdefABCDEF");
	if (*s == '-')
		s++;
	return all_of(s, e, "0123456789");
}

struct perr {
	const char *file;
	int line;
	int errors;
};

static void perr(struct perr *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void perr(struct perr *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	warn("%s:%d: %s", p->file, p->line, msg);
	free(msg);
	p->errors++;
}

/* Quote at most SHOW_MAX bytes of [s, e) so garbage cannot flood the terminal. */
static char *shown(const char *s, const char *e)
{
	size_t n = (size_t)(e - s);
	if (n > SHOW_MAX)
		return xasprintf("%.*s...", SHOW_MAX, s);
	return xstrndup(s, n);
}

int kconfig_parse(const char *text, const char *file, struct kconfig_set *out)
{
	memset(out, 0, sizeof(*out));
	out->file = file ? xstrdup(file) : NULL;
	struct perr p = { file ? file : "-", 0, 0 };

	for (const char *l = text; *l;) {
		const char *end = strchrnul(l, '\n');
		const char *s = skip_blank(l, end), *e = end;
		l = *end ? end + 1 : end;
		p.line++;
		while (e > s && is_blank(e[-1]))
			e--;
		if (s == e)
			continue;

		const char *name, *val;
		size_t nlen, vlen;
		if (*s == '#') {
			if (!parse_not_set(s, e, &name, &nlen))
				continue;
			val = "n";
			vlen = 1;
		} else {
			if (e - s < 7 || strncmp(s, "CONFIG_", 7)) {
				char *t = shown(s, e);
				perr(&p, "expected CONFIG_NAME=value or '# CONFIG_NAME is not set', "
				     "not '%s'", t);
				free(t);
				continue;
			}
			name = s + 7;
			const char *q = name;
			while (q < e && is_name_char(*q))
				q++;
			nlen = (size_t)(q - name);
			if (nlen == 0) {
				perr(&p, "missing name after CONFIG_");
				continue;
			}
			q = skip_blank(q, e);
			if (q == e || *q != '=') {
				perr(&p, "expected '=' after CONFIG_%.*s", (int)nlen, name);
				continue;
			}
			val = skip_blank(q + 1, e);
			vlen = (size_t)(e - val);
			if (vlen == 0) {
				perr(&p, "no value for CONFIG_%.*s (to turn it off write "
				     "'# CONFIG_%.*s is not set')", (int)nlen, name, (int)nlen, name);
				continue;
			}
			if (*val == '"') {
				const char *r = val + 1;
				while (r < e && *r != '"')
					r += (*r == '\\' && r + 1 < e) ? 2 : 1;
				if (r >= e) {
					perr(&p, "unterminated string for CONFIG_%.*s", (int)nlen, name);
					continue;
				}
				if (r + 1 != e) {
					perr(&p, "text after the closing quote of CONFIG_%.*s",
					     (int)nlen, name);
					continue;
				}
			} else if (!valid_bare(val, e)) {
				char *t = shown(val, e);
				perr(&p, "bad value '%s' for CONFIG_%.*s: expected y, m, n, a number, "
				     "0x hex or a \"string\"", t, (int)nlen, name);
				free(t);
				continue;
			}
		}
		size_t old = find_n(out, name, nlen);
		if (old != NONE) {
			const struct kconfig_sym *o = &out->syms[old];
			if (strlen(o->value) != vlen || strncmp(o->value, val, vlen))
				warn("%s:%d: CONFIG_%.*s=%.*s overrides CONFIG_%s=%s from line %d",
				     p.file, p.line, (int)nlen, name, (int)vlen, val,
				     o->name, o->value, o->line);
		}
		put_n(out, name, nlen, val, vlen, p.line);
	}
	if (p.errors) {
		kconfig_free(out);
		return -1;
	}
	return 0;
}

int kconfig_parse_file(const char *path, struct kconfig_set *out)
{
	memset(out, 0, sizeof(*out));
	size_t len;
	char *text = read_file(path, &len);
	if (!text)
		return -1;
	if (memchr(text, '\0', len)) {
		warn("%s: not a text file (contains a NUL byte)", path);
		free(text);
		return -1;
	}
	int rc = kconfig_parse(text, path, out);
	free(text);
	return rc;
}

static int is_n(const char *v)
{
	return !v || !strcmp(v, "n");
}

/* ---- writing ---- */

void kconfig_line(struct buf *b, const char *name, const char *value)
{
	if (is_n(value))
		buf_printf(b, "# CONFIG_%s is not set\n", name);
	else
		buf_printf(b, "CONFIG_%s=%s\n", name, value);
}

static int cmp_sym(const void *a, const void *b)
{
	const struct kconfig_sym *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* The lines of the N symbols V points to, by name (V is sorted in place). */
static void add_sorted(const struct kconfig_sym **v, size_t n, struct buf *out)
{
	qsort(v, n, sizeof(*v), cmp_sym);
	for (size_t i = 0; i < n; i++)
		kconfig_line(out, v[i]->name, v[i]->value);
}

void kconfig_lines(const struct kconfig_set *s, int sorted, struct buf *out)
{
	if (!sorted) {
		for (size_t i = 0; i < s->n; i++)
			kconfig_line(out, s->syms[i].name, s->syms[i].value);
		return;
	}
	const struct kconfig_sym **v = xcalloc(s->n ? s->n : 1, sizeof(*v));
	for (size_t i = 0; i < s->n; i++)
		v[i] = &s->syms[i];
	add_sorted(v, s->n, out);
	free(v);
}

/* ---- apply ---- */

int kconfig_apply(const char *dotconfig, const struct kconfig_set *frag)
{
	char *text = read_file(dotconfig, NULL);
	if (!text)
		return -1;
	struct stat st;
	mode_t mode = stat(dotconfig, &st) == 0 ? st.st_mode & 07777 : 0644;
	char *done = xcalloc(frag->n ? frag->n : 1, 1);
	struct buf out = {0};

	for (const char *l = text; *l;) {
		const char *end = strchrnul(l, '\n');
		const char *name;
		size_t nlen, i;
		if (line_symbol(l, end, &name, &nlen) && (i = find_n(frag, name, nlen)) != NONE) {
			/* Later lines for the same symbol would override ours. */
			if (!done[i])
				kconfig_line(&out, frag->syms[i].name, frag->syms[i].value);
			done[i] = 1;
		} else {
			buf_add(&out, l, (size_t)(end - l));
			buf_addch(&out, '\n');
		}
		l = *end ? end + 1 : end;
	}
	for (size_t i = 0; i < frag->n; i++)
		if (!done[i])
			kconfig_line(&out, frag->syms[i].name, frag->syms[i].value);
	int rc = write_file_atomic(dotconfig, out.s ? out.s : "", out.len, mode);
	buf_free(&out);
	free(done);
	free(text);
	return rc;
}

/* ---- comparing ---- */

int kconfig_same(const char *a, const char *b)
{
	if (is_n(a) || is_n(b))
		return is_n(a) && is_n(b);
	if (!strcmp(a, b))
		return 1;
	/* Kconfig may rewrite a number's spelling (0X10, 010). */
	const char *ea = a + strlen(a), *eb = b + strlen(b);
	int hexa = a[0] == '0' && (a[1] == 'x' || a[1] == 'X');
	int hexb = b[0] == '0' && (b[1] == 'x' || b[1] == 'X');
	if (!valid_bare(a, ea) || !valid_bare(b, eb) || hexa != hexb || a[1] == '\0' ||
	    b[1] == '\0')
		return 0;
	if (hexa)
		return strtoull(a, NULL, 16) == strtoull(b, NULL, 16);
	return strtoll(a, NULL, 10) == strtoll(b, NULL, 10);
}

int kconfig_minimal(const struct kconfig_set *base, const struct kconfig_set *full, struct buf *out)
{
	const struct kconfig_sym **d = xcalloc(full->n ? full->n : 1, sizeof(*d));
	size_t n = 0;
	for (size_t i = 0; i < full->n; i++)
		if (!kconfig_same(kconfig_get(base, full->syms[i].name), full->syms[i].value))
			d[n++] = &full->syms[i];
	add_sorted(d, n, out);
	free(d);
	return (int)n;
}
