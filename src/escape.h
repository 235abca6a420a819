/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Escaping for the text and Prometheus outputs, and the one UTF-8 validity check that every
 * writer shares. Process names, cgroup paths and arguments come from whoever runs the process:
 * they may hold any byte, so every writer assumes hostile input.
 */
#ifndef REAPWATCH_ESCAPE_H
#define REAPWATCH_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Length (1..4) of the well-formed UTF-8 character (RFC 3629) that starts at s, or 0 if the
 * bytes at s, within n, do not start one: overlongs, surrogates, code points above U+10FFFF,
 * stray continuation bytes and truncated sequences all give 0. Any ASCII byte, including
 * control bytes and NUL, is a well-formed character of length 1.
 */
size_t utf8_valid_prefix_len(const unsigned char *s, size_t n);

/* 0-9, a-f or A-F. */
bool is_hex_digit(char c);

/* The columns a terminal gives the well-formed UTF-8 character s of len bytes: 2 for East
 * Asian wide and fullwidth characters and most emoji, 0 for combining marks and joiners, else 1
 * (a table of ranges, not the locale's wcwidth(): the same on every host). */
unsigned int utf8_char_columns(const unsigned char *s, size_t len);

/*
 * Escape n bytes of s for the aligned text output into dst, writing at most cap - 1 bytes and
 * a NUL (nothing if cap is 0). Backslash, \n, \t and \r get backslash escapes; other control
 * bytes, DEL and each byte of ill-formed UTF-8 become \xNN. Stops before the first source byte
 * whose escape or UTF-8 character does not fit, so the result never holds half of either.
 * Returns the length written, not counting the NUL.
 */
size_t text_escape(char *dst, size_t cap, const char *s, size_t n);

/* Room text_column() needs for any input: a column takes at most 4 bytes (a 4-byte character). */
#define TEXT_COLUMN_CAP(width) ((width) * 4 + 1)

/*
 * Fit text_escape()'s output into a column exactly width display columns wide, into dst
 * (at most cap - 1 bytes and a NUL; nothing if cap is 0). printf's "%-16s" counts bytes, so
 * UTF-8 would come out too narrow, and a long escaped name would push the columns after it.
 * A UTF-8 character counts its utf8_char_columns(), an escape (\x01, \n) each of its visible
 * characters.
 * Text wider than width is cut at a character or escape boundary to fit width - 1 columns and
 * marked with '+'; the rest is padded with spaces. Returns the length written.
 */
size_t text_column(char *dst, size_t cap, const char *escaped, unsigned int width);

/*
 * Write n bytes of s as the body of a Prometheus label value (no quotes): backslash, '"' and
 * \n are escaped; other control bytes, DEL and each byte of ill-formed UTF-8 become U+FFFD,
 * because the exposition format must be UTF-8 and has no other escapes.
 */
void prom_escape_label(FILE *out, const char *s, size_t n);

#endif /* REAPWATCH_ESCAPE_H */
