/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Owns no map: struct children_walk and its steps, for the walks of reaping.bpf.h (a
 * wait()'s candidates) and orphans.bpf.h (a father's children).
 *
 * Walking a process's children as the kernel does: every thread has its own
 * `children` list (a fork from a non-leader thread makes that thread the parent),
 * and do_wait() / forget_original_parent() take them thread by thread, starting with
 * the current one, oldest child first. do_wait()'s scan goes on round the thread
 * group from there (`tsk = current; do { ... } while_each_thread(current, tsk)`): the
 * threads after the current one in signal->thread_head, then, past the head, those
 * before it.
 *
 * List nodes lead to computed addresses (container_of), read with BPF_CORE_READ()
 * (task.bpf.h says why).
 */
#ifndef REAPWATCH_CHILDREN_BPF_H
#define REAPWATCH_CHILDREN_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "task.bpf.h"

/* Addresses, not pointers: the state lives in a per-CPU scratch map (orphans.bpf.h,
 * reaping.bpf.h) across bpf_loop() steps, where a pointer would not stay typed. */
struct children_walk {
	__u64 first;	 /* the thread whose children come first */
	__u64 owner;	 /* the thread whose list is being walked */
	__u64 threads;	 /* &signal->thread_head */
	__u64 children;	 /* &thread->children being walked */
	__u64 pos;	 /* next node in it */
	__u64 cursor;	 /* that thread's thread_node (`first`'s while on it) */
	bool first_only; /* `first`'s own children, no other thread's */
	bool wrapped;	 /* past the head once (a `first` unlinked meanwhile is never met) */
};

/* `first` may be a BTF-typed argument or an address (`current`): read as an address. */
static __always_inline void children_walk_start(struct children_walk *w, struct task_struct *first)
{
	struct signal_struct *sig = BPF_CORE_READ(first, signal);

	w->first = w->owner = (__u64)first;
	w->threads = (__u64)&sig->thread_head;
	w->children = (__u64)&first->children;
	w->pos = (__u64)BPF_CORE_READ(first, children.next);
	w->cursor = (__u64)&first->thread_node;
	w->first_only = false;
	w->wrapped = false;
}

/*
 * One step: the next child's address, or 0 when this step only moved on to another thread
 * (*end is set when no thread is left). Call it from a bpf_loop() callback.
 */
static __always_inline __u64 children_walk_step(struct children_walk *w, bool *end)
{
	__u64 node, thread;

	if (w->pos && w->pos != w->children) {
		__u64 child = task_of(w->pos, sibling);

		/* forget_original_parent() points every child's real_parent at the adopter,
		 * then splices the whole list onto the adopter's: a child that is not the
		 * owner's means the list is no longer the owner's (walking on would walk the
		 * adopter's children, round and round). The rest of it is not walked; for an
		 * exiting father, orphans.bpf.h's pending list covers a thread's children
		 * handed over during the walk. */
		if ((__u64)BPF_CORE_READ(task_at(child), real_parent) == w->owner) {
			w->pos = (__u64)BPF_CORE_READ(task_at(child), sibling.next);
			/* Released under us (__unhash_process()'s list_del_init() points its
			 * node at itself): the rest of the list is out of reach. */
			if (w->pos == child + bpf_core_field_offset(struct task_struct, sibling))
				w->pos = w->children;
			return child;
		}
		w->pos = w->children;
		return 0;
	}
	if (w->first_only) {
		*end = true;
		return 0;
	}
	/* next_thread(): the node after the cursor, past the list's head */
	node = list_next(w->cursor);
	if (node == w->threads) {
		if (w->wrapped) {
			*end = true;
			return 0;
		}
		w->wrapped = true;
		node = list_next(node);
	}
	if (!node || node == w->threads || task_of(node, thread_node) == w->first) {
		*end = true;
		return 0;
	}
	thread = task_of(node, thread_node);
	w->owner = thread;
	w->cursor = node;
	w->children = thread + bpf_core_field_offset(struct task_struct, children);
	w->pos = (__u64)BPF_CORE_READ(task_at(thread), children.next);
	return 0;
}

#endif /* REAPWATCH_CHILDREN_BPF_H */
