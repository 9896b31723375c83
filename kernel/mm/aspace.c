/* User address spaces: regions, their page tables, and page faults. */
#include "arch/x86_64/cpu.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/aspace.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "panic.h"

#define PML4_USER_LAST 255 /* entries 0..255: the user half */
#define FAULT_RETRIES  8   /* OOM kills before a fault gives up */

static paddr_t zero_frame;         /* shared by every untouched anonymous page */
static bool (*oom_handler)(void);
static bool (*injected_failure)(void); /* tests: fail this user frame? */

void aspace_set_failure_injector(bool (*should_fail)(void))
{
	injected_failure = should_fail;
}

void aspace_set_oom_handler(bool (*handler)(void))
{
	oom_handler = handler;
}

/* ---- frames and page tables ------------------------------------------------ */

/* A frame for user memory: fallible; the OOM killer gets its chances. */
static int user_frame(paddr_t *out)
{
	if (injected_failure && injected_failure())
		return -ENOMEM; /* a test's doing: not a case for the OOM killer */
	for (int i = 0; i < FAULT_RETRIES; i++) {
		if (pmm_try_alloc(0, out) == 0)
			return 0;
		if (!oom_handler || !oom_handler())
			break;
	}
	return -ENOMEM;
}

static uint64_t alloc_table(void *arg)
{
	paddr_t pa;

	return user_frame(&pa) ? 0 : pa.pa;
}

static void *table_ptr(void *arg, uint64_t pa)
{
	return phys_to_virt(PA(pa));
}

static void free_table(void *arg, uint64_t pa)
{
	pmm_free(PA(pa), 0);
}

/* PROT_NONE keeps the frame mapped for the kernel only: user accesses
 * fault, and the data is there again when access is restored. */
static uint64_t pte_flags(uint32_t prot, bool writable)
{
	if (!(prot & (VMR_READ | VMR_WRITE | VMR_EXEC)))
		return PTE_NX;
	return PTE_USER | (writable ? PTE_WRITE : 0) | ((prot & VMR_EXEC) ? 0 : PTE_NX);
}

/* ---- regions and backings ---------------------------------------------------- */

struct vm_backing *vm_backing_create(struct file *file, uint64_t limit)
{
	struct vm_backing *b = kzalloc(sizeof(*b));

	b->refcount = 1;
	b->file = file;
	file_get(file);
	b->limit = limit;
	return b;
}

static void backing_get(void *p)
{
	__atomic_add_fetch(&((struct vm_backing *)p)->refcount, 1, __ATOMIC_RELAXED);
}

static void backing_put(void *p)
{
	struct vm_backing *b = p;

	if (__atomic_sub_fetch(&b->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
		file_put(b->file);
		kfree(b);
	}
}

void vm_backing_put(struct vm_backing *b)
{
	backing_put(b);
}

static void free_region(struct vm_region *r)
{
	kfree(r);
}

static struct vm_region *alloc_region(void *ctx)
{
	return kzalloc(sizeof(struct vm_region));
}

static const struct vmr_ops region_ops = {
	.free_region = free_region, .file_get = backing_get, .file_put = backing_put,
};

struct aspace *aspace_create(void)
{
	struct aspace *as = kzalloc(sizeof(*as));
	pte_t *mine, *kernel;

	if (!zero_frame.pa) {
		zero_frame = pmm_alloc(0);
		memset(phys_to_virt(zero_frame), 0, FRAME_SIZE);
	}
	mutex_init(&as->lock, "aspace");
	as->refcount = 1;
	vmr_init(&as->map, &region_ops);
	as->pt = (struct paging_ctx){ .alloc_table = alloc_table, .table_ptr = table_ptr };
	if (paging_init(&as->pt)) {
		kfree(as);
		return NULL;
	}
	mine = phys_to_virt(PA(as->pt.pml4_pa));
	kernel = phys_to_virt(PA(read_cr3() & PTE_ADDR_MASK));
	/* The kernel half is shared: its PML4 entries never change after boot. */
	for (unsigned i = PML4_USER_LAST + 1; i < PT_ENTRIES; i++)
		mine[i] = kernel[i];
	return as;
}

uint64_t aspace_root(struct aspace *as)
{
	return as->pt.pml4_pa;
}

void aspace_activate(struct aspace *as)
{
	uint64_t root = as ? as->pt.pml4_pa : vmm_kernel_root();

	if ((read_cr3() & PTE_ADDR_MASK) != root)
		write_cr3(root);
}

/* Drops one user leaf: its frame reference and the rss count. */
static void drop_leaf(void *arg, uint64_t va, pte_t *entry, unsigned level)
{
	struct aspace *as = arg;
	paddr_t frame = PA(*entry & PTE_ADDR_MASK);

	*entry = 0;
	if (level != 1)
		panic("drop_leaf: huge user page at %#lx", (unsigned long)va);
	if (!pa_eq(frame, zero_frame))
		as->rss_pages--;
	pmm_put(frame);
}

static void unmap_range_locked(struct aspace *as, uint64_t start, uint64_t end)
{
	paging_for_each_leaf(&as->pt, start, end, drop_leaf, as);
	tlb_flush((struct tlb_flush){ start, end });
}

void aspace_destroy(struct aspace *as)
{
	if (!as)
		return;
	mutex_lock(&as->lock);
	paging_for_each_leaf(&as->pt, 0, USER_SPACE_LIMIT, drop_leaf, as);
	vmr_destroy(&as->map, NULL, NULL);
	paging_free_subtrees(&as->pt, 0, PML4_USER_LAST, free_table, NULL);
	mutex_unlock(&as->lock);
	pmm_free(PA(as->pt.pml4_pa), 0);
	kfree(as);
}

void aspace_get(struct aspace *as)
{
	__atomic_add_fetch(&as->refcount, 1, __ATOMIC_RELAXED);
}

void aspace_put(struct aspace *as)
{
	if (as && __atomic_sub_fetch(&as->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		aspace_destroy(as);
}

void aspace_reap(struct aspace *as)
{
	mutex_lock(&as->lock);
	paging_for_each_leaf(&as->pt, 0, USER_SPACE_LIMIT, drop_leaf, as);
	vmr_destroy(&as->map, NULL, NULL);
	mutex_unlock(&as->lock);
}

/* ---- faults ------------------------------------------------------------------ */

/* Fills a fresh frame for page va of region r: zeros or the file's bytes. */
static int fill_frame(const struct vm_region *r, uint64_t va, paddr_t frame)
{
	uint8_t *dst = phys_to_virt(frame);
	struct vm_backing *b = r->file;
	uint64_t off, n = 0;

	memset(dst, 0, FRAME_SIZE);
	if (!b)
		return 0;
	off = r->file_offset + (va - r->start);
	if (off < b->limit) {
		struct uio u = uio_kernel(dst, b->limit - off < FRAME_SIZE ? b->limit - off : FRAME_SIZE);
		int64_t got = vfs_pread(b->file, off, &u);

		if (got < 0)
			return (int)got;
		n = (uint64_t)got;
	}
	(void)n; /* short reads (a truncated file) leave zeros, like Linux's SIGBUS-free case */
	return 0;
}

static int fault_locked(struct aspace *as, uint64_t addr, uint64_t error)
{
	uint64_t va = align_down(addr, FRAME_SIZE), flags = 0, old_pa;
	struct vm_region *r = vmr_find(&as->map, addr);
	bool write = error & 2, fetch = error & 16, present;
	paddr_t frame;
	int err;

	if (!r)
		return -EFAULT;
	if ((write && !(r->prot & VMR_WRITE)) || (fetch && !(r->prot & VMR_EXEC)) ||
	    (!write && !fetch && !(r->prot & (VMR_READ | VMR_WRITE | VMR_EXEC))))
		return -EFAULT;
	present = paging_translate(&as->pt, va, &old_pa, &flags, NULL) == 0;
	if (present && (!write || (flags & PTE_WRITE)))
		return 0; /* another thread (or a TLB refill) got there first */

	if (present) { /* a write to a copy-on-write page */
		paddr_t old = PA(old_pa & ~(FRAME_SIZE - 1));

		if (!pa_eq(old, zero_frame) && pmm_refcount(old) == 1) {
			paging_protect(&as->pt, va, pte_flags(r->prot, true));
			tlb_flush((struct tlb_flush){ va, va + FRAME_SIZE });
			return 0; /* the last owner: just write-enable it */
		}
		err = user_frame(&frame);
		if (err)
			return err;
		memcpy(phys_to_virt(frame), phys_to_virt(old), FRAME_SIZE);
		paging_unmap(&as->pt, va, NULL);
		paging_map(&as->pt, va, frame.pa, FRAME_SIZE, pte_flags(r->prot, true)); /* tables exist */
		tlb_flush((struct tlb_flush){ va, va + FRAME_SIZE });
		if (pa_eq(old, zero_frame))
			as->rss_pages++;
		pmm_put(old);
		return 0;
	}

	/* Not present. Untouched anonymous private memory reads as the zero frame. */
	if (!write && (r->flags & VMR_ANON) && !(r->flags & VMR_SHARED)) {
		pmm_get(zero_frame);
		err = paging_map(&as->pt, va, zero_frame.pa, FRAME_SIZE, pte_flags(r->prot, false));
		if (err)
			pmm_put(zero_frame);
		return err ? -ENOMEM : 0;
	}
	err = user_frame(&frame);
	if (err)
		return err;
	err = fill_frame(r, va, frame);
	if (!err)
		err = paging_map(&as->pt, va, frame.pa, FRAME_SIZE,
				 pte_flags(r->prot, (r->prot & VMR_WRITE) != 0));
	if (err) {
		pmm_free(frame, 0);
		return err == -EIO ? -EFAULT : -ENOMEM;
	}
	as->rss_pages++;
	return 0;
}

int aspace_fault(struct aspace *as, uint64_t addr, uint64_t error)
{
	int err;

	if (addr >= USER_SPACE_LIMIT)
		return -EFAULT;
	mutex_lock(&as->lock);
	err = fault_locked(as, addr, error);
	mutex_unlock(&as->lock);
	return err;
}

int aspace_copy_in(struct aspace *as, uint64_t va, const void *src, size_t n)
{
	const uint8_t *from = src;
	int err = 0;

	mutex_lock(&as->lock);
	while (n > 0 && !err) {
		uint64_t page = align_down(va, FRAME_SIZE), off = va - page, pa;
		size_t chunk = FRAME_SIZE - off < n ? FRAME_SIZE - off : n;

		err = fault_locked(as, page, 2 /* write */);
		if (!err && paging_translate(&as->pt, page, &pa, NULL, NULL))
			err = -EFAULT;
		if (!err) {
			memcpy((uint8_t *)phys_to_virt(PA(pa)) + off, from, chunk);
			from += chunk;
			va += chunk;
			n -= chunk;
		}
	}
	mutex_unlock(&as->lock);
	return err;
}

/* ---- mapping changes ------------------------------------------------------------ */

static void unmap_piece(void *ctx, const struct vm_region *piece)
{
	unmap_range_locked(ctx, piece->start, piece->end);
}

/* Pre-faults [start, end) writable (shared anonymous memory, so fork shares it). */
static int populate_locked(struct aspace *as, uint64_t start, uint64_t end)
{
	for (uint64_t va = start; va < end; va += FRAME_SIZE) {
		int err = fault_locked(as, va, 2);

		if (err)
			return err;
	}
	return 0;
}

int aspace_map(struct aspace *as, uint64_t start, uint64_t len, uint32_t prot, uint32_t flags,
	       struct vm_backing *backing, uint64_t file_offset, bool fixed)
{
	struct vmr_reserve reserve = { 0 };
	struct vm_region *r;
	uint64_t end = start + len;
	int err;

	if (len == 0 || (start | len) & (FRAME_SIZE - 1) || end < start || start < USER_MIN ||
	    end > USER_SPACE_LIMIT)
		return -EINVAL;
	mutex_lock(&as->lock);
	if (fixed) {
		err = vmr_unmap_prepare(&as->map, start, end, &reserve);
		if (!err)
			err = vmr_reserve_fill(&as->map, &reserve, alloc_region, NULL);
		if (err)
			goto out;
	} else if (vmr_first_ending_after(&as->map, start) &&
		   vmr_first_ending_after(&as->map, start)->start < end) {
		err = -EEXIST;
		goto out;
	}
	r = kzalloc(sizeof(*r)); /* everything that may fail is done: commit */
	*r = (struct vm_region){ .start = start, .end = end, .prot = prot,
				 .flags = flags | (backing ? 0 : VMR_ANON), .file = backing,
				 .file_offset = file_offset };
	if (backing)
		backing_get(backing);
	if (fixed)
		vmr_unmap_commit(&as->map, start, end, &reserve, unmap_piece, as);
	if (vmr_insert(&as->map, r))
		panic("aspace_map: [%#lx, %#lx) still overlaps", (unsigned long)start,
		      (unsigned long)end);
	r = vmr_merge_neighbours(&as->map, r);
	err = 0;
	if ((flags & VMR_SHARED) && !backing) {
		err = populate_locked(as, start, end);
		if (err) { /* undo: the range was new (or its old contents are gone, as on Linux) */
			struct vmr_reserve again = { 0 };

			if (!vmr_unmap_prepare(&as->map, start, end, &again) &&
			    !vmr_reserve_fill(&as->map, &again, alloc_region, NULL))
				vmr_unmap_commit(&as->map, start, end, &again, unmap_piece, as);
		}
	}
out:
	mutex_unlock(&as->lock);
	return err;
}

int aspace_find_free(struct aspace *as, uint64_t len, uint64_t *out)
{
	int err;

	mutex_lock(&as->lock);
	err = vmr_find_gap(&as->map, len, USER_MIN, USER_MMAP_TOP, FRAME_SIZE, true, out);
	mutex_unlock(&as->lock);
	return err;
}

int aspace_unmap(struct aspace *as, uint64_t start, uint64_t len)
{
	struct vmr_reserve reserve = { 0 };
	uint64_t end = start + align_up(len, FRAME_SIZE);
	int err;

	if ((start & (FRAME_SIZE - 1)) || len == 0 || end < start || end > USER_SPACE_LIMIT)
		return -EINVAL;
	mutex_lock(&as->lock);
	err = vmr_unmap_prepare(&as->map, start, end, &reserve);
	if (!err)
		err = vmr_reserve_fill(&as->map, &reserve, alloc_region, NULL);
	if (!err)
		vmr_unmap_commit(&as->map, start, end, &reserve, unmap_piece, as);
	mutex_unlock(&as->lock);
	return err;
}

struct reprotect {
	uint32_t prot;
	bool shared;
};

/* New permissions for a page already mapped: a private page stays
 * read-only while it is copy-on-write (shared frame, or the zero frame). */
static void reprotect_leaf(void *arg, uint64_t va, pte_t *entry, unsigned level)
{
	const struct reprotect *rp = arg;
	paddr_t frame = PA(*entry & PTE_ADDR_MASK);
	bool writable = (rp->prot & VMR_WRITE) &&
			(rp->shared || (!pa_eq(frame, zero_frame) && pmm_refcount(frame) == 1));

	*entry = frame.pa | PTE_PRESENT | pte_flags(rp->prot, writable);
}

int aspace_protect(struct aspace *as, uint64_t start, uint64_t len, uint32_t prot)
{
	struct vmr_reserve reserve = { 0 };
	uint64_t end = start + align_up(len, FRAME_SIZE);
	int err;

	if ((start & (FRAME_SIZE - 1)) || end < start || end > USER_SPACE_LIMIT)
		return -EINVAL;
	if (len == 0)
		return 0;
	mutex_lock(&as->lock);
	err = vmr_protect_prepare(&as->map, start, end, prot, &reserve);
	if (!err)
		err = vmr_reserve_fill(&as->map, &reserve, alloc_region, NULL);
	if (!err) {
		vmr_protect_commit(&as->map, start, end, prot, &reserve);
		for (struct vm_region *r = vmr_first_ending_after(&as->map, start);
		     r && r->start < end; r = vmr_next(&as->map, r)) {
			struct reprotect rp = { prot, (r->flags & VMR_SHARED) != 0 };

			paging_for_each_leaf(&as->pt, r->start > start ? r->start : start,
					     r->end < end ? r->end : end, reprotect_leaf, &rp);
		}
		tlb_flush((struct tlb_flush){ start, end });
	}
	mutex_unlock(&as->lock);
	return err;
}

uint64_t aspace_brk(struct aspace *as, uint64_t new_brk)
{
	uint64_t old_top, new_top;

	mutex_lock(&as->lock);
	if (new_brk < as->heap_start || new_brk > as->heap_start + (1ull << 40)) {
		new_brk = as->brk;
		goto out;
	}
	old_top = align_up(as->brk, FRAME_SIZE);
	new_top = align_up(new_brk, FRAME_SIZE);
	if (new_top > old_top) {
		struct vm_region *next = vmr_first_ending_after(&as->map, old_top);
		struct vm_region *r;

		if (next && next->start < new_top) { /* would run into another mapping */
			new_brk = as->brk;
			goto out;
		}
		r = kzalloc(sizeof(*r));
		*r = (struct vm_region){ .start = old_top, .end = new_top,
					 .prot = VMR_READ | VMR_WRITE, .flags = VMR_ANON | VMR_HEAP };
		if (vmr_insert(&as->map, r))
			panic("aspace_brk: heap growth overlaps");
		vmr_merge_neighbours(&as->map, r);
	} else if (new_top < old_top) {
		struct vmr_reserve reserve = { 0 };

		if (vmr_unmap_prepare(&as->map, new_top, old_top, &reserve) ||
		    vmr_reserve_fill(&as->map, &reserve, alloc_region, NULL)) {
			new_brk = as->brk;
			goto out;
		}
		vmr_unmap_commit(&as->map, new_top, old_top, &reserve, unmap_piece, as);
	}
	as->brk = new_brk;
out:
	mutex_unlock(&as->lock);
	return new_brk;
}

int aspace_discard(struct aspace *as, uint64_t start, uint64_t len)
{
	uint64_t end = start + align_up(len, FRAME_SIZE);

	if ((start & (FRAME_SIZE - 1)) || end < start || end > USER_SPACE_LIMIT)
		return -EINVAL;
	mutex_lock(&as->lock);
	for (struct vm_region *r = vmr_first_ending_after(&as->map, start); r && r->start < end;
	     r = vmr_next(&as->map, r)) {
		uint64_t lo = r->start > start ? r->start : start, hi = r->end < end ? r->end : end;

		if (!(r->flags & VMR_SHARED)) /* shared pages stay: they are the data */
			unmap_range_locked(as, lo, hi);
	}
	mutex_unlock(&as->lock);
	return 0;
}

/* ---- fork -------------------------------------------------------------------------- */

struct clone_ctx {
	struct aspace *dst;
	const struct vm_region *region;
};

/* The child's entry for one parent leaf: the frame shared, with one more
 * reference; a private page becomes read-only (copy-on-write) in both. */
static pte_t share_leaf(void *arg, uint64_t va, pte_t *entry, unsigned level)
{
	const struct clone_ctx *c = arg;
	paddr_t frame = PA(*entry & PTE_ADDR_MASK);

	if (level != 1)
		panic("share_leaf: huge user page at %#lx", (unsigned long)va);
	if (!(c->region->flags & VMR_SHARED))
		*entry &= ~PTE_WRITE;
	pmm_get(frame);
	if (!pa_eq(frame, zero_frame))
		c->dst->rss_pages++;
	return *entry & ~(PTE_ACCESSED | PTE_DIRTY);
}

struct aspace *aspace_clone(struct aspace *src)
{
	struct aspace *dst = aspace_create();
	struct clone_ctx c = { .dst = dst };
	int err = 0;

	if (!dst)
		return NULL;
	mutex_lock(&src->lock);
	if (vmr_clone(&dst->map, &src->map, alloc_region, NULL)) {
		mutex_unlock(&src->lock);
		aspace_destroy(dst);
		return NULL;
	}
	dst->heap_start = src->heap_start;
	dst->brk = src->brk;
	for (const struct vm_region *r = vmr_first(&src->map); r && !err; r = vmr_next(&src->map, r)) {
		c.region = r;
		err = paging_clone_range(&dst->pt, &src->pt, r->start, r->end, share_leaf, &c);
	}
	/* The parent's writable entries became read-only: flush them. (On
	 * failure some did: harmless, the next write just takes a COW fault.) */
	tlb_flush((struct tlb_flush){ 0, USER_SPACE_LIMIT });
	mutex_unlock(&src->lock);
	if (err) {
		aspace_destroy(dst);
		return NULL;
	}
	return dst;
}
