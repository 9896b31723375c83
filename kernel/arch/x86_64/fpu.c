/* x87/SSE state: enabled at boot, saved and restored on every thread switch. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "lib/string.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

static struct fpu_state clean_state;

void fpu_init(void)
{
	uint64_t cr0 = read_cr0();
	uint32_t mxcsr = 0x1f80; /* all SIMD exceptions masked, round to nearest */

	cr0 = (cr0 | CR0_MP) & ~(CR0_EM | CR0_TS);
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
	fpu_save(&clean_state);
}

void fpu_state_init(struct fpu_state *s)
{
	memcpy(s, &clean_state, sizeof(*s));
}
