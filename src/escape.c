// SPDX-License-Identifier: GPL-2.0
/* Text and Prometheus escaping and UTF-8 validity (escape.h): the one copy of each. */
#include <stdbool.h>
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
