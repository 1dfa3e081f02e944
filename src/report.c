#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int report_format_parse(const char *name, enum report_format *f)
{
	static const struct { const char *name; enum report_format f; } v[] = {
		{ "tap", REPORT_TAP }, { "junit", REPORT_JUNIT }, { "json", REPORT_JSON },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!strcmp(name, v[i].name)) {
			*f = v[i].f;
			return 0;
		}
	return -1;
}

/* ---- UTF-8 --------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at S (N bytes left), its code
 * point in *CP; 0 when the byte at S does not start one (overlong forms,
 * surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len;
	unsigned c = s[0], min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* ---- JSON ---------------------------------------------------------- */

/* The N bytes at S as a JSON string (also a YAML double-quoted scalar);
 * NULL as null. */
static void json_strn(struct buf *b, const char *s, size_t n)
{
	if (!s) {
		buf_addstr(b, "null");
		return;
	}
	const unsigned char *p = (const unsigned char *)s;
	buf_addch(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = utf8_next(p + i, n - i, &cp);
		if (!len) {
			buf_addstr(b, "\\ufffd");
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			buf_printf(b, "\\%c", (char)cp);
		else if (cp == '\n')
			buf_addstr(b, "\\n");
		else if (cp == '\t')
			buf_addstr(b, "\\t");
		else if (cp == '\r')
			buf_addstr(b, "\\r");
		else if (cp < 0x20 || cp == 0x7f)
			buf_printf(b, "\\u%04x", cp);
		else
			buf_add(b, p + i, len);
		i += len;
	}
	buf_addch(b, '"');
}

static void json_str(struct buf *b, const char *s)
{
	json_strn(b, s, s ? strlen(s) : 0);
}

/* The length of a case's OUTPUT or errors given with length N (0: up to
 * its NUL). */
static size_t text_len(const char *s, size_t n)
{
	return n ? n : s ? strlen(s) : 0;
}

/* Seconds X as a JSON number, or null when not seen (negative). */
static void json_secs(struct buf *b, double x)
{
	if (x < 0)
		buf_addstr(b, "null");
	else
		buf_printf(b, "%.3f", x);
}

/* The lines of S as a JSON array of strings. */
static void json_lines(struct buf *b, const char *s)
{
	buf_addch(b, '[');
	for (int first = 1; s && *s; first = 0) {
		size_t n = strcspn(s, "\n");
		char *line = xstrndup(s, n);
		buf_addstr(b, first ? "" : ", ");
		json_str(b, line);
		free(line);
		s += n + (s[n] == '\n');
	}
	buf_addch(b, ']');
}

static int count_failed(const struct report *r)
{
	int failed = 0;
	for (size_t i = 0; i < r->ncases; i++)
		failed += !r->cases[i].passed;
	return failed;
}

static int boot_ok(const struct report *r)
{
	return r->boot.result && !strcmp(r->boot.result, "ok");
}

/* The boot times as a flow mapping: JSON's (keys quoted) or, for TAP's
 * YAML, the same without the quotes. */
static void times_map(struct buf *b, const struct report_boot *o, int quoted)
{
	static const char *const keys[] = { "first_output", "init", "prompt" };
	const double v[] = { o->first_output, o->init, o->prompt };
	const char *q = quoted ? "\"" : "";
	buf_addstr(b, "{");
	for (size_t i = 0; i < 3; i++) {
		buf_printf(b, "%s%s%s%s: ", i ? ", " : "", q, keys[i], q);
		json_secs(b, v[i]);
	}
	buf_printf(b, ", %saccelerator%s: ", q, q);
	json_str(b, o->accel);
	buf_addstr(b, "}");
}

static void write_json(struct buf *b, const struct report *r)
{
	const struct report_boot *o = &r->boot;
	int failed = count_failed(r);
	buf_addstr(b, "{\n  \"name\": ");
	json_str(b, r->name);
	buf_addstr(b, ",\n  \"boot\": {\n    \"result\": ");
	json_str(b, o->result ? o->result : "error");
	buf_addstr(b, ",\n    \"diagnosis\": ");
	json_str(b, o->diagnosis && *o->diagnosis ? o->diagnosis : NULL);
	buf_addstr(b, ",\n    \"evidence\": ");
	json_lines(b, o->evidence);
	buf_addstr(b, ",\n    \"times\": ");
	times_map(b, o, 1);
	buf_addstr(b, "\n  },\n  \"tests\": [");
	for (size_t i = 0; i < r->ncases; i++) {
		const struct report_case *c = &r->cases[i];
		buf_addstr(b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		json_str(b, c->name);
		buf_printf(b, ", \"status\": \"%s\", \"exit_status\": ", c->passed ? "pass" : "fail");
		if (c->status < 0)
			buf_addstr(b, "null");
		else
			buf_printf(b, "%d", c->status);
		buf_addstr(b, ", \"duration\": ");
		json_secs(b, c->seconds);
		buf_addstr(b, ", \"message\": ");
		json_str(b, c->message);
		buf_addstr(b, ", \"output\": ");
		json_strn(b, c->output ? c->output : "", text_len(c->output, c->output_len));
		if (c->errors) {
			buf_addstr(b, ", \"stderr\": ");
			json_strn(b, c->errors, text_len(c->errors, c->errors_len));
		}
		buf_addch(b, '}');
	}
	buf_printf(b, "%s],\n  \"passed\": %d,\n  \"failed\": %d,\n  \"exit_status\": %d\n}\n",
		   r->ncases ? "\n  " : "", (int)r->ncases - failed, failed, r->exit_status);
}

/* ---- TAP ----------------------------------------------------------- */

/* S as a TAP test description: on one line, '#' and '\' escaped (a '#'
 * would start a directive), valid UTF-8. */
static void tap_desc(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = utf8_next(p + i, n - i, &cp);
		if (!len) {
			buf_addstr(b, REPLACEMENT);
			i++;
			continue;
		}
		if (cp == '#' || cp == '\\')
			buf_printf(b, "\\%c", (char)cp);
		else if (cp < 0x20 || cp == 0x7f)
			buf_addch(b, ' ');
		else
			buf_add(b, p + i, len);
		i += len;
	}
}

/* A YAML key of a TAP diagnostic block with a JSON string value of N
 * bytes. */
static void tap_fieldn(struct buf *b, const char *key, const char *value, size_t n)
{
	buf_printf(b, "  %s: ", key);
	json_strn(b, value, n);
	buf_addch(b, '\n');
}

static void tap_field(struct buf *b, const char *key, const char *value)
{
	tap_fieldn(b, key, value, strlen(value));
}

static void write_tap(struct buf *b, const struct report *r)
{
	const struct report_boot *o = &r->boot;
	buf_printf(b, "TAP version 13\n1..%zu\n", r->ncases + 1);
	buf_printf(b, "%s 1 - boot\n  ---\n", boot_ok(r) ? "ok" : "not ok");
	tap_field(b, "result", o->result ? o->result : "error");
	if (o->diagnosis && *o->diagnosis)
		tap_field(b, "message", o->diagnosis);
	if (o->evidence && *o->evidence)
		tap_field(b, "evidence", o->evidence);
	buf_addstr(b, "  times: ");
	times_map(b, o, 0);
	buf_addstr(b, "\n  ...\n");
	for (size_t i = 0; i < r->ncases; i++) {
		const struct report_case *c = &r->cases[i];
		buf_printf(b, "%s %zu - ", c->passed ? "ok" : "not ok", i + 2);
		tap_desc(b, c->name);
		buf_printf(b, "\n  ---\n  duration_ms: %.0f\n", c->seconds * 1000);
		if (c->status >= 0)
			buf_printf(b, "  exit_status: %d\n", c->status);
		if (c->message)
			tap_field(b, "message", c->message);
		if (text_len(c->output, c->output_len))
			tap_fieldn(b, "output", c->output, text_len(c->output, c->output_len));
		if (text_len(c->errors, c->errors_len))
			tap_fieldn(b, "stderr", c->errors, text_len(c->errors, c->errors_len));
		buf_addstr(b, "  ...\n");
	}
}

/* ---- JUnit XML ----------------------------------------------------- */

/* S as XML character data or attribute value (the five special
 * characters as entities; what XML 1.0 cannot hold as U+FFFD). In an
 * attribute (ATTR), newlines and tabs are kept as character references. */
static void xml_strn(struct buf *b, const char *s, size_t n, int attr)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = utf8_next(p + i, n - i, &cp);
		i += len ? len : 1;
		if (!len || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    cp == 0xfffe || cp == 0xffff) {
			buf_addstr(b, REPLACEMENT);
			continue;
		}
		switch (cp) {
		case '&': buf_addstr(b, "&amp;"); break;
		case '<': buf_addstr(b, "&lt;"); break;
		case '>': buf_addstr(b, "&gt;"); break;
		case '"': buf_addstr(b, "&quot;"); break;
		case '\'': buf_addstr(b, "&apos;"); break;
		case '\r': buf_addstr(b, "&#13;"); break;
		case '\n': buf_addstr(b, attr ? "&#10;" : "\n"); break;
		case '\t': buf_addstr(b, attr ? "&#9;" : "\t"); break;
		default: buf_add(b, p + i - len, len);
		}
	}
}

static void xml_str(struct buf *b, const char *s, int attr)
{
	xml_strn(b, s, s ? strlen(s) : 0, attr);
}

static void xml_attr(struct buf *b, const char *key, const char *value)
{
	buf_printf(b, " %s=\"", key);
	xml_str(b, value, 1);
	buf_addch(b, '"');
}

static void xml_property(struct buf *b, const char *key, double x)
{
	char v[32] = "not seen";
	if (x >= 0)
		snprintf(v, sizeof(v), "%.3f", x);
	buf_addstr(b, "      <property");
	xml_attr(b, "name", key);
	xml_attr(b, "value", v);
	buf_addstr(b, "/>\n");
}

/* A <testcase> of CLASS; MESSAGE and TYPE make it a failure (TYPE NULL:
 * it passed); TEXT (TEXT_LEN bytes) goes into <system-out>, ERRORS
 * (ERRORS_LEN) into <system-err>. */
static void xml_case(struct buf *b, const char *cls, const char *name, double secs,
		     const char *type, const char *message, const char *text, size_t text_len,
		     const char *errors, size_t errors_len)
{
	buf_addstr(b, "    <testcase");
	xml_attr(b, "classname", cls);
	xml_attr(b, "name", name);
	buf_printf(b, " time=\"%.3f\">\n", secs < 0 ? 0 : secs);
	if (type) {
		buf_addstr(b, "      <failure");
		xml_attr(b, "type", type);
		xml_attr(b, "message", message ? message : type);
		buf_addstr(b, "/>\n");
	}
	if (text && text_len) {
		buf_addstr(b, "      <system-out>");
		xml_strn(b, text, text_len, 0);
		buf_addstr(b, "</system-out>\n");
	}
	if (errors && errors_len) {
		buf_addstr(b, "      <system-err>");
		xml_strn(b, errors, errors_len, 0);
		buf_addstr(b, "</system-err>\n");
	}
	buf_addstr(b, "    </testcase>\n");
}

static void write_junit(struct buf *b, const struct report *r)
{
	const struct report_boot *o = &r->boot;
	int failed = count_failed(r) + !boot_ok(r);
	double total = o->prompt > 0 ? o->prompt : 0;
	for (size_t i = 0; i < r->ncases; i++)
		total += r->cases[i].seconds > 0 ? r->cases[i].seconds : 0;

	buf_addstr(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
	xml_attr(b, "name", r->name);
	buf_printf(b, " tests=\"%zu\" failures=\"%d\" errors=\"0\" time=\"%.3f\">\n",
		   r->ncases + 1, failed, total);
	buf_addstr(b, "  <testsuite");
	xml_attr(b, "name", r->name);
	buf_printf(b, " tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"0\" time=\"%.3f\">\n",
		   r->ncases + 1, failed, total);
	buf_addstr(b, "    <properties>\n");
	buf_addstr(b, "      <property name=\"accelerator\"");
	xml_attr(b, "value", o->accel ? o->accel : "?");
	buf_addstr(b, "/>\n");
	xml_property(b, "first_output", o->first_output);
	xml_property(b, "init", o->init);
	xml_property(b, "prompt", o->prompt);
	buf_addstr(b, "    </properties>\n");
	xml_case(b, "mkdistro.boot", "boot", o->prompt, boot_ok(r) ? NULL : o->result,
		 o->diagnosis, o->evidence, text_len(o->evidence, 0), NULL, 0);
	for (size_t i = 0; i < r->ncases; i++) {
		const struct report_case *c = &r->cases[i];
		xml_case(b, "mkdistro.test", c->name, c->seconds, c->passed ? NULL : "fail",
			 c->message, c->output, text_len(c->output, c->output_len), c->errors,
			 text_len(c->errors, c->errors_len));
	}
	buf_addstr(b, "  </testsuite>\n</testsuites>\n");
}

char *report_text(enum report_format f, const struct report *r)
{
	struct buf b = {0};
	switch (f) {
	case REPORT_TAP: write_tap(&b, r); break;
	case REPORT_JUNIT: write_junit(&b, r); break;
	case REPORT_JSON: write_json(&b, r); break;
	case REPORT_HUMAN: break;
	}
	if (!b.s)
		buf_addstr(&b, "");
	return buf_steal(&b);
}
