/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Walking a process's children as the kernel does: every thread has its own
 * `children` list (a fork from a non-leader thread makes that thread the parent),
 * and do_wait_thread() / forget_original_parent() take them thread by thread,
 * starting with the current one, oldest child first.
 *
 * List nodes lead to computed pointers (container_of); as_task() turns them back
 * into BTF-typed task_structs so fields stay plain (fault-safe) loads.
 */
#ifndef REAPWATCH_CHILDREN_BPF_H
#define REAPWATCH_CHILDREN_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "task.bpf.h"

/* Addresses, not pointers: the state lives on the stack across bpf_loop() steps. */
struct children_walk {
	__u64 first;	 /* the thread whose children come first */
	__u64 owner;	 /* the thread whose list is being walked */
	__u64 threads;	 /* &signal->thread_head */
	__u64 children;	 /* &thread->children being walked */
	__u64 pos;	 /* next node in it */
	__u64 cursor;	 /* that thread's thread_node; 0 while on `first` */
	bool first_only; /* `first`'s own children, no other thread's */
};

static __always_inline void children_walk_start(struct children_walk *w, struct task_struct *first)
{
	w->first = w->owner = (__u64)first;
	w->threads = (__u64)&first->signal->thread_head;
	w->children = (__u64)&first->children;
	w->pos = (__u64)first->children.next;
	w->cursor = 0;
	w->first_only = false;
}

/*
 * One step: the next child, or NULL when this step only moved on to another thread
 * (*end is set when no thread is left). Call it from a bpf_loop() callback.
 */
static __always_inline struct task_struct *children_walk_step(struct children_walk *w, bool *end)
{
	struct list_head *node;
	struct task_struct *thread;

	if (w->pos && w->pos != w->children) {
		struct task_struct *child = task_of(w->pos, sibling);

		/* forget_original_parent() points every child's real_parent at the adopter,
		 * then splices the whole list onto the adopter's: a child that is not the
		 * owner's means the list is no longer the owner's (walking on would walk the
		 * adopter's children, round and round). The rest of it is not walked; for an
		 * exiting father, orphans.bpf.h's pending list covers a thread's children
		 * handed over during the walk. */
		if ((__u64)child->real_parent == w->owner) {
			w->pos = (__u64)child->sibling.next;
			/* Released under us (__unhash_process()'s list_del_init() points its
			 * node at itself): the rest of the list is out of reach. */
			if (w->pos == (__u64)&child->sibling)
				w->pos = w->children;
			return child;
		}
		w->pos = w->children;
		return NULL;
	}
	if (w->first_only) {
		*end = true;
		return NULL;
	}
	node = as_list(w->cursor ? w->cursor : w->threads)->next;
	if ((__u64)node != w->threads && (__u64)task_of(node, thread_node) == w->first)
		node = node->next;
	if (!node || (__u64)node == w->threads) {
		*end = true;
		return NULL;
	}
	thread = task_of(node, thread_node);
	w->owner = (__u64)thread;
	w->cursor = (__u64)node;
	w->children = (__u64)&thread->children;
	w->pos = (__u64)thread->children.next;
	return NULL;
}

#endif /* REAPWATCH_CHILDREN_BPF_H */
