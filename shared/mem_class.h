/* Names and hand-off properties of the physical memory classes of the boot protocol. */
#ifndef SHARED_MEM_CLASS_H
#define SHARED_MEM_CLASS_H

#include <stdbool.h>
#include <stdint.h>

#include "shared/boot_info.h"

/*
 * Returns the contract name of class cls (enum mem_class), as printed on
 * "memmap:" log lines: "free", "firmware-boot", ..., "framebuffer".
 * Returns "unknown" for a value outside the enum. Never returns NULL.
 */
const char *mem_class_name(uint32_t cls);

/*
 * Returns true if memory of class cls may be given to the frame allocator
 * as soon as the kernel owns the machine: free, firmware-boot and loader.
 * acpi-reclaim is false: it holds the ACPI tables and becomes free only
 * after the kernel has parsed them. The loader's hand-off classes (kernel,
 * ramdisk, boot-pagetables, boot-stack, boot-info) are false: they are in
 * use at hand-off and the kernel frees them explicitly when done.
 * Out-of-range values are false.
 */
bool mem_class_is_usable_after_boot(uint32_t cls);

/*
 * Returns true if class cls is RAM the kernel may touch through its direct
 * map: everything except mmio, reserved, bad, persistent, unaccepted and
 * framebuffer. Out-of-range values are false.
 */
bool mem_class_is_ram(uint32_t cls);

#endif /* SHARED_MEM_CLASS_H */
