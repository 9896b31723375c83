/* The root filesystem: the loader's ext2 ramdisk at /, devfs at /dev, procfs at /proc. */
#ifndef FS_ROOTFS_H
#define FS_ROOTFS_H

#include "shared/boot_info.h"

/*
 * Mounts the ramdisk as / (ext2, read-write), then /dev and /proc. If the
 * root cannot be mounted, prints "root: mount failed: <reason>" and powers
 * off with the failure code: without a root there is nothing to run.
 */
void rootfs_mount(const struct boot_info *bi);

#endif
