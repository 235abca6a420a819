// SPDX-License-Identifier: GPL-2.0
/* `reapwatch zombies` output: JSON Lines (one zombie each) or text grouped by parent. */
#include <inttypes.h>
#include <string.h>
#include "escape.h"
#include "json.h"
#include "render.h"

#define COMM_TEXT (RW_COMM_LEN * 4 + 1)
/* The COMM column's display width, as the header's "%-16s" gives it. */
#define COMM_WIDTH 16
#define CONTAINER_SHORT 12
/* Text lists this many zombies per parent, then says how many more. */
#define TEXT_ZOMBIES_PER_PARENT 10

static double age_s(const struct zombie *z, uint64_t now)
{
	return (double)zombie_age_ns(z, now) / 1e9;
}

static void zombie_fields(struct json_writer *w, const struct zombie *z, uint64_t now_mono);

/* A container's Kubernetes names for text, NAMESPACE/POD/CONTAINER (NAMESPACE/POD for a
 * pod's sandbox), escaped; "-" without names. */
#define KUBE_TEXT (4 * (3 * KUBE_NAME_MAX + 2) + 1)
static const char *kube_text(char *buf, size_t len, const struct kube_names *names)
{
	char plain[3 * KUBE_NAME_MAX + 3];

	if (!names) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(plain, sizeof(plain), "%s/%s%s%s", names->namespace, names->pod,
		 names->container[0] ? "/" : "", names->container);
	text_escape(buf, len, plain, strlen(plain));
	return buf;
}

/*
 * A pid namespace or a pid in it that /proc would not tell (another user's process, for
 * one without CAP_SYS_PTRACE; a parent gone meanwhile) is 0 in the census: no namespace has
 * inode 0 and no process pid 0, so that says unknown, never a value.
 */
static void json_kv_id_or_null(struct json_writer *w, const char *key, uint32_t id)
{
	if (id)
		json_kv_uint(w, key, id);
	else
		json_kv_null(w, key);
}

static const char *format_id(char *buf, size_t len, uint32_t id)
{
	if (id)
		snprintf(buf, len, "%" PRIu32, id);
	else
		snprintf(buf, len, "unknown");
	return buf;
}

void render_zombie_json(FILE *out, const struct zombie *z, uint64_t now_mono)
{
	struct json_writer w;

	json_init(&w, out);
	json_begin_object(&w);
	zombie_fields(&w, z, now_mono);
	json_end_object(&w);
	putc_unlocked('\n', out);
}

void render_zombie_log_json(FILE *out, const struct zombie *z, uint64_t now_mono,
			    uint64_t now_unix_ns)
{
	struct json_writer w;

	json_init(&w, out);
	json_begin_object(&w);
	render_json_record_type(&w, "zombie", now_unix_ns);
	zombie_fields(&w, z, now_mono);
	json_end_object(&w);
	putc_unlocked('\n', out);
}

static void zombie_fields(struct json_writer *w, const struct zombie *z, uint64_t now_mono)
{
	json_kv_uint(w, "pid", z->stat.pid);
	json_kv_string(w, "comm", z->stat.comm);
	json_kv_uint(w, "ppid", z->stat.ppid);
	json_kv_string(w, "parent_comm", z->parent_comm);
	json_kv_bool(w, "parent_is_subreaper", z->parent_is_subreaper);
	json_kv_string(w, "container_id", z->container_id);
	if (z->names) { /* (as in trace's events: when known, else absent) */
		json_kv_string(w, "pod", z->names->pod);
		json_kv_string(w, "namespace", z->names->namespace);
		if (z->names->container[0]) /* (a pod's sandbox has none) */
			json_kv_string(w, "container", z->names->container);
	}
	json_kv_id_or_null(w, "pidns", z->pidns);
	json_kv_id_or_null(w, "ns_pid", z->ns_pid);
	json_key(w, "age_seconds");
	if (z->age_known)
		json_double(w, age_s(z, now_mono));
	else
		json_null(w);
	if (z->adopted_from_pid) {
		json_kv_uint(w, "adopted_from_pid", z->adopted_from_pid);
		json_kv_string(w, "adopted_from_comm", z->adopted_from_comm);
	} else {
		json_kv_null(w, "adopted_from_pid");
		json_kv_null(w, "adopted_from_comm");
	}
}

/* `at_least`: the age is a lower bound, marked ">" as top marks one. */
static void format_age(char *buf, size_t len, const struct zombie *z, uint64_t now, bool at_least)
{
	if (z->age_known)
		snprintf(buf, len, "%s%.1fs", at_least ? ">" : "", age_s(z, now));
	else
		snprintf(buf, len, "unknown");
}

static const char *short_container(const char *id)
{
	return id[0] ? id : "-";
}

/* ADOPTED_FROM's width when a column follows it: PID(COMM) with the longest pid and comm. */
#define ADOPTED_WIDTH 25

/* zombies[] is sorted by parent, then age. */
void render_zombies_text(FILE *out, const struct zombie *zombies, size_t count, uint64_t now)
{
	char comm[COMM_TEXT], col[TEXT_COLUMN_CAP(COMM_WIDTH)], age[32], pidns[16], ns_pid[16];
	char kube[KUBE_TEXT], adopted[COMM_TEXT + 16], adopted_col[TEXT_COLUMN_CAP(ADOPTED_WIDTH)];
	bool with_names = false;

	if (!count) {
		fprintf(out, "no zombies\n");
		return;
	}
	/* On a Kubernetes node, a last column with the names (not on a plain host). */
	for (size_t i = 0; i < count && !with_names; i++)
		with_names = zombies[i].names != NULL;
	for (size_t i = 0; i < count;) {
		const struct zombie *first = &zombies[i];
		size_t n = 0;

		while (i + n < count && zombies[i + n].stat.ppid == first->stat.ppid)
			n++;
		text_escape(comm, sizeof(comm), first->parent_comm, strlen(first->parent_comm));
		/* Known ages sort first: one of unknown age after them may be the oldest, so the
		 * oldest known age is a lower bound then. */
		format_age(age, sizeof(age), first, now,
			   first->age_known && !zombies[i + n - 1].age_known);
		fprintf(out, "parent %" PRIu32 " (%s)%s container %.*s", first->stat.ppid, comm,
			first->parent_is_subreaper ? " [subreaper]" : "", CONTAINER_SHORT,
			short_container(first->parent_container_id));
		if (first->parent_names)
			fprintf(out, " (%s)", kube_text(kube, sizeof(kube), first->parent_names));
		fprintf(out, " pidns %s ns_pid %s: %zu zombie%s, oldest %s\n",
			format_id(pidns, sizeof(pidns), first->parent_pidns),
			format_id(ns_pid, sizeof(ns_pid), first->parent_ns_pid), n,
			n == 1 ? "" : "s", age);
		fprintf(out, "  %-8s %-8s %-16s %-12s %-9s ", "PID", "NS_PID", "COMM", "CONTAINER",
			"AGE");
		if (with_names)
			fprintf(out, "%-*s %s\n", ADOPTED_WIDTH, "ADOPTED_FROM",
				"NAMESPACE/POD/CONTAINER");
		else
			fputs("ADOPTED_FROM\n", out);
		for (size_t k = 0; k < n && k < TEXT_ZOMBIES_PER_PARENT; k++) {
			const struct zombie *z = &zombies[i + k];

			text_escape(comm, sizeof(comm), z->stat.comm, strlen(z->stat.comm));
			/* Padded by width, not bytes, or cut: the next columns stay in line. */
			text_column(col, sizeof(col), comm, COMM_WIDTH);
			format_age(age, sizeof(age), z, now, false);
			fprintf(out, "  %-8" PRIu32 " %-8s %s %-12.*s %-9s ", z->stat.pid,
				format_id(ns_pid, sizeof(ns_pid), z->ns_pid), col, CONTAINER_SHORT,
				short_container(z->container_id), age);
			if (z->adopted_from_pid) {
				text_escape(comm, sizeof(comm), z->adopted_from_comm,
					    strlen(z->adopted_from_comm));
				snprintf(adopted, sizeof(adopted), "%" PRIu32 "(%s)",
					 z->adopted_from_pid, comm);
			} else {
				snprintf(adopted, sizeof(adopted), "-");
			}
			if (with_names) {
				text_column(adopted_col, sizeof(adopted_col), adopted,
					    ADOPTED_WIDTH);
				fprintf(out, "%s %s\n", adopted_col,
					kube_text(kube, sizeof(kube), z->names));
			} else {
				fprintf(out, "%s\n", adopted);
			}
		}
		if (n > TEXT_ZOMBIES_PER_PARENT)
			fprintf(out, "  ... and %zu more (--json lists every one)\n",
				n - TEXT_ZOMBIES_PER_PARENT);
		i += n;
	}
}

void render_init_verdict(FILE *out, const struct zombie *first, size_t count)
{
	char comm[COMM_TEXT], whose[96 + KUBE_TEXT], kube[KUBE_TEXT];

	text_escape(comm, sizeof(comm), first->parent_comm, strlen(first->parent_comm));
	/* (a pid namespace no runtime made, `unshare -pf`, has no container id: named by its inode) */
	if (first->parent_container_id[0] && first->parent_names)
		snprintf(whose, sizeof(whose), "container %s (%s)", first->parent_container_id,
			 kube_text(kube, sizeof(kube), first->parent_names));
	else if (first->parent_container_id[0])
		snprintf(whose, sizeof(whose), "container %s", first->parent_container_id);
	else
		snprintf(whose, sizeof(whose), "pid namespace %" PRIu32, first->parent_pidns);
	fprintf(out,
		"verdict: PID 1 of %s (%s, host pid %" PRIu32 ") is not reaping %zu "
		"zombie%s: the image needs an init (tini, `docker run --init`, or "
		"shareProcessNamespace: true)\n",
		whose, comm, first->stat.ppid, count, count == 1 ? "" : "s");
}
