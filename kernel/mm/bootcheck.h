/* Self-checks of the hand-off: W^X, guard page, direct map, memory map. */
#ifndef MM_BOOTCHECK_H
#define MM_BOOTCHECK_H

#include <stdbool.h>

struct kstack;

/* Checks the loader's hand-off (run on its page tables, before vmm_init):
 * kernel W^X, the boot stack and its guard page, page 0, the direct map,
 * the memory-map classes. Logs one line each; true if all passed. */
bool bootcheck_run(void);

/* Checks that the code runs on stack s, mapped RW+NX, with its guard page unmapped. */
bool bootcheck_current_stack(const struct kstack *s);

#endif
