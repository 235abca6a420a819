/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Streaming writer of compact JSON ({"a":1,"b":"x"}), one per output stream. It places commas
 * itself and never writes a newline: JSON Lines callers print '\n' after each top-level value,
 * and may reuse the writer for the next line since top-level values take no comma.
 */
#ifndef REAPWATCH_JSON_H
#define REAPWATCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *out;
	/* Open containers; levels from JSON_MAX_DEPTH - 1 down share the last need_comma slot. */
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json_writer *w, FILE *out);
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
/* The key is escaped like any string. */
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s);
/* n bytes of s, which may hold NUL bytes (written as \u0000). */
void json_string_len(struct json_writer *w, const char *s, size_t n);
void json_uint(struct json_writer *w, uint64_t v);
void json_int(struct json_writer *w, int64_t v);
/* %.6f without trailing zeros (1.5, 12, 0.000123); NaN and infinities become null. */
void json_double(struct json_writer *w, double v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_bool(struct json_writer *w, const char *key, bool v);
void json_kv_null(struct json_writer *w, const char *key);

/*
 * Write n bytes of s as the body of a JSON string (no quotes). The output is valid JSON and
 * valid UTF-8 whatever the input: well-formed UTF-8 passes through, control bytes and DEL are
 * escaped, and each byte of ill-formed UTF-8 becomes \ufffd.
 */
void json_escape(FILE *out, const char *s, size_t n);

#endif /* REAPWATCH_JSON_H */
