/* System calls about memory: brk, mmap, munmap, mprotect, madvise. */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/addr.h"
#include "mm/aspace.h"
#include "proc/process.h"
#include "proc/syscall.h"

#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4
#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MADV_DONTNEED 4
#define MADV_FREE     8

static struct aspace *as(void)
{
	return proc_current()->as;
}

static uint32_t vmr_prot(uint64_t prot)
{
	return ((prot & PROT_READ) ? VMR_READ : 0) | ((prot & PROT_WRITE) ? VMR_WRITE : 0) |
	       ((prot & PROT_EXEC) ? VMR_EXEC : 0);
}

SYSCALL(12, brk)
{
	return (long)aspace_brk(as(), a0);
}

/* mmap(addr, len, prot, flags, fd, offset) */
SYSCALL(9, mmap)
{
	uint64_t addr = a0, len = align_up(a1, FRAME_SIZE), prot = a2, flags = a3, off = a5;
	uint32_t type = flags & 0x0f, vflags = 0;
	struct vm_backing *backing = NULL;
	struct file *f = NULL;
	bool fixed = flags & MAP_FIXED;
	int err;

	if (a1 == 0 || len < a1 || (off & (FRAME_SIZE - 1)) || (prot & ~7ull))
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type != MAP_PRIVATE)
		vflags |= VMR_SHARED;
	if (!(flags & MAP_ANONYMOUS)) {
		struct vattr va;

		f = fd_get(proc_current()->fds, (int)a4);
		if (!f)
			return -EBADF;
		err = vfs_getattr(f->vn, &va);
		if (!err && !S_ISREG(va.mode))
			err = -ENODEV;
		if (!err && (f->flags & O_ACCMODE) == O_WRONLY)
			err = -EACCES;
		/* Shared writable file mappings would need writeback: refused. */
		if (!err && (vflags & VMR_SHARED) && (prot & PROT_WRITE))
			err = -ENODEV;
		if (err) {
			file_put(f);
			return err;
		}
		vflags &= ~VMR_SHARED; /* read-only shared = private, observably */
		backing = vm_backing_create(f, UINT64_MAX);
		file_put(f);
	}
	if (fixed || (flags & MAP_FIXED_NOREPLACE)) {
		if (addr & (FRAME_SIZE - 1))
			err = -EINVAL;
		else
			err = aspace_map(as(), addr, len, vmr_prot(prot), vflags, backing, off, fixed);
	} else {
		/* The hint, if it is free; else the highest gap below the stack. */
		err = -EEXIST;
		if (addr && !(addr & (FRAME_SIZE - 1)) && addr >= USER_MIN)
			err = aspace_map(as(), addr, len, vmr_prot(prot), vflags, backing, off, false);
		if (err) {
			err = aspace_find_free(as(), len, &addr);
			if (!err)
				err = aspace_map(as(), addr, len, vmr_prot(prot), vflags, backing, off, false);
		}
	}
	if (backing)
		vm_backing_put(backing);
	if (err == -EEXIST && !(flags & MAP_FIXED_NOREPLACE))
		err = -ENOMEM;
	return err ? err : (long)addr;
}

SYSCALL(11, munmap)
{
	return aspace_unmap(as(), a0, a1);
}

SYSCALL(10, mprotect)
{
	if (a2 & ~7ull)
		return -EINVAL;
	return aspace_protect(as(), a0, a1, vmr_prot(a2));
}

SYSCALL(28, madvise)
{
	if (a0 & (FRAME_SIZE - 1))
		return -EINVAL;
	if (a2 == MADV_DONTNEED || a2 == MADV_FREE)
		return aspace_discard(as(), a0, a1);
	return 0; /* advice this kernel has no use for */
}
