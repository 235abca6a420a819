// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "reapwatch.h"
#include "reapwatch.skel.h"
#include "pins.h"
#include "procfs.h"
#include "zombies.h"
#include "util.h"

#define DEFAULT_RINGBUF_BYTES (8u << 20)
#define BTF_PATH "/sys/kernel/btf/vmlinux"

/*
 * sched_process_free does not reach the programs for a few frees in a thousand on
 * these hosts (measured: 102 of 100 458 in one soak, no recursion_misses), so state
 * of a process whose free was missed would stay. Every SWEEP_INTERVAL_NS, an entry
 * older than SWEEP_AGE_NS whose process is gone is turned into a reap record here
 * (its evidence, if any, still gives the reap time) and deleted.
 */
#define SWEEP_INTERVAL_NS (5ull * 1000000000ull)
#define SWEEP_AGE_NS (2ull * 1000000000ull)

struct agent {
	struct reapwatch_bpf *skel;
	struct ring_buffer *rb;
	agent_record_fn on_record;
	void *ctx;
	uint64_t next_sweep_ns;
	uint64_t swept;
	int counters_fd;
	int ncpus;
	bool late_reaps;  /* see struct agent_config */
	char pin_dir[128]; /* where our procs map is shared, "" if not */
};

static bool wanted_reaps(const struct agent *agent)
{
	return agent->skel->rodata->event_mask & RW_EVENT_BIT(RW_REC_REAP);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's own diagnostics (verifier logs...) only when asked for. */
	if (!getenv("REAPWATCH_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int load_failed(int err, const char *what)
{
	if (err == -EPERM || err == -EACCES)
		rw_error("needs root or CAP_BPF and CAP_PERFMON (%s: %s)", what, strerror(-err));
	else
		rw_error("%s failed: %s (run with REAPWATCH_DEBUG=1 for libbpf's log)", what,
			 strerror(-err));
	return err;
}

/* A test knob in the environment: set, and not "0". */
static bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && strcmp(v, "0");
}

/*
 * Does sched_process_exit pass group_dead (v6.16+)? Its raw tracepoint's prototype,
 * btf_trace_sched_process_exit (a pointer to a function of ctx and the tracepoint's
 * arguments), says. REAPWATCH_EXIT_COMPAT=1 takes the older kernels' path anyway
 * (for tests); without BTF to read, so does the agent.
 */
static bool exit_passes_group_dead(void)
{
	const struct btf_type *t;
	struct btf *btf;
	bool yes = false;
	int id;

	if (env_flag("REAPWATCH_EXIT_COMPAT"))
		return false;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	if (t && btf_is_ptr(t)) {
		t = btf__type_by_id(btf, t->type);
		yes = t && btf_is_func_proto(t) && btf_vlen(t) >= 3;
	}
	btf__free(btf);
	return yes;
}

int agent__open(struct agent **out, const struct agent_config *config, agent_record_fn fn,
		void *ctx)
{
	struct agent *agent;
	bool exit_compat;
	int err;

	*out = NULL;
	if (access(BTF_PATH, R_OK)) {
		err = -errno;
		rw_error("kernel BTF not readable at %s (%s): needs a kernel built with "
			 "CONFIG_DEBUG_INFO_BTF=y",
			 BTF_PATH, strerror(-err));
		return err;
	}
	libbpf_set_print(libbpf_print);

	agent = calloc(1, sizeof(*agent));
	if (!agent)
		return -ENOMEM;
	agent->counters_fd = -1;

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
	exit_compat = !exit_passes_group_dead();
	agent->skel->rodata->exit_compat = exit_compat;
	bpf_program__set_autoload(agent->skel->progs.handle_exit, !exit_compat);
	bpf_program__set_autoload(agent->skel->progs.handle_exit_compat, exit_compat);
	/* Only the older kernels' exit program uses its claims map. */
	if (!exit_compat)
		bpf_map__set_max_entries(agent->skel->maps.exit_claims, 1);
	err = bpf_map__set_max_entries(agent->skel->maps.events,
				       config->ringbuf_bytes ? config->ringbuf_bytes
							     : DEFAULT_RINGBUF_BYTES);
	if (err) {
		rw_error("sizing the ring buffer failed: %s", strerror(-err));
		goto fail;
	}

	/* load: verify and create maps */
	err = reapwatch_bpf__load(agent->skel);
	if (err) {
		load_failed(err, "loading BPF programs");
		goto fail;
	}

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
		/* share: `reapwatch zombies` reads exact zombie ages from a running agent */
		err = pins_publish(bpf_map__fd(agent->skel->maps.procs), agent->pin_dir,
				   sizeof(agent->pin_dir));
		if (err)
			rw_error("warning: cannot share zombie state under %s (%s); "
				 "'reapwatch zombies' will show ages as unknown",
				 PIN_ROOT, strerror(-err));
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

static void sweep(struct agent *agent, uint64_t now)
{
	int fd = bpf_map__fd(agent->skel->maps.procs);
	struct rw_proc_state st, again;
	__u64 key, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct rw_reap_record rec = { 0 };

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &st) || !st.exit_ns || now < st.exit_ns ||
		    now - st.exit_ns < SWEEP_AGE_NS || process_exists(st.proc.pid, st.boot_start_ns))
			continue;
		/* The kernel side may have replaced it with a new process's state while we
		 * read /proc (reaping_on_exit() reports the old one then): look again. The
		 * window left, between this look and the delete, is a few microseconds. */
		if (bpf_map_lookup_elem(fd, &key, &again) || again.exit_ns != st.exit_ns)
			continue;
		if (bpf_map_delete_elem(fd, &key))
			continue; /* freed meanwhile: the kernel side sent it */
		rec.hdr.type = RW_REC_REAP;
		rec.hdr.size = sizeof(rec);
		rec.hdr.ts_ns = now;
		rec.proc = st.proc;
		rec.reaper = st.reaper;
		rec.exit_ns = st.exit_ns;
		rec.zombie_ns = st.zombie_ns;
		rec.reap_ns = st.reap_ns;
		rec.how = st.how ? st.how : RW_REAP_SWEPT;
		rec.autoreap = st.autoreap;
		rec.late = 1;
		agent->swept++;
		if (wanted_reaps(agent) || agent->late_reaps)
			agent->on_record(agent->ctx, &rec, sizeof(rec));
	}
}

int agent__poll(struct agent *agent, int timeout_ms)
{
	uint64_t now = mono_now_ns();
	int n, m;

	if (now >= agent->next_sweep_ns) {
		sweep(agent, now);
		agent->next_sweep_ns = now + SWEEP_INTERVAL_NS;
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

uint64_t agent__swept(const struct agent *agent)
{
	return agent->swept;
}

uint64_t agent__lost(const struct agent *agent)
{
	return agent__counter(agent, RW_CTR_RINGBUF_LOST);
}

void agent__maps(const struct agent *agent, struct agent_maps *maps)
{
	maps->cgroup_stats = bpf_map__fd(agent->skel->maps.cgroup_stats);
	maps->signal_stats = bpf_map__fd(agent->skel->maps.signal_stats);
	maps->ncpus = agent->ncpus;
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

void agent__free(struct agent *agent)
{
	if (!agent)
		return;
	pins_withdraw(agent->pin_dir);
	ring_buffer__free(agent->rb);
	reapwatch_bpf__destroy(agent->skel);
	free(agent);
}
