/* kmain(): the kernel's table of contents, one call per subsystem. */
#include "arch/x86_64/cpufeature.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/power.h"
#include "arch/x86_64/time.h"
#include "arch/x86_64/trap.h"
#include "boot.h"
#include "cmdline.h"
#include "dev/acpi_power.h"
#include "dev/interrupts.h"
#include "dev/ps2kbd.h"
#include "dev/random.h"
#include "dev/rtc.h"
#include "fs/rootfs.h"
#include "lib/errno.h"
#include "dev/screen.h"
#include "dev/serial.h"
#include "ktest.h"
#include "log.h"
#include "mm/addr.h"
#include "mm/bootcheck.h"
#include "mm/kstack.h"
#include "mm/physmap.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "panic.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "sched/sched.h"
#include "sched/timer.h"

/* A copy: the loader's boot_info page is reclaimed during boot. */
static struct boot_info boot_info_copy;

const struct boot_info *boot_info(void)
{
	return &boot_info_copy;
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

/* Double fault, NMI and machine check get stacks of their own, so a kernel
 * stack overflow is reported instead of ending in a triple fault. */
static void setup_ist_stacks(void)
{
	percpu_set_ist(IST_DOUBLE_FAULT, kstack_alloc("double-fault IST", KSTACK_PAGES)->top_va);
	percpu_set_ist(IST_NMI, kstack_alloc("NMI IST", KSTACK_PAGES)->top_va);
	percpu_set_ist(IST_MACHINE_CHECK, kstack_alloc("machine-check IST", KSTACK_PAGES)->top_va);
	trap_use_ist_stacks();
}

static struct kstack *kmain_stack;

/* pid 1: init= from the command line, else /sbin/init. */
static void start_init(void)
{
	const char *path = cmdline_get("init");
	const char *const *extra = cmdline_init_args();
	const char *argv[CMDLINE_INIT_ARGS_MAX + 2] = { NULL };
	static const char *const envp[] = { "HOME=/", "TERM=linux", "PATH=/sbin:/bin", NULL };
	int err;

	if (!path || !*path)
		path = "/sbin/init";
	argv[0] = path;
	for (int i = 0; extra[i]; i++)
		argv[i + 1] = extra[i];
	err = proc_start_init(path, argv, envp);
	if (err)
		panic("kmain: cannot start init %s: %s", path, errno_name(err));
	log_info("kernel", "started %s as pid 1", path);
}

/* The rest of boot, on a kernel stack: the loader's memory can now go. */
static void kmain_late(void *unused)
{
	const char *ktests;

	bootcheck_current_stack(kmain_stack);
	interrupts_init();              /* ACPI; PIC masked, local APIC, IOAPICs */
	acpi_power_init();              /* power-off (S5) and reset through ACPI */
	timer_init();                   /* LAPIC timer calibrated against the PIT */
	kstack_retire_boot_stack();
	physmap_reclaim_boot_memory();  /* firmware-boot, loader, boot page tables/stack/info */
	physmap_print("after-reclaim");
	sched_init(kmain_stack);        /* this context becomes thread "kmain"; idle thread */
	irq_enable();                   /* preemption from here on */
	random_init();                  /* ChaCha20 CSPRNG seeded from RDSEED/RDRAND/TSC jitter */
	rtc_init();                     /* wall clock from the CMOS RTC */
	rootfs_mount(boot_info());      /* ext2 ramdisk at /, devfs, procfs */
	ps2kbd_init();                  /* PS/2 keyboard into the console terminal, if any */
	syscall_init();                 /* SYSCALL/SYSRET, the Linux system call table */
	proc_init();                    /* page faults, user exceptions, the OOM killer */

	ktests = cmdline_get("ktest");
	if (ktests)
		ktest_run(ktests);      /* powers off */
	start_init();
	for (;;)                        /* kmain's work is done: init runs the system */
		timer_sleep_ns(1000000000ull * 3600);
}

void kmain(const struct boot_info *bi);
void kmain(const struct boot_info *bi)
{
	const struct boot_region *regions;
	size_t region_count;

	trap_init();                /* GDT, TSS, IDT: faults now get reports */
	serial_init();              /* COM1, if the machine has one */
	log_info("kernel", "hello from the kernel at %p", (void *)kmain);
	check_boot_info(bi);
	boot_info_copy = *bi;
	cpu_features_init();        /* CPUID; SMEP, SMAP, UMIP, PGE on */
	fpu_init();                 /* x87/SSE on, for user threads */
	time_init(bi->handoff_tsc); /* TSC against the PIT: log timestamps */
	cmdline_init(phys_to_virt(PA(bi->cmdline_pa)));
	if (cmdline_get("log"))
		log_configure(cmdline_get("log"));
	physmap_init(bi, cpu_features()->phys_addr_bits); /* the loader's classified memory map */
	physmap_print("boot");
	if (!bootcheck_run())       /* W^X, guard page, direct map, map classes */
		log_err("kernel", "the loader's hand-off failed its checks");

	regions = physmap_regions(&region_count);
	pmm_init(regions, region_count); /* frame allocator over the free regions */
	vmm_init();                 /* the kernel's own page tables */
	kstack_init();              /* guarded kernel stacks */
	setup_ist_stacks();
	screen_init(&boot_info_copy.framebuffer); /* text console on the GOP screen, if any */

	kmain_stack = kstack_alloc("kmain", KSTACK_PAGES);
	call_on_stack(kmain_late, NULL, kmain_stack->top_va);
	panic("kmain: kmain_late returned");
}
