/* ext2 under the VFS: vnode operations over the ext2 library. */
#ifndef FS_EXT2_VFS_H
#define FS_EXT2_VFS_H

#include "fs/blockdev.h"
#include "fs/vfs.h"

/* Mounts the ext2 filesystem on dev (not yet attached anywhere: pass the
 * result to vfs_mount). Returns 0 or ext2_mount's error. */
int ext2_vfs_create(struct blockdev *dev, const char *source, struct mount **out);

#endif
