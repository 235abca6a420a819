/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one table of signal names, si_code names and signal_generate results. Numbers are the
 * kernel's on x86-64: SIGRTMIN is 32 here, not glibc's 34, because the events carry the
 * kernel's view of the signal.
 */
#ifndef REAPWATCH_SIGNAMES_H
#define REAPWATCH_SIGNAMES_H

/* "SIGHUP".."SIGSYS" for 1..31, "SIGRTMIN", "SIGRTMIN+1".."SIGRTMIN+31", "SIGRTMAX" for 64. */
const char *signal_name(int sig);

/* Name of siginfo's si_code ("SI_USER", "CLD_KILLED", ...), or NULL if unknown. */
const char *si_code_name(int sig, int code);

/* Name of the signal_generate tracepoint's result ("delivered", ...), or NULL if unknown. */
const char *signal_result_name(int result);

#endif /* REAPWATCH_SIGNAMES_H */
