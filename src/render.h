/* SPDX-License-Identifier: GPL-2.0 */
/* Renderers over the event model: JSON Lines and aligned text, one event per line. */
#ifndef REAPWATCH_RENDER_H
#define REAPWATCH_RENDER_H

#include <stdio.h>
#include "event.h"

void render_json_event(FILE *out, const struct event *ev);
void render_text_header(FILE *out);
void render_text_event(FILE *out, const struct event *ev);

#endif /* REAPWATCH_RENDER_H */
