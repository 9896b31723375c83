/* In-kernel tests of the name cache, through the VFS on the root filesystem and /proc. */
#include "fs/namecache.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "ktest.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

static const struct cred root_cred = { 0, 0, 0, 0, 022 };

/* Resolves path from / (following symlinks); *ino gets the inode number on
 * success if ino is not NULL. Returns 0 or the error. */
static int lookup_ino(const char *path, uint64_t *ino)
{
	struct vnode *root = vfs_root(), *vn = NULL;
	int err = vfs_resolve(root, root, path, 0, &root_cred, &vn, NULL);

	if (!err && ino)
		*ino = vn->ino;
	vnode_put(vn);
	vnode_put(root);
	return err;
}

static int lookup(const char *path)
{
	return lookup_ino(path, NULL);
}

/* Does path name inode ino (0: does it not exist)? */
static bool names(const char *path, uint64_t ino)
{
	uint64_t now = 0;
	int err = lookup_ino(path, &now);

	return ino ? err == 0 && now == ino : err == -ENOENT;
}

/* The referenced vnode of path, or NULL. */
static struct vnode *vnode_of(const char *path)
{
	struct vnode *root = vfs_root(), *vn = NULL;

	if (vfs_resolve(root, root, path, 0, &root_cred, &vn, NULL))
		vn = NULL;
	vnode_put(root);
	return vn;
}

static int create(const char *path)
{
	struct vnode *root = vfs_root();
	struct file *f = NULL;
	int err = vfs_open(root, root, path, O_CREAT | O_WRONLY, 0644, &root_cred, &f);

	if (!err)
		file_put(f);
	vnode_put(root);
	return err;
}

static int remove(const char *path, bool dir)
{
	struct vnode *root = vfs_root();
	int err = vfs_unlink(root, root, path, dir, &root_cred);

	vnode_put(root);
	return err;
}

static int mkdir(const char *path)
{
	struct vnode *root = vfs_root();
	int err = vfs_mkdir(root, root, path, 0755, &root_cred);

	vnode_put(root);
	return err;
}

static int rename(const char *from, const char *to)
{
	struct vnode *root = vfs_root();
	int err = vfs_rename(root, root, from, root, to, &root_cred);

	vnode_put(root);
	return err;
}

/* The counters' growth since *before, which it then updates. */
static struct namecache_stats since(struct namecache_stats *before)
{
	struct namecache_stats now, d;

	namecache_get_stats(&now);
	d = (struct namecache_stats){
		.hits = now.hits - before->hits,
		.negative_hits = now.negative_hits - before->negative_hits,
		.misses = now.misses - before->misses,
		.evictions = now.evictions - before->evictions,
	};
	*before = now;
	return d;
}

KTEST(namecache_hits_misses_and_negative_entries)
{
	struct namecache_stats s, d;
	uint64_t ino;

	KT_CHECK(lookup("/tmp") == 0); /* "tmp" is cached from here on */
	namecache_get_stats(&s);
	KT_CHECK(lookup("/tmp/nc-a") == -ENOENT);
	d = since(&s);
	KT_CHECK(d.misses == 1 && d.hits == 1 && d.negative_hits == 0);
	KT_CHECK(lookup("/tmp/nc-a") == -ENOENT); /* now from the negative entry */
	d = since(&s);
	KT_CHECK(d.misses == 0 && d.hits == 1 && d.negative_hits == 1);
	KT_CHECK(create("/tmp/nc-a") == 0); /* turns the entry positive */
	since(&s);
	KT_CHECK(lookup_ino("/tmp/nc-a", &ino) == 0 && ino != 0);
	d = since(&s);
	KT_CHECK(d.misses == 0 && d.hits == 2 && d.negative_hits == 0);
	KT_CHECK(remove("/tmp/nc-a", false) == 0);
	since(&s);
	KT_CHECK(lookup("/tmp/nc-a") == -ENOENT);
	d = since(&s);
	KT_CHECK(d.misses + d.negative_hits == 1 && d.hits == 1);
	KT_CHECK(lookup("/tmp/nc-a/x") == -ENOENT);
	KT_CHECK(lookup("/proc/uptime") == 0); /* procfs is never cached: not even a miss */
	d = since(&s);
	KT_CHECK(d.hits == 2 && d.negative_hits == 1 && d.misses == 0); /* tmp, nc-a, proc */
}

KTEST(namecache_rename_unlink_and_replace)
{
	uint64_t a, b;

	KT_CHECK(create("/tmp/nc-r1") == 0 && create("/tmp/nc-r2") == 0);
	KT_CHECK(lookup_ino("/tmp/nc-r1", &a) == 0 && lookup_ino("/tmp/nc-r2", &b) == 0 && a != b);
	KT_CHECK(lookup("/tmp/nc-r3") == -ENOENT);
	KT_CHECK(rename("/tmp/nc-r1", "/tmp/nc-r3") == 0); /* to a negative entry */
	KT_CHECK(lookup("/tmp/nc-r1") == -ENOENT);
	KT_CHECK(names("/tmp/nc-r3", a));
	KT_CHECK(rename("/tmp/nc-r3", "/tmp/nc-r2") == 0); /* over a cached positive entry */
	KT_CHECK(lookup("/tmp/nc-r3") == -ENOENT);
	KT_CHECK(names("/tmp/nc-r2", a));
	KT_CHECK(remove("/tmp/nc-r2", false) == 0);
	KT_CHECK(lookup("/tmp/nc-r2") == -ENOENT);
	KT_CHECK(create("/tmp/nc-r2") == 0);
	KT_CHECK(lookup("/tmp/nc-r2") == 0);
	KT_CHECK(remove("/tmp/nc-r2", false) == 0);
}

KTEST(namecache_directory_moves_and_rmdir)
{
	struct vnode *d1, *gone;
	uint64_t f;

	KT_CHECK(mkdir("/tmp/nc-d1") == 0 && mkdir("/tmp/nc-d2") == 0);
	KT_CHECK(mkdir("/tmp/nc-d1/sub") == 0 && create("/tmp/nc-d1/sub/f") == 0);
	KT_CHECK(lookup_ino("/tmp/nc-d1/sub/f", &f) == 0);
	KT_CHECK(lookup("/tmp/nc-d2/moved/f") == -ENOENT);
	/* A directory moves to another parent: old paths fail, new ones work. */
	KT_CHECK(rename("/tmp/nc-d1/sub", "/tmp/nc-d2/moved") == 0);
	KT_CHECK(lookup("/tmp/nc-d1/sub/f") == -ENOENT);
	KT_CHECK(lookup("/tmp/nc-d1/sub") == -ENOENT);
	KT_CHECK(names("/tmp/nc-d2/moved/f", f));
	KT_CHECK(lookup("/tmp/nc-d2/moved/../moved/f") == 0);
	/* Renamed over an empty directory whose (negative) entries go with it. */
	KT_CHECK(mkdir("/tmp/nc-d1/empty") == 0);
	KT_CHECK(lookup("/tmp/nc-d1/empty/nothing") == -ENOENT);
	gone = vnode_of("/tmp/nc-d1/empty");
	KT_CHECK(gone && !list_empty(&gone->names));
	KT_CHECK(rename("/tmp/nc-d2/moved", "/tmp/nc-d1/empty") == 0);
	KT_CHECK(gone && list_empty(&gone->names));
	vnode_put(gone);
	KT_CHECK(names("/tmp/nc-d1/empty/f", f));
	KT_CHECK(lookup("/tmp/nc-d2/moved") == -ENOENT);
	/* rmdir forgets the entries in the removed directory. */
	KT_CHECK(remove("/tmp/nc-d1/empty/f", false) == 0);
	KT_CHECK(lookup("/tmp/nc-d1/empty/f") == -ENOENT);
	d1 = vnode_of("/tmp/nc-d1/empty");
	KT_CHECK(d1 && !list_empty(&d1->names));
	KT_CHECK(remove("/tmp/nc-d1/empty", true) == 0);
	KT_CHECK(d1 && list_empty(&d1->names));
	vnode_put(d1);
	KT_CHECK(lookup("/tmp/nc-d1/empty") == -ENOENT);
	KT_CHECK(lookup("/tmp/nc-d1/empty/f") == -ENOENT);
	KT_CHECK(mkdir("/tmp/nc-d1/empty") == 0); /* the same name again, a new directory */
	KT_CHECK(lookup("/tmp/nc-d1/empty/f") == -ENOENT);
	KT_CHECK(remove("/tmp/nc-d1/empty", true) == 0);
	KT_CHECK(remove("/tmp/nc-d1", true) == 0 && remove("/tmp/nc-d2", true) == 0);
}

KTEST(namecache_eviction_keeps_answers_right)
{
	enum { FILES = 40 };
	size_t old = namecache_set_limit(8);
	struct namecache_stats s, d;
	uint64_t ino[FILES];
	char path[32];

	namecache_get_stats(&s);
	for (int i = 0; i < FILES; i++) {
		ksnprintf(path, sizeof(path), "/tmp/nc-e%d", i);
		KT_CHECK(create(path) == 0 && lookup_ino(path, &ino[i]) == 0);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < FILES; i++) {
			ksnprintf(path, sizeof(path), "/tmp/nc-e%d", i);
			KT_CHECK(names(path, ino[i]));
			if (round == 0 && i % 2 && remove(path, false) == 0)
				ino[i] = 0;
			ksnprintf(path, sizeof(path), "/tmp/nc-e%d", i + FILES);
			KT_CHECK(names(path, 0));
		}
	d = since(&s);
	KT_CHECK(d.evictions > FILES);
	KT_CHECK(s.entries <= 8);
	for (int i = 0; i < FILES; i++) {
		ksnprintf(path, sizeof(path), "/tmp/nc-e%d", i);
		KT_CHECK(names(path, ino[i]));
		remove(path, false);
	}
	namecache_set_limit(old);
}

/* ---- /proc/<pid> with fake process hooks: pid 42 lives while `alive` ------ */

static bool alive;

static int fake_self(void)
{
	return 1;
}

static int fake_next_pid(int after)
{
	return alive && after < 42 ? 42 : -ESRCH;
}

static int fake_owner(int pid, uint32_t *uid, uint32_t *gid)
{
	if (pid != 42 || !alive)
		return -ESRCH;
	*uid = *gid = 0;
	return 0;
}

static int fake_show(int pid, enum procfs_pid_file which, struct procfs_buf *out)
{
	return fake_owner(pid, &(uint32_t){ 0 }, &(uint32_t){ 0 });
}

static int fake_readlink(int pid, enum procfs_pid_link which, char *buf, size_t size)
{
	return -ENOENT;
}

static const struct procfs_process_hooks fake_hooks = {
	.self = fake_self, .next_pid = fake_next_pid, .owner = fake_owner, .show = fake_show,
	.readlink = fake_readlink, .last_pid = fake_self,
};

KTEST(namecache_proc_pid_goes_when_the_process_exits)
{
	const struct procfs_process_hooks *old = procfs_set_process_hooks(&fake_hooks);

	alive = true;
	KT_CHECK(lookup("/proc/42") == 0 && lookup("/proc/42/status") == 0);
	alive = false; /* the process exits */
	KT_CHECK(lookup("/proc/42") == -ENOENT);
	KT_CHECK(lookup("/proc/42/status") == -ENOENT);
	alive = true; /* and the pid is used again */
	KT_CHECK(lookup("/proc/42/status") == 0);
	procfs_set_process_hooks(old);
}
