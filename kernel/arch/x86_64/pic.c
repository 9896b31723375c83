/* The legacy 8259 PIC pair: remapped and masked, or used when there is no IOAPIC. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/pic.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI   0x20

static uint16_t mask = 0xffff; /* bit n: IRQ n masked */

static void write_mask(void)
{
	outb(PIC1_DATA, (uint8_t)mask);
	outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

void pic_init(void)
{
	outb(PIC1_CMD, 0x11); /* ICW1: initialise, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, IRQ_ISA_BASE);     /* ICW2: vector offsets */
	outb(PIC2_DATA, IRQ_ISA_BASE + 8);
	outb(PIC1_DATA, 0x04); /* ICW3: slave on IRQ2 */
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	mask = 0xffff;
	write_mask();
}

void pic_unmask(uint8_t irq)
{
	mask &= (uint16_t)~(1u << irq);
	if (irq >= 8)
		mask &= (uint16_t)~(1u << 2); /* the cascade line */
	write_mask();
}

void pic_mask(uint8_t irq)
{
	mask |= (uint16_t)(1u << irq);
	write_mask();
}

void pic_eoi(uint8_t irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}
