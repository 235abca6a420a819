// SPDX-License-Identifier: GPL-2.0
#include "unit.h"

#include "escape.h"

#define S(lit) (lit), sizeof(lit) - 1
/* A comm's room, as the kernel's TASK_COMM_LEN: at most 15 bytes and a NUL. */
#define TEST_COMM_LEN 16

static size_t vlen(const char *s, size_t n)
{
	return utf8_valid_prefix_len((const unsigned char *)s, n);
}

static void test_utf8_valid_prefix_len_cases(void **state)
{
	assert_int_equal(vlen(S("")), 0);
	assert_int_equal(vlen(S("a")), 1);
	assert_int_equal(vlen("\0x", 2), 1);
	assert_int_equal(vlen(S("\x1f")), 1);
	assert_int_equal(vlen(S("\x7f")), 1);
	assert_int_equal(vlen(S("\xc3\xa9")), 2);	  /* é */
	assert_int_equal(vlen(S("\xe2\x82\xac")), 3);	  /* € */
	assert_int_equal(vlen(S("\xf0\x9f\x98\x80")), 4); /* 😀 */
	assert_int_equal(vlen(S("\xf4\x8f\xbf\xbf")), 4); /* U+10FFFF */
	assert_int_equal(vlen(S("\xef\xbf\xbd")), 3);	  /* U+FFFD */
	assert_int_equal(vlen(S("\xe0\xa0\x80")), 3);	  /* U+0800, the first 3-byte */
	assert_int_equal(vlen(S("\xed\x9f\xbf")), 3);	  /* U+D7FF, below the surrogates */
	assert_int_equal(vlen(S("\xf0\x90\x80\x80")), 4); /* U+10000 */
	assert_int_equal(vlen(S("\xc3\xa9zz")), 2);	  /* followed by more */
	assert_int_equal(vlen(S("\x80")), 0);		  /* lone continuation */
	assert_int_equal(vlen(S("\xbf")), 0);
	assert_int_equal(vlen(S("\xe2\x82")), 0);     /* truncated */
	assert_int_equal(vlen("\xe2\x82\xac", 2), 0); /* truncated by n */
	assert_int_equal(vlen("\xf0\x9f\x98\x80", 3), 0);
	assert_int_equal(vlen(S("\xe2\x82x")), 0); /* interrupted */
	assert_int_equal(vlen(S("\xc0\xaf")), 0);  /* overlong '/' */
	assert_int_equal(vlen(S("\xc1\xbf")), 0);
	assert_int_equal(vlen(S("\xe0\x80\xaf")), 0); /* overlong 3-byte */
	assert_int_equal(vlen(S("\xe0\x9f\xbf")), 0);
	assert_int_equal(vlen(S("\xf0\x80\x80\xaf")), 0); /* overlong 4-byte */
	assert_int_equal(vlen(S("\xf0\x8f\xbf\xbf")), 0);
	assert_int_equal(vlen(S("\xed\xa0\x80")), 0);	  /* U+D800 surrogate */
	assert_int_equal(vlen(S("\xed\xbf\xbf")), 0);	  /* U+DFFF */
	assert_int_equal(vlen(S("\xf4\x90\x80\x80")), 0); /* U+110000 */
	assert_int_equal(vlen(S("\xf5\x80\x80\x80")), 0);
	assert_int_equal(vlen(S("\xf8\x88\x80\x80\x80")), 0); /* old 5-byte form */
	assert_int_equal(vlen(S("\xfe")), 0);
	assert_int_equal(vlen(S("\xff")), 0);
}

/* Independent reference: the first character is well-formed if the decoder in unit.h says so. */
static size_t ref_len(const unsigned char *s, size_t n)
{
	size_t want;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		want = 1;
	else if ((s[0] & 0xe0) == 0xc0)
		want = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		want = 3;
	else if ((s[0] & 0xf8) == 0xf0)
		want = 4;
	else
		return 0;
	if (want > n || !unit_is_utf8((const char *)s, want))
		return 0;
	return want;
}

static void test_utf8_valid_prefix_len_matches_reference(void **state)
{
	/* Every first and second byte; later bytes at the edges of the continuation range. */
	static const unsigned char tails[] = {0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xff};
	unsigned char b[4];

	for (unsigned a = 0; a < 256; a++) {
		for (unsigned c = 0; c < 256; c++) {
			for (size_t t = 0; t < ARRAY_SIZE(tails); t++) {
				for (size_t u = 0; u < ARRAY_SIZE(tails); u++) {
					b[0] = (unsigned char)a;
					b[1] = (unsigned char)c;
					b[2] = tails[t];
					b[3] = tails[u];
					for (size_t n = 1; n <= 4; n++) {
						if (utf8_valid_prefix_len(b, n) != ref_len(b, n))
							fail_msg("%02x %02x %02x %02x n=%zu", b[0],
								 b[1], b[2], b[3], n);
					}
				}
			}
		}
	}
}

static const char *te(char *buf, size_t cap, const char *s, size_t n, size_t *len)
{
	*len = text_escape(buf, cap, s, n);
	assert_int_equal(strlen(buf), *len);
	return buf;
}

#define assert_te(in, out)                                                                         \
	do {                                                                                       \
		char buf_[256];                                                                    \
		size_t len_;                                                                       \
		assert_string_equal(te(buf_, sizeof(buf_), S(in), &len_), out);                    \
		assert_int_equal(len_, sizeof(out) - 1);                                           \
	} while (0)

static void test_text_escape_basic(void **state)
{
	assert_te("", "");
	assert_te("sleep", "sleep");
	assert_te("my app 2", "my app 2");
	assert_te("a\\b", "a\\\\b");
	assert_te("a\nb", "a\\nb");
	assert_te("a\tb", "a\\tb");
	assert_te("a\rb", "a\\rb");
	assert_te("\"q'", "\"q'");
	assert_te("\x01\x1b[31m", "\\x01\\x1b[31m");
	assert_te("\x7f", "\\x7f");
	assert_te("\x1f\x20", "\\x1f ");
	assert_te("a\0b", "a\\x00b");
	assert_te("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

/* Valid UTF-8 that a terminal acts on: C1 controls and bidirectional overrides, escaped byte
 * by byte; their neighbours (U+00A0, U+2029, U+2065, U+206A) are printed. */
static void test_text_escape_terminal_controls(void **state)
{
	assert_te("a\xc2\x9b" "2J", "a\\xc2\\x9b2J");
	assert_te("\xc2\x80\xc2\x9f", "\\xc2\\x80\\xc2\\x9f");
	assert_te("\xc2\xa0", "\xc2\xa0");
	assert_te("x\xe2\x80\xae" "evil", "x\\xe2\\x80\\xaeevil");
	assert_te("\xe2\x80\xaa\xe2\x80\x8f", "\\xe2\\x80\\xaa\\xe2\\x80\\x8f");
	assert_te("\xe2\x81\xa6\xe2\x81\xa9", "\\xe2\\x81\\xa6\\xe2\\x81\\xa9");
	assert_te("\xd8\x9c", "\\xd8\\x9c");
	assert_te("\xe2\x80\xa9\xe2\x81\xa5\xe2\x81\xaa", "\xe2\x80\xa9\xe2\x81\xa5\xe2\x81\xaa");
}

static void test_text_escape_every_control_byte(void **state)
{
	char in[1], buf[8], want[8];

	for (int c = 0; c < 0x20; c++) {
		in[0] = (char)c;
		text_escape(buf, sizeof(buf), in, 1);
		switch (c) {
		case '\n':
			strcpy(want, "\\n");
			break;
		case '\t':
			strcpy(want, "\\t");
			break;
		case '\r':
			strcpy(want, "\\r");
			break;
		default:
			snprintf(want, sizeof(want), "\\x%02x", c);
		}
		assert_string_equal(buf, want);
	}
}

static void test_text_escape_invalid_utf8(void **state)
{
	assert_te("\x80", "\\x80");
	assert_te("a\xe2\x82", "a\\xe2\\x82");
	assert_te("\xe2\x82z", "\\xe2\\x82z");
	assert_te("\xc0\xaf", "\\xc0\\xaf");
	assert_te("\xed\xa0\x80", "\\xed\\xa0\\x80");
	assert_te("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	assert_te("\xff\xfe", "\\xff\\xfe");
	/* Resync right after the bad byte: the valid é that follows survives. */
	assert_te("\xe2\xc3\xa9", "\\xe2\xc3\xa9");
}

static void test_text_escape_truncation(void **state)
{
	char buf[16];

	/* cap 1: only the NUL */
	assert_int_equal(text_escape(buf, 1, S("abc")), 0);
	assert_string_equal(buf, "");
	/* cap 0 writes nothing at all */
	buf[0] = 'X';
	assert_int_equal(text_escape(buf, 0, S("abc")), 0);
	assert_int_equal(buf[0], 'X');

	assert_int_equal(text_escape(buf, 3, S("abc")), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(text_escape(buf, 4, S("abc")), 3);
	assert_string_equal(buf, "abc");

	/* A two-byte escape needs two bytes of room. */
	assert_int_equal(text_escape(buf, 3, S("a\n")), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(text_escape(buf, 4, S("a\n")), 3);
	assert_string_equal(buf, "a\\n");

	/* \xNN needs four. */
	assert_int_equal(text_escape(buf, 5, S("a\x01")), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(text_escape(buf, 6, S("a\x01")), 5);
	assert_string_equal(buf, "a\\x01");

	/* A 4-byte character goes in whole or not at all. */
	assert_int_equal(text_escape(buf, 5, S("a\xf0\x9f\x98\x80")), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(text_escape(buf, 6, S("a\xf0\x9f\x98\x80")), 5);
	assert_string_equal(buf, "a\xf0\x9f\x98\x80");
	assert_int_equal(text_escape(buf, 3, S("\xe2\x82\xac")), 0);
	assert_string_equal(buf, "");

	/* Stops at the first thing that does not fit, even if a later, shorter one would. */
	assert_int_equal(text_escape(buf, 4, S("\x01z")), 0);
	assert_string_equal(buf, "");

	/* n limits the input even if the string goes on. */
	assert_int_equal(text_escape(buf, sizeof(buf), "abcdef", 3), 3);
	assert_string_equal(buf, "abc");
}

/* xorshift64: a fixed sequence, so that a failure reproduces. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void random_bytes(uint64_t *seed, char *s, size_t n)
{
	/* Mix in UTF-8 lead and continuation bytes so that valid characters occur too. */
	static const unsigned char pick[] = {'a',  '\\', '"',  '\n', 0x00, 0x01, 0x7f, 0x80, 0xbf,
					     0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0xff};

	for (size_t i = 0; i < n; i++) {
		uint64_t r = rnd(seed);

		s[i] = (char)(r & 0x100 ? pick[(r >> 9) % sizeof(pick)] : r & 0xff);
	}
}

static void test_text_escape_random(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char in[48], full[48 * 4 + 1], part[48 * 4 + 1];

	for (int round = 0; round < 500; round++) {
		size_t n = rnd(&seed) % sizeof(in), len;

		random_bytes(&seed, in, n);
		len = text_escape(full, sizeof(full), in, n);
		assert_int_equal(strlen(full), len);
		assert_true(unit_is_utf8(full, len));
		for (size_t i = 0; i < len; i++)
			assert_false((unsigned char)full[i] < 0x20 || full[i] == 0x7f);
		/* Every smaller buffer holds a prefix of the full result that ends on a boundary.
		 */
		for (size_t cap = 1; cap <= len + 1; cap++) {
			size_t plen = text_escape(part, cap, in, n);

			assert_true(plen < cap);
			assert_memory_equal(part, full, plen);
			assert_int_equal(part[plen], '\0');
			assert_true(unit_is_utf8(part, plen));
			assert_true(plen == 0 || part[plen - 1] != '\\' ||
				    (plen >= 2 && part[plen - 2] == '\\'));
		}
	}
}

/* Display columns of valid UTF-8 text: its code points (an escape is plain ASCII). */
/* Display columns of text_escape()'s output: its characters, each as utf8_char_columns(). */
static size_t columns(const char *s)
{
	size_t cols = 0, n = strlen(s), len;

	for (size_t i = 0; i < n; i += len ? len : 1) {
		len = utf8_valid_prefix_len((const unsigned char *)s + i, n - i);
		cols += len ? utf8_char_columns((const unsigned char *)s + i, len) : 1;
	}
	return cols;
}

static void test_utf8_char_columns(void **state)
{
#define COLS(s) utf8_char_columns((const unsigned char *)(s), sizeof(s) - 1)
	assert_int_equal(COLS("\xc3\xa9"), 1);	    /* é */
	assert_int_equal(COLS("\xe6\x97\xa5"), 2);	    /* 日 */
	assert_int_equal(COLS("\xea\xb0\x80"), 2);	    /* 가 */
	assert_int_equal(COLS("\xef\xbc\xa1"), 2);	    /* fullwidth A */
	assert_int_equal(COLS("\xf0\x9f\x98\x80"), 2); /* 😀 */
	assert_int_equal(COLS("\xcc\x81"), 0);	    /* combining acute */
	assert_int_equal(COLS("\xe2\x80\x8d"), 0);	    /* zero width joiner */
	assert_int_equal(COLS("\xe2\x86\x92"), 1);	    /* → */
	assert_int_equal(COLS("\xe1\x84\x80"), 2);	    /* Hangul jamo, first of its range */
	assert_int_equal(COLS("\xe1\x85\xa0"), 1);	    /* U+1160, after it */
#undef COLS
}

static const char *tc(char *buf, size_t cap, const char *escaped, unsigned int width, size_t *len)
{
	*len = text_column(buf, cap, escaped, width);
	assert_int_equal(strlen(buf), *len);
	return buf;
}

/* The column of `escaped`, width 16, is exactly `out`. */
#define assert_tc(escaped, out)                                                                    \
	do {                                                                                       \
		char buf_[TEXT_COLUMN_CAP(16)];                                                    \
		size_t len_;                                                                       \
		assert_string_equal(tc(buf_, sizeof(buf_), escaped, 16, &len_), out);              \
		assert_int_equal(len_, sizeof(out) - 1);                                           \
		assert_int_equal(columns(buf_), 16);                                               \
	} while (0)

static void test_text_column_ascii(void **state)
{
	char buf[TEXT_COLUMN_CAP(16)];
	size_t len;

	assert_tc("", "                ");
	assert_tc("sleep", "sleep           ");
	assert_tc("abcdefghijklmnop", "abcdefghijklmnop"); /* exactly 16: no cut */
	assert_tc("abcdefghijklmnopq", "abcdefghijklmno+");
	assert_tc("abcdefghijklmnopqrstuvwxyz", "abcdefghijklmno+");
	/* Other widths, down to one column: only the marker fits. */
	assert_string_equal(tc(buf, sizeof(buf), "abc", 3, &len), "abc");
	assert_string_equal(tc(buf, sizeof(buf), "abcd", 3, &len), "ab+");
	assert_string_equal(tc(buf, sizeof(buf), "a", 1, &len), "a");
	assert_string_equal(tc(buf, sizeof(buf), "ab", 1, &len), "+");
	assert_string_equal(tc(buf, sizeof(buf), "ab", 0, &len), "");
}

static void test_text_column_utf8(void **state)
{
	/* Padded by columns, not bytes: "café" is 5 bytes, 4 columns. */
	assert_tc("caf\xc3\xa9", "caf\xc3\xa9            ");
	/* 日本: 6 bytes, 4 columns (wide) */
	assert_tc("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac            ");
	/* 8 wide characters fill the column; a ninth is cut, and the marker takes one column */
	assert_tc("\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5",
		  "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5");
	assert_tc("a\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5",
		  "a\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5+");
	/* a combining mark takes no column: "é" as e + U+0301 is one column */
	assert_tc("e\xcc\x81", "e\xcc\x81               ");
	assert_tc("z\xc3\xa9\xe2\x86\x92\xc3\xbc", "z\xc3\xa9\xe2\x86\x92\xc3\xbc            ");
	/* 16 two-byte characters (32 bytes) fill the column exactly. */
	assert_tc("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	/* emoji are wide: 14 + 2 fit, a second one does not */
	assert_tc("abcdefghijklmn\xf0\x9f\x98\x80", "abcdefghijklmn\xf0\x9f\x98\x80");
	assert_tc("abcdefghijklm\xf0\x9f\x98\x80\xf0\x9f\x98\x80", "abcdefghijklm\xf0\x9f\x98\x80+");
}

static void test_text_column_cut_in_escape(void **state)
{
	char esc[TEST_COMM_LEN * 4 + 1];
	const char ctrl[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12";

	/* 12 + 4 columns fit exactly; 13 + 4 do not, and the cut goes before the escape. */
	assert_tc("abcdefghijkl\\x01", "abcdefghijkl\\x01");
	assert_tc("abcdefghijklm\\x01", "abcdefghijklm+  ");
	assert_tc("abcdefghijk\\x01z", "abcdefghijk\\x01z");
	assert_tc("abcdefghijk\\x01zz", "abcdefghijk\\x01+");
	assert_tc("abcdefghijkl\\x01z", "abcdefghijkl+   ");
	/* Two-column escapes too: \\ \n \t \r. */
	assert_tc("abcdefghijklmn\\n", "abcdefghijklmn\\n");
	assert_tc("abcdefghijklmn\\\\z", "abcdefghijklmn+ ");
	assert_tc("abcdefghijklm\\t\\r", "abcdefghijklm\\t+");
	/* The longest comm there is, all control bytes: 60 characters escaped. */
	assert_int_equal(text_escape(esc, sizeof(esc), ctrl, sizeof(ctrl) - 1), 60);
	assert_tc(esc, "\\x01\\x02\\x03+   ");
}

static void test_text_column_cut_in_utf8(void **state)
{
	char buf[TEXT_COLUMN_CAP(16)];

	/* 17 é: the cut after 15 columns is at byte 30; a cut by bytes would split the 8th. */
	assert_tc("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9+");
	assert_tc("abcdefghijklmno\xf0\x9f\x98\x80z", "abcdefghijklmno+");
	assert_tc("abcdefghijklmn\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
		  "abcdefghijklmn\xe2\x82\xac+");
	/* A cap too small for the text: whole characters only, still marked, never overrun. */
	assert_int_equal(text_column(buf, 8, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 4), 7);
	assert_string_equal(buf, "a\xc3\xa9\xe2\x82\xac+");
	assert_int_equal(text_column(buf, 4, "abc", 6), 3);
	assert_string_equal(buf, "+  ");
	buf[0] = 'X';
	assert_int_equal(text_column(buf, 0, "abc", 6), 0);
	assert_int_equal(buf[0], 'X');
}

static void test_text_column_invalid_utf8(void **state)
{
	char esc[TEST_COMM_LEN * 4 + 1], buf[TEXT_COLUMN_CAP(16)];
	size_t len;

	/* Ill-formed bytes arrive escaped: each \xNN is four columns and is cut whole. */
	text_escape(esc, sizeof(esc), S("v\xff\xfew"));
	assert_tc(esc, "v\\xff\\xfew      ");
	text_escape(esc, sizeof(esc), S("abcd\xe2\x82\xff\xfe"));
	assert_tc(esc, "abcd\\xe2\\x82+   ");
	/* Raw, not escaped (no caller does that): still one column a byte, still bounded. */
	assert_string_equal(tc(buf, sizeof(buf), "\xff\xfe", 4, &len), "\xff\xfe  ");
	assert_string_equal(tc(buf, sizeof(buf), "\\x0z", 3, &len), "\\x+");
}

/* Bytes of the escape or UTF-8 character at s, in text_escape()'s output. */
static size_t token_len(const char *s)
{
	if (s[0] == '\\')
		return s[1] == 'x' ? 4 : 2;
	return utf8_valid_prefix_len((const unsigned char *)s, strlen(s));
}

/*
 * Any name, escaped and put in a column of any width: exactly that many columns, a prefix
 * of the escaped name that ends on a boundary, and the marker only when something is cut.
 */
static void test_text_column_random(void **state)
{
	uint64_t seed = 0xc0ffee;
	char in[TEST_COMM_LEN], esc[TEST_COMM_LEN * 4 + 1], col[TEXT_COLUMN_CAP(24)];

	for (int round = 0; round < 2000; round++) {
		size_t n = rnd(&seed) % sizeof(in), elen, clen, keep;
		unsigned int width = (unsigned int)(rnd(&seed) % 25);

		random_bytes(&seed, in, n);
		elen = text_escape(esc, sizeof(esc), in, n);
		clen = text_column(col, sizeof(col), esc, width);
		assert_int_equal(strlen(col), clen);
		assert_true(unit_is_utf8(col, clen));
		assert_int_equal(columns(col), width);
		if (columns(esc) <= width) {
			assert_memory_equal(col, esc, elen);
			for (size_t i = elen; i < clen; i++)
				assert_int_equal(col[i], ' ');
			continue;
		}
		if (width == 0)
			continue;
		keep = clen;
		while (keep && col[keep - 1] == ' ')
			keep--;
		assert_int_equal(col[keep - 1], '+');
		keep--;
		assert_memory_equal(col, esc, keep);
		/* The cut falls between two escapes or characters, and as late as fits. */
		{
			size_t i = 0, tok = 0;

			while (i < keep) {
				tok = token_len(esc + i);
				i += tok;
			}
			assert_int_equal(i, keep);
			col[keep] = '\0';
			tok = token_len(esc + keep);
			assert_true(columns(col) +
					    (esc[keep] == '\\' ? tok
							       : utf8_char_columns((const unsigned char *)esc + keep, tok)) >
				    width - 1);
		}
	}
}

static const char *prom(struct capture *c, const char *s, size_t n)
{
	prom_escape_label(capture_open(c), s, n);
	return capture_close(c);
}

#define assert_prom(in, out)                                                                       \
	do {                                                                                       \
		struct capture c_;                                                                 \
		assert_string_equal(prom(&c_, S(in)), out);                                        \
		assert_int_equal(c_.len, sizeof(out) - 1);                                         \
		capture_free(&c_);                                                                 \
	} while (0)

#define FFFD "\xef\xbf\xbd"

static void test_prom_escape_label(void **state)
{
	assert_prom("", "");
	assert_prom("nginx", "nginx");
	assert_prom("a b", "a b");
	assert_prom("say \"hi\"", "say \\\"hi\\\"");
	assert_prom("C:\\dir", "C:\\\\dir");
	assert_prom("two\nlines", "two\\nlines");
	assert_prom("tab\there", "tab" FFFD "here");
	assert_prom("cr\r", "cr" FFFD);
	assert_prom("\x7f", FFFD);
	assert_prom("a\0b", "a" FFFD "b");
	assert_prom("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_prom("\x80", FFFD);
	assert_prom("\xe2\x82", FFFD FFFD);
	assert_prom("\xc0\xaf", FFFD FFFD);
	assert_prom("\xed\xa0\x80", FFFD FFFD FFFD);
	assert_prom("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	assert_prom("\xff", FFFD);
	assert_prom("\xe2\x82\"", FFFD FFFD "\\\"");
}

static void test_prom_escape_every_control_byte(void **state)
{
	for (int c = 0; c < 0x20; c++) {
		struct capture cap;
		char in = (char)c;

		assert_string_equal(prom(&cap, &in, 1), c == '\n' ? "\\n" : FFFD);
		capture_free(&cap);
	}
}

static void test_prom_escape_random(void **state)
{
	uint64_t seed = 12345;
	char in[64];

	for (int round = 0; round < 2000; round++) {
		size_t n = rnd(&seed) % sizeof(in);
		struct capture c;
		const char *out;

		random_bytes(&seed, in, n);
		out = prom(&c, in, n);
		assert_true(unit_is_utf8(out, c.len));
		for (size_t i = 0; i < c.len; i++) {
			unsigned char b = (unsigned char)out[i];

			assert_false(b < 0x20 || b == 0x7f);
			/* A '"' or '\\' is always escaped, so an odd run of '\\' precedes each '"'.
			 */
			if (b == '\\') {
				assert_true(i + 1 < c.len);
				assert_true(strchr("\\\"n", out[i + 1]) != NULL);
				i++;
			} else {
				assert_int_not_equal(b, '"');
			}
		}
		capture_free(&c);
	}
}

/* Very long input: nothing is cut, nothing crashes. */
static void test_long_input(void **state)
{
	size_t n = 1 << 16;
	char *in = malloc(n), *buf = malloc(4 * n + 1);
	struct capture c;

	assert_non_null(in);
	assert_non_null(buf);
	memset(in, '\n', n);
	assert_int_equal(text_escape(buf, 4 * n + 1, in, n), 2 * n);
	prom(&c, in, n);
	assert_int_equal(c.len, 2 * n);
	capture_free(&c);
	free(in);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_valid_prefix_len_cases),
	    cmocka_unit_test(test_utf8_valid_prefix_len_matches_reference),
	    cmocka_unit_test(test_text_escape_basic),
	    cmocka_unit_test(test_text_escape_terminal_controls),
	    cmocka_unit_test(test_text_escape_every_control_byte),
	    cmocka_unit_test(test_text_escape_invalid_utf8),
	    cmocka_unit_test(test_text_escape_truncation),
	    cmocka_unit_test(test_text_escape_random),
	    cmocka_unit_test(test_utf8_char_columns),
	    cmocka_unit_test(test_text_column_ascii),
	    cmocka_unit_test(test_text_column_utf8),
	    cmocka_unit_test(test_text_column_cut_in_escape),
	    cmocka_unit_test(test_text_column_cut_in_utf8),
	    cmocka_unit_test(test_text_column_invalid_utf8),
	    cmocka_unit_test(test_text_column_random),
	    cmocka_unit_test(test_prom_escape_label),
	    cmocka_unit_test(test_prom_escape_every_control_byte),
	    cmocka_unit_test(test_prom_escape_random),
	    cmocka_unit_test(test_long_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
