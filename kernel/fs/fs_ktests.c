/* In-kernel tests of the VFS on the root filesystem (ext2 on the ramdisk). */
#include "fs/vfs.h"
#include "ktest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

static const struct cred root_cred = { 0, 0, 0, 0, 022 };
static const struct cred user_cred = { 1000, 1000, 1000, 1000, 022 };

/* Opens path from / as cred; returns the error or 0. */
static int open_as(const struct cred *c, const char *path, uint32_t flags, struct file **f)
{
	struct vnode *root = vfs_root();
	int err = vfs_open(root, root, path, flags, 0644, c, f);

	vnode_put(root);
	return err;
}

static int resolve(const char *path, unsigned flags)
{
	struct vnode *root = vfs_root(), *vn = NULL;
	int err = vfs_resolve(root, root, path, flags, &root_cred, &vn, NULL);

	vnode_put(vn);
	vnode_put(root);
	return err;
}

/* Reads the whole file (at most size - 1 bytes) into buf, terminated. */
static int64_t slurp(const char *path, char *buf, size_t size)
{
	struct file *f;
	struct uio u = uio_kernel(buf, size - 1);
	int64_t n;
	int err = open_as(&root_cred, path, O_RDONLY, &f);

	if (err)
		return err;
	n = vfs_read(f, &u);
	file_put(f);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

static int spew(const char *path, const char *text, uint32_t flags)
{
	struct file *f;
	struct uio u = uio_kernel((void *)text, strlen(text));
	int64_t n;
	int err = open_as(&root_cred, path, O_WRONLY | flags, &f);

	if (err)
		return err;
	n = vfs_write(f, &u);
	file_put(f);
	return n < 0 ? (int)n : 0;
}

KTEST(fs_read_ramdisk_file)
{
	char buf[256];

	KT_CHECK(slurp("/etc/motd", buf, sizeof(buf)) > 0);
	KT_CHECK(!strncmp(buf, "Welcome.", 8));
	KT_CHECK(slurp("//etc///./motd", buf, sizeof(buf)) > 0);
	KT_CHECK(slurp("/etc/../etc/motd", buf, sizeof(buf)) > 0);
}

KTEST(fs_path_errors)
{
	char *longname = kmalloc(300);

	KT_CHECK(resolve("/etc/motd/", 0) == -ENOTDIR);
	KT_CHECK(resolve("/etc/motd/x", 0) == -ENOTDIR);
	KT_CHECK(resolve("/no/such/file", 0) == -ENOENT);
	KT_CHECK(resolve("", 0) == -ENOENT);
	KT_CHECK(resolve("/..", 0) == 0); /* ".." of the root is the root */
	memset(longname, 'a', 299);
	longname[0] = '/';
	longname[299] = 0;
	KT_CHECK(resolve(longname, 0) == -ENAMETOOLONG);
	kfree(longname);
}

KTEST(fs_create_write_read_unlink)
{
	char buf[64];

	KT_CHECK(spew("/tmp/ktest-file", "first", O_CREAT | O_TRUNC) == 0);
	KT_CHECK(spew("/tmp/ktest-file", " second", O_APPEND) == 0);
	KT_CHECK(slurp("/tmp/ktest-file", buf, sizeof(buf)) == 12);
	KT_CHECK(!strcmp(buf, "first second"));
	KT_CHECK(open_as(&root_cred, "/tmp/ktest-file", O_CREAT | O_EXCL | O_WRONLY,
			 &(struct file *){ 0 }) == -EEXIST);
	{
		struct vnode *root = vfs_root();

		KT_CHECK(vfs_unlink(root, root, "/tmp/ktest-file", false, &root_cred) == 0);
		KT_CHECK(vfs_unlink(root, root, "/tmp/ktest-file", false, &root_cred) == -ENOENT);
		vnode_put(root);
	}
}

KTEST(fs_symlinks_and_loops)
{
	struct vnode *root = vfs_root();
	char buf[64];

	KT_CHECK(vfs_symlink(root, "/etc/motd", root, "/tmp/ktest-link", &root_cred) == 0);
	KT_CHECK(slurp("/tmp/ktest-link", buf, sizeof(buf)) > 0);
	KT_CHECK(vfs_readlink(root, root, "/tmp/ktest-link", buf, sizeof(buf), &root_cred) == 9);
	KT_CHECK(vfs_symlink(root, "ktest-loop-b", root, "/tmp/ktest-loop-a", &root_cred) == 0);
	KT_CHECK(vfs_symlink(root, "ktest-loop-a", root, "/tmp/ktest-loop-b", &root_cred) == 0);
	KT_CHECK(resolve("/tmp/ktest-loop-a", 0) == -ELOOP);
	KT_CHECK(resolve("/tmp/ktest-loop-a", RESOLVE_NOFOLLOW) == 0);
	vfs_unlink(root, root, "/tmp/ktest-link", false, &root_cred);
	vfs_unlink(root, root, "/tmp/ktest-loop-a", false, &root_cred);
	vfs_unlink(root, root, "/tmp/ktest-loop-b", false, &root_cred);
	vnode_put(root);
}

KTEST(fs_directories_and_rename)
{
	struct vnode *root = vfs_root();
	char buf[16];

	KT_CHECK(vfs_mkdir(root, root, "/tmp/ktest-d1", 0755, &root_cred) == 0);
	KT_CHECK(vfs_mkdir(root, root, "/tmp/ktest-d1/", 0755, &root_cred) == -EEXIST);
	KT_CHECK(spew("/tmp/ktest-d1/f", "x", O_CREAT) == 0);
	KT_CHECK(vfs_unlink(root, root, "/tmp/ktest-d1", true, &root_cred) == -ENOTEMPTY);
	KT_CHECK(vfs_rename(root, root, "/tmp/ktest-d1", root, "/tmp/ktest-d2", &root_cred) == 0);
	KT_CHECK(slurp("/tmp/ktest-d2/f", buf, sizeof(buf)) == 1);
	KT_CHECK(vfs_unlink(root, root, "/tmp/ktest-d2/f", false, &root_cred) == 0);
	KT_CHECK(vfs_unlink(root, root, "/tmp/ktest-d2", true, &root_cred) == 0);
	KT_CHECK(resolve("/tmp/ktest-d2", 0) == -ENOENT);
	vnode_put(root);
}

KTEST(fs_permissions)
{
	struct file *f = NULL;

	KT_CHECK(open_as(&user_cred, "/etc/ktest-denied", O_CREAT | O_WRONLY, &f) == -EACCES);
	KT_CHECK(open_as(&user_cred, "/etc/motd", O_WRONLY, &f) == -EACCES);
	KT_CHECK(open_as(&user_cred, "/etc/motd", O_RDONLY, &f) == 0);
	file_put(f);
}

KTEST(fs_unlinked_file_lives_until_closed)
{
	struct vnode *root = vfs_root();
	struct file *f;
	char buf[8] = { 0 };
	struct uio w = uio_kernel("data", 4), r = uio_kernel(buf, 4);

	KT_CHECK(open_as(&root_cred, "/tmp/ktest-orphan", O_CREAT | O_RDWR, &f) == 0);
	KT_CHECK(vfs_write(f, &w) == 4);
	KT_CHECK(vfs_unlink(root, root, "/tmp/ktest-orphan", false, &root_cred) == 0);
	KT_CHECK(vfs_pread(f, 0, &r) == 4 && !strcmp(buf, "data"));
	file_put(f); /* the inode is freed now */
	vnode_put(root);
}

KTEST(fs_getdents_lists_etc)
{
	struct file *f;
	char *buf = kmalloc(4096);
	struct uio u = uio_kernel(buf, 4096);
	int64_t n;
	bool motd = false, dot = false;

	KT_CHECK(open_as(&root_cred, "/etc", O_RDONLY | O_DIRECTORY, &f) == 0);
	n = vfs_getdents64(f, &u);
	KT_CHECK(n > 0);
	for (int64_t off = 0; off < n;) {
		uint16_t reclen = *(uint16_t *)(buf + off + 16);
		const char *name = buf + off + 19;

		motd |= !strcmp(name, "motd");
		dot |= !strcmp(name, ".");
		off += reclen;
	}
	KT_CHECK(motd && dot);
	file_put(f);
	kfree(buf);
}
