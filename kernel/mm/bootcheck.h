/* Self-checks of the hand-off: W^X, guard page, direct map, memory map. */
#ifndef MM_BOOTCHECK_H
#define MM_BOOTCHECK_H

#include <stdbool.h>

/* Runs every check, logging one line each; true if all passed. */
bool bootcheck_run(void);

#endif
