/* CPU identification and the protection features the kernel turns on. */
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpufeature.h"
#include "lib/string.h"
#include "log.h"

#define CR4_PGE  (1ull << 7)
#define CR4_UMIP (1ull << 11)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

static struct cpu_features features;

const struct cpu_features *cpu_features(void)
{
	return &features;
}

static void identify(struct cpu_features *f)
{
	uint32_t r[4], max, max_ext;

	cpuid(0, 0, r);
	max = r[0];
	memcpy(f->vendor, &r[1], 4);
	memcpy(f->vendor + 4, &r[3], 4);
	memcpy(f->vendor + 8, &r[2], 4);
	f->vendor[12] = 0;

	cpuid(1, 0, r);
	f->family = ((r[0] >> 8) & 0xf) + (((r[0] >> 8) & 0xf) == 0xf ? (r[0] >> 20) & 0xff : 0);
	f->model = ((r[0] >> 4) & 0xf) | (((r[0] >> 16) & 0xf) << 4);
	f->pcid = r[2] & (1u << 17);
	f->x2apic = r[2] & (1u << 21);
	f->tsc_deadline = r[2] & (1u << 24);
	f->xsave = r[2] & (1u << 26);
	f->rdrand = r[2] & (1u << 30);
	f->pge = r[3] & (1u << 13);
	f->pat = r[3] & (1u << 16);
	if (max >= 7) {
		cpuid(7, 0, r);
		f->smep = r[1] & (1u << 7);
		f->rdseed = r[1] & (1u << 18);
		f->smap = r[1] & (1u << 20);
		f->umip = r[2] & (1u << 2);
	}
	cpuid(0x80000000, 0, r);
	max_ext = r[0];
	if (max_ext >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		f->nx = r[3] & (1u << 20);
		f->pdpe1gb = r[3] & (1u << 26);
	}
	f->invariant_tsc = false;
	if (max_ext >= 0x80000007) {
		cpuid(0x80000007, 0, r);
		f->invariant_tsc = r[3] & (1u << 8);
	}
	f->phys_addr_bits = 36;
	f->virt_addr_bits = 48;
	if (max_ext >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		f->phys_addr_bits = r[0] & 0xff;
		f->virt_addr_bits = (r[0] >> 8) & 0xff;
	}
}

void cpu_features_init(void)
{
	struct cpu_features *f = &features;
	uint64_t cr4;

	identify(f);
	cr4 = read_cr4();
	if (f->pge)
		cr4 |= CR4_PGE;
	if (f->smep)
		cr4 |= CR4_SMEP;
	if (f->smap)
		cr4 |= CR4_SMAP;
	if (f->umip)
		cr4 |= CR4_UMIP;
	write_cr4(cr4);
	log_info("cpu", "%s family %u model %u, %u-bit physical addresses", f->vendor, f->family,
		 f->model, f->phys_addr_bits);
	log_info("cpu", "features:%s%s%s%s%s%s%s%s%s%s%s%s", f->nx ? " nx" : "",
		 f->smep ? " smep" : "", f->smap ? " smap" : "", f->umip ? " umip" : "",
		 f->pcid ? " pcid" : "", f->x2apic ? " x2apic" : "",
		 f->tsc_deadline ? " tsc-deadline" : "", f->invariant_tsc ? " invariant-tsc" : "",
		 f->xsave ? " xsave" : "", f->pdpe1gb ? " pdpe1gb" : "", f->rdrand ? " rdrand" : "",
		 f->rdseed ? " rdseed" : "");
	log_info("cpu", "enabled: wp%s%s%s%s%s", f->nx ? " nx" : "", f->pge ? " pge" : "",
		 f->smep ? " smep" : "", f->smap ? " smap" : "", f->umip ? " umip" : "");
}
