// SPDX-License-Identifier: GPL-2.0
/*
 * procs_slots MAP_ID [COMM_PREFIX]: how many slots of an agent's `procs` table (an array of
 * struct rw_proc_state, bpf/procs.bpf.h) are owned, and how many of those hold a process
 * whose comm starts with COMM_PREFIX; of those, how many are held in a later probe than their
 * first (`spilled`), and the sum of every slot's `spill` count (which, at rest, equals it).
 * Prints "owned=N matching=M spilled=S spill=C". Through mmap(), as the
 * agent reads it: bpftool's dump of up to 65536 slots takes seconds.
 */
#define SCENARIO_NAME "procs_slots"
#include <inttypes.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include "scenario.h"
#include "../../include/reapwatch.h"

static int bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char **argv)
{
	const char *prefix = argc > 2 ? argv[2] : NULL;
	struct bpf_map_info info = { 0 };
	union bpf_attr attr;
	const struct rw_proc_state *slots;
	size_t owned = 0, matching = 0, spilled = 0, bytes;
	uint64_t spill = 0;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: procs_slots MAP_ID [COMM_PREFIX]\n");
		return 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_id = (uint32_t)strtoul(argv[1], NULL, 10);
	fd = bpf(BPF_MAP_GET_FD_BY_ID, &attr);
	if (fd < 0)
		die("BPF_MAP_GET_FD_BY_ID");
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		die("BPF_OBJ_GET_INFO_BY_FD");
	if (info.type != BPF_MAP_TYPE_ARRAY || info.value_size != sizeof(struct rw_proc_state)) {
		fprintf(stderr, "procs_slots: map %s is not a procs table of this build\n", argv[1]);
		return 1;
	}
	bytes = (size_t)info.max_entries * info.value_size;
	bytes = (bytes + 4095) & ~(size_t)4095;
	slots = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	if (slots == MAP_FAILED)
		die("mmap");
	for (uint32_t i = 0; i < info.max_entries; i++) {
		spill += slots[i].spill;
		if (!slots[i].task)
			continue;
		owned++;
		spilled += slots[i].probe != 0;
		if (prefix && !strncmp(slots[i].proc.comm, prefix, strlen(prefix)))
			matching++;
	}
	printf("owned=%zu matching=%zu spilled=%zu spill=%" PRIu64 "\n", owned, matching, spilled,
	       spill);
	return 0;
}
