// SPDX-License-Identifier: GPL-2.0
/*
 * slot_collide SLOTS: two zombies whose host pids are equal modulo SLOTS, the size of an
 * agent's `procs` table when REAPWATCH_TEST_MAP_ENTRIES lowers it: both want the same first
 * slot, so the second one's state is held in a later probe and counted in the first slot's
 * `spill` (bpf/procs.bpf.h). Run it on the host: the table is indexed by host pids.
 *
 * Child "spl_a" exits at once and stays a zombie. Then children are forked until one has a
 * pid equal to spl_a's modulo SLOTS: that one names itself "spl_b", exits and stays a zombie
 * too; each one before it ("slot_skip": not "spl_", the prefix the test counts states by, as
 * the last of them may still be held, its free to come) is reaped at once, 5 ms apart.
 * Prints a= and b= (pids), then
 * ready=1, and waits for a line on stdin; then, once both have been zombies for HOLD_MS,
 * reaps b and then a with waitpid(pid), prints held_ns= (a lower bound of both reaps'
 * latencies) and exits.
 */
#define SCENARIO_NAME "slot_collide"
#include "scenario.h"

#define HOLD_MS 50
#define MAX_FORKS 200000

/* Wait until child `pid` has exited, without reaping it (WNOWAIT). */
static void wait_zombie(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0)
		die("waitid");
}

int main(int argc, char **argv)
{
	long slots = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	long long zombies_since;
	pid_t a, b = 0;
	char line[16];

	if (slots < 2) {
		fprintf(stderr, "usage: slot_collide SLOTS (2 or more)\n");
		return 2;
	}
	a = fork_named("spl_a");
	if (a == 0)
		_exit(0);
	wait_zombie(a);
	for (int i = 0; i < MAX_FORKS && !b; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			prctl(PR_SET_NAME, getpid() % slots == a % slots ? "spl_b" : "slot_skip");
			_exit(0);
		}
		if (pid % slots == a % slots) {
			wait_zombie(pid);
			b = pid;
		} else if (waitpid(pid, NULL, 0) != pid) {
			die("waitpid");
		} else {
			usleep(5000); /* (a test's agent may have a ring buffer of one page) */
		}
	}
	if (!b)
		die("no pid came round to the first zombie's slot");
	zombies_since = mono_ns();
	printf("a=%d\nb=%d\nready=1\n", a, b);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	while (mono_ns() < zombies_since + HOLD_MS * 1000000LL)
		usleep(1000);
	if (waitpid(b, NULL, 0) != b || waitpid(a, NULL, 0) != a)
		die("waitpid");
	printf("held_ns=%lld\n", HOLD_MS * 1000000LL);
	return 0;
}
