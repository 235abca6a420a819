// SPDX-License-Identifier: GPL-2.0
#include "unit.h"

#include <stdint.h>
#include <string.h>

#include "procs_slots.h"

#define SLOTS 8
#define TGID 1003 /* its first slot: 1003 & 7 = 3 */

/* Put a state of TGID's probe `probe` in the table, counted as the kernel side counts it. */
static size_t hold(struct rw_proc_state *slots, __u64 task, __u32 probe)
{
	size_t i = rw_proc_slot(TGID, probe, SLOTS - 1);

	slots[i].task = task;
	slots[i].proc.pid = TGID;
	slots[i].probe = (__u8)probe;
	slots[i].exit_ns = 1;
	if (probe)
		slots[rw_proc_slot(TGID, 0, SLOTS - 1)].spill++;
	return i;
}

/* A state in its first slot leaves the counts alone; one in a later probe is taken off its
 * first slot's count; a slot given to another owner meanwhile is not freed. */
static void test_release(void **state)
{
	struct rw_proc_state slots[SLOTS] = { 0 }, st;
	size_t first = rw_proc_slot(TGID, 0, SLOTS - 1);
	size_t a = hold(slots, 0x1000, 0), b = hold(slots, 0x2000, 2);

	assert_int_equal(slots[first].spill, 1);
	assert_true(procs_slots_read(slots, b, &st));
	slots[b].task = 0x3000; /* given to another meanwhile */
	assert_false(procs_slots_release(slots, SLOTS, b, &st));
	assert_int_equal(slots[first].spill, 1);
	slots[b].task = 0x2000;
	assert_true(procs_slots_release(slots, SLOTS, b, &st));
	assert_int_equal(slots[b].task, 0);
	assert_int_equal(slots[first].spill, 0);
	assert_false(procs_slots_read(slots, b, &st));
	assert_true(procs_slots_read(slots, a, &st));
	assert_true(procs_slots_release(slots, SLOTS, a, &st));
	assert_int_equal(slots[first].spill, 0);
}

/* A count below the states held in later probes, or wrapped below 0, is raised to them; one
 * above (a state released since it was counted) is left: it costs only probes. */
static void test_repair(void **state)
{
	struct rw_proc_state slots[SLOTS] = { 0 };
	size_t first = rw_proc_slot(TGID, 0, SLOTS - 1), other = (first + 1) % SLOTS;

	hold(slots, 0x1000, 0);
	hold(slots, 0x2000, 1);
	hold(slots, 0x3000, 3);
	assert_int_equal(procs_slots_repair_spills(slots, SLOTS), 0);
	assert_int_equal(slots[first].spill, 2);

	slots[first].spill = 1; /* one decrement too many */
	assert_int_equal(procs_slots_repair_spills(slots, SLOTS), 1);
	assert_int_equal(slots[first].spill, 2);

	slots[first].spill = UINT32_MAX; /* wrapped below 0 */
	slots[other].spill = 5;		 /* too high: left */
	assert_int_equal(procs_slots_repair_spills(slots, SLOTS), 1);
	assert_int_equal(slots[first].spill, 2);
	assert_int_equal(slots[other].spill, 5);
}

/* A slot for every pid the kernel may hand out, as a power of two within [1024, RW_PROC_SLOTS]. */
static void test_for_pid_max(void **state)
{
	(void)state;
	assert_int_equal(procs_slots_for_pid_max(0), 1024);
	assert_int_equal(procs_slots_for_pid_max(301), 1024); /* the least pid_max there is */
	assert_int_equal(procs_slots_for_pid_max(1024), 1024);
	assert_int_equal(procs_slots_for_pid_max(1025), 2048);
	assert_int_equal(procs_slots_for_pid_max(5000), 8192);
	assert_int_equal(procs_slots_for_pid_max(32768), 32768); /* the default up to 32 CPUs */
	assert_int_equal(procs_slots_for_pid_max(40000), RW_PROC_SLOTS);
	assert_int_equal(procs_slots_for_pid_max(4194304), RW_PROC_SLOTS); /* systemd's */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_repair),
		cmocka_unit_test(test_for_pid_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
