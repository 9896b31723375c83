/* The boot protocol: the one contract between the UEFI loader and the kernel. */
#ifndef SHARED_BOOT_INFO_H
#define SHARED_BOOT_INFO_H

#include <stdint.h>

/*
 * Rules of this header (see README, "Boot protocol"):
 *  - fixed-width fields only, no pointers: every physical address is a
 *    uint64_t whose name ends in _pa; virtual addresses end in _va;
 *  - no EFI types: the kernel never includes efi.h;
 *  - any change to a layout bumps BOOT_INFO_VERSION.
 *
 * Hand-off state, as the kernel finds it at its ELF entry point:
 *  - long mode, interrupts disabled, CR0.WP=1, EFER.NXE=1, CR3 = pml4_pa;
 *  - rdi = direct-map virtual address of struct boot_info;
 *  - rsp = stack_top_va (16-byte aligned), the boot stack, with one
 *    unmapped guard page directly below stack_bottom_va;
 *  - the GDT and IDT registers still point into firmware memory that is
 *    NOT mapped: the kernel loads its own before anything can fault.
 */

#define BOOT_INFO_MAGIC   0x4f464e49544f4f42ull /* "BOOTINFO" little-endian */
#define BOOT_INFO_VERSION 1u

/* Virtual address space layout fixed by the protocol. */
#define BOOT_DIRECT_MAP_VA   0xffff800000000000ull /* phys 0 maps here */
#define BOOT_KERNEL_AREA_VA  0xffffc00000000000ull /* stacks, vmalloc */
#define BOOT_KERNEL_AREA_END 0xffffe00000000000ull
#define BOOT_KERNEL_IMAGE_VA 0xffffffff80000000ull /* -mcmodel=kernel */
#define BOOT_KERNEL_IMAGE_END 0xffffffffc0000000ull /* 1 GiB window */

#define BOOT_STACK_PAGES 16u /* 64 KiB boot stack above one guard page */
#define BOOT_CMDLINE_MAX 1024u /* bytes, without the terminating NUL */

/*
 * Classes of physical memory. The loader gives every byte of the firmware
 * map exactly one class; mem_class_name() (shared/mem_class.c) prints them.
 */
enum mem_class {
	MEM_FREE = 0,         /* conventional memory, usable now */
	MEM_FIRMWARE_BOOT,    /* boot-services code/data: free after hand-off */
	MEM_FIRMWARE_RUNTIME, /* runtime-services code/data: keep */
	MEM_ACPI_RECLAIM,     /* ACPI tables: free once parsed */
	MEM_ACPI_NVS,         /* ACPI non-volatile storage: keep */
	MEM_MMIO,             /* memory-mapped I/O reported by firmware */
	MEM_RESERVED,         /* owned by the firmware or the platform */
	MEM_BAD,              /* memory the firmware found defective */
	MEM_PERSISTENT,       /* non-volatile RAM (EfiPersistentMemory) */
	MEM_UNACCEPTED,       /* confidential-computing memory not yet accepted */
	MEM_LOADER,           /* loader image and scratch: free after hand-off */
	MEM_KERNEL,           /* the kernel's loaded segments */
	MEM_RAMDISK,          /* the ext2 root filesystem image */
	MEM_BOOT_PAGETABLES,  /* the page tables active at hand-off */
	MEM_BOOT_STACK,       /* the kernel boot stack */
	MEM_BOOT_INFO,        /* struct boot_info, command line, region array */
	MEM_FRAMEBUFFER,      /* the GOP framebuffer, when inside the map */
	MEM_CLASS_COUNT
};

/* One physical region: [base_pa, base_pa + pages * 4096). */
struct boot_region {
	uint64_t base_pa;
	uint64_t pages;
	uint32_t class; /* enum mem_class */
	uint32_t reserved;
};
_Static_assert(sizeof(struct boot_region) == 24, "boot_region layout");

enum boot_pixel_format {
	BOOT_PIXEL_NONE = 0, /* no framebuffer */
	BOOT_PIXEL_RGBX,     /* byte 0 red, 1 green, 2 blue, 3 reserved */
	BOOT_PIXEL_BGRX,     /* byte 0 blue, 1 green, 2 red, 3 reserved */
	BOOT_PIXEL_BITMASK,  /* see the *_mask fields */
};

struct boot_framebuffer {
	uint64_t base_pa;
	uint64_t size;      /* bytes */
	uint32_t width;     /* pixels */
	uint32_t height;    /* pixels */
	uint32_t pitch;     /* bytes per scan line (may exceed width * 4) */
	uint32_t format;    /* enum boot_pixel_format */
	uint32_t red_mask, green_mask, blue_mask, reserved_mask;
};
_Static_assert(sizeof(struct boot_framebuffer) == 48, "boot_framebuffer layout");

struct boot_info {
	uint64_t magic;   /* BOOT_INFO_MAGIC */
	uint32_t version; /* BOOT_INFO_VERSION */
	uint32_t size;    /* sizeof(struct boot_info) */

	/* Kernel image: physically contiguous, mapped at kernel_va. */
	uint64_t kernel_pa;
	uint64_t kernel_va;
	uint64_t kernel_pages;

	/* The ext2 root filesystem image, exactly as read from the ESP. */
	uint64_t ramdisk_pa;
	uint64_t ramdisk_size; /* bytes */

	/* Paging at hand-off. */
	uint64_t pml4_pa;
	uint64_t direct_map_va; /* BOOT_DIRECT_MAP_VA */
	uint64_t stack_guard_va;  /* unmapped page */
	uint64_t stack_bottom_va; /* lowest mapped stack byte */
	uint64_t stack_top_va;    /* initial rsp */

	/* Classified physical memory map: sorted, non-overlapping, merged. */
	uint64_t regions_pa; /* struct boot_region[region_count] */
	uint32_t region_count;
	uint32_t region_capacity;

	/* Kernel command line: NUL-terminated, printable ASCII. */
	uint64_t cmdline_pa;
	uint32_t cmdline_len; /* bytes, without the NUL */
	uint32_t acpi_revision; /* 0: no RSDP, 1: ACPI 1.0 RSDP, 2: 2.0+ */
	uint64_t acpi_rsdp_pa;

	struct boot_framebuffer framebuffer;

	uint64_t efi_system_table_pa; /* for runtime services; may be 0 */
	uint64_t handoff_tsc;         /* rdtsc just before the jump */
	uint64_t loader_image_pa;     /* where firmware loaded BOOTX64.EFI */
	uint64_t loader_image_pages;
};
_Static_assert(sizeof(struct boot_info) == 216, "boot_info layout");

#endif /* SHARED_BOOT_INFO_H */
