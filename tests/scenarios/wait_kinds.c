// SPDX-License-Identifier: GPL-2.0
/*
 * wait_kinds MODE: a child reaped by a wait of the kind MODE names; prints what the
 * reaping process measured, so a test can hold the agent's reap events to the kernel's
 * own answer (which wait returned which pid, and when).
 *
 *   hog     the parent, pinned to one CPU, is asleep in waitpid(C) when C exits; a
 *           SCHED_FIFO busy loop on that CPU keeps it from running until 50 ms after
 *           C's exit; the parent then waits for the busy loop's process
 *   hog_handler  hog with a SIGCHLD handler: the signal wakes the parent before the
 *           tracepoint sees it
 *   hog_sleep  the same, the busy loop C's child, and the parent only sleeps after the
 *           reap: no later wait()
 *   hog_two the parent, asleep in waitpid(-1) behind the busy loop, has two children exit:
 *           Y, then X (the older: forked first); when it runs, its scan takes X (list
 *           order), then a second waitpid(-1) takes Y
 *   hog_two_older_first  the same, X exiting first
 *   clone   a clone() child K with exit signal 0 is a zombie; the parent, asleep in a
 *           plain waitpid(-1), gets fork child F when F exits; later waitpid(K, __WCLONE)
 *   wall    the parent asleep in waitpid(-1, __WALL) gets K when it exits (no SIGCHLD),
 *           then, asleep again, F (held till then)
 *   pgid    Z (older, in Y's process group) is a zombie; the parent asleep in waitpid(Y)
 *           gets Y when it exits; 100 ms later waitpid(Z)
 *   ptrace  the parent traces its child (PTRACE_TRACEME) and reaps it, asleep in waitpid()
 *   ptrace_other  a sibling traces the child; the parent, asleep in waitpid(C), reaps it
 *           once the tracer's wait has let it go
 *   threads threads L (the leader), A, B, C: L's child and C's child are zombies; B's
 *           waitpid(-1) takes C's (do_wait() goes from the caller round the thread group:
 *           B, C, then L, A); 100 ms later L's waitpid() takes L's
 *   uring   the parent reaps its child with io_uring's IORING_OP_WAITID (Linux 6.7),
 *           asleep in io_uring_enter(); prints skip=REASON where the kernel has none
 *
 * Output (key=value, one per line; times CLOCK_REALTIME ns): reaper=<pid>, and per child
 * NAME=<pid> NAME_wait_ns=<clock before the wait that took it> NAME_reaped_ns=<clock right
 * after it returned>; hog*: hog_end_ns (the busy loop's last clock read), child_exit_ns (the
 * last child's exit).
 */
#define SCENARIO_NAME "wait_kinds"
#include <linux/io_uring.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "scenario.h"

#define MS 1000000LL

struct shared {
	volatile long long child_exit_mono;
	volatile long long child_exit_real;
	volatile long long hog_end_real;
	volatile int hog_spinning;
	volatile int hog_failed;
	volatile pid_t first_pid; /* hog_two: the child to exit first */
};

static struct shared *sh;

static long long real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* The first two CPUs this process may run on. */
static void two_cpus(int *a, int *b)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity");
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			*(n++ ? b : a) = c;
	if (n < 2) {
		printf("skip=needs two CPUs\n");
		exit(0);
	}
}

static void reaped(const char *name, pid_t pid, long long wait_ns)
{
	long long t = real_ns();

	printf("%s=%d\n%s_wait_ns=%lld\n%s_reaped_ns=%lld\n", name, pid, name, wait_ns, name, t);
}

static void expect(pid_t got, pid_t want, const char *what)
{
	if (got != want) {
		fprintf(stderr, SCENARIO_NAME ": %s returned %d, expected %d: %s\n", what, got,
			want, got < 0 ? strerror(errno) : "another child");
		exit(100);
	}
}

static void wait_zombie(pid_t pid)
{
	for (int i = 0; proc_state(pid) != 'Z'; i++) {
		if (i > 5000)
			die("child did not become a zombie");
		usleep(1000);
	}
}

static pid_t fork_sleeper(int ms)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		usleep((useconds_t)ms * 1000);
		_exit(0);
	}
	return pid;
}

/* The SCHED_FIFO busy loop on `cpu` (run_hog()): spins from once the parent is in its wait
 * until 50 ms after the child's exit. */
static void hog_loop(int cpu)
{
	struct sched_param sp = {.sched_priority = 10};
	long long start;

	pin(cpu);
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		sh->hog_failed = errno;
		_exit(1);
	}
	usleep(10 * 1000); /* the parent gets to its waitpid() */
	start = mono_ns();
	sh->hog_spinning = 1;
	for (;;) {
		long long now = mono_ns(), exited = sh->child_exit_mono;

		if ((exited && now >= exited + 50 * MS) || now > start + 3000 * MS)
			break;
	}
	sh->hog_end_real = real_ns();
	_exit(0);
}

/* A child of the caller that runs hog_loop(cpu). */
static pid_t fork_hog(int cpu)
{
	pid_t hog = fork();

	if (hog < 0)
		die("fork");
	if (hog == 0)
		hog_loop(cpu);
	return hog;
}

static void on_sigchld(int sig)
{
	(void)sig;
}

/* A child's exit behind the busy loop: 20 ms after it spins; with `after_first`, once the
 * first child to exit (sh->first_pid) is a zombie, 5 ms later. The last child to exit (`last`)
 * says when (child_exit_*), which ends the loop 50 ms on. */
static __attribute__((noreturn)) void exit_behind_hog(bool last, bool after_first)
{
	while (!sh->hog_spinning && !sh->hog_failed)
		usleep(1000);
	usleep(20 * 1000);
	if (after_first) {
		/* (its pid comes through the shared page: it may be forked after this one) */
		while (!sh->first_pid)
			usleep(1000);
		wait_zombie(sh->first_pid);
		usleep(5 * 1000);
	}
	if (last) {
		sh->child_exit_real = real_ns();
		sh->child_exit_mono = mono_ns();
	}
	_exit(0);
}

/* The busy loop could not take SCHED_FIFO: say so, not what the waits then got. */
static void die_if_hog_failed(void)
{
	if (sh->hog_failed) {
		errno = sh->hog_failed;
		die("sched_setscheduler(SCHED_FIFO)");
	}
}

/*
 * hog (and hog_handler, with a SIGCHLD handler): the busy loop is the parent's second child,
 * which it waits for next, right after the reap. hog_sleep: the busy loop is the child's own
 * child (init's once the child exits), and the parent only sleeps after the reap: no wait()
 * of its own follows it.
 */
static int run_hog(bool hog_is_mine, bool handler)
{
	int cpu_wait, cpu_child;
	pid_t child, hog = -1;
	long long t;

	if (handler) {
		struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART};

		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGCHLD, &sa, NULL))
			die("sigaction");
	}
	two_cpus(&cpu_wait, &cpu_child);
	pin(cpu_wait);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		pin(cpu_child);
		if (!hog_is_mine)
			fork_hog(cpu_wait);
		exit_behind_hog(true, false);
	}
	if (hog_is_mine)
		hog = fork_hog(cpu_wait);
	t = real_ns();
	expect(waitpid(child, NULL, 0), child, "waitpid(child)");
	reaped("child", child, t);
	if (hog_is_mine) {
		expect(waitpid(hog, NULL, 0), hog, "waitpid(hog)");
	} else {
		usleep(200 * 1000); /* (the child's free comes meanwhile, milliseconds after) */
		for (int i = 0; !sh->hog_end_real && !sh->hog_failed; i++) {
			if (i > 3000)
				die("the busy loop did not end");
			usleep(1000);
		}
	}
	die_if_hog_failed();
	printf("child_exit_ns=%lld\nhog_end_ns=%lld\n", sh->child_exit_real, sh->hog_end_real);
	return 0;
}

/*
 * hog_two: X forked first, Y second; Y exits, then X (`older_first`: X, then Y), both while
 * the parent is kept off its CPU in waitpid(-1). The SIGCHLD of each finds it on the wait
 * queue: when it runs, its scan takes X (the older in its children list) whichever exited
 * first, and its next waitpid(-1) takes Y.
 */
static pid_t fork_exiter(int cpu, bool second)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid)
		return pid;
	pin(cpu);
	exit_behind_hog(second, second);
}

static int run_hog_two(bool older_first)
{
	int cpu_wait, cpu_child;
	pid_t x, y, hog, got;
	long long t;

	two_cpus(&cpu_wait, &cpu_child);
	pin(cpu_wait);
	x = fork_exiter(cpu_child, !older_first);
	y = fork_exiter(cpu_child, older_first);
	sh->first_pid = older_first ? x : y;
	hog = fork_hog(cpu_wait);
	t = real_ns();
	got = waitpid(-1, NULL, 0);
	die_if_hog_failed();
	expect(got, x, "waitpid(-1), the first");
	reaped("x", x, t);
	t = real_ns();
	expect(waitpid(-1, NULL, 0), y, "waitpid(-1), the second");
	reaped("y", y, t);
	expect(waitpid(hog, NULL, 0), hog, "waitpid(hog)");
	printf("child_exit_ns=%lld\nhog_end_ns=%lld\n", sh->child_exit_real, sh->hog_end_real);
	return 0;
}

static char clone_stack[64 * 1024] __attribute__((aligned(16)));

static int clone_fn(void *arg)
{
	usleep((useconds_t)(intptr_t)arg * 1000);
	return 0;
}

/* A clone() child whose exit signal is 0: no SIGCHLD, eligible only with __WCLONE/__WALL. */
static pid_t clone_child(int ms)
{
	pid_t pid = clone(clone_fn, clone_stack + sizeof(clone_stack), 0, (void *)(intptr_t)ms);

	if (pid < 0)
		die("clone");
	return pid;
}

static int run_clone(void)
{
	pid_t k = clone_child(0), f;
	long long t;

	wait_zombie(k);
	f = fork_sleeper(50);
	t = real_ns();
	expect(waitpid(-1, NULL, 0), f, "waitpid(-1)");
	reaped("fork", f, t);
	usleep(100 * 1000);
	t = real_ns();
	expect(waitpid(k, NULL, __WCLONE), k, "waitpid(K, __WCLONE)");
	reaped("clone", k, t);
	return 0;
}

static pid_t fork_gated(int gate, int ms)
{
	pid_t pid = fork();
	char c;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (read(gate, &c, 1) != 1)
			_exit(2);
		usleep((useconds_t)ms * 1000);
		_exit(0);
	}
	return pid;
}

/* F is held until K is reaped: the order the waits see does not depend on the load. */
static int run_wall(void)
{
	int gate[2];
	pid_t k, f;
	long long t;

	if (pipe(gate))
		die("pipe");
	f = fork_gated(gate[0], 50);
	k = clone_child(30);
	t = real_ns();
	expect(waitpid(-1, NULL, __WALL), k, "waitpid(-1, __WALL), first");
	reaped("clone", k, t);
	if (write(gate[1], "f", 1) != 1)
		die("write");
	t = real_ns();
	expect(waitpid(-1, NULL, __WALL), f, "waitpid(-1, __WALL), second");
	reaped("fork", f, t);
	return 0;
}

static int run_pgid(void)
{
	int gz[2], gy[2];
	pid_t z, y;
	long long t;

	if (pipe(gz) || pipe(gy))
		die("pipe");
	z = fork_gated(gz[0], 0);
	y = fork_gated(gy[0], 60);
	if (setpgid(y, y) || setpgid(z, y))
		die("setpgid");
	if (write(gz[1], "z", 1) != 1)
		die("write");
	wait_zombie(z);
	if (write(gy[1], "y", 1) != 1)
		die("write");
	t = real_ns();
	expect(waitpid(y, NULL, 0), y, "waitpid(Y)");
	reaped("y", y, t);
	usleep(100 * 1000);
	t = real_ns();
	expect(waitpid(z, NULL, 0), z, "waitpid(Z)");
	reaped("z", z, t);
	printf("pgid=%d\n", y);
	return 0;
}

static int run_ptrace(void)
{
	pid_t c = fork();
	long long t;
	int st;

	if (c < 0)
		die("fork");
	if (c == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(2);
		raise(SIGSTOP);
		usleep(50 * 1000);
		_exit(0);
	}
	expect(waitpid(c, &st, 0), c, "waitpid(C) for its stop");
	if (!WIFSTOPPED(st))
		die("child did not stop");
	if (ptrace(PTRACE_CONT, c, NULL, NULL))
		die("PTRACE_CONT");
	t = real_ns();
	expect(waitpid(c, &st, 0), c, "waitpid(C)");
	reaped("child", c, t);
	if (!WIFEXITED(st))
		die("child did not exit");
	return 0;
}

static int run_ptrace_other(void)
{
	pid_t c = fork_sleeper(100), tracer;
	int gate[2];
	long long t;
	char ch;

	if (pipe(gate))
		die("pipe");
	tracer = fork();
	if (tracer < 0)
		die("fork");
	if (tracer == 0) {
		int st;

		if (ptrace(PTRACE_SEIZE, c, NULL, NULL))
			_exit(2);
		if (write(gate[1], "t", 1) != 1)
			_exit(2);
		for (;;) {
			if (waitpid(c, &st, __WALL) != c)
				_exit(3);
			if (WIFEXITED(st) || WIFSIGNALED(st))
				_exit(0);
			ptrace(PTRACE_CONT, c, NULL, NULL);
		}
	}
	if (read(gate[0], &ch, 1) != 1)
		die("the tracer did not attach");
	t = real_ns();
	expect(waitpid(c, NULL, 0), c, "waitpid(C)");
	reaped("child", c, t);
	expect(waitpid(tracer, NULL, 0), tracer, "waitpid(tracer)");
	printf("tracer=%d\n", tracer);
	return 0;
}

static sem_t go_fork_c, forked_c, go_wait_b, waited_b, done;
static pid_t zc, got_b;
static long long b_wait, b_reaped;

static void *thread_a(void *arg)
{
	(void)arg;
	sem_wait(&done);
	return NULL;
}

static void *thread_b(void *arg)
{
	(void)arg;
	sem_wait(&go_wait_b);
	b_wait = real_ns();
	got_b = waitpid(-1, NULL, 0);
	b_reaped = real_ns();
	sem_post(&waited_b);
	sem_wait(&done);
	return NULL;
}

static void *thread_c(void *arg)
{
	(void)arg;
	sem_wait(&go_fork_c);
	zc = fork_sleeper(0);
	sem_post(&forked_c);
	sem_wait(&done);
	return NULL;
}

static int run_threads(void)
{
	void *(*fns[3])(void *) = { thread_a, thread_b, thread_c };
	pthread_t t[3];
	pid_t zl;
	long long w;

	sem_init(&go_fork_c, 0, 0);
	sem_init(&forked_c, 0, 0);
	sem_init(&go_wait_b, 0, 0);
	sem_init(&waited_b, 0, 0);
	sem_init(&done, 0, 0);
	/* Created in this order: thread_head lists L, A, B, C. */
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, fns[i], NULL))
			die("pthread_create");
	zl = fork_sleeper(0);
	sem_post(&go_fork_c);
	sem_wait(&forked_c);
	wait_zombie(zl);
	wait_zombie(zc);
	sem_post(&go_wait_b);
	sem_wait(&waited_b);
	expect(got_b, zc, "thread B's waitpid(-1)");
	printf("c_child=%d\nc_child_wait_ns=%lld\nc_child_reaped_ns=%lld\n", zc, b_wait, b_reaped);
	usleep(100 * 1000);
	w = real_ns();
	expect(waitpid(zl, NULL, 0), zl, "waitpid(L's child)");
	reaped("l_child", zl, w);
	for (int i = 0; i < 3; i++)
		sem_post(&done);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/* io_uring by raw system calls: one SQE, one CQE. */
#ifndef IORING_OP_WAITID
#define IORING_OP_WAITID 50
#endif

static int run_uring(void)
{
	struct io_uring_params p = { 0 };
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqe;
	unsigned *sq_tail, *sq_array, *cq_head, *cq_tail;
	char *sq, *cq;
	siginfo_t si = { 0 };
	pid_t c;
	long long t;
	int fd, n;

	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0) {
		printf("skip=io_uring_setup: %s\n", strerror(errno));
		return 0;
	}
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		die("mmap io_uring");
	sq_tail = (unsigned *)(sq + p.sq_off.tail);
	sq_array = (unsigned *)(sq + p.sq_off.array);
	cq_head = (unsigned *)(cq + p.cq_off.head);
	cq_tail = (unsigned *)(cq + p.cq_off.tail);

	c = fork_sleeper(50);
	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_WAITID;
	sqes[0].fd = c;	     /* id */
	sqes[0].len = P_PID; /* idtype */
	sqes[0].file_index = WEXITED;
	sqes[0].addr2 = (uint64_t)(uintptr_t)&si;
	sqes[0].user_data = 1;
	sq_array[0] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	t = real_ns();
	n = (int)syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	if (n < 0)
		die("io_uring_enter");
	if (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head)
		die("io_uring_enter returned without a completion");
	cqe = (struct io_uring_cqe *)(cq + p.cq_off.cqes) + (*cq_head & (p.cq_entries - 1));
	if (cqe->res < 0) {
		/* No IORING_OP_WAITID here (EINVAL): reap it the ordinary way. */
		printf("skip=IORING_OP_WAITID: %s\n", strerror(-cqe->res));
		expect(waitpid(c, NULL, 0), c, "waitpid(C)");
		return 0;
	}
	reaped("child", c, t);
	if (si.si_pid != c || si.si_code != CLD_EXITED)
		die("io_uring waitid: unexpected siginfo");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc == 2 ? argv[1] : "";
	int rc;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap");
	printf("reaper=%d\n", getpid());
	fflush(stdout);
	if (!strcmp(mode, "hog"))
		rc = run_hog(true, false);
	else if (!strcmp(mode, "hog_handler"))
		rc = run_hog(true, true);
	else if (!strcmp(mode, "hog_sleep"))
		rc = run_hog(false, false);
	else if (!strcmp(mode, "hog_two"))
		rc = run_hog_two(false);
	else if (!strcmp(mode, "hog_two_older_first"))
		rc = run_hog_two(true);
	else if (!strcmp(mode, "clone"))
		rc = run_clone();
	else if (!strcmp(mode, "wall"))
		rc = run_wall();
	else if (!strcmp(mode, "pgid"))
		rc = run_pgid();
	else if (!strcmp(mode, "ptrace"))
		rc = run_ptrace();
	else if (!strcmp(mode, "ptrace_other"))
		rc = run_ptrace_other();
	else if (!strcmp(mode, "threads"))
		rc = run_threads();
	else if (!strcmp(mode, "uring"))
		rc = run_uring();
	else {
		fprintf(stderr,
			"usage: wait_kinds hog|hog_handler|hog_sleep|hog_two|hog_two_older_first|clone|wall|"
			"pgid|threads|"
			"ptrace|ptrace_other|uring\n");
		return 2;
	}
	fflush(stdout);
	return rc;
}
