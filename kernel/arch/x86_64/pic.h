/* The legacy 8259 PIC pair: remapped and masked, or used when there is no IOAPIC. */
#ifndef ARCH_X86_64_PIC_H
#define ARCH_X86_64_PIC_H

#include <stdint.h>

/* Remaps IRQs 0-15 to vectors IRQ_ISA_BASE.. and masks every line. */
void pic_init(void);

/* Unmasks / masks ISA IRQ irq (0-15) on the PIC (fallback routing). */
void pic_unmask(uint8_t irq);
void pic_mask(uint8_t irq);

/* End of interrupt for an IRQ delivered by the PIC. */
void pic_eoi(uint8_t irq);

#endif
