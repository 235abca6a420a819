/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The way out: one ring buffer of tagged records (include/reapwatch.h), per-CPU
 * counters for what could not be sent or kept, and the event-type knob.
 *
 * Owns the ring buffer `events`, the per-CPU `counters` (enum rw_counter), the knobs
 * event_mask and wakeup_bytes, and wanted()/reserve()/submit()/count().
 */
#ifndef REAPWATCH_EVENTS_BPF_H
#define REAPWATCH_EVENTS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "reapwatch.h"

/* Set by userspace before load. */
const volatile __u32 event_mask = RW_EVENTS_DEFAULT;
/*
 * Records are submitted without waking the reader (a wakeup costs 1-7 us per
 * event here, see shared/bench); userspace drains every 100 ms. Once this much is
 * waiting, wake it so a burst cannot fill the ring between two drains. (A constant:
 * userspace leaves it.)
 */
const volatile __u64 wakeup_bytes = 1 << 20;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* (REAPWATCH_TEST_MAP_ENTRIES: one page, for tests) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RW_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline bool wanted(enum rw_record_type type)
{
	return event_mask & RW_EVENT_BIT(type);
}

static __always_inline void count(enum rw_counter ctr)
{
	__u32 key = ctr;
	__u64 *val = bpf_map_lookup_elem(&counters, &key);

	if (val)
		*val += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline void *reserve(__u32 size, enum rw_record_type type, __u64 now)
{
	struct rw_header *hdr = bpf_ringbuf_reserve(&events, size, 0);

	if (!hdr) {
		count(RW_CTR_RINGBUF_LOST);
		return NULL;
	}
	hdr->type = type;
	hdr->size = size;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->ts_ns = now;
	return hdr;
}

static __always_inline void submit(void *rec)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

#endif /* REAPWATCH_EVENTS_BPF_H */
