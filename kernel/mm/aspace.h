/* User address spaces: regions, their page tables, and page faults. */
#ifndef MM_ASPACE_H
#define MM_ASPACE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/vmregion.h"
#include "sched/mutex.h"
#include "shared/paging.h"

struct file;

/* User layout. Page 0 (and everything below USER_MIN) is never mapped. */
#define USER_MIN        0x10000ull
#define USER_SPACE_LIMIT 0x00007ffffffff000ull /* the last page stays unmapped */
#define USER_STACK_TOP  0x00007ffffffff000ull
#define USER_STACK_SIZE (8ull << 20)       /* 8 MiB, mapped lazily */
#define USER_STACK_GAP  (1ull << 20)       /* unmapped guard gap below it */
#define USER_MMAP_TOP   (USER_STACK_TOP - USER_STACK_SIZE - USER_STACK_GAP)
#define USER_DYN_BASE   0x0000555555554000ull /* where static-PIE programs load */

/*
 * What a file-backed region reads from: `file` at region offsets; bytes of
 * the file at or beyond `limit` read as zeros (the end of an ELF segment's
 * file part, after which .bss begins). Shared by the pieces of a split
 * region (reference counted).
 */
struct vm_backing {
	uint32_t refcount;
	struct file *file;
	uint64_t limit;
};

struct aspace {
	struct mutex lock;        /* map, page tables, rss, brk */
	struct vm_map map;
	struct paging_ctx pt;     /* user half: this address space's own tables */
	uint64_t rss_pages;       /* private frames mapped (the zero frame excluded) */
	uint64_t heap_start, brk;
	uint32_t refcount;        /* processes using it: vfork shares it */
};

/* The kernel's PML4 entries (the upper half) are copied into each new one:
 * kernel mappings never add PML4 entries after boot. Returns NULL when
 * out of memory. */
struct aspace *aspace_create(void);
void aspace_destroy(struct aspace *as);

/* vfork: another user of the same address space; the last put destroys it. */
void aspace_get(struct aspace *as);
void aspace_put(struct aspace *as);

/* Loads as's page tables (NULL: the kernel's). */
void aspace_activate(struct aspace *as);
uint64_t aspace_root(struct aspace *as);

/* A new backing over file (takes a file reference), and dropping one. */
struct vm_backing *vm_backing_create(struct file *file, uint64_t limit);
void vm_backing_put(struct vm_backing *b);

/* Writes n bytes at va in as (not necessarily the active one), faulting
 * the pages in as for a write. 0, -EFAULT, -ENOMEM. (exec's stack.) */
int aspace_copy_in(struct aspace *as, uint64_t va, const void *src, size_t n);

/*
 * Maps [start, start + len) with prot/flags (VMR_*); backing may be NULL
 * (anonymous). With `fixed`, whatever was there goes first (MAP_FIXED);
 * otherwise an overlap is -EEXIST. Shared anonymous memory is populated at
 * once (so fork shares it). All or nothing: on error the address space is
 * as before. Returns 0, -ENOMEM, -EEXIST, -EINVAL.
 */
int aspace_map(struct aspace *as, uint64_t start, uint64_t len, uint32_t prot, uint32_t flags,
	       struct vm_backing *backing, uint64_t file_offset, bool fixed);

/* A free range of len bytes below USER_MMAP_TOP (top-down), or -ENOMEM. */
int aspace_find_free(struct aspace *as, uint64_t len, uint64_t *out);

/* munmap / mprotect; all or nothing. */
int aspace_unmap(struct aspace *as, uint64_t start, uint64_t len);
int aspace_protect(struct aspace *as, uint64_t start, uint64_t len, uint32_t prot);

/* brk: moves the break (0 asks for it). Returns the new break. */
uint64_t aspace_brk(struct aspace *as, uint64_t new_brk);

/* madvise(MADV_DONTNEED): drops the private pages of the range (they read
 * as zeros, or the file's contents, again). */
int aspace_discard(struct aspace *as, uint64_t start, uint64_t len);

/*
 * Resolves a user page fault at addr (x86 error code bits: 1 present,
 * 2 write, 4 user, 16 instruction fetch). Returns 0 when the access may be
 * retried, -EFAULT for an access the regions do not allow, -ENOMEM when no
 * frame could be found even after the OOM killer ran.
 */
int aspace_fault(struct aspace *as, uint64_t addr, uint64_t error);

/* fork: a copy-on-write copy. NULL when out of memory (nothing changed). */
struct aspace *aspace_clone(struct aspace *src);

/* Frees every user page (the OOM killer reaping a victim that is not
 * running): later accesses fault and find nothing. */
void aspace_reap(struct aspace *as);

/* Installed by the process layer for fault-injection tests: returns true
 * when this user frame allocation (of the calling process) must fail. */
void aspace_set_failure_injector(bool (*should_fail)(void));

/* Installed by the process layer: frees memory by killing something.
 * Returns true if memory may now be available. */
void aspace_set_oom_handler(bool (*handler)(void));

#endif
