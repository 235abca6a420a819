// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/btf.h>
#include "kernel_features.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

/* Does the tracepoint's raw prototype, btf_trace_NAME (a pointer to a function of ctx and
 * the tracepoint's arguments), take at least `args` arguments? */
static bool tracepoint_takes(const struct btf *btf, const char *name, unsigned int args)
{
	const struct btf_type *t;
	char typedef_name[128];
	int id;

	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, typedef_name, BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(btf, t->type);
	/* ctx, then the tracepoint's own arguments */
	return t && btf_is_func_proto(t) && btf_vlen(t) >= args + 1;
}

/* The kernel's enum bpf_func_id lists every helper it has. */
static bool has_helper(const struct btf *btf, const char *name)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	int id;

	id = btf__find_by_name_kind(btf, "bpf_func_id", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (!t)
		return false;
	e = btf_enum(t);
	for (unsigned int i = 0; i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(btf, e->name_off);

		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

int kernel_features_probe(struct kernel_features *kf)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int err;

	if (!btf) {
		err = -errno;
		return err ? err : -ENOENT;
	}
	kf->exit_group_dead = tracepoint_takes(btf, "sched_process_exit", 2);
	kf->bpf_loop = has_helper(btf, "BPF_FUNC_loop");
	btf__free(btf);
	return 0;
}

bool have_bpf_capabilities(void)
{
	unsigned long long eff = 0;
	char line[256];
	bool found = false;
	FILE *f;

	/* Effective capabilities, not the uid: root in a container may lack them. */
	f = fopen("/proc/self/status", "re");
	if (!f)
		return true; /* cannot tell: let the kernel decide */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = true;
			break;
		}
	fclose(f);
	if (!found)
		return true;
	return (eff >> CAP_SYS_ADMIN_BIT & 1) ||
	       ((eff >> CAP_BPF_BIT & 1) && (eff >> CAP_PERFMON_BIT & 1));
}

bool bpf_syscall_exists(void)
{
	/* An empty attribute is invalid for every command: EINVAL (or EPERM) means the call
	 * exists, ENOSYS that the kernel was built without it. */
	return !(syscall(__NR_bpf, BPF_MAP_CREATE, NULL, 0) < 0 && errno == ENOSYS);
}
