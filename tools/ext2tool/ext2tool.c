/* ext2tool IMAGE COMMAND...: runs the kernel's ext2 driver on an image file, on the host. */

/*
 * The image is read into memory and served by the kernel's own ramdisk,
 * bcache and ext2 code; commands that only read mount it read-only and
 * never write the file; others write the whole image back after a clean
 * unmount. Paths are absolute and resolved without following symlinks.
 *
 * ls -R [PATH] prints one line per entry below PATH (PATH itself, "." and
 * ".." excluded), sorted by the raw path bytes (memcmp order):
 *     <type> <mode> <uid> <gid> <size> <nlink> <sha256> <path>
 * type is one of - d l c b p s; mode the permission bits as four octal
 * digits; sha256 the hex digest of a regular file's content, a symlink's
 * target, or "-"; in paths and targets a backslash, tab or newline is
 * written \\, \t, \n.
 *
 * script FILE runs one command per line in a single mount (words split at
 * blanks; \\ \t \n \s \xHH escapes inside words; # starts a comment
 * line) and prints "= RC" (0 or -errno) on stdout after each command.
 *
 * Exit status: 0, 1 if the command or the mount failed (message on
 * stderr), 2 for a usage error.
 */
#define _POSIX_C_SOURCE 200809L /* pread, pwrite, getline */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs/ramdisk.h"
#include "tools/ext2tool/ext2tool.h"

#define MAX_ARGS 16

static int64_t host_clock(void)
{
	return (int64_t)time(NULL);
}

/* Reads the whole image file into memory (the ramdisk's backing store). */
static uint8_t *load_image(const char *path, bool read_only, size_t *size)
{
	int fd = open(path, read_only ? O_RDONLY : O_RDWR);
	struct stat st;
	uint8_t *buf;
	size_t done = 0;

	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "ext2tool: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	while (buf && done < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + done, (size_t)st.st_size - done, (off_t)done);

		if (n <= 0) {
			fprintf(stderr, "ext2tool: %s: short read\n", path);
			free(buf);
			buf = NULL;
		} else {
			done += (size_t)n;
		}
	}
	close(fd);
	*size = (size_t)st.st_size;
	return buf;
}

static int save_image(const char *path, const uint8_t *buf, size_t size)
{
	int fd = open(path, O_WRONLY);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < size) {
		ssize_t n = pwrite(fd, buf + done, size - done, (off_t)done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	return done == size ? 0 : -1;
}

/*
 * Splits a script line into words at spaces and tabs, in place. Inside a
 * word, \\ \t \n \s (space) and \xHH stand for those bytes. Returns the
 * word count, or -1 for too many words or a bad escape.
 */
static int split_words(char *line, char **argv)
{
	int argc = 0;
	char *r = line, *w = line;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
			r++;
		if (!*r)
			return argc;
		if (argc == MAX_ARGS)
			return -1;
		argv[argc++] = w;
		while (*r && *r != ' ' && *r != '\t' && *r != '\n' && *r != '\r') {
			if (*r != '\\') {
				*w++ = *r++;
				continue;
			}
			r++;
			switch (*r) {
			case '\\': *w++ = '\\'; break;
			case 't': *w++ = '\t'; break;
			case 'n': *w++ = '\n'; break;
			case 's': *w++ = ' '; break;
			case 'x': {
				char hex[3] = { r[1], r[2], 0 }, *end;
				long v = strtol(hex, &end, 16);

				if (!r[1] || !r[2] || *end)
					return -1;
				*w++ = (char)v;
				r += 2;
				break;
			}
			default:
				return -1;
			}
			r++;
		}
		if (*r)
			r++;
		*w++ = '\0';
	}
}

static void report(const char *what, int err)
{
	fprintf(stderr, "ext2tool: %s: %s (%d)\n", what, strerror(-err), err);
}

/* Runs each line of script file path; prints "= RC" on stdout after each command. */
static int run_script(struct ext2_fs *fs, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *argv[MAX_ARGS];
	size_t cap = 0;
	long lineno = 0;

	if (!f) {
		fprintf(stderr, "ext2tool: %s: %s\n", path, strerror(errno));
		return -ENOENT;
	}
	while (getline(&line, &cap, f) > 0) {
		int argc, err;

		lineno++;
		argc = split_words(line, argv);
		if (argc == 0 || (argc > 0 && argv[0][0] == '#'))
			continue;
		if (argc < 0) {
			fprintf(stderr, "ext2tool: %s:%ld: bad line\n", path, lineno);
			err = -EINVAL;
		} else {
			err = ext2tool_run(fs, argc, argv);
			if (err)
				fprintf(stderr, "ext2tool: %s:%ld: %s: %s (%d)\n", path, lineno, argv[0],
					strerror(-err), err);
		}
		printf("= %d\n", err);
	}
	free(line);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct ext2_fs *fs;
	struct ramdisk rd;
	bool script, read_only;
	uint8_t *image;
	size_t size;
	int err, unmount_err;

	if (argc < 3) {
		ext2tool_usage(stderr);
		return 2;
	}
	ext2tool_verbose = getenv("EXT2TOOL_VERBOSE") != NULL;
	script = strcmp(argv[2], "script") == 0;
	if (script && argc != 4) {
		ext2tool_usage(stderr);
		return 2;
	}
	read_only = !script && ext2tool_command_reads_only(argv[2]);
	image = load_image(argv[1], read_only, &size);
	if (!image)
		return 1;
	err = ramdisk_init(&rd, argv[1], image, size, read_only);
	if (!err)
		err = ext2_mount(ramdisk_dev(&rd), read_only ? EXT2_MOUNT_RDONLY : 0, host_clock, &fs);
	if (err) {
		report(argv[1], err);
		free(image);
		return 1;
	}
	if (script) {
		err = run_script(fs, argv[3]);
	} else {
		err = ext2tool_run(fs, argc - 2, argv + 2);
		if (err)
			report(argv[2], err);
	}
	fflush(stdout);
	unmount_err = ext2_unmount(fs);
	if (unmount_err)
		report("unmount", unmount_err);
	if (!read_only && save_image(argv[1], image, size) != 0) {
		fprintf(stderr, "ext2tool: %s: cannot write the image back\n", argv[1]);
		unmount_err = -EIO;
	}
	free(image);
	return err || unmount_err ? 1 : 0;
}
