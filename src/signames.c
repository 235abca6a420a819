// SPDX-License-Identifier: GPL-2.0
/* The one table of signal, si_code and signal_generate result names (signames.h). */
#include <stddef.h>
#include <string.h>

#include "signames.h"

#define SIG_RTMIN_KERNEL 32
#define SIG_RTMAX_KERNEL 64

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Not <signal.h>: the numbers are the traced kernel's, whatever libc this is built against. */
enum {
	KSIG_ILL = 4,
	KSIG_TRAP = 5,
	KSIG_BUS = 7,
	KSIG_FPE = 8,
	KSIG_SEGV = 11,
	KSIG_CHLD = 17,
	KSIG_IO = 29,
};

/* x86-64 numbering, as on arm64; alpha, mips and sparc number SIGBUS, SIGUSR1 etc. otherwise. */
static const char *const std_names[SIG_RTMIN_KERNEL] = {
    [1] = "SIGHUP",	[2] = "SIGINT",	  [3] = "SIGQUIT",   [4] = "SIGILL",   [5] = "SIGTRAP",
    [6] = "SIGABRT",	[7] = "SIGBUS",	  [8] = "SIGFPE",    [9] = "SIGKILL",  [10] = "SIGUSR1",
    [11] = "SIGSEGV",	[12] = "SIGUSR2", [13] = "SIGPIPE",  [14] = "SIGALRM", [15] = "SIGTERM",
    [16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT",  [19] = "SIGSTOP", [20] = "SIGTSTP",
    [21] = "SIGTTIN",	[22] = "SIGTTOU", [23] = "SIGURG",   [24] = "SIGXCPU", [25] = "SIGXFSZ",
    [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO",   [30] = "SIGPWR",
    [31] = "SIGSYS",
};

/*
 * The real-time signals by the names user space gives them: glibc (and so bash's `kill -l`,
 * systemd's SIGRTMIN+3, a runtime's STOPSIGNAL) numbers SIGRTMIN from 34, keeping the kernel's
 * 32 and 33 for its threads (SIGCANCEL, SIGSETXID), which have no public name: SIG32, SIG33.
 * Then SIGRTMIN+1..+15 and SIGRTMAX-14..-1, as bash lists them. Index: signal - 32.
 */
static const char *const rt_names[SIG_RTMAX_KERNEL - SIG_RTMIN_KERNEL + 1] = {
    "SIG32",	   "SIG33",	  "SIGRTMIN",	 "SIGRTMIN+1",	"SIGRTMIN+2",  "SIGRTMIN+3",
    "SIGRTMIN+4",  "SIGRTMIN+5",  "SIGRTMIN+6",	 "SIGRTMIN+7",	"SIGRTMIN+8",  "SIGRTMIN+9",
    "SIGRTMIN+10", "SIGRTMIN+11", "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15",
    "SIGRTMAX-14", "SIGRTMAX-13", "SIGRTMAX-12", "SIGRTMAX-11", "SIGRTMAX-10", "SIGRTMAX-9",
    "SIGRTMAX-8",  "SIGRTMAX-7",  "SIGRTMAX-6",	 "SIGRTMAX-5",	"SIGRTMAX-4",  "SIGRTMAX-3",
    "SIGRTMAX-2",  "SIGRTMAX-1",  "SIGRTMAX",
};

const char *signal_name(int sig)
{
	if (sig >= 1 && sig < SIG_RTMIN_KERNEL)
		return std_names[sig];
	if (sig >= SIG_RTMIN_KERNEL && sig <= SIG_RTMAX_KERNEL)
		return rt_names[sig - SIG_RTMIN_KERNEL];
	return NULL;
}

/* si_code values from include/uapi/asm-generic/siginfo.h; a table per signal, index = code. */
static const char *const cld_codes[] = {
    [1] = "CLD_EXITED",	 [2] = "CLD_KILLED",  [3] = "CLD_DUMPED",
    [4] = "CLD_TRAPPED", [5] = "CLD_STOPPED", [6] = "CLD_CONTINUED",
};

static const char *const segv_codes[] = {
    [1] = "SEGV_MAPERR", [2] = "SEGV_ACCERR", [3] = "SEGV_BNDERR",
    [4] = "SEGV_PKUERR", [10] = "SEGV_CPERR",
};

static const char *const bus_codes[] = {
    [1] = "BUS_ADRALN",	   [2] = "BUS_ADRERR",	  [3] = "BUS_OBJERR",
    [4] = "BUS_MCEERR_AR", [5] = "BUS_MCEERR_AO",
};

static const char *const ill_codes[] = {
    [1] = "ILL_ILLOPC", [2] = "ILL_ILLOPN", [3] = "ILL_ILLADR",
    [4] = "ILL_ILLTRP", [5] = "ILL_PRVOPC", [6] = "ILL_PRVREG",
    [7] = "ILL_COPROC", [8] = "ILL_BADSTK", [9] = "ILL_BADIADDR",
};

static const char *const fpe_codes[] = {
    [1] = "FPE_INTDIV",	 [2] = "FPE_INTOVF",	[3] = "FPE_FLTDIV", [4] = "FPE_FLTOVF",
    [5] = "FPE_FLTUND",	 [6] = "FPE_FLTRES",	[7] = "FPE_FLTINV", [8] = "FPE_FLTSUB",
    [14] = "FPE_FLTUNK", [15] = "FPE_CONDTRAP",
};

static const char *const trap_codes[] = {
    [1] = "TRAP_BRKPT",	 [2] = "TRAP_TRACE", [3] = "TRAP_BRANCH",
    [4] = "TRAP_HWBKPT", [5] = "TRAP_UNK",   [6] = "TRAP_PERF",
};

static const char *const poll_codes[] = {
    [1] = "POLL_IN",  [2] = "POLL_OUT", [3] = "POLL_MSG",
    [4] = "POLL_ERR", [5] = "POLL_PRI", [6] = "POLL_HUP",
};

#define CODE_NAME(table, code) ((size_t)(code) < ARRAY_SIZE(table) ? (table)[code] : NULL)

const char *si_code_name(int sig, int code)
{
	/* Codes <= 0 and SI_KERNEL say who sent the signal and mean the same for every signal. */
	switch (code) {
	case 0:
		return "SI_USER";
	case 0x80:
		return "SI_KERNEL";
	case -1:
		return "SI_QUEUE";
	case -2:
		return "SI_TIMER";
	case -3:
		return "SI_MESGQ";
	case -4:
		return "SI_ASYNCIO";
	case -5:
		return "SI_SIGIO";
	case -6:
		return "SI_TKILL";
	case -7:
		return "SI_DETHREAD";
	case -60:
		return "SI_ASYNCNL";
	}
	if (code < 0)
		return NULL;
	switch (sig) {
	case KSIG_CHLD:
		return CODE_NAME(cld_codes, code);
	case KSIG_SEGV:
		return CODE_NAME(segv_codes, code);
	case KSIG_BUS:
		return CODE_NAME(bus_codes, code);
	case KSIG_ILL:
		return CODE_NAME(ill_codes, code);
	case KSIG_FPE:
		return CODE_NAME(fpe_codes, code);
	case KSIG_TRAP:
		return CODE_NAME(trap_codes, code);
	case KSIG_IO:
		return CODE_NAME(poll_codes, code);
	}
	return NULL;
}

const char *signal_result_name(int result)
{
	/* enum trace_signal_deliver in include/trace/events/signal.h */
	static const char *const results[] = {
	    "delivered", "ignored", "already_pending", "overflow_fail", "lose_info",
	};

	if (result < 0 || (size_t)result >= ARRAY_SIZE(results))
		return NULL;
	return results[result];
}
