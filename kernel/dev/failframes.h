/* /dev/failframes: per-system-call fault injection for tests (root only). */
#ifndef DEV_FAILFRAMES_H
#define DEV_FAILFRAMES_H

/* Registers the device; call before devfs is mounted. */
void failframes_init(void);

#endif
