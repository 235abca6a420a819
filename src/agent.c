// SPDX-License-Identifier: GPL-2.0
/*
 * The agent (agent.h): owns the BPF skeleton and every map fd, the ring buffer and its
 * drain, the pin of the procs map, the sweep of state whose free was missed, and the last
 * read of the aggregation maps (kstats.h). Nothing else holds an fd of ours.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "kernel_features.h"
#include "kstats.h"
#include "load_log.h"
#include "reapwatch.h"
#include "reapwatch.skel.h"
#include "pins.h"
#include "procfs.h"
#include "procs_table.h"
#include "procs_slots.h"
#include "zombies.h"
#include "util.h"


/*
 * sched_process_free does not reach the programs for a few frees in a thousand on
 * these hosts (measured: 102 of 100 458 in one soak, no recursion_misses; ftrace's own
 * sched_process_free event, enabled alongside, does record those frees: each missed one
 * ran in the RCU softirq on top of one task, a thread of the host's pid 1), so state
 * of a process whose free was missed would stay. Every SWEEP_INTERVAL_NS, an entry
 * older than SWEEP_AGE_NS whose process is gone is a candidate; one still a candidate
 * SWEEP_CONFIRM_NS later (a reaped task's free is an RCU callback, milliseconds after the
 * reap: not seen there, it was missed) is turned into a reap record here (its evidence, if
 * any, still gives the reap time) and deleted. Orphan predictions likewise, and the
 * teardown maps' entries (termination signals, namespaces' first ones, teardowns) once the
 * process or namespace init they name is gone: nothing would read them again.
 */
#define SWEEP_INTERVAL_NS (5ull * 1000000000ull)
#define SWEEP_CONFIRM_NS (1ull * 1000000000ull)
#define SWEEP_AGE_NS (2ull * 1000000000ull)

/* Map keys (task_struct addresses), sorted once taken. */
struct key_set {
	__u64 *keys;
	size_t n, cap;
};

struct agent {
	struct reapwatch_bpf *skel;
	struct ring_buffer *rb;
	bool keeps_procs; /* the kernel side keeps exited processes' state (map procs) */
	agent_record_fn on_record;
	void *ctx;
	uint64_t next_sweep_ns;
	uint64_t swept;
	struct key_set procs_gone;   /* candidates of the last sweep (see SWEEP_CONFIRM_NS) */
	struct key_set orphans_gone;
	struct key_set termed_gone;
	struct key_set first_sigterm_gone;
	struct key_set teardowns_gone;
	int counters_fd;
	int ncpus;
	struct kstats *kstats; /* the aggregation maps' last read */
	bool late_reaps;  /* see struct agent_config */
	char pin_dir[128]; /* where our procs map is shared, "" if not */
	int pin_lock_fd;   /* held while pin_dir is ours; -1 if none */
};

static void leave_zombie_ages(void);

static bool wanted_reaps(const struct agent *agent)
{
	return agent->skel->rodata->event_mask & RW_EVENT_BIT(RW_REC_REAP);
}

/* What libbpf said during this process's load: for the one line a refusal gets. */
static struct load_log load_log;

int agent_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[4096], *text = small;
	va_list copy;
	int n;

	/* libbpf prints a whole verifier log (often far beyond 4 KiB, its verdict at the end)
	 * in one call: a fixed buffer would cut off the verdict and the END line. */
	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n >= (int)sizeof(small)) {
		text = malloc((size_t)n + 1);
		if (text) {
			va_copy(copy, ap);
			vsnprintf(text, (size_t)n + 1, fmt, copy);
			va_end(copy);
		} else {
			text = small;
		}
	}
	load_log__feed(&load_log, text);
	if (text != small)
		free(text);
	/* libbpf's own diagnostics (verifier logs...) only when asked for. */
	if (!getenv("REAPWATCH_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* One line on what stopped the load, and what to do about it. */
static int load_failed(int err, const char *what)
{
	if ((err == -EPERM || err == -EACCES) && !have_bpf_capabilities())
		rw_error("needs root or CAP_BPF and CAP_PERFMON (%s: %s)", what, strerror(-err));
	else if (load_log.program[0] && load_log.verdict[0])
		rw_error("this kernel refused BPF program '%s': \"%s\" (%s); please report it with "
			 "the log that REAPWATCH_DEBUG=1 prints",
			 load_log.program, load_log.verdict, load_log__advice(&load_log));
	else if (load_log.program[0])
		rw_error("%s failed at BPF program '%s': %s (REAPWATCH_DEBUG=1 prints libbpf's log)",
			 what, load_log.program, strerror(-err));
	else
		rw_error("%s failed: %s (REAPWATCH_DEBUG=1 prints libbpf's log)", what,
			 strerror(-err));
	return err;
}

/* A test knob in the environment: set, and not "0". */
static bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && strcmp(v, "0");
}

/* A feature this kernel cannot have: one line, with a stable prefix scripts can match. */
static void feature_off(const char *name, const char *why)
{
	rw_error("feature off: %s: %s", name, why);
}

/*
 * Which exit program, and which optional programs, this kernel takes (see
 * kernel_features.h). REAPWATCH_EXIT_COMPAT=1 takes the pre-v6.16 exit path anyway and
 * REAPWATCH_NO_BPF_LOOP=1 the pre-v5.17 one (for tests on a newer kernel).
 */
static void choose_programs(struct reapwatch_bpf *skel, const struct kernel_features *kf,
			    const struct agent_config *config)
{
	bool group_dead = kf->exit_group_dead && !env_flag("REAPWATCH_EXIT_COMPAT");
	bool loops = kf->bpf_loop && !env_flag("REAPWATCH_NO_BPF_LOOP");

	if (!loops)
		group_dead = false; /* handle_exit walks; v6.16 has bpf_loop() anyway */
	skel->rodata->exit_compat = !group_dead;
	skel->rodata->wait_walks = loops;
	bpf_program__set_autoload(skel->progs.handle_exit, group_dead);
	bpf_program__set_autoload(skel->progs.handle_exit_compat, !group_dead && loops);
	bpf_program__set_autoload(skel->progs.handle_exit_noloop, !group_dead && !loops);
	/* Only the older kernels' exit programs use the claims map. */
	if (group_dead)
		bpf_map__set_max_entries(skel->maps.exit_claims, 1);
	bpf_program__set_autoload(skel->progs.handle_wait, loops && config->track_reaping);
	bpf_program__set_autoload(skel->progs.handle_wait_noloop, !loops && config->track_reaping);
	bpf_program__set_autoload(skel->progs.handle_switch, config->track_reaping);
	if (loops)
		return;
	feature_off("reparent", "orphans' adopters are found by walking the dying parent's "
				"children, which needs bpf_loop() (Linux 5.17)");
	if (config->track_reaping)
		feature_off("reap-wait", "a reaper that waits after the exit for any child or a "
					 "process group is found by walking its children, which "
					 "needs bpf_loop() (Linux 5.17); such reaps are timed at "
					 "the task's free (an upper bound); a wait for one child by "
					 "its pid is timed exactly");
	feature_off("teardown-members", "counting a dying pid namespace's members walks "
					"every process, which needs bpf_loop() (Linux 5.17); "
					"members is reported as unknown");
}

/* An array of slots indexed by a mask (procs, blocked_waiters): at most `n` slots, a power of
 * two. */
static int size_table(struct bpf_map *map, volatile const __u32 *mask, unsigned long n)
{
	__u32 slots = 1;

	while ((unsigned long)slots * 2 <= n && slots * 2 <= bpf_map__max_entries(map))
		slots *= 2;
	*(volatile __u32 *)mask = slots - 1;
	return bpf_map__set_max_entries(map, slots);
}

/*
 * The procs table's slots, indexed by host tgid (bpf/procs.bpf.h): as many as pids can be
 * (kernel.pid_max, rounded up to a power of two), at most RW_PROC_SLOTS. The default pid_max,
 * 32768 up to 32 CPUs, needs half the table: 4.5 MiB of kernel memory less, and half the pages
 * for prefault_procs to touch. A pid_max raised later only makes tgids share slots more.
 */
static unsigned long procs_slots_wanted(void)
{
	unsigned long pid_max = 0;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	if (!f || fscanf(f, "%lu", &pid_max) != 1)
		pid_max = RW_PROC_SLOTS;
	if (f)
		fclose(f);
	return procs_slots_for_pid_max(pid_max);
}

/*
 * The per-CPU stats slots: each is a value for every possible CPU, so their count comes down
 * as CPUs go up, to keep them within STATS_SLOTS_BYTES (512 slots up to 35 possible CPUs,
 * 128 on a 128-CPU node, never fewer than 16). A cgroup without a slot is counted in
 * cgroup_stats, shared by the CPUs (bpf/stats.bpf.h).
 */
#define STATS_SLOTS_BYTES (4ul << 20)
#define STATS_SLOTS_MIN 16

static void size_stats_slots(struct reapwatch_bpf *skel)
{
	int ncpus = libbpf_num_possible_cpus();
	unsigned long fit = STATS_SLOTS_BYTES / sizeof(struct rw_cgroup_slot) /
			    (unsigned long)(ncpus > 0 ? ncpus : 1);

	size_table(skel->maps.stats_owners, &skel->rodata->stats_mask,
		   fit < STATS_SLOTS_MIN ? STATS_SLOTS_MIN : fit);
	bpf_map__set_max_entries(skel->maps.stats_slots,
				 bpf_map__max_entries(skel->maps.stats_owners));
}

/*
 * REAPWATCH_TEST_MAP_ENTRIES=N, a test knob (docs/reapwatch.md): every hash map holds at
 * most N entries, the ring buffer one page, and each walk stops after N steps, so that a
 * test can fill them all with a few processes and see each drop counted.
 */
static int shrink_for_test(struct reapwatch_bpf *skel)
{
	const char *value = getenv("REAPWATCH_TEST_MAP_ENTRIES");
	long page = sysconf(_SC_PAGESIZE);
	struct bpf_map *map;
	unsigned long n;
	char *end;
	int err;

	if (!value || !*value)
		return 0;
	errno = 0;
	n = strtoul(value, &end, 10);
	if (errno || *end || n < 1 || n > 1u << 20 || value[0] == '-') {
		rw_error("REAPWATCH_TEST_MAP_ENTRIES must be a number of entries from 1 to %u, "
			 "not '%s'",
			 1u << 20, value);
		return -EINVAL;
	}
	bpf_object__for_each_map(map, skel->obj) {
		switch (bpf_map__type(map)) {
		case BPF_MAP_TYPE_HASH:
		case BPF_MAP_TYPE_PERCPU_HASH:
		case BPF_MAP_TYPE_LRU_HASH:
		case BPF_MAP_TYPE_LRU_PERCPU_HASH:
			if (bpf_map__max_entries(map) <= n)
				continue;
			err = bpf_map__set_max_entries(map, (__u32)n);
			break;
		case BPF_MAP_TYPE_RINGBUF:
			err = bpf_map__set_max_entries(map, page > 0 ? (__u32)page : 4096);
			break;
		default:
			continue; /* arrays: counters and scratch slots, one per use */
		}
		if (err) {
			rw_error("REAPWATCH_TEST_MAP_ENTRIES: sizing map %s failed: %s",
				 bpf_map__name(map), strerror(-err));
			return err;
		}
	}
	/* the slot tables, which stand in for hash maps */
	err = size_table(skel->maps.procs, &skel->rodata->procs_mask, n);
	if (!err)
		err = size_table(skel->maps.blocked_waiters, &skel->rodata->waiter_mask, n);
	if (!err)
		err = size_table(skel->maps.stats_owners, &skel->rodata->stats_mask, n);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.stats_slots,
					       bpf_map__max_entries(skel->maps.stats_owners));
	if (err) {
		rw_error("REAPWATCH_TEST_MAP_ENTRIES: sizing the slot tables failed: %s",
			 strerror(-err));
		return err;
	}
	if (skel->rodata->orphan_walk_max > n)
		skel->rodata->orphan_walk_max = (__u32)n;
	if (skel->rodata->wait_walk_max > n)
		skel->rodata->wait_walk_max = (__u32)n;
	if (skel->rodata->task_walk_max > n)
		skel->rodata->task_walk_max = (__u32)n;
	return 0;
}

/* What must hold before any BPF object is opened, each with its own line. */
static int preflight(struct kernel_features *kf)
{
	int err;

	if (!have_bpf_capabilities()) {
		rw_error("needs root or CAP_BPF and CAP_PERFMON (this process lacks them, or "
			 "has them only in a user namespace of its own)");
		return -EPERM;
	}
	if (!bpf_syscall_exists()) {
		rw_error("this kernel has no bpf() system call (built without "
			 "CONFIG_BPF_SYSCALL): reapwatch cannot run on it");
		return -ENOSYS;
	}
	if (access(KERNEL_BTF_PATH, R_OK)) {
		err = -errno;
		rw_error("kernel BTF not readable at %s (%s): needs a kernel built with "
			 "CONFIG_DEBUG_INFO_BTF=y",
			 KERNEL_BTF_PATH, strerror(-err));
		return err;
	}
	err = kernel_features__probe(kf);
	if (err) {
		rw_error("probing the kernel's BPF features failed: %s (REAPWATCH_DEBUG=1 prints "
			 "libbpf's log)",
			 strerror(-err));
		return err;
	}
	return 0;
}

int agent__open(struct agent **out, const struct agent_config *config, agent_record_fn fn,
		void *ctx)
{
	struct kernel_features kf;
	struct agent *agent;
	int err;

	*out = NULL;
	err = preflight(&kf);
	if (err)
		return err;

	agent = calloc(1, sizeof(*agent));
	if (!agent)
		return -ENOMEM;
	agent->counters_fd = -1;
	agent->pin_lock_fd = -1;

	/* open: parse the embedded object, nothing in the kernel yet */
	agent->skel = reapwatch_bpf__open();
	if (!agent->skel) {
		err = -errno;
		rw_error("opening the BPF object failed: %s", strerror(-err));
		goto fail;
	}

	/* configure: read-only knobs and map sizes, before load */
	agent->skel->rodata->event_mask = config->event_mask;
	agent->skel->rodata->track_reaping = config->track_reaping;
	agent->skel->rodata->aggregate = config->aggregate;
	agent->late_reaps = config->late_reaps;
	agent->skel->rodata->test_miss_frees = env_flag("REAPWATCH_TEST_MISS_FREES");
	/* (no state kept: one slot) */
	size_table(agent->skel->maps.procs, &agent->skel->rodata->procs_mask,
		   config->track_reaping ? procs_slots_wanted() : 1);
	if (!config->aggregate) { /* nothing counted: one slot and one entry */
		size_table(agent->skel->maps.stats_owners, &agent->skel->rodata->stats_mask, 1);
		bpf_map__set_max_entries(agent->skel->maps.stats_slots, 1);
		bpf_map__set_max_entries(agent->skel->maps.cgroup_stats, 1);
		bpf_map__set_max_entries(agent->skel->maps.signal_stats, 1);
	} else {
		size_stats_slots(agent->skel);
	}
	choose_programs(agent->skel, &kf, config);
	err = shrink_for_test(agent->skel);
	if (err)
		goto fail;

	/* load: verify and create maps */
	err = reapwatch_bpf__load(agent->skel);
	if (err) {
		load_failed(err, "loading BPF programs");
		goto fail;
	}

	/* Touch the procs table's pages from the kernel side (bpf/procs.bpf.h): an optimization,
	 * so a kernel that cannot run it (BPF_PROG_TEST_RUN of a raw_tp is 5.10's) just skips it. */
	if (config->track_reaping) {
		LIBBPF_OPTS(bpf_test_run_opts, run);
		bpf_prog_test_run_opts(bpf_program__fd(agent->skel->progs.prefault_procs), &run);
	}

	/* An agent gone without withdrawing its pin (SIGKILLed, OOM-killed) knew the ages of
	 * zombies still here: into the ages file before the sweep of pins_publish() or
	 * pins_sweep() below removes it (and before the events come: a walk of /proc). */
	if (pins_any_stale())
		leave_zombie_ages();

	/* attach: raw tracepoints, no tracefs needed */
	err = reapwatch_bpf__attach(agent->skel);
	if (err) {
		load_failed(err, "attaching to tracepoints");
		goto fail;
	}

	agent->on_record = fn;
	agent->ctx = ctx;
	agent->next_sweep_ns = mono_now_ns() + SWEEP_INTERVAL_NS;
	agent->rb = ring_buffer__new(bpf_map__fd(agent->skel->maps.events), fn, ctx, NULL);
	if (!agent->rb) {
		err = -errno;
		rw_error("setting up the ring buffer failed: %s", strerror(-err));
		goto fail;
	}
	agent->counters_fd = bpf_map__fd(agent->skel->maps.counters);
	if (config->track_reaping) {
		struct procs_table *table;

		/* (mapped again at each sweep and let go after: up to 9 MiB in our RSS otherwise) */
		err = procs_table__new(&table, bpf_map__fd(agent->skel->maps.procs), false, false);
		if (err) {
			rw_error("mapping the exited processes' table failed: %s", strerror(-err));
			goto fail;
		}
		procs_table__free(table);
		agent->keeps_procs = true;
		/* share: `reapwatch zombies` reads exact zombie ages from a running agent */
		err = pins_publish(bpf_map__fd(agent->skel->maps.procs), agent->pin_dir,
				   sizeof(agent->pin_dir), &agent->pin_lock_fd);
		if (err)
			rw_error("warning: cannot share zombie state under %s (%s); "
				 "'reapwatch zombies' will show ages as unknown",
				 PIN_ROOT, strerror(-err));
	} else {
		pins_sweep(); /* what SIGKILLed agents left is not left for ever */
	}
	agent->ncpus = libbpf_num_possible_cpus();
	if (agent->ncpus <= 0) {
		err = agent->ncpus ? agent->ncpus : -EINVAL;
		rw_error("counting possible CPUs failed: %s", strerror(-err));
		goto fail;
	}
	*out = agent;
	return 0;
fail:
	agent__free(agent);
	return err;
}

/* Is the process that (pid, start_boottime) names still there (alive or a zombie)? */
static bool process_exists(uint32_t pid, uint64_t boot_start_ns)
{
	struct proc_stat st;

	return !proc_stat_read("/proc", pid, &st) &&
	       st.start_ticks == boot_ns_to_ticks(boot_start_ns);
}

static int key_set_add(struct key_set *set, __u64 key)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 256;
		__u64 *grown = realloc(set->keys, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		set->keys = grown;
		set->cap = cap;
	}
	set->keys[set->n++] = key;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static bool key_set_has(const struct key_set *set, __u64 key)
{
	return set->n && bsearch(&key, set->keys, set->n, sizeof(key), key_cmp);
}

/* Sort the keys for key_set_has(). */
static void key_set_sort(struct key_set *set)
{
	if (set->n)
		qsort(set->keys, set->n, sizeof(*set->keys), key_cmp);
}

/* Replace OLD by NEW (sorted for key_set_has()). */
static void key_set_take(struct key_set *old, struct key_set *new)
{
	key_set_sort(new);
	free(old->keys);
	*old = *new;
}

/* Every key of a hash map, before any is deleted: a delete during bpf_map_get_next_key()
 * sends the next call back to the first key. */
static void map_keys(int fd, struct key_set *out)
{
	__u64 key, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key_set_add(out, key))
			break;
	}
}

/* The kernel side's table of exited processes' states: -1 if this agent keeps none. */
static int procs_open(struct agent *agent, bool writable, struct procs_table **table)
{
	if (!agent->keeps_procs)
		return -1;
	return procs_table__new(table, bpf_map__fd(agent->skel->maps.procs), writable, false);
}

/* A state whose process has exited and is gone from /proc: reaped, its free perhaps to come. */
static bool state_gone(const struct rw_proc_state *st)
{
	return st->exit_ns && !process_exists(st->proc.pid, st->boot_start_ns);
}

/*
 * `last`: the programs are detached and none is still running (agent__stop()): a free yet to
 * come would not be seen any more, so a state whose process is gone was reaped, whatever its
 * age, and is reported now, without a second look.
 */
static void sweep(struct agent *agent, uint64_t now, bool last)
{
	struct procs_table *table;
	struct key_set gone = { 0 };
	struct rw_proc_state st, again;
	size_t slots;
	bool missed;

	if (procs_open(agent, true, &table))
		return;
	slots = procs_table__slots(table);

	for (size_t i = 0; i < slots; i++) {
		struct rw_reap_record rec = { 0 };

		if (!procs_table__read(table, i, &st) ||
		    (!last && (now < st.exit_ns || now - st.exit_ns < SWEEP_AGE_NS)) ||
		    !state_gone(&st))
			continue;
		key_set_add(&gone, st.task);
		if (!last && !key_set_has(&agent->procs_gone, st.task))
			continue; /* first look: the free may still be on its way */
		/* The kernel side may have given the slot to a new process while we read /proc
		 * (procs_claim() reports the old one then): look again, and free it only if its
		 * owner still holds it. */
		if (!procs_table__read(table, i, &again) || again.task != st.task ||
		    again.exit_ns != st.exit_ns || !procs_table__release(table, i, &st))
			continue;
		rec.hdr.type = RW_REC_REAP;
		rec.hdr.size = sizeof(rec);
		rec.hdr.ts_ns = now;
		/* At the last sweep, a state no earlier sweep found gone (nor the stop's wait for
		 * frees, await_pending_frees()) was most likely reaped moments ago, its free (an RCU
		 * callback) still to come: not counted as missed. */
		missed = !last || key_set_has(&agent->procs_gone, st.task);
		rw_reap_record_from_state(&rec, &st, RW_REAP_SWEPT, missed);
		agent->swept += missed;
		if (wanted_reaps(agent) || agent->late_reaps)
			agent->on_record(agent->ctx, &rec, sizeof(rec));
	}
	procs_table__repair_spills(table);
	procs_table__free(table);
	key_set_take(&agent->procs_gone, &gone);
}

/*
 * The same for orphan predictions (struct rw_orphan_prediction): one whose process is gone
 * and whose free never came is deleted; the kernel side's count of live entries, which
 * lets most frees skip the lookup, is told.
 */
static void sweep_orphans(struct agent *agent, uint64_t now)
{
	int fd = bpf_map__fd(agent->skel->maps.orphans);
	struct key_set keys = { 0 }, gone = { 0 };
	struct rw_orphan_prediction pred, again;

	map_keys(fd, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		__u64 key = keys.keys[i];

		if (bpf_map_lookup_elem(fd, &key, &pred) || now < pred.made_ns ||
		    now - pred.made_ns < SWEEP_AGE_NS || process_exists(pred.pid, pred.boot_start_ns))
			continue;
		key_set_add(&gone, key);
		if (!key_set_has(&agent->orphans_gone, key))
			continue;
		/* remember_orphan() may have rewritten it for a new task at this address */
		if (bpf_map_lookup_elem(fd, &key, &again) || again.made_ns != pred.made_ns)
			continue;
		if (!bpf_map_delete_elem(fd, &key))
			__atomic_fetch_sub(&agent->skel->bss->orphans_live, 1, __ATOMIC_RELAXED);
	}
	free(keys.keys);
	key_set_take(&agent->orphans_gone, &gone);
}

/* A teardown map's entry (bpf/teardown.bpf.h): every one names the process it is kept for. */
union teardown_entry {
	struct rw_termination termed;
	struct rw_first_sigterm first;
	struct rw_teardown_state teardown;
};

/* The process an entry is kept for, and what tells it from a new entry at the same key. */
struct entry_owner {
	uint32_t pid; /* 0: none, the entry is for nothing */
	uint64_t boot_start_ns;
	uint64_t stamp;
};

typedef void (*entry_owner_fn)(const union teardown_entry *e, struct entry_owner *o);

static void termed_owner(const union teardown_entry *e, struct entry_owner *o)
{
	*o = (struct entry_owner){ e->termed.pid, e->termed.boot_start_ns, e->termed.start };
}

/* A namespace's first termination signal is read at its init's exit only: once that init is
 * gone, whether the namespace still has members or not, nothing reads it. */
static void first_sigterm_owner(const union teardown_entry *e, struct entry_owner *o)
{
	*o = (struct entry_owner){ e->first.init_pid, e->first.init_boot_start_ns,
				   e->first.time_ns };
}

/* A teardown ends at the init's notification of its parent, before the init can be
 * reaped: an init gone means its end was missed. */
static void teardown_owner(const union teardown_entry *e, struct entry_owner *o)
{
	*o = (struct entry_owner){ e->teardown.td.init.pid, e->teardown.init_boot_start_ns,
				   e->teardown.td.init_exit_ns };
}

/*
 * Delete the entries of a teardown map whose process is gone on two sweeps
 * SWEEP_CONFIRM_NS apart (the kernel side deletes them at the free, which comes after the
 * process leaves /proc). `live` is the kernel side's count of the map's entries, if any.
 */
static void sweep_teardown_map(struct bpf_map *map, entry_owner_fn owner_of,
			       struct key_set *candidates, __s64 *live)
{
	int fd = bpf_map__fd(map);
	struct key_set keys = { 0 }, gone = { 0 };
	union teardown_entry entry;
	struct entry_owner owner, again;

	map_keys(fd, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		__u64 key = keys.keys[i];

		if (bpf_map_lookup_elem(fd, &key, &entry))
			continue;
		owner_of(&entry, &owner);
		if (owner.pid && process_exists(owner.pid, owner.boot_start_ns))
			continue;
		key_set_add(&gone, key);
		if (!key_set_has(candidates, key))
			continue; /* first look */
		/* the kernel side may have made it anew for another process meanwhile */
		if (bpf_map_lookup_elem(fd, &key, &entry))
			continue;
		owner_of(&entry, &again);
		if (again.stamp != owner.stamp || again.pid != owner.pid)
			continue;
		if (!bpf_map_delete_elem(fd, &key) && live)
			__atomic_fetch_sub(live, 1, __ATOMIC_RELAXED);
	}
	free(keys.keys);
	key_set_take(candidates, &gone);
}

static void sweep_teardown_maps(struct agent *agent)
{
	struct reapwatch_bpf *skel = agent->skel;

	sweep_teardown_map(skel->maps.termed, termed_owner, &agent->termed_gone,
			   &skel->bss->termed_live);
	sweep_teardown_map(skel->maps.ns_first_sigterm, first_sigterm_owner,
			   &agent->first_sigterm_gone, NULL);
	sweep_teardown_map(skel->maps.teardowns, teardown_owner, &agent->teardowns_gone,
			   &skel->bss->teardowns_live);
}

int agent__poll(struct agent *agent, int timeout_ms)
{
	uint64_t now = mono_now_ns();
	int n, m;

	if (now >= agent->next_sweep_ns) {
		sweep(agent, now, false);
		sweep_orphans(agent, now);
		sweep_teardown_maps(agent);
		/* candidates are looked at again soon, the rest at the next interval */
		agent->next_sweep_ns =
			now + (agent->procs_gone.n || agent->orphans_gone.n || agent->termed_gone.n ||
					       agent->first_sigterm_gone.n || agent->teardowns_gone.n
				       ? SWEEP_CONFIRM_NS
				       : SWEEP_INTERVAL_NS);
	}

	/* Records come without wakeups: poll() sleeps the whole timeout unless the kernel
	 * side forces a wakeup for a backlog; the consume() after it drains what came. */
	n = ring_buffer__poll(agent->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return n;
	m = ring_buffer__consume(agent->rb);
	if (m < 0 && m != -EINTR)
		return m;
	return (n > 0 ? n : 0) + (m > 0 ? m : 0);
}

/*
 * How long the end of a run waits for the frees of processes reaped moments before it: a
 * task_struct is freed by an RCU callback after the reap, within milliseconds mostly, but
 * hundreds of them on a loaded host now and then. A free that has not come when the programs
 * are detached is reported by the last sweep, without the reap's time if no wait() was seen.
 */
#define STOP_FREE_WAIT_NS (1000ull * 1000000ull)
#define STOP_FREE_POLL_MS 10

/* A process gone, but whose state its free has not yet given up: the slot and its owner. */
struct pending_free {
	size_t slot;
	__u64 task;
	__u64 exit_ns;
};

/*
 * Before the programs are detached: wait (STOP_FREE_WAIT_NS at most, from the call) until the
 * frees of the processes already reaped without evidence of when (no wait() seen: only the
 * free bounds the reap), whose states are still held, have come, showing what they bring
 * meanwhile. A state with evidence loses nothing to the last sweep, which reports its reap
 * time as the free would. Only the states found now: on a busy host new ones keep coming.
 * Those an earlier sweep already saw gone are not waited for; those still held at the end
 * are counted with them as missed frees (the last sweep's `late`).
 */
static void await_pending_frees(struct agent *agent)
{
	uint64_t deadline = mono_now_ns() + STOP_FREE_WAIT_NS;
	struct pending_free *pending = NULL, *grown;
	size_t n = 0, cap = 0, slots, kept;
	struct procs_table *table;
	struct rw_proc_state st;

	if (procs_open(agent, false, &table))
		return;
	slots = procs_table__slots(table);
	for (size_t i = 0; i < slots; i++) {
		if (!procs_table__read(table, i, &st) || rw_proc_state_reap_timed(&st) ||
		    key_set_has(&agent->procs_gone, st.task) || !state_gone(&st))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(pending, cap * sizeof(*pending));
			if (!grown)
				break;
			pending = grown;
		}
		pending[n++] = (struct pending_free){ i, st.task, st.exit_ns };
	}
	while (n && mono_now_ns() < deadline) {
		ring_buffer__poll(agent->rb, STOP_FREE_POLL_MS);
		ring_buffer__consume(agent->rb);
		kept = 0;
		for (size_t j = 0; j < n; j++) {
			if (procs_table__read(table, pending[j].slot, &st) &&
			    st.task == pending[j].task && st.exit_ns == pending[j].exit_ns)
				pending[kept++] = pending[j];
		}
		n = kept;
	}
	for (size_t j = 0; j < n; j++)
		key_set_add(&agent->procs_gone, pending[j].task);
	key_set_sort(&agent->procs_gone);
	free(pending);
	procs_table__free(table);
}

/*
 * The end of a run: let the frees of processes just reaped come (await_pending_frees()),
 * detach the programs, wait out any still running (a tracepoint calls
 * its probes with preemption off, so one RCU grace period, synchronize_rcu(), is enough:
 * membarrier(MEMBARRIER_CMD_GLOBAL) is one), take what they queued, and report the reaps
 * of processes whose free our program missed (see SWEEP_*) that are gone by now, which the
 * periodic sweep would only have found seconds later: a short trace loses none.
 */
int agent__stop(struct agent *agent)
{
	int n;

	await_pending_frees(agent);
	reapwatch_bpf__detach(agent->skel);
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		usleep(50 * 1000); /* (nohz_full, or a seccomp filter: long enough in practice) */
	n = ring_buffer__consume(agent->rb);
	sweep(agent, mono_now_ns(), true);
	return n < 0 && n != -EINTR ? n : 0;
}

uint64_t agent__swept(const struct agent *agent)
{
	return agent->swept;
}

uint64_t agent__lost(const struct agent *agent)
{
	return agent__counter(agent, RW_CTR_RINGBUF_LOST);
}

/* docs/reapwatch.md ("Kernel drops") says what each costs; keep the two together. */
const struct agent_drop_reason agent_drop_reasons[AGENT_DROPS] = {
	[AGENT_DROP_PROCS_FULL] = { "procs_full", RW_CTR_PROCS_FULL,
				    "exited processes not tracked (all of their procs slots taken): their reaps "
				    "have no latency, their zombies no age" },
	[AGENT_DROP_ORPHANS_FULL] = { "orphans_full", RW_CTR_ORPHANS_FULL,
				      "adopters not remembered (orphans map full): a wrong "
				      "prediction is not corrected" },
	[AGENT_DROP_PENDING_FULL] = { "pending_full", RW_CTR_PENDING_FULL,
				      "an exiting thread's children not remembered: their "
				      "reparent records are missing" },
	[AGENT_DROP_ORPHAN_WALK_CUT] = { "orphan_walk_cut", RW_CTR_ORPHAN_WALK_CUT,
					 "a dying parent's children walk cut short: reparent "
					 "records are missing" },
	[AGENT_DROP_WAIT_WALK_CUT] = { "wait_walk_cut", RW_CTR_WAIT_WALK_CUT,
				       "a wait()'s children walk cut short: reaps timed at the "
				       "free (an upper bound)" },
	[AGENT_DROP_TERMED_FULL] = { "termed_full", RW_CTR_TERMED_FULL,
				     "termination signals not remembered (termed map full): "
				     "teardown kills counted as without SIGTERM" },
	[AGENT_DROP_FIRST_SIGTERM_FULL] = { "first_sigterm_full", RW_CTR_FIRST_SIGTERM_FULL,
					    "a namespace's first termination signal not remembered "
					    "(ns_first_sigterm map full): teardown grace unknown" },
	[AGENT_DROP_TEARDOWNS_FULL] = { "teardowns_full", RW_CTR_TEARDOWNS_FULL,
					"pid namespace teardowns not followed (teardowns map "
					"full): teardown records are missing" },
	[AGENT_DROP_TASK_WALK_CUT] = { "task_walk_cut", RW_CTR_TASK_WALK_CUT,
				       "a dying namespace's member count cut short: members "
				       "undercounted" },
	[AGENT_DROP_STATS_FULL] = { "stats_full", RW_CTR_STATS_FULL,
				    "per-cgroup counts not kept (no stats slot, and the cgroup_stats "
				    "or signal_stats map full): exported counters undercount" },
	[AGENT_DROP_WAITERS_FULL] = { "waiters_full", RW_CTR_WAITERS_FULL,
				      "waiters asleep in wait() not followed (their blocked_waiters "
				      "slot held by another, or more zombies than it follows): their "
				      "reaps bounded by the free" },
	[AGENT_DROP_FREE_MISSED] = { "free_missed", RW_CTR_FREE_MISSED,
				     "process frees our program never saw: their reaps reported "
				     "late",
				     true },
	[AGENT_DROP_RECURSION] = { "recursion", RW_CTR_MAX,
				   "program runs the kernel skipped (recursion_misses): events "
				   "and state updates missing" },
};

/* Runs of our programs the kernel skipped because one was already running on that CPU
 * (struct bpf_prog_info.recursion_misses, Linux 5.12; 0 before, which does not count). */
static uint64_t recursion_misses(const struct agent *agent)
{
	struct bpf_program *prog;
	uint64_t sum = 0;

	bpf_object__for_each_program(prog, agent->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		if (len >= offsetof(struct bpf_prog_info, recursion_misses) +
				   sizeof(info.recursion_misses))
			sum += info.recursion_misses;
	}
	return sum;
}

void agent__drops(const struct agent *agent, uint64_t drops[AGENT_DROPS])
{
	for (int i = 0; i < AGENT_DROPS; i++) {
		unsigned int ctr = agent_drop_reasons[i].counter;

		drops[i] = ctr < RW_CTR_MAX ? agent__counter(agent, ctr) : 0;
	}
	drops[AGENT_DROP_FREE_MISSED] += agent->swept;
	drops[AGENT_DROP_RECURSION] = recursion_misses(agent);
}

/* The aggregation maps, for src/kstats.c: their fds stay with the agent. */
static struct kstats_maps stats_maps(const struct agent *agent)
{
	return (struct kstats_maps){
		.cgroup_stats = bpf_map__fd(agent->skel->maps.cgroup_stats),
		.signal_stats = bpf_map__fd(agent->skel->maps.signal_stats),
		.stats_owners = bpf_map__fd(agent->skel->maps.stats_owners),
		.stats_slots = bpf_map__fd(agent->skel->maps.stats_slots),
		.slots = bpf_map__max_entries(agent->skel->maps.stats_owners),
		.ncpus = agent->ncpus,
	};
}

int agent__read_stats(struct agent *agent, const struct kstats **stats)
{
	struct kstats_maps maps = stats_maps(agent);
	int err;

	if (!agent->kstats && !(agent->kstats = kstats__new()))
		return -ENOMEM;
	err = kstats__read(agent->kstats, &maps);
	*stats = agent->kstats;
	return err;
}

void agent__forget_stats(struct agent *agent, const uint64_t *cgroup_ids, size_t n)
{
	struct kstats_maps maps = stats_maps(agent);

	if (agent->kstats)
		kstats__delete(agent->kstats, &maps, cgroup_ids, n);
}

uint64_t agent__counter(const struct agent *agent, unsigned int counter)
{
	__u32 key = counter;
	uint64_t sum = 0;
	__u64 *vals;

	vals = calloc((size_t)agent->ncpus, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(agent->counters_fd, &key, vals))
		for (int i = 0; i < agent->ncpus; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

/*
 * docs: a zombie's age is exact if it died while any agent ran, also once that agent has
 * ended. So a published agent leaves, as it goes, the ages of the zombies present now
 * (its own through its pin, still there, and those other agents and earlier ones knew).
 */
static void leave_zombie_ages(void)
{
	struct zombie_census *census;
	int err = zombie_census__new(&census, "/proc");

	if (!err) {
		zombie_census__add_ages(census, ZOMBIE_AGES_FILE);
		err = zombie_census__save_ages(census, ZOMBIE_AGES_FILE);
		zombie_census__free(census);
	}
	/* (not the command's failure: a read-only /run only narrows what `zombies` knows) */
	if (err && getenv("REAPWATCH_DEBUG"))
		fprintf(stderr, "reapwatch: zombie ages not left in %s: %s\n", ZOMBIE_AGES_FILE,
			strerror(-err));
}

void agent__free(struct agent *agent)
{
	if (!agent)
		return;
	if (agent->pin_dir[0])
		leave_zombie_ages();
	pins_withdraw(agent->pin_dir, agent->pin_lock_fd);
	ring_buffer__free(agent->rb);
	reapwatch_bpf__destroy(agent->skel);
	free(agent->procs_gone.keys);
	free(agent->orphans_gone.keys);
	free(agent->termed_gone.keys);
	free(agent->first_sigterm_gone.keys);
	free(agent->teardowns_gone.keys);
	kstats__free(agent->kstats);
	free(agent);
}
