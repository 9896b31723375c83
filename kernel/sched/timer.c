/* Time events: the calibrated LAPIC timer (or the PIT), sleeps, deadlines. */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpufeature.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/pit.h"
#include "arch/x86_64/time.h"
#include "dev/interrupts.h"
#include "cmdline.h"
#include "lib/median.h"
#include "lib/string.h"
#include "log.h"
#include "mm/kmalloc.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "sched/timer.h"

#define CALIBRATION_MS 2       /* PIT window: quantisation error < 0.05% ... */
#define CALIBRATION_WINDOWS 5  /* ... and the median of five drops an interrupted one */
#define MIN_DELTA_NS   2000  /* never program an event closer than this */
#define NONE           UINT64_MAX
#define MULT_SHIFT     20    /* count = (ns * mult) >> MULT_SHIFT */

enum event_source { SOURCE_NONE, SOURCE_TSC_DEADLINE, SOURCE_LAPIC, SOURCE_PIT };
static const char *const source_names[] = { "none", "TSC-deadline", "LAPIC one-shot", "PIT" };

/* timer_lock protects the sleep heap and armed_ns. */
static struct spinlock timer_lock = SPINLOCK_INIT("timer");
static struct thread **heap; /* min-heap on wake_at_ns */
static uint32_t heap_len, heap_cap;
static uint64_t armed_ns = NONE;
static enum event_source source;
static uint64_t lapic_hz, lapic_mult, tsc_mult;
static uint64_t interrupts;

static uint64_t scale(uint64_t ns, uint64_t mult)
{
	return (uint64_t)(((unsigned __int128)ns * mult) >> MULT_SHIFT);
}

/* Sleep heap: a binary min-heap; each thread remembers its index. */
static void heap_set(uint32_t i, struct thread *t)
{
	heap[i] = t;
	t->heap_index = (int32_t)i;
}

static void sift_up(uint32_t i)
{
	while (i > 0 && heap[(i - 1) / 2]->wake_at_ns > heap[i]->wake_at_ns) {
		struct thread *parent = heap[(i - 1) / 2];

		heap_set((i - 1) / 2, heap[i]);
		heap_set(i, parent);
		i = (i - 1) / 2;
	}
}

static void sift_down(uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		struct thread *t;

		if (l < heap_len && heap[l]->wake_at_ns < heap[m]->wake_at_ns)
			m = l;
		if (r < heap_len && heap[r]->wake_at_ns < heap[m]->wake_at_ns)
			m = r;
		if (m == i)
			return;
		t = heap[m];
		heap_set(m, heap[i]);
		heap_set(i, t);
		i = m;
	}
}

static void heap_remove_at(uint32_t i)
{
	heap[i]->heap_index = -1;
	heap_len--;
	if (i == heap_len)
		return;
	heap_set(i, heap[heap_len]);
	sift_down(i);
	sift_up(i);
}

void timer_add_sleeper(struct thread *t, uint64_t deadline_ns)
{
	uint64_t flags = irq_save();

	spin_lock_raw(&timer_lock);
	if (heap_len == heap_cap) {
		uint32_t cap = heap_cap ? heap_cap * 2 : 64;
		struct thread **bigger = kmalloc(cap * sizeof(*bigger));

		for (uint32_t i = 0; i < heap_len; i++)
			bigger[i] = heap[i];
		kfree(heap);
		heap = bigger;
		heap_cap = cap;
	}
	t->wake_at_ns = deadline_ns;
	t->timed_out = false;
	heap_set(heap_len++, t);
	sift_up(heap_len - 1);
	spin_unlock_raw(&timer_lock);
	irq_restore(flags);
}

void timer_remove_sleeper(struct thread *t)
{
	uint64_t flags = irq_save();

	spin_lock_raw(&timer_lock);
	if (t->heap_index >= 0)
		heap_remove_at((uint32_t)t->heap_index);
	spin_unlock_raw(&timer_lock);
	irq_restore(flags);
}

/* Arms the event source for deadline_ns (NONE: off). timer_lock held. */
static void program(uint64_t deadline_ns)
{
	uint64_t now, delta;

	armed_ns = deadline_ns;
	if (deadline_ns == NONE) {
		if (source == SOURCE_LAPIC || source == SOURCE_TSC_DEADLINE)
			lapic_timer_stop();
		return; /* a PIT one-shot simply expires once more */
	}
	now = time_since_boot_ns();
	delta = deadline_ns > now + MIN_DELTA_NS ? deadline_ns - now : MIN_DELTA_NS;
	switch (source) {
	case SOURCE_TSC_DEADLINE:
		lapic_timer_deadline(IRQ_VECTOR_TIMER, rdtsc() + scale(delta, tsc_mult));
		break;
	case SOURCE_LAPIC: {
		uint64_t count = scale(delta, lapic_mult); /* capped: an early event re-arms */

		lapic_timer_oneshot(IRQ_VECTOR_TIMER, count > 0xffffffffu ? 0xffffffffu : (uint32_t)count);
		break;
	}
	case SOURCE_PIT: {
		uint64_t ticks = delta * PIT_HZ / 1000000000ull;

		pit_ch0_oneshot(ticks == 0 ? 1 : ticks > 0xffff ? 0xffff : (uint16_t)ticks);
		break;
	}
	case SOURCE_NONE:
		break;
	}
}

void timer_rearm(void)
{
	uint64_t flags = irq_save(), next = NONE;

	spin_lock_raw(&timer_lock);
	if (heap_len)
		next = heap[0]->wake_at_ns;
	if (sched_others_ready() && sched_slice_start_ns() + SCHED_SLICE_NS < next)
		next = sched_slice_start_ns() + SCHED_SLICE_NS;
	if (next != armed_ns)
		program(next);
	spin_unlock_raw(&timer_lock);
	irq_restore(flags);
}

/* Wakes the sleepers whose time came and ends an expired slice. */
static void timer_interrupt(struct trap_frame *tf, void *arg)
{
	uint64_t now = time_since_boot_ns();
	struct thread *due[16];
	unsigned n;

	interrupts++;
	do { /* sched_wake re-arms the timer: call it without timer_lock */
		n = 0;
		spin_lock_raw(&timer_lock);
		armed_ns = NONE;
		while (n < 16 && heap_len && heap[0]->wake_at_ns <= now) {
			due[n] = heap[0];
			due[n++]->timed_out = true;
			heap_remove_at(0);
		}
		spin_unlock_raw(&timer_lock);
		for (unsigned i = 0; i < n; i++)
			sched_wake(due[i]);
	} while (n == 16);
	if (sched_others_ready() && now >= sched_slice_start_ns() + SCHED_SLICE_NS)
		sched_request_resched();
	timer_rearm();
}

void timer_sleep_until(uint64_t deadline_ns)
{
	struct thread *self = thread_current();

	while (time_since_boot_ns() < deadline_ns) {
		uint64_t flags = irq_save();

		self->state = THREAD_BLOCKED;
		timer_add_sleeper(self, deadline_ns);
		sched_block();
		timer_remove_sleeper(self);
		irq_restore(flags);
	}
}

void timer_sleep_ns(uint64_t ns)
{
	timer_sleep_until(time_since_boot_ns() + ns);
}

uint64_t timer_lapic_hz(void)
{
	return lapic_hz;
}

uint64_t timer_interrupts(void)
{
	return interrupts;
}

/* The LAPIC timer's (and the TSC's) rate: the median of a few PIT windows,
 * or 0 if any window found the LAPIC timer implausible. */
static uint64_t calibrate_lapic(uint64_t *tsc_hz)
{
	uint64_t lapic[CALIBRATION_WINDOWS], tsc[CALIBRATION_WINDOWS];

	for (int i = 0; i < CALIBRATION_WINDOWS; i++) {
		lapic[i] = lapic_timer_measure(CALIBRATION_MS, &tsc[i]);
		if (!lapic[i])
			return 0;
	}
	*tsc_hz = median_u64(tsc, CALIBRATION_WINDOWS);
	return median_u64(lapic, CALIBRATION_WINDOWS);
}

void timer_init(void)
{
	const char *forced = cmdline_get("timer");
	uint64_t tsc_hz = 0;

	lapic_hz = calibrate_lapic(&tsc_hz);
	if (time_tsc_hz())
		tsc_mult = (time_tsc_hz() << MULT_SHIFT) / 1000000000ull;
	if (lapic_hz && forced && !strcmp(forced, "pit")) {
		log_info("timer", "lapic base %lu Hz, tsc %lu Hz (calibrated against PIT); timer=pit: using the PIT",
			 (unsigned long)lapic_hz, (unsigned long)tsc_hz);
		source = SOURCE_PIT;
		interrupts_route_isa(0, timer_interrupt, NULL, "pit");
	} else if (lapic_hz) {
		lapic_mult = (lapic_hz << MULT_SHIFT) / 1000000000ull;
		log_info("timer", "lapic base %lu Hz, tsc %lu Hz (calibrated against PIT)",
			 (unsigned long)lapic_hz, (unsigned long)tsc_hz);
		source = cpu_features()->tsc_deadline && tsc_mult ? SOURCE_TSC_DEADLINE : SOURCE_LAPIC;
		irq_register(IRQ_VECTOR_TIMER, timer_interrupt, NULL, "timer");
	} else {
		log_err("timer", "the local APIC timer does not count plausibly: using the PIT");
		source = SOURCE_PIT;
		interrupts_route_isa(0, timer_interrupt, NULL, "pit");
	}
	log_info("timer", "event source: %s; tickless when idle", source_names[source]);
}
