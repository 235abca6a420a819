// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "reapwatch.h"
#include "reapwatch.skel.h"
#include "pins.h"
#include "util.h"

#define DEFAULT_RINGBUF_BYTES (8u << 20)
#define BTF_PATH "/sys/kernel/btf/vmlinux"

struct agent {
	struct reapwatch_bpf *skel;
	struct ring_buffer *rb;
	int counters_fd;
	int ncpus;
	char pin_dir[128]; /* where our procs map is shared, "" if not */
};

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

int agent__open(struct agent **out, const struct agent_config *config, agent_record_fn fn,
		void *ctx)
{
	struct agent *agent;
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

int agent__poll(struct agent *agent, int timeout_ms)
{
	int n, m;

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
