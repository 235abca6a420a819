// SPDX-License-Identifier: GPL-2.0
/* The JSON writer (json.h): commas, nesting and string escaping of every JSON we print. */
#include <math.h>
#include <string.h>

#include "escape.h"
#include "json.h"

static const char hexdigits[] = "0123456789abcdef";

/* Deep levels share the last slot; commas stay right, see json_end(). */
static bool *comma_slot(struct json_writer *w)
{
	int d = w->depth;

	if (d < 0)
		d = 0;
	if (d >= JSON_MAX_DEPTH)
		d = JSON_MAX_DEPTH - 1;
	return &w->need_comma[d];
}

/* Called before every value and key. */
static void json_sep(struct json_writer *w)
{
	bool *slot = comma_slot(w);

	if (w->after_key) {
		w->after_key = false;
	} else if (*slot && w->depth > 0) {
		putc_unlocked(',', w->out);
	}
	*slot = true;
}

void json_init(struct json_writer *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static void json_begin(struct json_writer *w, char c)
{
	json_sep(w);
	putc_unlocked(c, w->out);
	w->depth++;
	*comma_slot(w) = false;
}

static void json_end(struct json_writer *w, char c)
{
	putc_unlocked(c, w->out);
	w->after_key = false;
	if (w->depth > 0)
		w->depth--;
	/*
	 * The container just closed is a value of its parent. Setting this again restores the
	 * parent's state when the two levels share a slot beyond JSON_MAX_DEPTH.
	 */
	*comma_slot(w) = true;
}

void json_begin_object(struct json_writer *w)
{
	json_begin(w, '{');
}

void json_end_object(struct json_writer *w)
{
	json_end(w, '}');
}

void json_begin_array(struct json_writer *w)
{
	json_begin(w, '[');
}

void json_end_array(struct json_writer *w)
{
	json_end(w, ']');
}

void json_escape(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t clen;

		if (c >= 0x20 && c < 0x7f) {
			if (c == '"' || c == '\\')
				putc_unlocked('\\', out);
			putc_unlocked(c, out);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			char esc;

			switch (c) {
			case '\n':
				esc = 'n';
				break;
			case '\r':
				esc = 'r';
				break;
			case '\t':
				esc = 't';
				break;
			case '\b':
				esc = 'b';
				break;
			case '\f':
				esc = 'f';
				break;
			default:
				esc = 0;
			}
			if (esc) {
				putc_unlocked('\\', out);
				putc_unlocked(esc, out);
			} else {
				fputs("\\u00", out);
				putc_unlocked(hexdigits[c >> 4], out);
				putc_unlocked(hexdigits[c & 0xf], out);
			}
			i++;
			continue;
		}
		clen = utf8_valid_prefix_len(p + i, n - i);
		if (clen == 0) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		while (clen--)
			putc_unlocked(p[i++], out);
	}
}

static void json_quoted(FILE *out, const char *s, size_t n)
{
	putc_unlocked('"', out);
	json_escape(out, s, n);
	putc_unlocked('"', out);
}

void json_key(struct json_writer *w, const char *key)
{
	json_sep(w);
	json_quoted(w->out, key, strlen(key));
	putc_unlocked(':', w->out);
	w->after_key = true;
}

void json_string(struct json_writer *w, const char *s)
{
	json_string_len(w, s, strlen(s));
}

void json_string_len(struct json_writer *w, const char *s, size_t n)
{
	json_sep(w);
	json_quoted(w->out, s, n);
}

static void put_u64(FILE *out, uint64_t v)
{
	char buf[20];
	int i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i < (int)sizeof(buf))
		putc_unlocked(buf[i++], out);
}

void json_uint(struct json_writer *w, uint64_t v)
{
	json_sep(w);
	put_u64(w->out, v);
}

void json_int(struct json_writer *w, int64_t v)
{
	json_sep(w);
	if (v < 0) {
		putc_unlocked('-', w->out);
		/* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
		put_u64(w->out, -(uint64_t)v);
	} else {
		put_u64(w->out, (uint64_t)v);
	}
}

void json_double(struct json_writer *w, double v)
{
	/* DBL_MAX in %.6f is 309 digits, a point and 6 decimals. */
	char buf[352];
	int len;

	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	json_sep(w);
	len = snprintf(buf, sizeof(buf), "%.6f", v);
	if (len <= 0 || len >= (int)sizeof(buf)) {
		fputs("null", w->out);
		return;
	}
	for (int i = 0; i < len; i++) {
		/* A locale set by the program may use ',' as the decimal point; JSON wants '.'. */
		if (buf[i] != '-' && (buf[i] < '0' || buf[i] > '9'))
			buf[i] = '.';
	}
	if (memchr(buf, '.', len)) {
		while (buf[len - 1] == '0')
			len--;
		if (buf[len - 1] == '.')
			len--;
	}
	buf[len] = '\0';
	/* Values that round to zero keep no sign: "-0" is valid JSON but surprises readers. */
	fputs(strcmp(buf, "-0") == 0 ? "0" : buf, w->out);
}

void json_bool(struct json_writer *w, bool v)
{
	json_sep(w);
	fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	json_sep(w);
	fputs("null", w->out);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_uint(w, v);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_kv_null(struct json_writer *w, const char *key)
{
	json_key(w, key);
	json_null(w);
}
