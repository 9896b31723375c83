/* What the loader handed over, for the subsystems that need to look at it. */
#ifndef BOOT_H
#define BOOT_H

#include "shared/boot_info.h"

/* The checked boot_info; valid from the start of kmain(). */
const struct boot_info *boot_info(void);

#endif
