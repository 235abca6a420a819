// SPDX-License-Identifier: GPL-2.0
/* load_log (src/load_log.c): from what libbpf prints while the kernel refuses a program,
 * the program's name and the verifier's own last word, whatever way the text is split. */
#include "unit.h"

#include "load_log.h"

/* As libbpf 1.1 printed it for the 6.18 kernel whose verifier applies the classic
 * 512-byte limit to a whole call chain. */
static const char refused_stack[] =
	"libbpf: prog 'handle_wait': added 141 insns from sub-prog 'wait_walk_step'\n"
	"libbpf: prog 'handle_exit': BPF program load failed: Permission denied\n"
	"libbpf: prog 'handle_exit': -- BEGIN PROG LOAD LOG --\n"
	"combined stack size of 2 calls is 560. Too large\n"
	"processed 55633 insns (limit 1000000) max_states_per_insn 23 total_states 2496\n"
	"-- END PROG LOAD LOG --\n"
	"libbpf: prog 'handle_exit': failed to load: -13\n"
	"libbpf: failed to load object 'reapwatch_bpf'\n";

static void test_stack_refusal(void **state)
{
	struct load_log log = {0};

	load_log__feed(&log, refused_stack);
	assert_string_equal(log.program, "handle_exit");
	assert_string_equal(log.verdict, "combined stack size of 2 calls is 560. Too large");
	assert_string_equal(load_log__advice(&log), "a verifier limit or rule this build does not meet");
}

/* libbpf's print callback gets pieces: a line may come in several calls. */
static void test_split_anywhere(void **state)
{
	struct load_log log = {0};
	char piece[2] = {0};

	for (const char *p = refused_stack; *p; p++) {
		piece[0] = *p;
		load_log__feed(&log, piece);
	}
	assert_string_equal(log.program, "handle_exit");
	assert_string_equal(log.verdict, "combined stack size of 2 calls is 560. Too large");
}

static void test_missing_helper(void **state)
{
	struct load_log log = {0};

	load_log__feed(&log, "libbpf: prog 'handle_wait': BPF program load failed: Invalid argument\n"
			    "libbpf: prog 'handle_wait': -- BEGIN PROG LOAD LOG --\n"
			    "0: R1=ctx(off=0,imm=0) R10=fp0\n"
			    "12: (85) call unknown#181\n"
			    "invalid func unknown#181\n"
			    "processed 12 insns (limit 1000000)\n"
			    "-- END PROG LOAD LOG --\n");
	assert_string_equal(log.program, "handle_wait");
	assert_string_equal(log.verdict, "invalid func unknown#181");
	assert_string_equal(load_log__advice(&log), "this kernel lacks a BPF helper the program calls");
}

static void test_core_relocation(void **state)
{
	struct load_log log = {0};

	load_log__feed(&log, "libbpf: prog 'handle_exit': BPF program load failed: Invalid argument\n"
			    "libbpf: prog 'handle_exit': -- BEGIN PROG LOAD LOG --\n"
			    "1920: <invalid CO-RE relocation>\n"
			    "failed to resolve CO-RE relocation <byte_off> [554] struct x.node\n"
			    "processed 10041 insns (limit 1000000)\n"
			    "-- END PROG LOAD LOG --\n");
	assert_string_equal(log.verdict, "failed to resolve CO-RE relocation <byte_off> [554] struct x.node");
	assert_string_equal(load_log__advice(&log),
			    "this kernel's BTF lacks a type or field the program reads");
}

/* Nothing refused: no program named, nothing to quote. */
static void test_quiet_load(void **state)
{
	struct load_log log = {0};

	load_log__feed(&log, "libbpf: loaded kernel BTF from '/sys/kernel/btf/vmlinux'\n"
			    "libbpf: map 'events': created successfully, fd=4\n");
	assert_string_equal(log.program, "");
	assert_string_equal(log.verdict, "");
}

/* A line longer than the buffer is cut, not overrun. */
static void test_long_line(void **state)
{
	struct load_log log = {0};
	char text[2 * LOAD_LOG_LINE + 64] = "-- BEGIN PROG LOAD LOG --\n";
	size_t at = strlen(text);

	memset(text + at, 'x', 2 * LOAD_LOG_LINE);
	text[at + 2 * LOAD_LOG_LINE] = '\n';
	load_log__feed(&log, text);
	assert_int_equal(strlen(log.verdict), LOAD_LOG_LINE - 1);
}

/* A load log whose END line never came (a message cut short): libbpf's own lines after it
 * are not the verifier's verdict. */
static void test_cut_log(void **state)
{
	struct load_log log = {0};

	load_log__feed(&log, "libbpf: prog 'handle_exit': BPF program load failed: Permission denied\n"
			    "libbpf: prog 'handle_exit': -- BEGIN PROG LOAD LOG --\n"
			    "combined stack size of 2 calls is 560. Too large\n");
	load_log__feed(&log, "libbpf: prog 'handle_exit': failed to load: -13\n"
			    "libbpf: failed to load object 'reapwatch_bpf'\n");
	assert_string_equal(log.program, "handle_exit");
	assert_string_equal(log.verdict, "combined stack size of 2 calls is 560. Too large");
	assert_false(log.in_log);
}

/* A verifier log far beyond 4 KiB in one piece (libbpf prints it in one call). */
static void test_long_log(void **state)
{
	static char text[64 * 1024];
	struct load_log log = {0};
	size_t at;

	at = (size_t)snprintf(text, sizeof(text), "libbpf: prog 'handle_wait': -- BEGIN PROG LOAD LOG --\n");
	for (int i = 0; i < 1000; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at,
				       "%d: (bf) r1 = r6 ; R1_w=scalar() R6=ptr_task_struct\n", i);
	snprintf(text + at, sizeof(text) - at,
		 "R6 invalid mem access 'scalar'\nprocessed 1000 insns\n-- END PROG LOAD LOG --\n"
		 "libbpf: failed to load object 'reapwatch_bpf'\n");
	load_log__feed(&log, text);
	assert_string_equal(log.verdict, "R6 invalid mem access 'scalar'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stack_refusal),   cmocka_unit_test(test_split_anywhere),
	    cmocka_unit_test(test_missing_helper),  cmocka_unit_test(test_core_relocation),
	    cmocka_unit_test(test_quiet_load),	    cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_cut_log),	    cmocka_unit_test(test_long_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
