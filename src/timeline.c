#include "timeline.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define LEFT 130   /* room for step names */
#define WIDTH 900  /* of the time axis */
#define ROW 22
#define TOP 30

char *timeline_svg(const struct plan *p)
{
	struct buf b = {0};
	double end = p->seconds > 0 ? p->seconds : 1;
	size_t rows = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct step *s = &p->steps[i];
		if (s->needed && s->run)
			rows++;
		if (s->state == STEP_DONE && s->start + s->seconds > end)
			end = s->start + s->seconds;
	}
	int height = TOP + (int)rows * ROW + 30;
	buf_printf(&b,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "font-family=\"sans-serif\" font-size=\"12\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		   "<text x=\"8\" y=\"18\" font-weight=\"bold\">mkdistro build: %.1f s "
		   "(grey: up to date, not run)</text>\n",
		   LEFT + WIDTH + 20, height, p->seconds);
	/* Grid lines at round intervals. */
	double tick = end > 600 ? 120 : end > 120 ? 30 : end > 30 ? 10 : end > 6 ? 2 : 0.5;
	for (double t = 0; t <= end + 1e-9; t += tick) {
		double x = LEFT + t / end * WIDTH;
		buf_printf(&b,
			   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n"
			   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#666\">%g s</text>\n",
			   x, TOP - 4, x, height - 22, x, height - 8, t);
	}
	int row = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct step *s = &p->steps[i];
		if (!s->needed || !s->run)
			continue;
		int y = TOP + row++ * ROW;
		buf_printf(&b, "<text x=\"8\" y=\"%d\">%s</text>\n", y + 15, s->name);
		if (s->state == STEP_DONE || s->state == STEP_FAILED) {
			double x = LEFT + s->start / end * WIDTH;
			double w = s->seconds / end * WIDTH;
			if (w < 1)
				w = 1;
			buf_printf(&b,
				   "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
				   "<title>%s: %.1f s from %.1f s</title></rect>\n"
				   "<text x=\"%.1f\" y=\"%d\" fill=\"#333\">%.1f s</text>\n",
				   x, y + 3, w, ROW - 6, s->state == STEP_DONE ? "#4a7fc1" : "#c14a4a",
				   s->name, s->seconds, s->start, x + w + 4, y + 15, s->seconds);
		} else {
			buf_printf(&b, "<rect x=\"%d\" y=\"%d\" width=\"4\" height=\"%d\" fill=\"#bbb\"/>\n",
				   LEFT, y + 3, ROW - 6);
		}
	}
	buf_addstr(&b, "</svg>\n");
	return buf_steal(&b);
}

int timeline_write(const struct plan *p, const char *path)
{
	char *svg = timeline_svg(p);
	int rc = write_file_atomic(path, svg, strlen(svg), 0644);
	free(svg);
	return rc;
}
