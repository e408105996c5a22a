/*
 * A tiny stand-in for libFuzzer's driver, for builds without -Dfuzz=true:
 * runs every file of the given directories (or the given files) once through
 * LLVMFuzzerTestOneInput, so the committed corpus and the saved regressions
 * are checked by the ordinary gcc build too (meson test --suite fuzz).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (buf == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* @return files run, or -1 on an unreadable file. */
static int
run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path) == 0 ? 1 : -1;
	DIR *d = opendir(path);
	if (d == NULL) {
		perror(path);
		return -1;
	}
	/* Sorted, so a failure names the same file on every run. */
	char **names = NULL;
	size_t nn = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;   /* ., .., .gitkeep */
		char **grown = realloc(names, (nn + 1) * sizeof(*names));
		if (grown == NULL)
			break;
		names = grown;
		names[nn++] = strdup(e->d_name);
	}
	closedir(d);
	if (nn > 1)
		qsort(names, nn, sizeof(*names), cmp_names);
	int count = 0;
	for (size_t i = 0; i < nn; i++) {
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		if (count >= 0 && stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(full) == 0)
				count++;
			else
				count = -1;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int
main(int argc, char **argv)
{
	int total = 0;
	for (int i = 1; i < argc; i++) {
		int n = run_path(argv[i]);
		if (n < 0)
			return 1;
		printf("%s: %d inputs\n", argv[i], n);
		total += n;
	}
	printf("%d inputs ran without a failure\n", total);
	return 0;
}
