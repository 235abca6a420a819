// SPDX-License-Identifier: GPL-2.0
#include <signal.h>

#include "unit.h"

#include "signames.h"

static void test_signal_name_standard(void **state)
{
	/* x86-64 numbering, in full, so that a shifted table cannot pass. */
	static const char *const want[] = {
	    NULL,	"SIGHUP",  "SIGINT",	"SIGQUIT", "SIGILL",  "SIGTRAP",   "SIGABRT",
	    "SIGBUS",	"SIGFPE",  "SIGKILL",	"SIGUSR1", "SIGSEGV", "SIGUSR2",   "SIGPIPE",
	    "SIGALRM",	"SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",   "SIGTSTP",
	    "SIGTTIN",	"SIGTTOU", "SIGURG",	"SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
	    "SIGWINCH", "SIGIO",   "SIGPWR",	"SIGSYS",
	};

	assert_int_equal(ARRAY_SIZE(want), 32);
	for (int sig = 1; sig < 32; sig++)
		assert_string_equal(signal_name(sig), want[sig]);
}

static void test_signal_name_realtime(void **state)
{
	char want[16];

	/* As glibc and bash name them: SIGRTMIN is 34 (kill -l 34), 32 and 33 are libc's own. */
	assert_string_equal(signal_name(32), "SIG32");
	assert_string_equal(signal_name(33), "SIG33");
	assert_string_equal(signal_name(34), "SIGRTMIN");
	assert_string_equal(signal_name(37), "SIGRTMIN+3"); /* systemd's halt, a STOPSIGNAL */
	assert_string_equal(signal_name(49), "SIGRTMIN+15");
	assert_string_equal(signal_name(50), "SIGRTMAX-14");
	assert_string_equal(signal_name(63), "SIGRTMAX-1");
	assert_string_equal(signal_name(64), "SIGRTMAX");
	/* and as this libc numbers them at run time */
	assert_string_equal(signal_name(SIGRTMIN), "SIGRTMIN");
	assert_string_equal(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
	assert_string_equal(signal_name(SIGRTMAX - 1), "SIGRTMAX-1");
	assert_string_equal(signal_name(SIGRTMAX), "SIGRTMAX");
	for (int sig = 35; sig <= 49; sig++) {
		snprintf(want, sizeof(want), "SIGRTMIN+%d", sig - 34);
		assert_string_equal(signal_name(sig), want);
	}
	for (int sig = 50; sig < 64; sig++) {
		snprintf(want, sizeof(want), "SIGRTMAX-%d", 64 - sig);
		assert_string_equal(signal_name(sig), want);
	}
}

static void test_signal_name_out_of_range(void **state)
{
	assert_null(signal_name(0));
	assert_null(signal_name(-1));
	assert_null(signal_name(65));
	assert_null(signal_name(128));
	assert_null(signal_name(INT32_MIN));
	assert_null(signal_name(INT32_MAX));
}

static void test_si_code_generic(void **state)
{
	static const struct {
		int code;
		const char *name;
	} generic[] = {
	    {0, "SI_USER"},	 {0x80, "SI_KERNEL"}, {-1, "SI_QUEUE"}, {-2, "SI_TIMER"},
	    {-3, "SI_MESGQ"},	 {-4, "SI_ASYNCIO"},  {-5, "SI_SIGIO"}, {-6, "SI_TKILL"},
	    {-7, "SI_DETHREAD"}, {-60, "SI_ASYNCNL"},
	};
	/* Sender codes mean the same whatever the signal, including SIGCHLD and SIGSEGV. */
	static const int sigs[] = {9, 15, 17, 11, 7, 4, 8, 5, 29, 34, 64};

	for (size_t s = 0; s < ARRAY_SIZE(sigs); s++) {
		for (size_t i = 0; i < ARRAY_SIZE(generic); i++)
			assert_string_equal(si_code_name(sigs[s], generic[i].code),
					    generic[i].name);
		assert_null(si_code_name(sigs[s], -8));
		assert_null(si_code_name(sigs[s], -59));
		assert_null(si_code_name(sigs[s], -61));
		assert_null(si_code_name(sigs[s], INT32_MIN));
	}
}

static void test_si_code_per_signal(void **state)
{
	/* SIGCHLD */
	assert_string_equal(si_code_name(17, 1), "CLD_EXITED");
	assert_string_equal(si_code_name(17, 2), "CLD_KILLED");
	assert_string_equal(si_code_name(17, 3), "CLD_DUMPED");
	assert_string_equal(si_code_name(17, 4), "CLD_TRAPPED");
	assert_string_equal(si_code_name(17, 5), "CLD_STOPPED");
	assert_string_equal(si_code_name(17, 6), "CLD_CONTINUED");
	assert_null(si_code_name(17, 7));
	/* SIGSEGV */
	assert_string_equal(si_code_name(11, 1), "SEGV_MAPERR");
	assert_string_equal(si_code_name(11, 2), "SEGV_ACCERR");
	assert_string_equal(si_code_name(11, 3), "SEGV_BNDERR");
	assert_string_equal(si_code_name(11, 4), "SEGV_PKUERR");
	assert_null(si_code_name(11, 5));
	/* SIGBUS */
	assert_string_equal(si_code_name(7, 1), "BUS_ADRALN");
	assert_string_equal(si_code_name(7, 2), "BUS_ADRERR");
	assert_string_equal(si_code_name(7, 3), "BUS_OBJERR");
	assert_string_equal(si_code_name(7, 4), "BUS_MCEERR_AR");
	assert_string_equal(si_code_name(7, 5), "BUS_MCEERR_AO");
	assert_null(si_code_name(7, 6));
	/* SIGILL */
	assert_string_equal(si_code_name(4, 1), "ILL_ILLOPC");
	assert_string_equal(si_code_name(4, 2), "ILL_ILLOPN");
	assert_string_equal(si_code_name(4, 3), "ILL_ILLADR");
	assert_string_equal(si_code_name(4, 4), "ILL_ILLTRP");
	assert_string_equal(si_code_name(4, 5), "ILL_PRVOPC");
	assert_string_equal(si_code_name(4, 6), "ILL_PRVREG");
	assert_string_equal(si_code_name(4, 7), "ILL_COPROC");
	assert_string_equal(si_code_name(4, 8), "ILL_BADSTK");
	assert_null(si_code_name(4, 10));
	/* SIGFPE */
	assert_string_equal(si_code_name(8, 1), "FPE_INTDIV");
	assert_string_equal(si_code_name(8, 2), "FPE_INTOVF");
	assert_string_equal(si_code_name(8, 3), "FPE_FLTDIV");
	assert_string_equal(si_code_name(8, 4), "FPE_FLTOVF");
	assert_string_equal(si_code_name(8, 5), "FPE_FLTUND");
	assert_string_equal(si_code_name(8, 6), "FPE_FLTRES");
	assert_string_equal(si_code_name(8, 7), "FPE_FLTINV");
	assert_string_equal(si_code_name(8, 8), "FPE_FLTSUB");
	assert_null(si_code_name(8, 9));
	/* SIGTRAP */
	assert_string_equal(si_code_name(5, 1), "TRAP_BRKPT");
	assert_string_equal(si_code_name(5, 2), "TRAP_TRACE");
	assert_string_equal(si_code_name(5, 3), "TRAP_BRANCH");
	assert_string_equal(si_code_name(5, 4), "TRAP_HWBKPT");
	assert_null(si_code_name(5, 7));
	/* SIGIO, also known as SIGPOLL */
	assert_string_equal(si_code_name(29, 1), "POLL_IN");
	assert_string_equal(si_code_name(29, 2), "POLL_OUT");
	assert_string_equal(si_code_name(29, 3), "POLL_MSG");
	assert_string_equal(si_code_name(29, 4), "POLL_ERR");
	assert_string_equal(si_code_name(29, 5), "POLL_PRI");
	assert_string_equal(si_code_name(29, 6), "POLL_HUP");
	assert_null(si_code_name(29, 7));
}

/* Newer kernels' codes that exist on x86-64, beyond the classic lists. */
static void test_si_code_newer(void **state)
{
	assert_string_equal(si_code_name(4, 9), "ILL_BADIADDR");
	assert_string_equal(si_code_name(8, 14), "FPE_FLTUNK");
	assert_string_equal(si_code_name(8, 15), "FPE_CONDTRAP");
	assert_string_equal(si_code_name(11, 10), "SEGV_CPERR");
	assert_string_equal(si_code_name(5, 5), "TRAP_UNK");
	assert_string_equal(si_code_name(5, 6), "TRAP_PERF");
	/* Holes in the tables are unknown, not empty strings. */
	assert_null(si_code_name(8, 10));
	assert_null(si_code_name(11, 6));
}

static void test_si_code_unknown(void **state)
{
	/* A positive code means nothing for signals without their own codes. */
	assert_null(si_code_name(15, 1));
	assert_null(si_code_name(9, 2));
	assert_null(si_code_name(34, 1));
	assert_null(si_code_name(0, 1));
	assert_null(si_code_name(-1, 1));
	assert_null(si_code_name(17, 0x7f));
	assert_null(si_code_name(17, 0x81));
	assert_null(si_code_name(11, 1000));
	assert_null(si_code_name(17, INT32_MAX));
	/* 0x80 is SI_KERNEL even where the family's table is consulted for other codes. */
	assert_string_equal(si_code_name(17, 0x80), "SI_KERNEL");
}

static void test_signal_result_name(void **state)
{
	assert_string_equal(signal_result_name(0), "delivered");
	assert_string_equal(signal_result_name(1), "ignored");
	assert_string_equal(signal_result_name(2), "already_pending");
	assert_string_equal(signal_result_name(3), "overflow_fail");
	assert_string_equal(signal_result_name(4), "lose_info");
	assert_null(signal_result_name(5));
	assert_null(signal_result_name(-1));
	assert_null(signal_result_name(INT32_MAX));
	assert_null(signal_result_name(INT32_MIN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signal_name_standard),
	    cmocka_unit_test(test_signal_name_realtime),
	    cmocka_unit_test(test_signal_name_out_of_range),
	    cmocka_unit_test(test_si_code_generic),
	    cmocka_unit_test(test_si_code_per_signal),
	    cmocka_unit_test(test_si_code_newer),
	    cmocka_unit_test(test_si_code_unknown),
	    cmocka_unit_test(test_signal_result_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
