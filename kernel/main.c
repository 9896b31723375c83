/* kmain(): the kernel's table of contents, one call per subsystem. */
#include "arch/x86_64/cpufeature.h"
#include "arch/x86_64/power.h"
#include "arch/x86_64/time.h"
#include "arch/x86_64/trap.h"
#include "boot.h"
#include "cmdline.h"
#include "dev/serial.h"
#include "ktest.h"
#include "log.h"
#include "mm/bootcheck.h"
#include "mm/direct.h"
#include "mm/physmap.h"
#include "panic.h"

static const struct boot_info *the_boot_info;

const struct boot_info *boot_info(void)
{
	return the_boot_info;
}

/* A boot_info we cannot trust means a loader/kernel mismatch: stop at once. */
static void check_boot_info(const struct boot_info *bi)
{
	if (bi->magic != BOOT_INFO_MAGIC)
		panic("kmain: boot_info magic %#lx, expected %#llx (not our loader?)",
		      (unsigned long)bi->magic, BOOT_INFO_MAGIC);
	if (bi->version != BOOT_INFO_VERSION || bi->size != sizeof(*bi))
		panic("kmain: boot protocol version %u size %u, kernel expects %u size %zu",
		      bi->version, bi->size, BOOT_INFO_VERSION, sizeof(*bi));
}

void kmain(const struct boot_info *bi);
void kmain(const struct boot_info *bi)
{
	const char *ktests;

	trap_init();                /* our GDT and IDT: faults now get reports */
	serial_init();              /* COM1, if the machine has one */
	log_info("kernel", "hello from the kernel at %p", (void *)kmain);
	check_boot_info(bi);
	cpu_features_init();        /* CPUID; SMEP, SMAP, UMIP, PGE on */
	the_boot_info = bi;
	time_init(bi->handoff_tsc); /* TSC against the PIT: log timestamps */
	cmdline_init(phys_to_virt(bi->cmdline_pa));
	if (cmdline_get("log"))
		log_configure(cmdline_get("log"));
	physmap_init(bi);           /* the loader's classified memory map */
	physmap_print("boot");
	if (!bootcheck_run())       /* W^X, guard page, direct map, map classes */
		log_err("kernel", "boot self-checks failed");

	ktests = cmdline_get("ktest");
	if (ktests)
		ktest_run(ktests);  /* powers off */
	log_info("kernel", "boot complete; nothing more to run yet: powering off");
	power_off(true);
}
