/* In-kernel tests of devfs, procfs, the random generator and the wall clock, through the VFS. */
#include "dev/random.h"
#include "dev/rtc.h"
#include "fs/devfs.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "ktest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

static const struct cred root_cred = { 0, 0, 0, 0, 022 };

static int open_path(const char *path, uint32_t flags, struct file **f)
{
	struct vnode *root = vfs_root();
	int err = vfs_open(root, root, path, flags, 0, &root_cred, f);

	vnode_put(root);
	return err;
}

/* One read of up to n bytes from path; the count or an error. */
static int64_t read_path(const char *path, void *buf, size_t n)
{
	struct uio u = uio_kernel(buf, n);
	struct file *f;
	int64_t r;
	int err = open_path(path, O_RDONLY, &f);

	if (err)
		return err;
	r = vfs_read(f, &u);
	file_put(f);
	return r;
}

/* The whole text of path (at most size - 1 bytes, in several reads), terminated. */
static int64_t slurp_text(const char *path, char *buf, size_t size)
{
	struct file *f;
	int64_t total = 0, r;
	int err = open_path(path, O_RDONLY, &f);

	if (err)
		return err;
	do {
		size_t room = size - 1 - (size_t)total;
		struct uio u = uio_kernel(buf + total, room < 7 ? room : 7); /* odd windows */

		r = room ? vfs_read(f, &u) : 0;
		if (r > 0)
			total += r;
	} while (r > 0);
	file_put(f);
	buf[total] = 0;
	return r < 0 ? r : total;
}

static int64_t write_path(const char *path, const void *buf, size_t n)
{
	struct uio u = uio_kernel((void *)buf, n);
	struct file *f;
	int64_t r;
	int err = open_path(path, O_WRONLY, &f);

	if (err)
		return err;
	r = vfs_write(f, &u);
	file_put(f);
	return r;
}

static bool contains(const char *text, const char *needle)
{
	size_t n = strlen(needle);

	for (; *text; text++)
		if (!strncmp(text, needle, n))
			return true;
	return false;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* stat(), or lstat() with RESOLVE_NOFOLLOW. */
static int stat_path(const char *path, struct vattr *va, unsigned flags)
{
	struct vnode *root = vfs_root(), *vn = NULL;
	int err = vfs_resolve(root, root, path, flags, &root_cred, &vn, NULL);

	if (!err)
		err = vfs_getattr(vn, va);
	vnode_put(vn);
	vnode_put(root);
	return err;
}

KTEST(devfs_null_zero_full)
{
	uint8_t *buf = kmalloc(1000);

	KT_CHECK(read_path("/dev/null", buf, 1000) == 0);
	KT_CHECK(write_path("/dev/null", "hello", 5) == 5);
	memset(buf, 0xaa, 1000);
	KT_CHECK(read_path("/dev/zero", buf, 1000) == 1000);
	KT_CHECK(all_bytes(buf, 1000, 0));
	KT_CHECK(write_path("/dev/zero", "x", 1) == 1);
	memset(buf, 0xaa, 1000);
	KT_CHECK(read_path("/dev/full", buf, 300) == 300);
	KT_CHECK(all_bytes(buf, 300, 0));
	KT_CHECK(buf[300] == 0xaa);
	KT_CHECK(write_path("/dev/full", "x", 1) == -ENOSPC);
	kfree(buf);
}

KTEST(devfs_urandom)
{
	uint8_t a[64], b[64];
	uint8_t *big = kzalloc(5000);

	KT_CHECK(read_path("/dev/urandom", a, sizeof(a)) == 64);
	KT_CHECK(read_path("/dev/random", b, sizeof(b)) == 64);
	KT_CHECK(memcmp(a, b, sizeof(a)) != 0);
	KT_CHECK(!all_bytes(a, sizeof(a), 0));
	KT_CHECK(read_path("/dev/urandom", big, 5000) == 5000);
	KT_CHECK(!all_bytes(big + 4936, 64, 0)); /* the tail past the last full chunk */
	KT_CHECK(write_path("/dev/urandom", "entropy?", 8) == 8);
	kfree(big);
}

KTEST(devfs_device_numbers)
{
	static const struct { const char *path; uint64_t rdev; } want[] = {
		{ "/dev/null", 0x103 }, { "/dev/zero", 0x105 }, { "/dev/full", 0x107 },
		{ "/dev/random", 0x108 }, { "/dev/urandom", 0x109 }, { "/dev/console", 0x501 },
		{ "/dev/ttyS0", 0x440 },
	};
	struct vattr va;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		KT_CHECK(stat_path(want[i].path, &va, 0) == 0);
		KT_CHECK(S_ISCHR(va.mode));
		KT_CHECK(va.rdev == want[i].rdev);
	}
	KT_CHECK(stat_path("/dev", &va, 0) == 0 && S_ISDIR(va.mode));
	KT_CHECK(stat_path("/dev/nonexistent", &va, 0) == -ENOENT);
	KT_CHECK(devfs_encode_dev(4, 64) == 0x440);
	KT_CHECK(devfs_encode_dev(8, 256) == 0x100800); /* large minors move up, as on Linux */
}

/* True if a getdents64 listing of dir holds name. */
static bool dir_has(const char *dir, const char *name)
{
	uint8_t *buf = kmalloc(4096);
	struct file *f;
	bool found = false;
	int64_t n;

	if (open_path(dir, O_RDONLY | O_DIRECTORY, &f)) {
		kfree(buf);
		return false;
	}
	for (;;) {
		struct uio u = uio_kernel(buf, 4096);

		n = vfs_getdents64(f, &u);
		if (n <= 0)
			break;
		for (int64_t off = 0; off < n;) {
			uint16_t reclen;

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (!strcmp((const char *)buf + off + 19, name))
				found = true;
			off += reclen;
		}
	}
	file_put(f);
	kfree(buf);
	return found;
}

KTEST(devfs_readdir)
{
	KT_CHECK(dir_has("/dev", "."));
	KT_CHECK(dir_has("/dev", ".."));
	KT_CHECK(dir_has("/dev", "null"));
	KT_CHECK(dir_has("/dev", "urandom"));
	KT_CHECK(dir_has("/dev", "ttyS0"));
	KT_CHECK(!dir_has("/dev", "nonexistent"));
	KT_CHECK(dir_has("/proc", "meminfo"));
	KT_CHECK(dir_has("/proc", "mounts"));
}

static int ktest_dev_data;

static int64_t ktest_dev_read(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	char c = devfs_node_data(vn) == &ktest_dev_data ? 'y' : 'n';

	int err = uio_move(u, &c, 1, true);

	return err ? err : 1;
}

static const struct vnode_ops ktest_dev_ops = { .read = ktest_dev_read };

KTEST(devfs_register)
{
	char c = 0;
	struct vattr va;

	KT_CHECK(devfs_register("ktest0", S_IFCHR | 0600, devfs_encode_dev(240, 0), &ktest_dev_ops,
				&ktest_dev_data) == 0);
	KT_CHECK(devfs_register("ktest0", S_IFCHR | 0600, 0, &ktest_dev_ops, NULL) == -EEXIST);
	KT_CHECK(devfs_register("", S_IFCHR, 0, NULL, NULL) == -EINVAL);
	KT_CHECK(devfs_register("..", S_IFCHR, 0, NULL, NULL) == -EINVAL);
	KT_CHECK(devfs_register("a/b", S_IFCHR, 0, NULL, NULL) == -EINVAL);
	KT_CHECK(devfs_register("reg", S_IFREG | 0644, 0, NULL, NULL) == -EINVAL);
	KT_CHECK(read_path("/dev/ktest0", &c, 1) == 1 && c == 'y');
	KT_CHECK(write_path("/dev/ktest0", "x", 1) == -EINVAL); /* the driver has no write */
	KT_CHECK(stat_path("/dev/ktest0", &va, 0) == 0 && va.rdev == devfs_encode_dev(240, 0));
	KT_CHECK(dir_has("/dev", "ktest0"));
}

KTEST(procfs_meminfo)
{
	char *buf = kmalloc(2048);

	KT_CHECK(slurp_text("/proc/meminfo", buf, 2048) > 0);
	KT_CHECK(!strncmp(buf, "MemTotal:       ", 16));
	KT_CHECK(strchr(buf, '\n') && !strncmp(strchr(buf, '\n') - 3, " kB", 3));
	KT_CHECK(contains(buf, "\nMemFree:        "));
	KT_CHECK(contains(buf, "\nMemAvailable:   "));
	KT_CHECK(contains(buf, "\nSwapTotal:             0 kB\n"));
	kfree(buf);
}

KTEST(procfs_memmap_mounts_uptime)
{
	char *buf = kmalloc(65536);

	KT_CHECK(slurp_text("/proc/memmap", buf, 65536) > 0);
	KT_CHECK(!strncmp(buf, "memmap: 0x", 10));
	KT_CHECK(slurp_text("/proc/mounts", buf, 65536) > 0);
	KT_CHECK(contains(buf, " / ext2 rw 0 0\n"));
	KT_CHECK(contains(buf, "devfs /dev devfs rw 0 0\n"));
	KT_CHECK(contains(buf, "proc /proc proc rw 0 0\n"));
	KT_CHECK(slurp_text("/proc/uptime", buf, 65536) > 0);
	KT_CHECK(strchr(buf, '.') && strchr(buf, ' ') && buf[strlen(buf) - 1] == '\n');
	KT_CHECK(slurp_text("/proc/version", buf, 65536) > 0);
	KT_CHECK(slurp_text("/proc/cpuinfo", buf, 65536) > 0);
	KT_CHECK(!strncmp(buf, "processor\t: 0\n", 14));
	KT_CHECK(write_path("/proc/meminfo", "x", 1) < 0);
	kfree(buf);
}

KTEST(random_generator)
{
	uint8_t a[33], b[33], big[200];
	struct random_stats before, after;

	random_get_stats(&before);
	random_get_bytes(a, 0);
	random_get_bytes(a, sizeof(a));
	random_get_bytes(b, sizeof(b));
	KT_CHECK(memcmp(a, b, sizeof(a)) != 0);
	random_get_bytes(a, 32);
	random_get_bytes(b, 32);
	KT_CHECK(memcmp(a, b, 32) != 0);
	memset(big, 0, sizeof(big));
	random_get_bytes(big, sizeof(big));
	KT_CHECK(!all_bytes(big + 136, 64, 0));
	random_mix("some bytes that are not secret at all", RANDOM_RESEED_BYTES);
	random_get_bytes(a, 1);
	random_get_stats(&after);
	KT_CHECK(after.requests >= before.requests + 7);
	KT_CHECK(after.reseeds > before.reseeds);
	KT_CHECK(after.mixed_bytes >= before.mixed_bytes + RANDOM_RESEED_BYTES);
}

KTEST(rtc_wall_clock)
{
	struct vtime a = rtc_now(), b;

	KT_CHECK(a.sec >= RTC_FALLBACK_EPOCH);
	KT_CHECK(a.nsec < 1000000000u);
	KT_CHECK(rtc_boot_epoch() >= RTC_FALLBACK_EPOCH);
	b = rtc_now();
	KT_CHECK(b.sec > a.sec || (b.sec == a.sec && b.nsec >= a.nsec));
}

/* ---- procfs with fake process hooks: pids 1 and 7, the caller is 7 --------- */

static int fake_self(void)
{
	return 7;
}

static int fake_next_pid(int after)
{
	return after < 1 ? 1 : after < 7 ? 7 : -ESRCH;
}

static int fake_owner(int pid, uint32_t *uid, uint32_t *gid)
{
	if (pid != 1 && pid != 7)
		return -ESRCH;
	*uid = *gid = pid == 7 ? 1000 : 0;
	return 0;
}

static int fake_show(int pid, enum procfs_pid_file which, struct procfs_buf *out)
{
	if (pid != 1 && pid != 7)
		return -ESRCH;
	if (which == PROCFS_PID_STATUS)
		procfs_printf(out, "Name:\tfake\nPid:\t%d\n", pid);
	else if (which == PROCFS_PID_STAT)
		procfs_printf(out, "%d (fake) S 1\n", pid);
	else
		procfs_write(out, "fake\0-x\0", 8);
	return 0;
}

static int fake_readlink(int pid, enum procfs_pid_link which, char *buf, size_t size)
{
	static const char exe[] = "/bin/fake";

	if (pid != 1 && pid != 7)
		return -ESRCH;
	memcpy(buf, exe, size < sizeof(exe) - 1 ? size : sizeof(exe) - 1);
	return (int)sizeof(exe) - 1;
}

static const struct procfs_process_hooks fake_hooks = {
	.self = fake_self, .next_pid = fake_next_pid, .owner = fake_owner, .show = fake_show,
	.readlink = fake_readlink, .last_pid = fake_self,
};

static int readlink_path(const char *path, char *buf, size_t size)
{
	struct vnode *root = vfs_root();
	int n = vfs_readlink(root, root, path, buf, size - 1, &root_cred);

	vnode_put(root);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

KTEST(procfs_pid_hooks)
{
	const struct procfs_process_hooks *old = procfs_set_process_hooks(&fake_hooks);
	char *buf = kmalloc(512);
	struct vattr va;

	KT_CHECK(readlink_path("/proc/self", buf, 512) == 1 && !strcmp(buf, "7"));
	KT_CHECK(slurp_text("/proc/self/status", buf, 512) > 0 && contains(buf, "\nPid:\t7\n"));
	KT_CHECK(slurp_text("/proc/1/stat", buf, 512) > 0 && !strcmp(buf, "1 (fake) S 1\n"));
	KT_CHECK(read_path("/proc/7/cmdline", buf, 512) == 8 && !memcmp(buf, "fake\0-x\0", 8));
	KT_CHECK(readlink_path("/proc/7/exe", buf, 512) == 9 && !strcmp(buf, "/bin/fake"));
	KT_CHECK(readlink_path("/proc/7/exe", buf, 4) == 3); /* truncated, as readlink(2) does */
	KT_CHECK(stat_path("/proc/7", &va, 0) == 0 && S_ISDIR(va.mode) && va.uid == 1000);
	KT_CHECK(stat_path("/proc/7/exe", &va, RESOLVE_NOFOLLOW) == 0 && S_ISLNK(va.mode));
	KT_CHECK(slurp_text("/proc/7/../uptime", buf, 512) > 0);
	KT_CHECK(stat_path("/proc/3", &va, 0) == -ENOENT);
	KT_CHECK(stat_path("/proc/007", &va, 0) == -ENOENT);
	KT_CHECK(stat_path("/proc/7/nothing", &va, 0) == -ENOENT);
	KT_CHECK(dir_has("/proc", "self"));
	KT_CHECK(dir_has("/proc", "1"));
	KT_CHECK(dir_has("/proc", "7"));
	KT_CHECK(!dir_has("/proc", "3"));
	KT_CHECK(dir_has("/proc/7", "cmdline"));
	KT_CHECK(dir_has("/proc/7", ".."));

	procfs_set_process_hooks(old);
	if (!old) {
		KT_CHECK(stat_path("/proc/self", &va, 0) == -ENOENT);
		KT_CHECK(stat_path("/proc/7", &va, 0) == -ENOENT);
		KT_CHECK(!dir_has("/proc", "self"));
	}
	kfree(buf);
}
