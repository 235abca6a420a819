// SPDX-License-Identifier: GPL-2.0
#include <math.h>

#include "unit.h"

#include "json.h"

#define S(lit) (lit), sizeof(lit) - 1

struct fixture {
	struct capture cap;
	struct json_writer w;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	json_init(&f->w, capture_open(&f->cap));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->cap.f)
		fclose(f->cap.f);
	capture_free(&f->cap);
	free(f);
	return 0;
}

/* What the writer has printed so far. */
static const char *out(struct fixture *f)
{
	assert_int_equal(fflush(f->cap.f), 0);
	return f->cap.buf;
}

static const char *esc(struct capture *c, const char *s, size_t n)
{
	json_escape(capture_open(c), s, n);
	return capture_close(c);
}

#define assert_esc(in, want)                                                                       \
	do {                                                                                       \
		struct capture c_;                                                                 \
		assert_string_equal(esc(&c_, S(in)), want);                                        \
		assert_int_equal(c_.len, sizeof(want) - 1);                                        \
		capture_free(&c_);                                                                 \
	} while (0)

#define FFFD "\\ufffd"

static void test_escape_specials(void **state)
{
	assert_esc("", "");
	assert_esc("plain text 123", "plain text 123");
	assert_esc("say \"hi\"", "say \\\"hi\\\"");
	assert_esc("C:\\dir\\", "C:\\\\dir\\\\");
	assert_esc("/usr/bin", "/usr/bin");
	assert_esc("\n\r\t\b\f", "\\n\\r\\t\\b\\f");
	assert_esc("\x01\x1f", "\\u0001\\u001f");
	assert_esc("\x1b[0m", "\\u001b[0m");
	assert_esc("\x7f", "\\u007f");
	assert_esc("a\0b", "a\\u0000b");
	assert_esc("<script>'", "<script>'");
}

static void test_escape_every_control_byte(void **state)
{
	static const char *const short_esc[0x20] = {
	    ['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n", ['\f'] = "\\f", ['\r'] = "\\r",
	};

	for (int c = 0; c < 0x20; c++) {
		struct capture cap;
		char in = (char)c, want[8];

		if (short_esc[c])
			strcpy(want, short_esc[c]);
		else
			snprintf(want, sizeof(want), "\\u%04x", c);
		assert_string_equal(esc(&cap, &in, 1), want);
		capture_free(&cap);
	}
	/* Every printable ASCII byte other than '"' and '\\' is itself. */
	for (int c = 0x20; c < 0x7f; c++) {
		struct capture cap;
		char in = (char)c, want[3] = {'\\', (char)c, 0};

		assert_string_equal(esc(&cap, &in, 1), c == '"' || c == '\\' ? want : want + 1);
		capture_free(&cap);
	}
}

static void test_escape_utf8(void **state)
{
	assert_esc("caf\xc3\xa9", "caf\xc3\xa9");
	assert_esc("\xe2\x82\xac"
		   "5",
		   "\xe2\x82\xac"
		   "5");
	assert_esc("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
	assert_esc("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
	assert_esc("\x80", FFFD);
	assert_esc("a\xe2\x82", "a" FFFD FFFD);
	assert_esc("\xe2\x82z", FFFD FFFD "z");
	assert_esc("\xc0\xaf", FFFD FFFD);
	assert_esc("\xed\xa0\x80", FFFD FFFD FFFD);
	assert_esc("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	assert_esc("\xff", FFFD);
	assert_esc("\xf0\x9f\x98", FFFD FFFD FFFD);
	/* Resync at the next byte: a valid character right after a bad byte survives. */
	assert_esc("\xe2\xc3\xa9", FFFD "\xc3\xa9");
	assert_esc("\xc3\"", FFFD "\\\"");
}

/* xorshift64: a fixed sequence, so that a failure reproduces. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random bytes always give valid UTF-8 with no raw control byte and balanced escapes. */
static void test_escape_random(void **state)
{
	static const unsigned char pick[] = {'a',  '\\', '"',  'u',  '\n', 0x00, 0x7f, 0x80,
					     0xbf, 0xc3, 0xa9, 0xe2, 0x82, 0xf0, 0x9f, 0xff};
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	char in[64];

	for (int round = 0; round < 2000; round++) {
		size_t n = rnd(&seed) % sizeof(in);
		struct capture c;
		const char *o;

		for (size_t i = 0; i < n; i++) {
			uint64_t r = rnd(&seed);

			in[i] = (char)(r & 0x100 ? pick[(r >> 9) % sizeof(pick)] : r & 0xff);
		}
		o = esc(&c, in, n);
		assert_true(unit_is_utf8(o, c.len));
		for (size_t i = 0; i < c.len; i++) {
			unsigned char b = (unsigned char)o[i];

			assert_false(b < 0x20 || b == 0x7f);
			assert_int_not_equal(b, '"');
			if (b == '\\') {
				assert_true(i + 1 < c.len);
				assert_non_null(strchr("\"\\nrtbfu", o[i + 1]));
				if (o[i + 1] == 'u') {
					assert_true(i + 5 < c.len);
					i += 4;
				}
				i++;
			}
		}
		capture_free(&c);
	}
}

static void test_writer_flat_object(void **state)
{
	struct fixture *f = *state;

	json_begin_object(&f->w);
	json_kv_string(&f->w, "type", "exit");
	json_kv_uint(&f->w, "pid", 4242);
	json_kv_int(&f->w, "exit_code", -1);
	json_kv_bool(&f->w, "core_dumped", false);
	json_kv_bool(&f->w, "autoreap", true);
	json_kv_null(&f->w, "signal");
	json_end_object(&f->w);
	assert_string_equal(out(f), "{\"type\":\"exit\",\"pid\":4242,\"exit_code\":-1,"
				    "\"core_dumped\":false,\"autoreap\":true,\"signal\":null}");
}

static void test_writer_empty_containers(void **state)
{
	struct fixture *f = *state;

	json_begin_object(&f->w);
	json_key(&f->w, "a");
	json_begin_array(&f->w);
	json_end_array(&f->w);
	json_key(&f->w, "o");
	json_begin_object(&f->w);
	json_end_object(&f->w);
	json_end_object(&f->w);
	assert_string_equal(out(f), "{\"a\":[],\"o\":{}}");
}

static void test_writer_nesting(void **state)
{
	struct fixture *f = *state;

	json_begin_object(&f->w);
	json_kv_string(&f->w, "type", "teardown");
	json_key(&f->w, "sigkilled_pids");
	json_begin_array(&f->w);
	json_uint(&f->w, 10);
	json_uint(&f->w, 11);
	json_begin_object(&f->w);
	json_kv_uint(&f->w, "x", 1);
	json_key(&f->w, "y");
	json_begin_array(&f->w);
	json_null(&f->w);
	json_begin_array(&f->w);
	json_end_array(&f->w);
	json_string(&f->w, "z");
	json_end_array(&f->w);
	json_end_object(&f->w);
	json_bool(&f->w, true);
	json_end_array(&f->w);
	json_kv_uint(&f->w, "members", 3);
	json_end_object(&f->w);
	assert_string_equal(out(f), "{\"type\":\"teardown\",\"sigkilled_pids\":[10,11,"
				    "{\"x\":1,\"y\":[null,[],\"z\"]},true],\"members\":3}");
}

/* JSON Lines: the caller prints '\n'; the next top-level object takes no comma. */
static void test_writer_json_lines(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++) {
		json_begin_object(&f->w);
		json_kv_int(&f->w, "i", i);
		json_end_object(&f->w);
		fputc('\n', f->cap.f);
	}
	assert_string_equal(out(f), "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n");
}

static void test_writer_escapes_keys_and_values(void **state)
{
	struct fixture *f = *state;

	json_begin_object(&f->w);
	json_kv_string(&f->w, "k\"\n", "v\\\x01\xff");
	json_key(&f->w, "comm");
	json_string_len(&f->w, S("a\0b\n"));
	json_key(&f->w, "empty");
	json_string_len(&f->w, "ignored", 0);
	json_end_object(&f->w);
	assert_string_equal(out(f), "{\"k\\\"\\n\":\"v\\\\\\u0001\\ufffd\","
				    "\"comm\":\"a\\u0000b\\n\",\"empty\":\"\"}");
}

static void test_writer_integers(void **state)
{
	struct fixture *f = *state;

	json_begin_array(&f->w);
	json_uint(&f->w, 0);
	json_uint(&f->w, 9);
	json_uint(&f->w, 10);
	json_uint(&f->w, UINT64_MAX);
	json_int(&f->w, 0);
	json_int(&f->w, -7);
	json_int(&f->w, INT64_MAX);
	json_int(&f->w, INT64_MIN);
	json_end_array(&f->w);
	assert_string_equal(out(f), "[0,9,10,18446744073709551615,0,-7,9223372036854775807,"
				    "-9223372036854775808]");
}

static void test_writer_doubles(void **state)
{
	struct fixture *f = *state;
	static const double in[] = {1.5,  12.0,	 0.000123, 0.0,	      -0.0,	  -2.25,
				    1e-7, -1e-7, 0.1,	   1234.5678, 0.00000051, 0.00000049,
				    1e15, -3.0,	 NAN,	   INFINITY,  -INFINITY};

	json_begin_array(&f->w);
	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		json_double(&f->w, in[i]);
	json_end_array(&f->w);
	assert_string_equal(out(f), "[1.5,12,0.000123,0,0,-2.25,0,0,0.1,1234.5678,0.000001,0,"
				    "1000000000000000,-3,null,null,null]");
}

static void test_writer_double_huge(void **state)
{
	struct fixture *f = *state;
	const char *o;

	json_double(&f->w, 1.7976931348623157e308);
	o = out(f);
	assert_int_equal(strlen(o), 309);
	assert_memory_equal(o, "17976931348623157", 17);
	assert_null(strchr(o, '.'));
}

static void test_writer_in_key_context(void **state)
{
	struct fixture *f = *state;

	json_begin_object(&f->w);
	json_key(&f->w, "d");
	json_double(&f->w, NAN);
	json_key(&f->w, "e");
	json_double(&f->w, 0.5);
	json_end_object(&f->w);
	assert_string_equal(out(f), "{\"d\":null,\"e\":0.5}");
}

/* Past JSON_MAX_DEPTH the writer clamps its bookkeeping but still writes valid JSON. */
static void test_writer_too_deep(void **state)
{
	struct fixture *f = *state;
	const int deep = JSON_MAX_DEPTH * 2 + 3;
	char want[1024], *p = want;

	for (int i = 0; i < deep; i++) {
		json_begin_array(&f->w);
		json_uint(&f->w, (uint64_t)i);
		p += sprintf(p, "[%d%s", i, i == deep - 1 ? "" : ",");
	}
	for (int i = 0; i < deep; i++) {
		json_end_array(&f->w);
		if (i < deep - 1)
			json_uint(&f->w, 7);
		p += sprintf(p, "]%s", i == deep - 1 ? "" : ",7");
	}
	assert_int_equal(f->w.depth, 0);
	assert_string_equal(out(f), want);
}

/* An empty container beyond JSON_MAX_DEPTH still counts as a value of its parent. */
static void test_writer_too_deep_empty(void **state)
{
	struct fixture *f = *state;
	char want[256];
	int n = 0;

	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++) {
		json_begin_object(&f->w);
		json_key(&f->w, "k");
		n += sprintf(want + n, "{\"k\":");
	}
	json_begin_array(&f->w);
	json_begin_array(&f->w);
	json_end_array(&f->w);
	json_uint(&f->w, 1);
	json_end_array(&f->w);
	n += sprintf(want + n, "[[],1]");
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++) {
		json_end_object(&f->w);
		n += sprintf(want + n, "}");
	}
	assert_string_equal(out(f), want);
}

/* More ends than begins must not underflow the depth. */
static void test_writer_unbalanced_end(void **state)
{
	struct fixture *f = *state;

	json_end_object(&f->w);
	json_end_array(&f->w);
	assert_int_equal(f->w.depth, 0);
	json_begin_object(&f->w);
	json_kv_uint(&f->w, "a", 1);
	json_end_object(&f->w);
	assert_string_equal(out(f), "}]{\"a\":1}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape_specials),
	    cmocka_unit_test(test_escape_every_control_byte),
	    cmocka_unit_test(test_escape_utf8),
	    cmocka_unit_test(test_escape_random),
	    cmocka_unit_test_setup_teardown(test_writer_flat_object, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_empty_containers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_nesting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_json_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_escapes_keys_and_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_integers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_doubles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_double_huge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_in_key_context, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_too_deep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_too_deep_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_unbalanced_end, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
