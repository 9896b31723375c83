/* devfs: the flat in-memory directory of device nodes mounted at /dev. */
#ifndef FS_DEVFS_H
#define FS_DEVFS_H

#include <stdint.h>

#include "fs/vfs.h"

/*
 * One global table of nodes, filled by drivers with devfs_register() and
 * seen by every devfs mount. Nodes are never removed. Built in (Linux
 * numbers and semantics):
 *
 *   null     1:3   reads give EOF, writes succeed
 *   zero     1:5   reads give zeros, writes succeed
 *   full     1:7   reads give zeros, writes fail with -ENOSPC
 *   random   1:8   reads: random_get_bytes() (never blocks, as on Linux
 *   urandom  1:9   since 5.6); writes mix into the pool, crediting nothing
 *   console  5:1   writes go to console_write(); reads give EOF for now
 *   ttyS0    4:64  the same as console for now (console_write reaches COM1)
 *
 * console and ttyS0 are placeholders: the TTY layer replaces them by
 * registering its own nodes under those names before devfs_create().
 *
 * Vnodes come from the VFS vnode cache (vnode_cache_insert), one per
 * (mount, node); the mount's root holds one reference for the mount's
 * life, lookups return referenced vnodes, and the last vnode_put frees the
 * vnode (devfs keeps nothing in it that needs freeing).
 *
 * Directory: ".", "..", then the nodes in registration order. There is no
 * mknod, unlink or rename in /dev (-EPERM from the VFS). chmod, chown and
 * utimes work and are shared by all devfs mounts; truncation is ignored,
 * as Linux does for character devices.
 */

#define DEVFS_NAME_MAX 31

/* Linux's new_encode_dev(): (major << 8) | minor for major < 4096, minor < 256. */
static inline uint64_t devfs_encode_dev(uint32_t major, uint32_t minor)
{
	return (minor & 0xffu) | ((uint64_t)(major & 0xfffu) << 8) | ((uint64_t)(minor & ~0xffu) << 12);
}

/*
 * Adds /dev/<name>: mode is S_IFCHR or S_IFBLK with permission bits, rdev
 * a devfs_encode_dev() number. Opens, reads, writes, ioctls and the last
 * close of the node go to ops->open/read/write/ioctl/release (other
 * members are ignored; a missing read or write gives -EINVAL, a missing
 * ioctl -ENOTTY). The driver finds `data` with devfs_node_data(vn).
 * Reads and writes run without any devfs or mount lock held, so they may
 * block. Callable at any time, also before devfs_create().
 * Returns 0, -EINVAL (name empty, longer than DEVFS_NAME_MAX, containing
 * '/', "." or ".."; mode not a device), or -EEXIST.
 */
int devfs_register(const char *name, uint32_t mode, uint64_t rdev, const struct vnode_ops *ops,
		   void *data);

/* The `data` a device vnode of devfs was registered with. */
void *devfs_node_data(struct vnode *vn);

/*
 * A new devfs mount (fstype and source "devfs") with its root vnode, for
 * vfs_mount(m, "/dev"). The first call registers the built-in nodes that
 * are not registered yet. Never fails (kernel memory is infallible).
 */
struct mount *devfs_create(void);

#endif
