// SPDX-License-Identifier: GPL-2.0
/* The load log (load_log.h): what libbpf printed during the load, reduced to the refused
 * program, the verifier's verdict and advice. */
#include <stdio.h>
#include <string.h>
#include "load_log.h"

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The verifier's closing statistics, which follow its verdict. */
static bool statistics_line(const char *line)
{
	return starts_with(line, "processed ") || starts_with(line, "verification time") ||
	       starts_with(line, "stack depth") || starts_with(line, "...");
}

static void copy_line(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static void take_line(struct load_log *log, const char *line)
{
	const char *p;

	/* libbpf prefixes its own lines with "libbpf: "; the verifier's never have it, so such
	 * a line also ends a load log whose END line never came (a cut message). */
	if (starts_with(line, "libbpf: ")) {
		line += strlen("libbpf: ");
		if (log->in_log && !strstr(line, "-- END PROG LOAD LOG --"))
			log->in_log = false;
	}
	if (strstr(line, "-- BEGIN PROG LOAD LOG --")) {
		log->in_log = true;
		log->verdict[0] = '\0';
		return;
	}
	if (strstr(line, "-- END PROG LOAD LOG --")) {
		log->in_log = false;
		return;
	}
	if (log->in_log) {
		if (*line && !statistics_line(line))
			copy_line(log->verdict, sizeof(log->verdict), line);
		return;
	}
	/* "prog 'NAME': BPF program load failed: ..." (libbpf 1.x) */
	if (starts_with(line, "prog '") && strstr(line, "load failed")) {
		const char *name = line + strlen("prog '");

		p = strchr(name, '\'');
		if (p && (size_t)(p - name) < sizeof(log->program)) {
			memcpy(log->program, name, (size_t)(p - name));
			log->program[p - name] = '\0';
		}
	}
}

void load_log__feed(struct load_log *log, const char *text)
{
	size_t have = strlen(log->partial);

	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			log->partial[have] = '\0';
			take_line(log, log->partial);
			have = 0;
			log->partial[0] = '\0';
			continue;
		}
		if (have < sizeof(log->partial) - 1)
			log->partial[have++] = *p;
	}
	log->partial[have] = '\0';
}

const char *load_log__advice(const struct load_log *log)
{
	const char *v = log->verdict;

	if (strstr(v, "unknown func") || strstr(v, "invalid func"))
		return "this kernel lacks a BPF helper the program calls";
	if (strstr(v, "CO-RE relocation"))
		return "this kernel's BTF lacks a type or field the program reads";
	if (strstr(v, "kfunc") || strstr(v, "calling kernel function"))
		return "this kernel lacks a kernel function the program calls";
	return "a verifier limit or rule this build does not meet";
}
