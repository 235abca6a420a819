/* SPDX-License-Identifier: GPL-2.0 */
/* Renderers over the event model: JSON Lines and aligned text, one event per line. */
#ifndef REAPWATCH_RENDER_H
#define REAPWATCH_RENDER_H

#include <stdio.h>
#include "event.h"
#include "metrics.h"
#include "zombies.h"

struct json_writer;

void render_json_event(FILE *out, const struct event *ev);
/* The first two keys of every JSON Lines record: "type", then "time" (RFC 3339, in µs). */
void render_json_record_type(struct json_writer *w, const char *type, uint64_t unix_ns);
void render_text_header(FILE *out);
void render_text_event(FILE *out, const struct event *ev);
/* What could not be seen since the last such line (`reason`: docs/reapwatch.md), in-band. */
void render_json_lost(FILE *out, uint64_t unix_ns, const char *reason, uint64_t count,
		      uint64_t total);
void render_text_lost(FILE *out, uint64_t unix_ns, const char *reason, uint64_t count,
		      uint64_t total);

void render_zombie_json(FILE *out, const struct zombie *zombie, uint64_t now_mono);
void render_zombies_text(FILE *out, const struct zombie *zombies, size_t count, uint64_t now_mono);
/* A zombie for `export --log-events`: the JSON of `zombies --json` with type and time. */
void render_zombie_log_json(FILE *out, const struct zombie *zombie, uint64_t now_mono,
			    uint64_t now_unix_ns);
void render_init_verdict(FILE *out, const struct zombie *first, size_t count);

/* `top`'s screen: at most max_rows containers, worst first; `keys`: it reads keys (a terminal),
 * and says how to quit. */
void render_top(FILE *out, const struct metrics *m, const char *now, double interval_s,
		size_t max_rows, bool keys);

#endif /* REAPWATCH_RENDER_H */
