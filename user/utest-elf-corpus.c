/* utest-elf-corpus: every malformed ELF in the corpus directory is refused
 * by execve with ENOEXEC, and the caller keeps running.
 * The directory is $UTEST_ELF_CORPUS_DIR, default /usr/share/elf-bad (put in
 * the ramdisk by the build). If it does not exist (a Linux host run), the
 * test passes without checking: Linux accepts some of these files. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	const char *dir = getenv("UTEST_ELF_CORPUS_DIR");
	char path[512];
	struct dirent *e;
	int refused = 0, bad = 0;
	DIR *d;

	if (!dir)
		dir = "/usr/share/elf-bad";
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "utest-elf-corpus: %s not present: nothing to check\n", dir);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		char *argv[] = { path, NULL }, *envp[] = { NULL };

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		/* In this process: a refused exec must leave it running. */
		if (execve(path, argv, envp) == 0 || errno != ENOEXEC) {
			fprintf(stderr, "utest-elf-corpus: %s: expected ENOEXEC, got %s\n", path,
				strerror(errno));
			bad++;
		} else {
			refused++;
		}
	}
	closedir(d);
	fprintf(stderr, "utest-elf-corpus: %d malformed files refused with ENOEXEC\n", refused);
	return bad || refused == 0 ? 1 : 0;
}
