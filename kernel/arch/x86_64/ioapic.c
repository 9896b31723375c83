/* IOAPICs: routing global system interrupts (GSIs) to vectors. */
#include <stddef.h>

#include "arch/x86_64/ioapic.h"
#include "lib/errno.h"
#include "log.h"
#include "mm/vmm.h"
#include "sched/spinlock.h"

#define IOAPIC_MAX   8
#define REG_SELECT   0x00 /* byte offsets of the two windows */
#define REG_WINDOW   0x10
#define REG_VERSION  0x01
#define REG_REDIRECT 0x10 /* + 2 * input: low dword, high dword */

#define RTE_MASKED     (1u << 16)
#define RTE_LEVEL      (1u << 15)
#define RTE_ACTIVE_LOW (1u << 13)

struct ioapic {
	volatile uint32_t *regs;
	uint32_t gsi_base, inputs, id;
};

/* ioapic_lock protects the register windows (select, then access). */
static struct spinlock ioapic_lock = SPINLOCK_INIT("ioapic");
static struct ioapic ioapics[IOAPIC_MAX];
static unsigned count;

static uint32_t reg_read(struct ioapic *a, uint32_t reg)
{
	a->regs[REG_SELECT / 4] = reg;
	return a->regs[REG_WINDOW / 4];
}

static void reg_write(struct ioapic *a, uint32_t reg, uint32_t v)
{
	a->regs[REG_SELECT / 4] = reg;
	a->regs[REG_WINDOW / 4] = v;
}

unsigned ioapic_add(paddr_t pa, uint32_t gsi_base, uint32_t id)
{
	struct ioapic *a;
	uint32_t version;

	if (count == IOAPIC_MAX) {
		log_warn("ioapic", "more than %d IOAPICs: %#lx ignored", IOAPIC_MAX,
			 (unsigned long)pa.pa);
		return 0;
	}
	a = &ioapics[count];
	a->regs = vmm_map_device(pa, FRAME_SIZE, 0);
	version = reg_read(a, REG_VERSION);
	if (version == 0xffffffffu) {
		log_warn("ioapic", "no IOAPIC answers at %#lx", (unsigned long)pa.pa);
		return 0;
	}
	a->inputs = ((version >> 16) & 0xff) + 1;
	a->gsi_base = gsi_base;
	a->id = id;
	for (uint32_t i = 0; i < a->inputs; i++) {
		reg_write(a, REG_REDIRECT + 2 * i, RTE_MASKED);
		reg_write(a, REG_REDIRECT + 2 * i + 1, 0);
	}
	count++;
	log_info("ioapic", "id %u at %#lx: GSIs %u-%u", id, (unsigned long)pa.pa, gsi_base,
		 gsi_base + a->inputs - 1);
	return a->inputs;
}

static struct ioapic *serving(uint32_t gsi)
{
	for (unsigned i = 0; i < count; i++)
		if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].inputs)
			return &ioapics[i];
	return NULL;
}

int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest, bool level, bool active_low)
{
	struct ioapic *a = serving(gsi);
	uint32_t input;

	if (!a)
		return -ENOENT;
	input = gsi - a->gsi_base;
	spin_lock(&ioapic_lock);
	reg_write(a, REG_REDIRECT + 2 * input + 1, dest << 24);
	reg_write(a, REG_REDIRECT + 2 * input,
		  vector | (level ? RTE_LEVEL : 0) | (active_low ? RTE_ACTIVE_LOW : 0));
	spin_unlock(&ioapic_lock);
	return 0;
}

void ioapic_mask(uint32_t gsi)
{
	struct ioapic *a = serving(gsi);

	if (!a)
		return;
	spin_lock(&ioapic_lock);
	reg_write(a, REG_REDIRECT + 2 * (gsi - a->gsi_base), RTE_MASKED);
	spin_unlock(&ioapic_lock);
}

unsigned ioapic_count(void)
{
	return count;
}
