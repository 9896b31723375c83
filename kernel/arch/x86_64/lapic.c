/* The local APIC: interrupt acknowledgement and the per-CPU timer. */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpufeature.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/pit.h"
#include "log.h"
#include "mm/vmm.h"

#define MSR_APIC_BASE     0x1bu
#define APIC_BASE_ENABLE  (1ull << 11)
#define APIC_BASE_X2APIC  (1ull << 10)
#define MSR_X2APIC_FIRST  0x800u
#define MSR_TSC_DEADLINE  0x6e0u

/* Register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + offset / 16). */
#define REG_ID        0x020
#define REG_TPR       0x080
#define REG_EOI       0x0b0
#define REG_SVR       0x0f0
#define REG_ESR       0x280
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR  0x390
#define REG_TIMER_DIV  0x3e0

#define SVR_ENABLE      (1u << 8)
#define LVT_MASKED      (1u << 16)
#define LVT_NMI         (4u << 8)
#define TIMER_PERIODIC  (1u << 17)
#define TIMER_DEADLINE  (2u << 17)
#define DIVIDE_BY_1     0xb

static volatile uint32_t *mmio; /* NULL in x2APIC mode */

static uint32_t reg_read(uint32_t reg)
{
	if (!mmio)
		return (uint32_t)rdmsr(MSR_X2APIC_FIRST + reg / 16);
	return mmio[reg / 4];
}

static void reg_write(uint32_t reg, uint32_t v)
{
	if (!mmio)
		wrmsr(MSR_X2APIC_FIRST + reg / 16, v);
	else
		mmio[reg / 4] = v;
}

void lapic_eoi(void)
{
	reg_write(REG_EOI, 0);
}

uint32_t lapic_id(void)
{
	uint32_t id = reg_read(REG_ID);

	return mmio ? id >> 24 : id;
}

static void error_interrupt(struct trap_frame *tf, void *arg)
{
	reg_write(REG_ESR, 0);
	log_warn("lapic", "APIC error, ESR %#x", reg_read(REG_ESR));
}

void lapic_init(paddr_t pa)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (cpu_features()->x2apic) {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	} else {
		wrmsr(MSR_APIC_BASE, (base | APIC_BASE_ENABLE) & ~APIC_BASE_X2APIC);
		mmio = vmm_map_device(pa, FRAME_SIZE, 0);
	}
	irq_register(IRQ_VECTOR_ERROR, error_interrupt, NULL, "lapic-error");
	reg_write(REG_TPR, 0);
	reg_write(REG_LVT_TIMER, LVT_MASKED);
	reg_write(REG_LVT_LINT0, LVT_MASKED);
	reg_write(REG_LVT_LINT1, LVT_NMI);
	reg_write(REG_LVT_ERROR, IRQ_VECTOR_ERROR);
	reg_write(REG_ESR, 0);
	reg_write(REG_SVR, SVR_ENABLE | IRQ_VECTOR_SPURIOUS);
	irq_set_eoi(lapic_eoi);
	log_info("lapic", "local APIC %u enabled (%s)", lapic_id(),
		 mmio ? "xAPIC" : "x2APIC");
}

void lapic_lint0_extint(void)
{
	reg_write(REG_LVT_LINT0, 7u << 8); /* ExtINT, unmasked */
}

uint64_t lapic_timer_measure(unsigned window_ms, uint64_t *tsc_hz)
{
	uint32_t ticks = PIT_HZ * window_ms / 1000, start_count, end_count;
	uint64_t start_tsc, end_tsc, spins = 0, hz;

	if (ticks == 0 || ticks > 0xffff)
		return 0;
	reg_write(REG_TIMER_DIV, DIVIDE_BY_1);
	reg_write(REG_LVT_TIMER, LVT_MASKED); /* counts, but raises nothing */
	reg_write(REG_TIMER_INIT, 0xffffffffu);
	pit_ch2_start((uint16_t)ticks);
	start_count = reg_read(REG_TIMER_CUR);
	start_tsc = rdtsc();
	while (!pit_ch2_done())
		if (++spins > (1ull << 32)) /* a PIT that never ends: give up */
			return 0;
	end_count = reg_read(REG_TIMER_CUR);
	end_tsc = rdtsc();
	reg_write(REG_TIMER_INIT, 0);
	*tsc_hz = (end_tsc - start_tsc) * PIT_HZ / ticks;
	hz = (uint64_t)(start_count - end_count) * PIT_HZ / ticks;
	/* A timer that did not move, or wrapped, or is absurd, is not used. */
	if (end_count >= start_count || hz < 1000000 || hz > 20000000000ull)
		return 0;
	return hz;
}

void lapic_timer_oneshot(uint8_t vector, uint32_t count)
{
	reg_write(REG_TIMER_DIV, DIVIDE_BY_1);
	reg_write(REG_LVT_TIMER, vector);
	reg_write(REG_TIMER_INIT, count ? count : 1);
}

void lapic_timer_periodic(uint8_t vector, uint32_t count)
{
	reg_write(REG_TIMER_DIV, DIVIDE_BY_1);
	reg_write(REG_LVT_TIMER, vector | TIMER_PERIODIC);
	reg_write(REG_TIMER_INIT, count ? count : 1);
}

void lapic_timer_deadline(uint8_t vector, uint64_t tsc)
{
	reg_write(REG_LVT_TIMER, vector | TIMER_DEADLINE);
	__asm__ volatile("mfence" : : : "memory"); /* LVT write before the MSR write */
	wrmsr(MSR_TSC_DEADLINE, tsc ? tsc : 1);
}

void lapic_timer_stop(void)
{
	reg_write(REG_LVT_TIMER, LVT_MASKED);
	reg_write(REG_TIMER_INIT, 0);
	if (cpu_features()->tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
}
