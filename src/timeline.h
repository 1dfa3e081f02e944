/* timeline: an SVG picture of a build: one bar per step on a time axis,
 * so a person can see what ran side by side and what dominated. */
#ifndef MKDISTRO_TIMELINE_H
#define MKDISTRO_TIMELINE_H

#include "steps.h"

/* The SVG text for the last plan_run of P (new memory). */
char *timeline_svg(const struct plan *p);

/* Write timeline_svg(P) to PATH atomically. Returns 0 or -1 after warn(). */
int timeline_write(const struct plan *p, const char *path);

#endif
