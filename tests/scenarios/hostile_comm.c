/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A child renames itself with prctl(PR_SET_NAME) to a name chosen to break naive output
 * code, then exits 5; the parent ("hostile_comm") reaps it.
 *
 *   hostile_comm MODE
 *   MODE  quote    a"b\c<newline>d         quote, backslash, newline
 *         utf8     zé→ü                    multi-byte UTF-8
 *         ctrl     x<0x01>y<0x1f>z<tab>w   control characters
 *         invalid  v<0xff><0xfe>w          bytes that are not UTF-8
 *         long     <0x01>..<0x12>          15 control bytes (no tab, newline or CR), each
 *                                          escaped as \xNN: wider than a text column
 *
 * Prints parent=, child=, comm_hex= (the exact name bytes, as the kernel keeps them: read
 * back from /proc) and wait_exit_code=.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "hostile_comm"
#include "scenario.h"

static const struct {
	const char *mode;
	const char *name;
} names[] = {
    {"quote", "a\"b\\c\nd"},
    {"utf8", "z\xc3\xa9\xe2\x86\x92\xc3\xbc"},
    {"ctrl", "x\x01y\x1fz\tw"},
    {"invalid", "v\xff\xfew"},
    {"long", "\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12"},
};

int main(int argc, char **argv)
{
	const char *name = NULL;
	int ready[2], go[2], status, fd;
	char path[64], comm[32];
	ssize_t len;
	pid_t child;

	for (size_t i = 0; argc > 1 && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(argv[1], names[i].mode) == 0)
			name = names[i].name;
	if (!name) {
		fprintf(stderr, "usage: hostile_comm quote|utf8|ctrl|invalid|long\n");
		return 2;
	}
	if (pipe(ready) < 0 || pipe(go) < 0)
		die("pipe");
	report("parent", getpid());
	child = fork_named(name);
	if (child == 0) {
		char byte;

		if (write(ready[1], "r", 1) != 1)
			_exit(101);
		/* Stay until the parent has read our name back. */
		if (read(go[0], &byte, 1) != 1)
			_exit(102);
		_exit(5);
	}
	report("child", child);
	{
		char byte;

		if (read(ready[0], &byte, 1) != 1)
			die("read ready");
	}
	/* /proc/PID/comm holds the name and a newline the kernel appends. */
	snprintf(path, sizeof(path), "/proc/%d/comm", child);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	len = read(fd, comm, sizeof(comm));
	close(fd);
	if (len < 1)
		die("read comm");
	printf("comm_hex=");
	for (ssize_t i = 0; i < len - 1; i++)
		printf("%02x", (unsigned char)comm[i]);
	printf("\n");
	fflush(stdout);
	if (write(go[1], "g", 1) != 1)
		die("write go");
	status = waitpid_or_die(child, "waitpid");
	report("wait_exit_code", exit_code_of(status));
	return 0;
}
