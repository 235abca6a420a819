// SPDX-License-Identifier: GPL-2.0
/* Text and Prometheus escaping and UTF-8 validity (escape.h): the one copy of each. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "escape.h"

static const char hexdigits[] = "0123456789abcdef";

static bool is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t utf8_valid_prefix_len(const unsigned char *s, size_t n)
{
	unsigned char c;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	/* C0/C1 can only start overlongs; F5..FF would exceed U+10FFFF. */
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		return n >= 2 && is_cont(s[1]) ? 2 : 0;
	if (c < 0xf0) {
		if (n < 3 || !is_cont(s[1]) || !is_cont(s[2]))
			return 0;
		/* E0 80..9F would be overlong, ED A0..BF a UTF-16 surrogate. */
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;
		if (c == 0xed && s[1] > 0x9f)
			return 0;
		return 3;
	}
	if (n < 4 || !is_cont(s[1]) || !is_cont(s[2]) || !is_cont(s[3]))
		return 0;
	/* F0 80..8F would be overlong, F4 90..BF above U+10FFFF. */
	if (c == 0xf0 && s[1] < 0x90)
		return 0;
	if (c == 0xf4 && s[1] > 0x8f)
		return 0;
	return 4;
}

/*
 * Valid UTF-8 that a terminal acts on rather than shows: C1 controls (U+0080-U+009F; U+009B is
 * CSI, as ESC [ is) and the bidirectional controls that reorder what follows them (U+061C,
 * U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), so that a name can spoof the line it is on.
 */
static bool utf8_terminal_control(const unsigned char *p, size_t clen)
{
	if (clen == 2)
		return (p[0] == 0xc2 && p[1] < 0xa0) || (p[0] == 0xd8 && p[1] == 0x9c);
	if (clen == 3 && p[0] == 0xe2 && p[1] == 0x80)
		return p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae);
	if (clen == 3 && p[0] == 0xe2 && p[1] == 0x81)
		return p[2] >= 0xa6 && p[2] <= 0xa9;
	return false;
}

size_t text_escape(char *dst, size_t cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0, i = 0;

	if (cap == 0)
		return 0;
	while (i < n) {
		unsigned char c = p[i];
		size_t clen = utf8_valid_prefix_len(p + i, n - i);
		char esc = 0;

		/* (escaped byte by byte, as ill-formed UTF-8 is) */
		if (utf8_terminal_control(p + i, clen))
			clen = 0;

		if (c == '\\')
			esc = '\\';
		else if (c == '\n')
			esc = 'n';
		else if (c == '\t')
			esc = 't';
		else if (c == '\r')
			esc = 'r';

		if (esc) {
			if (cap - 1 - len < 2)
				break;
			dst[len++] = '\\';
			dst[len++] = esc;
			i++;
		} else if (clen == 0 || c < 0x20 || c == 0x7f) {
			if (cap - 1 - len < 4)
				break;
			dst[len++] = '\\';
			dst[len++] = 'x';
			dst[len++] = hexdigits[c >> 4];
			dst[len++] = hexdigits[c & 0xf];
			i++;
		} else {
			if (cap - 1 - len < clen)
				break;
			memcpy(dst + len, p + i, clen);
			len += clen;
			i += clen;
		}
	}
	dst[len] = '\0';
	return len;
}

bool is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* [first, last] code points: the wide (East Asian Wide and Fullwidth, most emoji) and the
 * zero-width (combining marks, joiners, variation selectors) ranges a terminal draws so. */
static const uint32_t wide_ranges[][2] = {
	{0x1100, 0x115f},   {0x2e80, 0x303e},	{0x3041, 0x33ff},   {0x3400, 0x4dbf},
	{0x4e00, 0x9fff},   {0xa000, 0xa4cf},	{0xac00, 0xd7a3},   {0xf900, 0xfaff},
	{0xfe30, 0xfe4f},   {0xff00, 0xff60},	{0xffe0, 0xffe6},   {0x1f300, 0x1f64f},
	{0x1f900, 0x1f9ff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
};
static const uint32_t zero_width_ranges[][2] = {
	{0x0300, 0x036f}, {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff}, {0x200b, 0x200d},
	{0x20d0, 0x20ff}, {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f},
};

static bool in_ranges(uint32_t cp, const uint32_t (*r)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= r[i][0] && cp <= r[i][1])
			return true;
	return false;
}

unsigned int utf8_char_columns(const unsigned char *s, size_t len)
{
	uint32_t cp;

	if (len == 2)
		cp = (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
	else if (len == 3)
		cp = (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
	else if (len == 4)
		cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
	else
		return 1;
	if (in_ranges(cp, zero_width_ranges, sizeof(zero_width_ranges) / sizeof(*zero_width_ranges)))
		return 0;
	return in_ranges(cp, wide_ranges, sizeof(wide_ranges) / sizeof(*wide_ranges)) ? 2 : 1;
}

/*
 * Bytes of the escape or character that starts s (n bytes on), with its display columns in
 * *cols. Anything text_escape() would not write (a lone backslash, ill-formed UTF-8) is one
 * byte and one column, so that no input makes a cut fall inside a UTF-8 character.
 */
static size_t text_token(const char *s, size_t n, unsigned int *cols)
{
	size_t len;

	if (s[0] == '\\' && n >= 4 && s[1] == 'x' && is_hex_digit(s[2]) && is_hex_digit(s[3])) {
		*cols = 4;
		return 4;
	}
	if (s[0] == '\\' && n >= 2 && strchr("\\ntr", s[1])) {
		*cols = 2;
		return 2;
	}
	len = utf8_valid_prefix_len((const unsigned char *)s, n);
	*cols = len ? utf8_char_columns((const unsigned char *)s, len) : 1;
	return len ? len : 1;
}

size_t text_column(char *dst, size_t cap, const char *escaped, unsigned int width)
{
	size_t n = strlen(escaped), len = 0, cut = 0;
	unsigned int cols = 0, cut_cols = 0, w;
	bool over = false;

	if (cap == 0)
		return 0;
	/*
	 * Whole tokens while they fit in width columns, and in cap with the padding still to
	 * come (each column after the text takes one byte); cut is the longest prefix that
	 * leaves a column for the marker.
	 */
	while (len < n) {
		size_t tlen = text_token(escaped + len, n - len, &w);

		if (cols + w > width || len + tlen + (width - cols - w) >= cap) {
			over = true;
			break;
		}
		len += tlen;
		cols += w;
		if (cols < width) {
			cut = len;
			cut_cols = cols;
		}
	}
	if (over) {
		len = cut;
		cols = cut_cols;
	}
	memcpy(dst, escaped, len);
	if (over && cols < width && len < cap - 1) {
		dst[len++] = '+';
		cols++;
	}
	for (; cols < width && len < cap - 1; cols++)
		dst[len++] = ' ';
	dst[len] = '\0';
	return len;
}

void prom_escape_label(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t clen;

		if (c == '\\' || c == '"') {
			putc_unlocked('\\', out);
			putc_unlocked(c, out);
			i++;
			continue;
		}
		if (c == '\n') {
			fputs("\\n", out);
			i++;
			continue;
		}
		clen = utf8_valid_prefix_len(p + i, n - i);
		if (clen == 0 || c < 0x20 || c == 0x7f) {
			fputs("\xef\xbf\xbd", out);
			i++;
			continue;
		}
		while (clen--)
			putc_unlocked(p[i++], out);
	}
}
