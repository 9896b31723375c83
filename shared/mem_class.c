/* Names and hand-off properties of the physical memory classes of the boot protocol. */
#include "shared/mem_class.h"

_Static_assert(MEM_CLASS_COUNT == 17, "mem_class_names needs the new class");

static const char *const mem_class_names[MEM_CLASS_COUNT] = {
	[MEM_FREE] = "free",
	[MEM_FIRMWARE_BOOT] = "firmware-boot",
	[MEM_FIRMWARE_RUNTIME] = "firmware-runtime",
	[MEM_ACPI_RECLAIM] = "acpi-reclaim",
	[MEM_ACPI_NVS] = "acpi-nvs",
	[MEM_MMIO] = "mmio",
	[MEM_RESERVED] = "reserved",
	[MEM_BAD] = "bad",
	[MEM_PERSISTENT] = "persistent",
	[MEM_UNACCEPTED] = "unaccepted",
	[MEM_LOADER] = "loader",
	[MEM_KERNEL] = "kernel",
	[MEM_RAMDISK] = "ramdisk",
	[MEM_BOOT_PAGETABLES] = "boot-pagetables",
	[MEM_BOOT_STACK] = "boot-stack",
	[MEM_BOOT_INFO] = "boot-info",
	[MEM_FRAMEBUFFER] = "framebuffer",
};

const char *mem_class_name(uint32_t cls)
{
	if (cls >= MEM_CLASS_COUNT)
		return "unknown";
	return mem_class_names[cls];
}

bool mem_class_is_usable_after_boot(uint32_t cls)
{
	return cls == MEM_FREE || cls == MEM_FIRMWARE_BOOT || cls == MEM_LOADER;
}

bool mem_class_is_ram(uint32_t cls)
{
	switch (cls) {
	case MEM_FREE:
	case MEM_FIRMWARE_BOOT:
	case MEM_FIRMWARE_RUNTIME:
	case MEM_ACPI_RECLAIM:
	case MEM_ACPI_NVS:
	case MEM_LOADER:
	case MEM_KERNEL:
	case MEM_RAMDISK:
	case MEM_BOOT_PAGETABLES:
	case MEM_BOOT_STACK:
	case MEM_BOOT_INFO:
		return true;
	default:
		return false;
	}
}
