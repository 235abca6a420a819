/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What libbpf said while the programs loaded, kept for the one line a user sees when the
 * kernel refuses them: which program, and the verifier's own last word about it ("combined
 * stack size of 2 calls is 560. Too large", "unknown func bpf_loop#181", ...). libbpf
 * prints the verifier's log between "-- BEGIN PROG LOAD LOG --" and "-- END PROG LOAD
 * LOG --", after "prog 'NAME': BPF program load failed: ERROR".
 */
#ifndef REAPWATCH_LOAD_LOG_H
#define REAPWATCH_LOAD_LOG_H

#include <stdbool.h>
#include <stddef.h>

#define LOAD_LOG_LINE 256

struct load_log {
	char program[64];	     /* the program the kernel refused, "" if none */
	char verdict[LOAD_LOG_LINE]; /* the verifier's last meaningful line, "" if none */
	char partial[LOAD_LOG_LINE]; /* a line not yet ended by '\n' */
	bool in_log;		     /* between BEGIN and END PROG LOAD LOG */
};

/* Feed what libbpf printed: any number of characters, lines split anywhere. */
void load_log__feed(struct load_log *log, const char *text);

/* One sentence of advice for the verdict (what is missing, or what to report). */
const char *load_log__advice(const struct load_log *log);

#endif /* REAPWATCH_LOAD_LOG_H */
