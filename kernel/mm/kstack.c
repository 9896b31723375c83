/* Kernel stacks: in the kernel area, each with an unmapped guard page below. */
#include <stdbool.h>

#include "arch/x86_64/trap.h"
#include "boot.h"
#include "ktest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/kmalloc.h"
#include "mm/kstack.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "panic.h"
#include "sched/spinlock.h"

#define SLOT_SIZE ((KSTACK_MAX_PAGES + 1) * FRAME_SIZE)

/* kstack_lock protects live_stacks, free_slots and next_slot_va. */
static struct spinlock kstack_lock = SPINLOCK_INIT("kstack");
static struct list_node live_stacks = LIST_INIT(live_stacks);
static struct list_node free_slots = LIST_INIT(free_slots); /* struct kstack, unmapped */
static uint64_t next_slot_va = KVA_STACKS;
static struct kstack boot_stack = { .name = "boot" };

void kstack_init(void)
{
	const struct boot_info *bi = boot_info();

	boot_stack.guard_va = bi->stack_guard_va;
	boot_stack.bottom_va = bi->stack_bottom_va;
	boot_stack.top_va = bi->stack_top_va;
	spin_lock(&kstack_lock);
	list_push_back(&live_stacks, &boot_stack.node);
	spin_unlock(&kstack_lock);
	trap_set_guard_lookup(kstack_guard_owner);
}

/* A slot (descriptor with guard_va): a freed one, or a fresh one. */
static struct kstack *take_slot(void)
{
	struct list_node *n;
	struct kstack *s;

	spin_lock(&kstack_lock);
	n = list_first(&free_slots);
	if (n)
		list_remove(n);
	spin_unlock(&kstack_lock);
	if (n)
		return list_entry(n, struct kstack, node);

	s = kzalloc(sizeof(*s));
	spin_lock(&kstack_lock);
	if (next_slot_va + SLOT_SIZE > KVA_STACKS_END) {
		spin_unlock(&kstack_lock);
		panic("kstack_alloc: the kernel stack area is full");
	}
	s->guard_va = next_slot_va;
	next_slot_va += SLOT_SIZE;
	spin_unlock(&kstack_lock);
	return s;
}

struct kstack *kstack_alloc(const char *name, unsigned pages)
{
	struct kstack *s;
	struct tlb_flush f = { 0, 0 };

	if (pages == 0 || pages > KSTACK_MAX_PAGES)
		panic("kstack_alloc: %u pages for %s (1..%u allowed)", pages, name, KSTACK_MAX_PAGES);
	s = take_slot();
	s->name = name;
	s->bottom_va = s->guard_va + FRAME_SIZE;
	s->top_va = s->bottom_va + pages * FRAME_SIZE;
	for (unsigned i = 0; i < pages; i++) {
		paddr_t frame = pmm_alloc(0);

		memset(phys_to_virt(frame), 0, FRAME_SIZE);
		f = tlb_flush_merge(f, vmm_map(VA(s->bottom_va + i * FRAME_SIZE), frame, 1,
					       PTE_WRITE | PTE_NX | PTE_GLOBAL));
	}
	tlb_flush(f);
	spin_lock(&kstack_lock);
	list_push_back(&live_stacks, &s->node);
	spin_unlock(&kstack_lock);
	return s;
}

void kstack_free(struct kstack *s)
{
	uint64_t pages = (s->top_va - s->bottom_va) / FRAME_SIZE;
	paddr_t frames[KSTACK_MAX_PAGES];

	if (s == &boot_stack)
		panic("kstack_free: the boot stack is not freed this way");
	for (uint64_t i = 0; i < pages; i++)
		if (vmm_translate(VA(s->bottom_va + i * FRAME_SIZE), &frames[i], NULL))
			panic("kstack_free: stack %s page %lu is not mapped", s->name,
			      (unsigned long)i);
	tlb_flush(vmm_unmap(VA(s->bottom_va), pages)); /* before the frames are reused */
	for (uint64_t i = 0; i < pages; i++)
		pmm_free(frames[i], 0);
	spin_lock(&kstack_lock);
	list_remove(&s->node);
	list_push_back(&free_slots, &s->node);
	spin_unlock(&kstack_lock);
}

void kstack_retire_boot_stack(void)
{
	uint64_t rsp = (uint64_t)__builtin_frame_address(0);

	if (rsp >= boot_stack.bottom_va && rsp < boot_stack.top_va)
		panic("kstack_retire_boot_stack: still running on the boot stack");
	tlb_flush(vmm_unmap(VA(boot_stack.bottom_va),
			    (boot_stack.top_va - boot_stack.bottom_va) / FRAME_SIZE));
	spin_lock(&kstack_lock);
	list_remove(&boot_stack.node);
	spin_unlock(&kstack_lock);
}

/* Called from the double-fault handler: takes no lock (it may be held). */
const char *kstack_guard_owner(uint64_t addr)
{
	struct kstack *s;

	list_for_each_entry(s, &live_stacks, node)
		if (addr >= s->guard_va && addr < s->guard_va + FRAME_SIZE)
			return s->name;
	return NULL;
}

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winfinite-recursion"
/* Deliberately unbounded: the stack_overflow test needs it. */
static void recurse_forever(void *arg)
{
	volatile char frame[256];

	frame[0] = (char)(uintptr_t)arg;
	recurse_forever((void *)(uintptr_t)(frame[0] + 1));
	__asm__ volatile("" : : "r"(frame) : "memory"); /* no tail call */
}
#pragma clang diagnostic pop

/* Must end in "panic: kernel stack overflow in ktest-overflow". */
KTEST_MANUAL(stack_overflow)
{
	struct kstack *s = kstack_alloc("ktest-overflow", 2);

	call_on_stack(recurse_forever, NULL, s->top_va);
	KT_CHECK(!"the recursion returned");
}

KTEST(kstack_alloc_free_reuses_slots)
{
	struct pmm_stats before, after;
	struct kstack *a, *b;
	uint64_t a_guard;

	a = kstack_alloc("ktest-a", 4);
	a_guard = a->guard_va;
	KT_CHECK(vmm_translate(VA(a->guard_va), NULL, NULL) == -ENOENT);
	KT_CHECK(vmm_translate(VA(a->bottom_va), NULL, NULL) == 0);
	KT_CHECK(kstack_guard_owner(a->guard_va + 8) != NULL);
	*(volatile uint64_t *)(a->top_va - 8) = 42; /* writable */
	kstack_free(a);
	KT_CHECK(vmm_translate(VA(a_guard + FRAME_SIZE), NULL, NULL) == -ENOENT);
	KT_CHECK(kstack_guard_owner(a_guard + 8) == NULL);
	pmm_get_stats(&before); /* descriptors now exist: no more heap growth */
	b = kstack_alloc("ktest-b", 4);
	KT_CHECK(b->guard_va == a_guard); /* the freed slot came back */
	kstack_free(b);
	pmm_get_stats(&after);
	KT_CHECK(after.free == before.free);
}
