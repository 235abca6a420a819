// SPDX-License-Identifier: GPL-2.0
/* The kernel side's table of exited processes, mapped and read here (see procs_table.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "procs_table.h"

struct procs_table {
	struct rw_proc_state *slots;
	size_t n;
	size_t bytes;
};

int procs_table__new(struct procs_table **out, int map_fd, bool writable)
{
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	struct procs_table *t;
	long page = sysconf(_SC_PAGESIZE);
	size_t bytes;
	void *mem;

	*out = NULL;
	if (bpf_obj_get_info_by_fd(map_fd, &info, &info_len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != sizeof(__u32) ||
	    info.value_size != sizeof(struct rw_proc_state) || !(info.map_flags & BPF_F_MMAPABLE))
		return -EPROTO;
	/* An array's values are 8-byte aligned, one after another, from offset 0. */
	bytes = (size_t)info.max_entries * sizeof(struct rw_proc_state);
	if (page > 0)
		bytes = (bytes + (size_t)page - 1) / (size_t)page * (size_t)page;
	mem = mmap(NULL, bytes, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, map_fd,
		   0);
	if (mem == MAP_FAILED)
		return -errno;
	t = calloc(1, sizeof(*t));
	if (!t) {
		munmap(mem, bytes);
		return -ENOMEM;
	}
	t->slots = mem;
	t->n = info.max_entries;
	t->bytes = bytes;
	*out = t;
	return 0;
}

size_t procs_table__slots(const struct procs_table *table)
{
	return table ? table->n : 0;
}

bool procs_table__read(const struct procs_table *table, size_t i, struct rw_proc_state *st)
{
	const struct rw_proc_state *slot = &table->slots[i];
	__u64 owner = __atomic_load_n(&slot->task, __ATOMIC_ACQUIRE);

	/* Most slots are free: one load before the copy. A slot given to another process
	 * while it was copied is not this one's: its owner is looked at again. */
	if (!owner)
		return false;
	memcpy(st, slot, sizeof(*st));
	return st->task == owner && __atomic_load_n(&slot->task, __ATOMIC_ACQUIRE) == owner;
}

bool procs_table__release(struct procs_table *table, size_t i, const struct rw_proc_state *st)
{
	__u64 owner = st->task;

	if (!__atomic_compare_exchange_n(&table->slots[i].task, &owner, 0, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return false;
	/* A state in a later probe was counted in its first slot (bpf/procs.bpf.h). */
	if (st->probe)
		__atomic_fetch_sub(&table->slots[rw_proc_slot(st->proc.pid, 0, (__u32)table->n - 1)].spill,
				   1, __ATOMIC_RELAXED);
	return true;
}

void procs_table__free(struct procs_table *table)
{
	if (!table)
		return;
	munmap(table->slots, table->bytes);
	free(table);
}
