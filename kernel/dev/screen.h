/* The framebuffer console on the GOP screen the loader found, if any. */
#ifndef DEV_SCREEN_H
#define DEV_SCREEN_H

#include "shared/boot_info.h"

/*
 * Maps the framebuffer (write-combining), sets up a text console on it and
 * adds it to the log's consoles. A missing or inconsistent framebuffer is
 * logged and skipped: the kernel then runs with the serial console only.
 */
void screen_init(const struct boot_framebuffer *fb);

#endif
