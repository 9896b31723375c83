/* The root filesystem: the loader's ext2 ramdisk at /, devfs at /dev, procfs at /proc. */
#include "arch/x86_64/power.h"
#include "dev/failframes.h"
#include "dev/tty.h"
#include "fs/devfs.h"
#include "fs/ext2_vfs.h"
#include "fs/procfs.h"
#include "fs/ramdisk.h"
#include "fs/rootfs.h"
#include "lib/errno.h"
#include "log.h"
#include "mm/addr.h"

static struct ramdisk ram0; /* over the loader's ramdisk region, never freed */

static void mount_or_warn(struct mount *m, const char *path)
{
	int err = vfs_mount(m, path);

	if (err)
		log_err("vfs", "cannot mount %s on %s: %s", m->fstype, path, errno_name(err));
}

void rootfs_mount(const struct boot_info *bi)
{
	struct mount *root;
	int err = -ENODEV;

	if (bi->ramdisk_size)
		err = ramdisk_init(&ram0, "ram0", phys_to_virt(PA(bi->ramdisk_pa)), bi->ramdisk_size,
				   false);
	if (!err)
		err = ext2_vfs_create(ramdisk_dev(&ram0), "/dev/ram0", &root);
	if (!err)
		err = vfs_mount(root, "/");
	if (err) {
		kprintf("root: mount failed: %s\n", bi->ramdisk_size ? errno_name(err)
								     : "no ramdisk was loaded");
		power_off(false);
	}
	failframes_init();
	tty_init();                     /* /dev/console, ttyS0, tty: before devfs_create */
	mount_or_warn(devfs_create(), "/dev");
	mount_or_warn(procfs_create(), "/proc");
}
