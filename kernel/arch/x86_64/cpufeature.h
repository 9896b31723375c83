/* CPU identification and the protection features the kernel turns on. */
#ifndef ARCH_X86_64_CPUFEATURE_H
#define ARCH_X86_64_CPUFEATURE_H

#include <stdbool.h>

struct cpu_features {
	char vendor[13];
	unsigned family, model, phys_addr_bits, virt_addr_bits;
	bool nx, smep, smap, umip, pcid, x2apic, tsc_deadline, invariant_tsc, xsave,
		pdpe1gb, pge, pat, rdrand, rdseed;
};

/*
 * Reads CPUID, enables SMEP, SMAP, UMIP, PGE and WP where present, and
 * logs one line naming what was found and what is on.
 */
void cpu_features_init(void);

/* The features of the boot CPU; valid after cpu_features_init(). */
const struct cpu_features *cpu_features(void);

#endif
