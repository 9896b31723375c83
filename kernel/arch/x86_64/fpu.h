/* x87/SSE state: enabled at boot, saved and restored on every thread switch. */
#ifndef ARCH_X86_64_FPU_H
#define ARCH_X86_64_FPU_H

#include <stdint.h>

/*
 * The legacy FXSAVE area: x87, MMX and SSE registers and MXCSR. The kernel
 * itself is built without SSE (-mgeneral-regs-only), so this is user state.
 * XSAVE/AVX is not enabled (CR4.OSXSAVE stays off, so CPUID tells programs
 * not to use AVX): FXSAVE covers everything a thread can have.
 */
struct fpu_state {
	uint8_t area[512];
} __attribute__((aligned(16)));

/* Enables x87/SSE (CR0.MP, CR4.OSFXSR/OSXMMEXCPT) and records the clean state. */
void fpu_init(void);

/* The state a new thread starts with (FCW 0x37f, MXCSR 0x1f80). */
void fpu_state_init(struct fpu_state *s);

static inline void fpu_save(struct fpu_state *s)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*s));
}

static inline void fpu_restore(const struct fpu_state *s)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*s));
}

#endif
