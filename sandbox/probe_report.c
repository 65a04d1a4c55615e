/* The probe's two faces: JSON for programs, a short table for people. */
#include <stdio.h>

#include "probe.h"

/* Details carry errno strings and bwrap's own words: escape what JSON
 * needs and replace any byte outside printable ASCII, so the output is
 * always valid JSON whatever a tool printed. */
static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else if (c > 0x7f)
			fputc('?', out);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void probe_print_json(const struct probe_result *r, FILE *out)
{
	fprintf(out, "{\"nested\":%s,\"elapsed_ms\":%.1f,\"checks\":[",
		r->nested ? "true" : "false", r->elapsed_ms);
	for (size_t i = 0; i < r->n_checks; i++) {
		const struct probe_check *c = &r->checks[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		json_str(out, c->name);
		fprintf(out, ",\"ok\":%s,\"needed\":%s,\"detail\":",
			c->ok ? "true" : "false", c->needed ? "true" : "false");
		json_str(out, c->detail);
		fputs(",\"fix\":", out);
		json_str(out, c->fix);
		fputc('}', out);
	}
	fputs("]}\n", out);
}

void probe_print_table(const struct probe_result *r, FILE *out)
{
	for (size_t i = 0; i < r->n_checks; i++) {
		const struct probe_check *c = &r->checks[i];
		const char *mark = c->ok	? "ok"
				   : c->skipped ? "--"
				   : c->needed	? "FAIL"
						: "warn";
		fprintf(out, "%-4s  %-17s  %s\n", mark, c->name, c->detail);
		if (!c->ok && c->fix[0])
			fprintf(out, "      %-17s  fix: %s\n", "", c->fix);
	}
	const struct probe_check *b = probe_blocker(r);
	if (!b)
		fprintf(out,
			"\nnested sandbox: yes, bwrap can build its sandbox "
			"here (sandbox auto -> nested)\n");
	else
		fprintf(out,
			"\nnested sandbox: no, %s failed (sandbox auto -> "
			"full-access: the container is the boundary)\n",
			b->name);
}
