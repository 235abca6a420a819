/* SPDX-License-Identifier: GPL-2.0 */
/* The Prometheus text exposition of the exporter's model (docs/reapwatch.md "Metrics"). */
#ifndef REAPWATCH_PROM_H
#define REAPWATCH_PROM_H

#include <stdio.h>
#include "metrics.h"

void render_prometheus(FILE *out, const struct metrics *m, const size_t *order, size_t n);

#endif /* REAPWATCH_PROM_H */
