/* ext2tool commands: path resolution, the ls -R listing, file and namespace operations. */
#define _POSIX_C_SOURCE 200809L /* pread, pwrite, getline */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs/ext2_disk.h"
#include "lib/sha256.h"
#include "tools/ext2tool/ext2tool.h"

#define CHUNK (1u << 20)
#define MAX_DEPTH 4096

/* Splits "/a/b/c" into the inode of "/a/b" and the last name "c". */
struct parent_and_name {
	uint32_t dir;
	const char *name;
	size_t len;
};

/*
 * Resolves an absolute path without following symlinks; "." and ".." are
 * the directory's own entries. Returns 0 with *ino or a negative errno.
 */
static int resolve(struct ext2_fs *fs, const char *path, uint32_t *ino)
{
	uint32_t cur = ext2_root_ino();

	if (path[0] != '/')
		return -EINVAL;
	for (const char *p = path; *p;) {
		const char *end;
		int err;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		err = ext2_lookup(fs, cur, p, (size_t)(end - p), &cur);
		if (err)
			return err;
		p = end;
	}
	*ino = cur;
	return 0;
}

/* Resolves all of path but its last component, which must be a plain name. */
static int resolve_parent(struct ext2_fs *fs, char *path, struct parent_and_name *out)
{
	size_t n = strlen(path);
	char *slash;
	int err;

	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	slash = strrchr(path, '/');
	if (path[0] != '/' || !slash || slash[1] == '\0')
		return -EINVAL;
	out->name = slash + 1;
	out->len = strlen(slash + 1);
	if (slash == path)
		return (out->dir = ext2_root_ino(), 0);
	*slash = '\0';
	err = resolve(fs, path, &out->dir);
	*slash = '/';
	return err;
}

static char type_char(uint32_t mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: return '-';
	case EXT2_S_IFDIR: return 'd';
	case EXT2_S_IFLNK: return 'l';
	case EXT2_S_IFCHR: return 'c';
	case EXT2_S_IFBLK: return 'b';
	case EXT2_S_IFIFO: return 'p';
	case EXT2_S_IFSOCK: return 's';
	default: return '?';
	}
}

/* A growable byte string. */
struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const void *p, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
}

/* Appends bytes with backslash, tab and newline escaped as \\ \t \n. */
static void text_add_escaped(struct text *t, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\')
			text_add(t, "\\\\", 2);
		else if (p[i] == '\t')
			text_add(t, "\\t", 2);
		else if (p[i] == '\n')
			text_add(t, "\\n", 2);
		else
			text_add(t, &p[i], 1);
	}
}

/* The sha256 of a regular file's content, in hex. */
static int hash_file(struct ext2_fs *fs, uint32_t ino, uint64_t size, char hex[65])
{
	uint8_t *buf = malloc(CHUNK), digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	uint64_t off = 0;
	int err = 0;

	sha256_init(&ctx);
	while (off < size) {
		int64_t n = ext2_read(fs, ino, off, buf, CHUNK);

		if (n <= 0) {
			err = n < 0 ? (int)n : -EIO;
			break;
		}
		sha256_update(&ctx, buf, (size_t)n);
		off += (uint64_t)n;
	}
	free(buf);
	sha256_final(&ctx, digest);
	sha256_hex(digest, hex);
	return err;
}

/* One listing line (without the newline) for the inode at path. */
static int format_entry(struct ext2_fs *fs, uint32_t ino, const char *path, size_t path_len,
			struct text *line)
{
	char head[128], hex[65], target[4096];
	struct ext2_stat st;
	int err = ext2_stat(fs, ino, &st);

	if (err)
		return err;
	snprintf(head, sizeof(head), "%c %04o %" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu32 " ",
		 type_char(st.mode), st.mode & 07777, st.uid, st.gid, st.size, st.nlink);
	text_add(line, head, strlen(head));
	switch (st.mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:
		err = hash_file(fs, ino, st.size, hex);
		text_add(line, hex, 64);
		break;
	case EXT2_S_IFLNK:
		err = ext2_readlink(fs, ino, target, sizeof(target));
		if (err >= 0)
			text_add_escaped(line, target, (size_t)err < sizeof(target) ? (size_t)err : sizeof(target));
		err = err < 0 ? err : 0;
		break;
	default:
		text_add(line, "-", 1);
	}
	text_add(line, " ", 1);
	text_add_escaped(line, path, path_len);
	return err;
}

/* A listing line and the raw path it is sorted by (escaping would change the order). */
struct keyed_line {
	struct text raw_path;
	struct text line;
};

static int compare_keyed(const void *a, const void *b)
{
	const struct keyed_line *x = a, *y = b;
	size_t n = x->raw_path.len < y->raw_path.len ? x->raw_path.len : y->raw_path.len;
	int c = memcmp(x->raw_path.s, y->raw_path.s, n);

	if (c)
		return c;
	return (x->raw_path.len > y->raw_path.len) - (x->raw_path.len < y->raw_path.len);
}

struct listing {
	struct ext2_fs *fs;
	struct keyed_line *lines; /* one per entry */
	size_t count, cap;
	uint8_t *visited;         /* directories already walked, by inode number */
	uint64_t inodes;
	int err;                  /* the first error met; the walk goes on */
};

static void note_error(struct listing *l, const char *path, int err)
{
	fprintf(stderr, "ext2tool: %s: %s (%d)\n", path, strerror(-err), err);
	if (!l->err)
		l->err = err;
}

/* Lists directory dir (at path) and below into l. */
static void walk(struct listing *l, uint32_t dir, struct text *path, unsigned depth)
{
	struct ext2_dir_entry e;
	uint64_t cookie = 0;
	int more;

	if (depth > MAX_DEPTH || dir > l->inodes || (l->visited[dir / 8] & (1u << (dir % 8)))) {
		note_error(l, path->len ? path->s : "/", -ELOOP);
		return;
	}
	l->visited[dir / 8] |= (uint8_t)(1u << (dir % 8));
	while ((more = ext2_readdir(l->fs, dir, &cookie, &e)) == 1) {
		size_t base = path->len;
		struct text line = { 0 };
		struct ext2_stat st;
		int err;

		if ((e.name_len == 1 && e.name[0] == '.') ||
		    (e.name_len == 2 && e.name[0] == '.' && e.name[1] == '.'))
			continue;
		text_add(path, "/", 1);
		text_add(path, e.name, e.name_len);
		err = format_entry(l->fs, e.ino, path->s, path->len, &line);
		if (err) {
			note_error(l, path->s, err);
		}
		if (line.len) {
			if (l->count == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 256;
				l->lines = realloc(l->lines, l->cap * sizeof(*l->lines));
				if (!l->lines)
					abort();
			}
			struct text raw = { 0 };

			text_add(&raw, path->s, path->len);
			l->lines[l->count++] = (struct keyed_line){ .raw_path = raw, .line = line };
		}
		if (ext2_stat(l->fs, e.ino, &st) == 0 && (st.mode & EXT2_S_IFMT) == EXT2_S_IFDIR)
			walk(l, e.ino, path, depth + 1);
		path->len = base;
		path->s[base] = '\0';
	}
	if (more < 0)
		note_error(l, path->len ? path->s : "/", more);
}

/*
 * ls -R [PATH]: every entry below PATH (default /), one line each,
 * sorted by the raw path bytes.
 */
static int cmd_ls(struct ext2_fs *fs, int argc, char **argv)
{
	struct listing l = { .fs = fs };
	struct text path = { 0 };
	struct ext2_statfs sf;
	uint32_t dir;
	int err;

	if (argc < 2 || argc > 3 || strcmp(argv[1], "-R") != 0)
		return -EINVAL;
	err = resolve(fs, argc == 3 ? argv[2] : "/", &dir);
	if (err)
		return err;
	ext2_statfs(fs, &sf);
	l.inodes = sf.inodes;
	l.visited = calloc(sf.inodes / 8 + 1, 1);
	text_add(&path, "", 0);
	if (argc == 3 && strcmp(argv[2], "/") != 0) {
		const char *p = argv[2];
		size_t n = strlen(p);

		while (n > 1 && p[n - 1] == '/')
			n--;
		text_add(&path, p, n);
	}
	walk(&l, dir, &path, 0);
	if (l.count)
		qsort(l.lines, l.count, sizeof(*l.lines), compare_keyed);
	for (size_t i = 0; i < l.count; i++) {
		fwrite(l.lines[i].line.s, 1, l.lines[i].line.len, stdout);
		fputc('\n', stdout);
		free(l.lines[i].line.s);
		free(l.lines[i].raw_path.s);
	}
	free(l.lines);
	free(l.visited);
	free(path.s);
	return l.err;
}

/* stat PATH: the listing line of one path. */
static int cmd_stat(struct ext2_fs *fs, int argc, char **argv)
{
	struct text line = { 0 };
	uint32_t ino;
	int err;

	if (argc != 2)
		return -EINVAL;
	err = resolve(fs, argv[1], &ino);
	if (!err)
		err = format_entry(fs, ino, argv[1], strlen(argv[1]), &line);
	if (!err)
		printf("%s\n", line.s);
	free(line.s);
	return err;
}

/* Copies [off, off + len) of regular file ino to stdout (len UINT64_MAX: to the end). */
static int copy_out(struct ext2_fs *fs, uint32_t ino, uint64_t off, uint64_t len)
{
	uint8_t *buf = malloc(CHUNK);
	int err = 0;

	while (len > 0) {
		int64_t n = ext2_read(fs, ino, off, buf, len < CHUNK ? (size_t)len : CHUNK);

		if (n <= 0) {
			err = (int)n;
			break;
		}
		fwrite(buf, 1, (size_t)n, stdout);
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	free(buf);
	return err;
}

static int parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, base);
	return (*end || errno) ? -EINVAL : 0;
}

/* cat PATH / read PATH OFFSET LEN */
static int cmd_cat(struct ext2_fs *fs, int argc, char **argv)
{
	uint64_t off = 0, len = UINT64_MAX;
	uint32_t ino;
	int err;

	if (strcmp(argv[0], "cat") == 0 ? argc != 2 : argc != 4)
		return -EINVAL;
	if (argc == 4 && (parse_u64(argv[2], 0, &off) || parse_u64(argv[3], 0, &len)))
		return -EINVAL;
	err = resolve(fs, argv[1], &ino);
	return err ? err : copy_out(fs, ino, off, len);
}

/* Creates path as a regular file if it does not exist; returns its inode. */
static int open_or_create(struct ext2_fs *fs, char *path, uint32_t *ino)
{
	struct ext2_new_inode attr = { .mode = EXT2_S_IFREG | 0644 };
	struct parent_and_name pn;
	int err = resolve(fs, path, ino);

	if (err != -ENOENT)
		return err;
	err = resolve_parent(fs, path, &pn);
	return err ? err : ext2_create(fs, pn.dir, pn.name, pn.len, &attr, ino);
}

/* Writes host file bytes [src_off, src_off + len) to ino at off. */
static int copy_in(struct ext2_fs *fs, uint32_t ino, uint64_t off, const char *host, uint64_t src_off,
		   uint64_t len)
{
	uint8_t *buf;
	int fd = open(host, O_RDONLY), err = 0;

	if (fd < 0) {
		fprintf(stderr, "ext2tool: %s: %s\n", host, strerror(errno));
		return -ENOENT;
	}
	buf = malloc(CHUNK);
	while (len > 0) {
		ssize_t got = pread(fd, buf, len < CHUNK ? (size_t)len : CHUNK, (off_t)src_off);
		int64_t put;

		if (got <= 0)
			break;
		put = ext2_write(fs, ino, off, buf, (size_t)got);
		if (put < 0) {
			err = (int)put;
			break;
		}
		if (put < got) {
			err = -ENOSPC;
			break;
		}
		off += (uint64_t)got;
		src_off += (uint64_t)got;
		len -= (uint64_t)got;
	}
	free(buf);
	close(fd);
	return err;
}

/* put HOSTFILE PATH: PATH becomes a copy of HOSTFILE (created 0644, or truncated). */
static int cmd_put(struct ext2_fs *fs, int argc, char **argv)
{
	uint32_t ino;
	int err;

	if (argc != 3)
		return -EINVAL;
	err = open_or_create(fs, argv[2], &ino);
	if (!err)
		err = ext2_truncate(fs, ino, 0);
	return err ? err : copy_in(fs, ino, 0, argv[1], 0, UINT64_MAX);
}

/* write PATH OFFSET HOSTFILE [SRCOFF LEN]: writes (part of) HOSTFILE into PATH at OFFSET. */
static int cmd_write(struct ext2_fs *fs, int argc, char **argv)
{
	uint64_t off, src_off = 0, len = UINT64_MAX;
	uint32_t ino;
	int err;

	if ((argc != 4 && argc != 6) || parse_u64(argv[2], 0, &off))
		return -EINVAL;
	if (argc == 6 && (parse_u64(argv[4], 0, &src_off) || parse_u64(argv[5], 0, &len)))
		return -EINVAL;
	err = open_or_create(fs, argv[1], &ino);
	return err ? err : copy_in(fs, ino, off, argv[3], src_off, len);
}

/* mkdir PATH, mknod PATH p|s|c|b [MAJOR MINOR]: new inodes (0755 / 0644), owned by 0:0. */
static int cmd_mknod(struct ext2_fs *fs, int argc, char **argv)
{
	struct ext2_new_inode attr = { .mode = EXT2_S_IFDIR | 0755 };
	struct parent_and_name pn;
	uint64_t major = 0, minor = 0;
	int err;

	if (strcmp(argv[0], "mkdir") == 0) {
		if (argc != 2)
			return -EINVAL;
	} else {
		const char *t = argc >= 3 ? argv[2] : "";
		bool dev = strcmp(t, "c") == 0 || strcmp(t, "b") == 0;

		if (argc != (dev ? 5 : 3))
			return -EINVAL;
		if (dev && (parse_u64(argv[3], 0, &major) || parse_u64(argv[4], 0, &minor) ||
			    major > 0xfff || minor > 0xfffff))
			return -EINVAL;
		attr.mode = 0644 | (t[0] == 'p' ? EXT2_S_IFIFO : t[0] == 's' ? EXT2_S_IFSOCK :
				    t[0] == 'c' ? EXT2_S_IFCHR : t[0] == 'b' ? EXT2_S_IFBLK : 0);
		if (strlen(t) != 1 || !(attr.mode & EXT2_S_IFMT))
			return -EINVAL;
		attr.rdev = (uint32_t)((minor & 0xff) | (major << 8) | ((minor & ~0xffull) << 12));
	}
	err = resolve_parent(fs, argv[1], &pn);
	return err ? err : ext2_create(fs, pn.dir, pn.name, pn.len, &attr, NULL);
}

/* rm PATH, rmdir PATH */
static int cmd_remove(struct ext2_fs *fs, int argc, char **argv)
{
	struct parent_and_name pn;
	int err;

	if (argc != 2)
		return -EINVAL;
	err = resolve_parent(fs, argv[1], &pn);
	if (err)
		return err;
	if (strcmp(argv[0], "rm") == 0)
		return ext2_unlink(fs, pn.dir, pn.name, pn.len);
	return ext2_rmdir(fs, pn.dir, pn.name, pn.len);
}

/* mv OLD NEW: NEW is the new name itself (not a directory to move into). */
static int cmd_mv(struct ext2_fs *fs, int argc, char **argv)
{
	struct parent_and_name from, to;
	int err;

	if (argc != 3)
		return -EINVAL;
	err = resolve_parent(fs, argv[1], &from);
	if (!err)
		err = resolve_parent(fs, argv[2], &to);
	return err ? err : ext2_rename(fs, from.dir, from.name, from.len, to.dir, to.name, to.len);
}

/* ln OLD NEW (hard link), ln -s TARGET PATH (symlink). */
static int cmd_ln(struct ext2_fs *fs, int argc, char **argv)
{
	struct parent_and_name pn;
	uint32_t ino;
	int err;

	if (argc == 4 && strcmp(argv[1], "-s") == 0) {
		err = resolve_parent(fs, argv[3], &pn);
		return err ? err : ext2_symlink(fs, pn.dir, pn.name, pn.len, argv[2], strlen(argv[2]),
						0, 0, NULL);
	}
	if (argc != 3)
		return -EINVAL;
	err = resolve(fs, argv[1], &ino);
	if (!err)
		err = resolve_parent(fs, argv[2], &pn);
	return err ? err : ext2_link(fs, ino, pn.dir, pn.name, pn.len);
}

/* truncate -s SIZE PATH */
static int cmd_truncate(struct ext2_fs *fs, int argc, char **argv)
{
	uint64_t size;
	uint32_t ino;
	int err;

	if (argc != 4 || strcmp(argv[1], "-s") != 0 || parse_u64(argv[2], 0, &size))
		return -EINVAL;
	err = resolve(fs, argv[3], &ino);
	return err ? err : ext2_truncate(fs, ino, size);
}

/* chmod MODE PATH (octal), chown UID:GID PATH, utimes PATH ATIME MTIME */
static int cmd_setattr(struct ext2_fs *fs, int argc, char **argv)
{
	struct ext2_setattr attr = { 0 };
	const char *path;
	uint64_t a, b;
	uint32_t ino;
	int err;

	if (strcmp(argv[0], "utimes") == 0) {
		if (argc != 4 || parse_u64(argv[2], 0, &a) || parse_u64(argv[3], 0, &b))
			return -EINVAL;
		attr = (struct ext2_setattr){ .valid = EXT2_SET_ATIME | EXT2_SET_MTIME,
					      .atime = (int64_t)a, .mtime = (int64_t)b };
		path = argv[1];
	} else if (strcmp(argv[0], "chmod") == 0) {
		if (argc != 3 || parse_u64(argv[1], 8, &a) || a > 07777)
			return -EINVAL;
		attr = (struct ext2_setattr){ .valid = EXT2_SET_MODE, .mode = (uint32_t)a };
		path = argv[2];
	} else {
		char *colon = argc == 3 ? strchr(argv[1], ':') : NULL;

		if (!colon)
			return -EINVAL;
		*colon = '\0';
		err = parse_u64(argv[1], 10, &a) || parse_u64(colon + 1, 10, &b) || a > UINT32_MAX ||
		      b > UINT32_MAX;
		*colon = ':';
		if (err)
			return -EINVAL;
		attr = (struct ext2_setattr){ .valid = EXT2_SET_UID | EXT2_SET_GID,
					      .uid = (uint32_t)a, .gid = (uint32_t)b };
		path = argv[2];
	}
	err = resolve(fs, path, &ino);
	return err ? err : ext2_setattr(fs, ino, &attr);
}

/* df: block size, blocks, free blocks, inodes, free inodes. */
static int cmd_df(struct ext2_fs *fs, int argc, char **argv)
{
	struct ext2_statfs st;

	if (argc != 1)
		return -EINVAL;
	ext2_statfs(fs, &st);
	printf("%u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", st.block_size, st.blocks,
	       st.free_blocks, st.inodes, st.free_inodes);
	return 0;
}

struct command {
	const char *name;
	int (*run)(struct ext2_fs *fs, int argc, char **argv);
	bool reads_only;
	const char *usage;
};

static const struct command commands[] = {
	{ "ls", cmd_ls, true, "ls -R [PATH]" },
	{ "stat", cmd_stat, true, "stat PATH" },
	{ "cat", cmd_cat, true, "cat PATH" },
	{ "read", cmd_cat, true, "read PATH OFFSET LEN" },
	{ "df", cmd_df, true, "df" },
	{ "put", cmd_put, false, "put HOSTFILE PATH" },
	{ "write", cmd_write, false, "write PATH OFFSET HOSTFILE [SRCOFF LEN]" },
	{ "mkdir", cmd_mknod, false, "mkdir PATH" },
	{ "mknod", cmd_mknod, false, "mknod PATH p|s|c|b [MAJOR MINOR]" },
	{ "rm", cmd_remove, false, "rm PATH" },
	{ "rmdir", cmd_remove, false, "rmdir PATH" },
	{ "mv", cmd_mv, false, "mv OLD NEW" },
	{ "ln", cmd_ln, false, "ln OLD NEW | ln -s TARGET PATH" },
	{ "truncate", cmd_truncate, false, "truncate -s SIZE PATH" },
	{ "chmod", cmd_setattr, false, "chmod OCTAL-MODE PATH" },
	{ "chown", cmd_setattr, false, "chown UID:GID PATH" },
	{ "utimes", cmd_setattr, false, "utimes PATH ATIME MTIME" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int ext2tool_command_reads_only(const char *name)
{
	const struct command *c = find_command(name);

	return c && c->reads_only;
}

int ext2tool_run(struct ext2_fs *fs, int argc, char **argv)
{
	const struct command *c = find_command(argv[0]);

	if (!c) {
		fprintf(stderr, "ext2tool: unknown command \"%s\"\n", argv[0]);
		return -EINVAL;
	}
	return c->run(fs, argc, argv);
}

void ext2tool_usage(FILE *out)
{
	fprintf(out, "usage: ext2tool IMAGE COMMAND [ARGS...]\n"
		     "       ext2tool IMAGE script FILE   (one command a line; prints \"= RC\" after each)\n"
		     "ls -R lines: TYPE MODE UID GID SIZE NLINK SHA256|TARGET|- PATH, sorted by path bytes\n"
		     "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %s\n", commands[i].usage);
}
