// SPDX-License-Identifier: GPL-2.0
/* The kernel side's table of exited processes, mapped and read here (see procs_table.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "procs_slots.h"
#include "procs_table.h"

struct procs_table {
	struct rw_proc_state *slots;
	size_t n;
	size_t bytes;
};

/*
 * Is the map's value this build's struct rw_proc_state? Its size alone does not tell: the
 * layout changed at 144 bytes (`spill` at offset 8), and an agent of another build may have
 * pinned its table. The map's BTF names the fields: `spill` where this build has it. Reading
 * another program's BTF needs CAP_SYS_ADMIN (BPF_BTF_GET_FD_BY_ID), which an agent with only
 * CAP_BPF and CAP_PERFMON lacks: then the size is all there is to go by.
 */
static bool same_layout(const struct bpf_map_info *info)
{
	const struct btf_type *t;
	const struct btf_member *m;
	struct btf *btf;
	bool same = false;

	if (!info->btf_id || !info->btf_value_type_id)
		return false;
	btf = btf__load_from_kernel_by_id(info->btf_id);
	if (!btf)
		return errno == EPERM;
	t = btf__type_by_id(btf, info->btf_value_type_id);
	if (t && btf_is_struct(t)) {
		m = btf_members(t);
		for (int i = 0; i < btf_vlen(t) && !same; i++, m++) {
			const char *name = btf__name_by_offset(btf, m->name_off);

			same = name && !strcmp(name, "spill") &&
			       btf_member_bit_offset(t, (__u32)i) ==
				       8 * offsetof(struct rw_proc_state, spill);
		}
	}
	btf__free(btf);
	return same;
}

int procs_table__new(struct procs_table **out, int map_fd, bool writable, bool other_build)
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
	    info.value_size != sizeof(struct rw_proc_state) || !(info.map_flags & BPF_F_MMAPABLE) ||
	    (other_build && !same_layout(&info)))
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
	return procs_slots_read(table->slots, i, st);
}

bool procs_table__release(struct procs_table *table, size_t i, const struct rw_proc_state *st)
{
	return procs_slots_release(table->slots, table->n, i, st);
}

int procs_table__repair_spills(struct procs_table *table)
{
	return procs_slots_repair_spills(table->slots, table->n);
}

void procs_table__free(struct procs_table *table)
{
	if (!table)
		return;
	munmap(table->slots, table->bytes);
	free(table);
}
