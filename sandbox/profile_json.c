/* The container's seccomp profile as JSON, in Docker's format (which
 * Podman and the OCI runtimes read too), from the table's container
 * rules.  The output depends on nothing but the table, so a shipped copy
 * can be compared with it byte for byte. */
#include <stdio.h>

#include "syscall_policy.h"

/* Docker's own architecture map. */
static const struct {
	const char *arch;
	const char *sub[3];
} arch_map[] = {
    {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
    {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
    {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
    {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
    {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
    {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
    {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
    {"SCMP_ARCH_RISCV64", {NULL}},
};

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void put_indent(FILE *out, int tabs)
{
	while (tabs-- > 0)
		fputc('\t', out);
}

/* "key": ["a", "b"] on lines of their own, at indent tabs. */
static void put_list(FILE *out, int indent, const char *key,
		     const char *const *list)
{
	put_indent(out, indent);
	fprintf(out, "\"%s\": [\n", key);
	for (const char *const *s = list; *s; s++) {
		put_indent(out, indent + 1);
		put_string(out, *s);
		fputs(s[1] ? ",\n" : "\n", out);
	}
	put_indent(out, indent);
	fputc(']', out);
}

static const char *op_name(enum sp_op op)
{
	switch (op) {
	case SP_OP_NE:
		return "SCMP_CMP_NE";
	case SP_OP_MASKED_EQ:
		return "SCMP_CMP_MASKED_EQ";
	case SP_OP_EQ:
	case SP_OP_NONE:
		break;
	}
	return "SCMP_CMP_EQ";
}

/* includes/excludes: an object with caps, arches and minKernel. */
static void put_filter(FILE *out, const char *key, const char *const *caps,
		       const char *const *arches, const char *min_kernel)
{
	fprintf(out, ",\n\t\t\t\"%s\": {\n", key);
	const char *sep = "";
	if (caps) {
		put_list(out, 4, "caps", caps);
		sep = ",\n";
	}
	if (arches) {
		fputs(sep, out);
		put_list(out, 4, "arches", arches);
		sep = ",\n";
	}
	if (min_kernel) {
		fprintf(out, "%s\t\t\t\t\"minKernel\": ", sep);
		put_string(out, min_kernel);
	}
	fputs("\n\t\t\t}", out);
}

static void put_rule(FILE *out, const struct sp_rule *r)
{
	fputs("\t\t{\n", out);
	put_list(out, 3, "names", r->names);
	fprintf(out, ",\n\t\t\t\"action\": \"%s\"",
		r->action == SP_ALLOW ? "SCMP_ACT_ALLOW" : "SCMP_ACT_ERRNO");
	if (r->action == SP_ERRNO)
		fprintf(out, ",\n\t\t\t\"errnoRet\": %d", r->errno_ret);
	if (r->arg.op != SP_OP_NONE) {
		fprintf(out,
			",\n\t\t\t\"args\": [\n\t\t\t\t{\n"
			"\t\t\t\t\t\"index\": %u,\n"
			"\t\t\t\t\t\"value\": %llu,\n",
			r->arg.index, (unsigned long long)r->arg.value);
		if (r->arg.op == SP_OP_MASKED_EQ)
			fprintf(out, "\t\t\t\t\t\"valueTwo\": %llu,\n",
				(unsigned long long)r->arg.value_two);
		fprintf(out, "\t\t\t\t\t\"op\": \"%s\"\n\t\t\t\t}\n\t\t\t]",
			op_name(r->arg.op));
	}
	if (r->comment) {
		fputs(",\n\t\t\t\"comment\": ", out);
		put_string(out, r->comment);
	}
	if (r->caps || r->arches || r->min_kernel)
		put_filter(out, "includes", r->caps, r->arches, r->min_kernel);
	if (r->not_caps || r->not_arches)
		put_filter(out, "excludes", r->not_caps, r->not_arches, NULL);
	fputs("\n\t\t}", out);
}

int seccomp_profile_write(FILE *out)
{
	fprintf(out,
		"{\n\t\"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
		"\t\"defaultErrnoRet\": %d,\n\t\"archMap\": [\n",
		SP_DEFAULT_ERRNO);
	size_t n_arch = sizeof arch_map / sizeof arch_map[0];
	for (size_t i = 0; i < n_arch; i++) {
		fprintf(out, "\t\t{\n\t\t\t\"architecture\": \"%s\",\n",
			arch_map[i].arch);
		if (arch_map[i].sub[0]) {
			put_list(out, 3, "subArchitectures", arch_map[i].sub);
			fputc('\n', out);
		} else {
			fputs("\t\t\t\"subArchitectures\": null\n", out);
		}
		fputs(i + 1 < n_arch ? "\t\t},\n" : "\t\t}\n", out);
	}
	fputs("\t],\n\t\"syscalls\": [\n", out);
	const char *sep = "";
	for (size_t i = 0; i < sp_n_rules; i++) {
		if (!(sp_rules[i].where & SP_CONTAINER))
			continue;
		fputs(sep, out);
		put_rule(out, &sp_rules[i]);
		sep = ",\n";
	}
	fputs("\n\t]\n}\n", out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
