/* BOOTX64.EFI: load the kernel and ramdisk, build page tables, hand over. */
#include <efi.h>
#include <efilib.h>
#include <cpuid.h>

#include "loader/alloc.h"
#include "loader/console.h"
#include "loader/files.h"
#include "loader/memmap.h"
#include "loader/video.h"
#include "kernel/lib/printf.h"
#include "shared/paging.h"
#include "shared/boot_info.h"
#include "shared/elf64.h"
#include "shared/mem_class.h"
#include "shared/pte.h"

#define KERNEL_PATH  "boot/kernel.elf"
#define RAMDISK_PATH "boot/ramdisk.img"
#define CMDLINE_PATH "boot/cmdline.txt"

#define KERNEL_MAX_BYTES  (64ull << 20)
#define RAMDISK_MAX_BYTES (2ull << 30)
#define PT_CHUNK_PAGES    16   /* page-table pages are allocated this many at a time */
#define MAP_SLACK_DESCS   64   /* room for descriptors added before ExitBootServices */
#define EBS_ATTEMPTS      8

void loader_handoff(uint64_t pml4_pa, uint64_t entry_va, uint64_t stack_top_va,
		    uint64_t boot_info_va) __attribute__((noreturn));
extern char loader_handoff_end[];

/* Everything one boot attempt gathers; lives on the loader's stack. */
struct boot_state {
	EFI_HANDLE image;
	EFI_FILE_HANDLE root;
	uint64_t elf_pa, elf_size;
	struct elf64_image kernel;
	uint64_t kernel_pa;
	uint64_t ramdisk_pa, ramdisk_size;
	char cmdline[BOOT_CMDLINE_MAX + 1];
	uint32_t cmdline_len;
	struct boot_framebuffer fb;
	uint64_t rsdp_pa;
	uint32_t acpi_revision;
	uint64_t stack_pa;
	bool has_nx, has_1g;
	struct paging_ctx pt;
	uint64_t pt_next_pa, pt_left;
	uint64_t direct_mapped_bytes;
	struct boot_info *info;
	void *fw_map;
	UINTN fw_map_cap;
};

static void *phys_ptr(uint64_t pa)
{
	return (void *)(uintptr_t)pa; /* UEFI identity-maps all memory */
}

static int read_kernel(struct boot_state *s)
{
	const struct elf64_policy policy = {
		.va_lo = BOOT_KERNEL_IMAGE_VA,
		.va_hi = BOOT_KERNEL_IMAGE_END,
		.allow_exec = true,
		.max_phnum = 32,
	};
	struct elf64_error e;
	int err;

	err = files_read(s->root, KERNEL_PATH, MEM_LOADER, 1, KERNEL_MAX_BYTES, &s->elf_pa,
			 &s->elf_size);
	if (err == -2)
		console_error("%s: not found on the boot volume", KERNEL_PATH);
	if (err)
		return err;
	err = elf64_check(phys_ptr(s->elf_pa), s->elf_size, &policy, &s->kernel, &e);
	if (err) {
		if (e.phdr_index >= 0)
			console_error("%s: program header %d: %s", KERNEL_PATH, e.phdr_index,
				      elf64_strerror(e.code));
		else
			console_error("%s: %s", KERNEL_PATH, elf64_strerror(e.code));
		return err;
	}
	console_log("%s: %lu bytes, entry %#lx, %u loadable segments", KERNEL_PATH,
		    (unsigned long)s->elf_size, (unsigned long)s->kernel.entry,
		    (unsigned)s->kernel.load_count);
	return 0;
}

/* Copies the checked segments into one contiguous block of kernel pages. */
static int load_kernel(struct boot_state *s)
{
	uint64_t pages = (s->kernel.va_hi - s->kernel.va_lo) / PAGE_SIZE;
	const uint8_t *elf = phys_ptr(s->elf_pa);

	s->kernel_pa = alloc_pages(pages, MEM_KERNEL, "kernel image");
	if (!s->kernel_pa)
		return -12;
	for (unsigned i = 0; i < s->kernel.phnum; i++) {
		struct elf64_phdr ph;

		if (elf64_read_phdr(elf, s->elf_size, &s->kernel, i, &ph) || ph.p_type != ELF64_PT_LOAD ||
		    ph.p_memsz == 0)
			continue;
		__builtin_memcpy(phys_ptr(s->kernel_pa + (ph.p_vaddr - s->kernel.va_lo)),
				 elf + ph.p_offset, ph.p_filesz);
	}
	return 0;
}

static int read_ramdisk(struct boot_state *s)
{
	int err = files_read(s->root, RAMDISK_PATH, MEM_RAMDISK, 1, RAMDISK_MAX_BYTES,
			     &s->ramdisk_pa, &s->ramdisk_size);

	if (err == -2)
		console_error("%s: not found on the boot volume", RAMDISK_PATH);
	if (!err)
		console_log("%s: %lu bytes", RAMDISK_PATH, (unsigned long)s->ramdisk_size);
	return err;
}

/* The optional one-line command line: printable ASCII, trailing newline allowed. */
static int read_cmdline(struct boot_state *s)
{
	uint64_t pa, size;
	const char *text;
	int err = files_read(s->root, CMDLINE_PATH, MEM_LOADER, 0, BOOT_CMDLINE_MAX + 2, &pa,
			     &size);

	s->cmdline_len = 0;
	if (err == -2)
		return 0;
	if (err)
		return err;
	text = phys_ptr(pa);
	while (size > 0 && (text[size - 1] == '\n' || text[size - 1] == '\r' ||
			    text[size - 1] == ' '))
		size--;
	if (size > BOOT_CMDLINE_MAX) {
		console_error("%s: longer than %u bytes", CMDLINE_PATH, BOOT_CMDLINE_MAX);
		return -7;
	}
	for (uint64_t i = 0; i < size; i++) {
		if (text[i] < 0x20 || text[i] > 0x7e) {
			console_error("%s: byte %lu is not printable ASCII (%#x); one line of text expected",
				      CMDLINE_PATH, (unsigned long)i, (unsigned)(uint8_t)text[i]);
			return -22;
		}
		s->cmdline[i] = text[i];
	}
	s->cmdline[size] = 0;
	s->cmdline_len = (uint32_t)size;
	console_log("command line: \"%s\"", s->cmdline);
	return 0;
}

/* The first handle with a GOP, and that GOP; NULL if there is none. */
static EFI_GRAPHICS_OUTPUT_PROTOCOL *locate_gop(EFI_HANDLE *handle)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_HANDLE *handles = NULL;
	UINTN count = 0;

	if (EFI_ERROR(LibLocateHandle(ByProtocol, &GraphicsOutputProtocol, NULL, &count,
				      &handles)))
		return NULL;
	for (UINTN i = 0; i < count && !gop; i++) {
		if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, handles[i],
						&GraphicsOutputProtocol, (void **)&gop)))
			gop = NULL;
		else
			*handle = handles[i];
	}
	FreePool(handles);
	return gop && gop->Mode && gop->Mode->Info ? gop : NULL;
}

/* The monitor's preferred size, from the EDID the firmware publishes on the
 * GOP's handle (the active EDID, else the discovered one). */
static bool edid_preferred(EFI_HANDLE handle, uint32_t *width, uint32_t *height)
{
	EFI_GUID *guids[2] = { &EdidActiveProtocol, &EdidDiscoveredProtocol };

	for (int i = 0; i < 2; i++) {
		EFI_EDID_ACTIVE_PROTOCOL *edid = NULL; /* same layout as the discovered one */

		if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, handle, guids[i],
						 (void **)&edid)) && edid &&
		    video_edid_preferred(edid->Edid, edid->SizeOfEdid, width, height))
			return true;
	}
	return false;
}

/* A mode with a linear framebuffer of 32-bit pixels, which is what the
 * kernel's console draws on. A PixelBitMask pixel is as many bytes as its
 * highest mask bit needs (UEFI spec), so 16- and 24-bit ones are out. */
static bool is_linear(const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi)
{
	const EFI_PIXEL_BITMASK *m = &mi->PixelInformation;

	if (mi->PixelFormat == PixelBitMask)
		return ((m->RedMask | m->GreenMask | m->BlueMask | m->ReservedMask) >> 24) != 0;
	return mi->PixelFormat == PixelRedGreenBlueReserved8BitPerColor ||
	       mi->PixelFormat == PixelBlueGreenRedReserved8BitPerColor;
}

/* Every mode the GOP offers (pool memory), listed in one log line. */
static struct video_mode *query_modes(EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, UINTN *count)
{
	UINTN n = gop->Mode->MaxMode;
	struct video_mode *modes = n ? AllocatePool(n * sizeof(*modes)) : NULL;
	char list[1024];
	size_t used = 0;

	if (!modes)
		return NULL;
	list[0] = 0;
	for (UINTN i = 0; i < n; i++) {
		EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = NULL;
		UINTN size = 0;

		modes[i] = (struct video_mode){ 0, 0, false };
		if (!EFI_ERROR(uefi_call_wrapper(gop->QueryMode, 4, gop, (UINT32)i, &size, &mi)) &&
		    mi) {
			modes[i] = (struct video_mode){ mi->HorizontalResolution,
							mi->VerticalResolution,
							is_linear(mi) };
			FreePool(mi);
		}
		if (used < sizeof(list))
			used += (size_t)ksnprintf(list + used, sizeof(list) - used, " %ux%u%s",
						  modes[i].width, modes[i].height,
						  modes[i].linear ? "" : "(blt)");
	}
	console_log("GOP modes:%s", list);
	*count = n;
	return modes;
}

/*
 * Switches the GOP to the mode video= asks for, else to the monitor's
 * preferred one, else keeps the firmware's (see video_choose()). Failures
 * are warnings: the current mode then stays.
 */
static void select_mode(struct boot_state *s, EFI_GRAPHICS_OUTPUT_PROTOCOL *gop,
			EFI_HANDLE handle)
{
	uint32_t want_w = 0, want_h = 0, pref_w = 0, pref_h = 0;
	int requested = video_requested(s->cmdline, &want_w, &want_h);
	UINTN count = 0;
	struct video_mode *modes = query_modes(gop, &count);
	struct video_choice c;
	EFI_STATUS st;

	if (requested < 0)
		console_log("warning: video= wants WIDTHxHEIGHT (e.g. video=1024x768): ignored");
	if (edid_preferred(handle, &pref_w, &pref_h))
		console_log("monitor's preferred size (EDID): %ux%u", pref_w, pref_h);
	if (!modes || gop->Mode->Mode >= count) {
		if (modes)
			FreePool(modes);
		return;
	}
	c = video_choose(modes, count, gop->Mode->Mode, want_w, want_h, pref_w, pref_h);
	if (requested > 0 && c.reason != VIDEO_REQUESTED)
		console_log("warning: video=%ux%u: the GOP has no such mode; using %ux%u",
			    want_w, want_h, modes[c.mode].width, modes[c.mode].height);
	if (c.mode != gop->Mode->Mode) {
		st = uefi_call_wrapper(gop->SetMode, 2, gop, (UINT32)c.mode);
		if (EFI_ERROR(st))
			console_log("warning: GOP SetMode(%u) failed (EFI status %#lx): keeping mode %u",
				    (unsigned)c.mode, (unsigned long)st, (unsigned)gop->Mode->Mode);
	}
	if (gop->Mode->Mode == c.mode)
		console_log("video mode %u: %ux%u, %s", (unsigned)c.mode, modes[c.mode].width,
			    modes[c.mode].height, video_reason_name(c.reason));
	FreePool(modes);
}

static void find_framebuffer(struct boot_state *s)
{
	EFI_HANDLE handle = NULL;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = locate_gop(&handle);
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi;

	if (!gop) {
		console_log("no GOP framebuffer: the kernel will use the serial console only");
		return;
	}
	select_mode(s, gop, handle);
	mi = gop->Mode->Info;
	switch (mi->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor:
		s->fb.format = BOOT_PIXEL_RGBX;
		break;
	case PixelBlueGreenRedReserved8BitPerColor:
		s->fb.format = BOOT_PIXEL_BGRX;
		break;
	case PixelBitMask:
		s->fb.format = BOOT_PIXEL_BITMASK;
		s->fb.red_mask = mi->PixelInformation.RedMask;
		s->fb.green_mask = mi->PixelInformation.GreenMask;
		s->fb.blue_mask = mi->PixelInformation.BlueMask;
		s->fb.reserved_mask = mi->PixelInformation.ReservedMask;
		break;
	default:
		console_log("GOP mode has no linear framebuffer (blt only): serial console only");
		return;
	}
	/* The pitch comes from PixelsPerScanLine, which may exceed the width. */
	s->fb.base_pa = gop->Mode->FrameBufferBase;
	s->fb.size = gop->Mode->FrameBufferSize;
	s->fb.width = mi->HorizontalResolution;
	s->fb.height = mi->VerticalResolution;
	s->fb.pitch = mi->PixelsPerScanLine * 4;
	console_log("framebuffer %ux%u, pitch %u bytes, at %#lx", s->fb.width, s->fb.height,
		    s->fb.pitch, (unsigned long)s->fb.base_pa);
}

static void find_rsdp(struct boot_state *s)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];

		if (!CompareGuid(&t->VendorGuid, &acpi20)) {
			s->rsdp_pa = (uint64_t)(uintptr_t)t->VendorTable;
			s->acpi_revision = 2;
			break;
		}
		if (!CompareGuid(&t->VendorGuid, &acpi10) && !s->rsdp_pa) {
			s->rsdp_pa = (uint64_t)(uintptr_t)t->VendorTable;
			s->acpi_revision = 1;
		}
	}
	if (s->rsdp_pa)
		console_log("ACPI %u.0 RSDP at %#lx", s->acpi_revision == 2 ? 2u : 1u,
			    (unsigned long)s->rsdp_pa);
	else
		console_log("no ACPI RSDP in the configuration table");
}

static void detect_cpu(struct boot_state *s)
{
	unsigned a, b, c, d;

	if (__get_cpuid(0x80000001, &a, &b, &c, &d)) {
		s->has_nx = d & (1u << 20);
		s->has_1g = d & (1u << 26);
	}
	if (!s->has_nx)
		console_log("CPU has no NX bit: data pages stay executable");
}

static uint64_t pt_alloc(void *arg)
{
	struct boot_state *s = arg;
	uint64_t pa;

	if (s->pt_left == 0) {
		s->pt_next_pa = alloc_pages(PT_CHUNK_PAGES, MEM_BOOT_PAGETABLES, "page tables");
		if (!s->pt_next_pa)
			return 0;
		s->pt_left = PT_CHUNK_PAGES;
	}
	pa = s->pt_next_pa;
	s->pt_next_pa += PAGE_SIZE;
	s->pt_left--;
	return pa;
}

static void *pt_ptr(void *arg, uint64_t pa)
{
	return phys_ptr(pa);
}

static int map(struct boot_state *s, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags,
	       const char *what)
{
	int err;

	if (!s->has_nx)
		flags &= ~PTE_NX;
	err = paging_map(&s->pt, va, pa, size, flags);
	if (err)
		console_error("page tables: cannot map %s [%#lx, %#lx) (error %d)", what,
			      (unsigned long)va, (unsigned long)(va + size), err);
	return err;
}

/* Kernel segments at their link addresses, W^X from the segment flags. */
static int map_kernel(struct boot_state *s)
{
	const uint8_t *elf = phys_ptr(s->elf_pa);

	for (unsigned i = 0; i < s->kernel.phnum; i++) {
		struct elf64_phdr ph;
		uint64_t lo, hi, flags = PTE_GLOBAL;
		int err;

		if (elf64_read_phdr(elf, s->elf_size, &s->kernel, i, &ph) || ph.p_type != ELF64_PT_LOAD ||
		    ph.p_memsz == 0)
			continue;
		lo = ph.p_vaddr & ~(PAGE_SIZE - 1);
		hi = (ph.p_vaddr + ph.p_memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		if (ph.p_flags & ELF64_PF_W)
			flags |= PTE_WRITE;
		if (!(ph.p_flags & ELF64_PF_X))
			flags |= PTE_NX;
		err = map(s, lo, s->kernel_pa + (lo - s->kernel.va_lo), hi - lo, flags,
			  "kernel segment");
		if (err)
			return err;
	}
	return 0;
}

/*
 * The direct map: every RAM range of the current firmware map at
 * BOOT_DIRECT_MAP_VA + pa, RW + NX, with the largest pages alignment allows.
 * Allocations made after this map was read come out of ranges it covers.
 */
static int map_direct(struct boot_state *s)
{
	UINTN entries = 0, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *fw = LibMemoryMap(&entries, &key, &dsize, &dver);
	size_t cap = memmap_capacity_needed(entries, 0), count = 0;
	struct boot_region *r = fw ? AllocatePool(cap * sizeof(*r)) : NULL;
	int err = -12;

	if (!fw || !r) {
		console_error("cannot read the firmware memory map");
		goto out;
	}
	err = memmap_classify(fw, entries * dsize, dsize, NULL, 0, r, cap, &count);
	if (err) {
		console_error("cannot classify the firmware memory map (error %d)", err);
		goto out;
	}
	for (size_t i = 0; i < count && !err; i++) {
		uint64_t base = r[i].base_pa, end = base + r[i].pages * PAGE_SIZE;

		if (!mem_class_is_ram(r[i].class))
			continue;
		/* Coalesce neighbours of other RAM classes for larger pages. */
		while (i + 1 < count && mem_class_is_ram(r[i + 1].class) && r[i + 1].base_pa == end) {
			i++;
			end = r[i].base_pa + r[i].pages * PAGE_SIZE;
		}
		err = map(s, BOOT_DIRECT_MAP_VA + base, base, end - base, PTE_WRITE | PTE_NX | PTE_GLOBAL,
			  "direct map");
		s->direct_mapped_bytes += end - base;
	}
out:
	if (r)
		FreePool(r);
	if (fw)
		FreePool(fw);
	return err;
}

static int build_page_tables(struct boot_state *s)
{
	uint64_t tramp = (uint64_t)(uintptr_t)loader_handoff & ~(PAGE_SIZE - 1);
	uint64_t tramp_end = ((uint64_t)(uintptr_t)loader_handoff_end + PAGE_SIZE - 1) &
			     ~(PAGE_SIZE - 1);
	int err;

	s->pt = (struct paging_ctx){ .alloc_table = pt_alloc, .table_ptr = pt_ptr, .arg = s,
				     .allow_1g = s->has_1g };
	err = paging_init(&s->pt);
	if (err) {
		console_error("page tables: cannot allocate the PML4");
		return err;
	}
	err = map_kernel(s);
	if (!err) /* the page at BOOT_KERNEL_AREA_VA stays unmapped: the guard */
		err = map(s, BOOT_KERNEL_AREA_VA + PAGE_SIZE, s->stack_pa,
			  BOOT_STACK_PAGES * PAGE_SIZE, PTE_WRITE | PTE_NX | PTE_GLOBAL, "boot stack");
	if (!err) /* the only identity mapping: the hand-off code itself */
		err = map(s, tramp, tramp, tramp_end - tramp, 0, "hand-off trampoline");
	if (!err)
		err = map_direct(s);
	if (!err)
		console_log("page tables: %lu tables, direct map of %lu MiB%s",
			    (unsigned long)s->pt.tables_allocated,
			    (unsigned long)(s->direct_mapped_bytes >> 20),
			    s->has_1g ? " (1 GiB pages)" : " (2 MiB pages)");
	return err;
}

/*
 * One allocation holds struct boot_info, the command line and the region
 * array, sized for the largest map the firmware buffer can hold, so that
 * classification after ExitBootServices never runs out of room.
 */
static int alloc_boot_info(struct boot_state *s)
{
	UINTN entries = 0, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *fw = LibMemoryMap(&entries, &key, &dsize, &dver);
	size_t cap_descs, cap_regions, bytes;
	uint64_t info_pa, map_pa;

	if (!fw) {
		console_error("cannot read the firmware memory map");
		return -12;
	}
	FreePool(fw);
	cap_descs = entries + MAP_SLACK_DESCS;
	cap_regions = memmap_capacity_needed(cap_descs, 64 /* ALLOC_MAX */ + 1);
	bytes = sizeof(struct boot_info) + BOOT_CMDLINE_MAX + 1 + 7 +
		cap_regions * sizeof(struct boot_region);
	info_pa = alloc_pages((bytes + PAGE_SIZE - 1) / PAGE_SIZE, MEM_BOOT_INFO, "boot info");
	map_pa = alloc_pages((cap_descs * dsize + PAGE_SIZE - 1) / PAGE_SIZE, MEM_LOADER,
			     "memory map buffer");
	if (!info_pa || !map_pa)
		return -12;
	s->fw_map = phys_ptr(map_pa);
	s->fw_map_cap = cap_descs * dsize;
	s->info = phys_ptr(info_pa);
	s->info->regions_pa = (info_pa + sizeof(struct boot_info) + BOOT_CMDLINE_MAX + 1 + 7) & ~7ull;
	s->info->region_capacity = (uint32_t)cap_regions;
	s->info->cmdline_pa = info_pa + sizeof(struct boot_info);
	return 0;
}

static void fill_boot_info(struct boot_state *s)
{
	struct boot_info *bi = s->info;
	EFI_LOADED_IMAGE *li = NULL;

	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->kernel_pa = s->kernel_pa;
	bi->kernel_va = s->kernel.va_lo;
	bi->kernel_pages = (s->kernel.va_hi - s->kernel.va_lo) / PAGE_SIZE;
	bi->ramdisk_pa = s->ramdisk_pa;
	bi->ramdisk_size = s->ramdisk_size;
	bi->pml4_pa = s->pt.pml4_pa;
	bi->direct_map_va = BOOT_DIRECT_MAP_VA;
	bi->stack_guard_va = BOOT_KERNEL_AREA_VA;
	bi->stack_bottom_va = BOOT_KERNEL_AREA_VA + PAGE_SIZE;
	bi->stack_top_va = bi->stack_bottom_va + BOOT_STACK_PAGES * PAGE_SIZE;
	__builtin_memcpy(phys_ptr(bi->cmdline_pa), s->cmdline, s->cmdline_len + 1);
	bi->cmdline_len = s->cmdline_len;
	bi->acpi_rsdp_pa = s->rsdp_pa;
	bi->acpi_revision = s->acpi_revision;
	bi->framebuffer = s->fb;
	bi->efi_system_table_pa = (uint64_t)(uintptr_t)ST;
	if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, s->image, &LoadedImageProtocol,
					 (void **)&li)) && li) {
		bi->loader_image_pa = (uint64_t)(uintptr_t)li->ImageBase;
		bi->loader_image_pages = (li->ImageSize + PAGE_SIZE - 1) / PAGE_SIZE;
	}
}

/*
 * Gets the final map and leaves boot services. Between attempts it calls
 * nothing but GetMemoryMap, as the UEFI specification requires.
 * Returns 0 with boot services gone, or an error with them still up.
 */
static int exit_boot_services(struct boot_state *s, UINTN *map_size, UINTN *desc_size)
{
	UINTN key = 0;
	UINT32 dver;
	EFI_STATUS st = EFI_SUCCESS;

	console_log("exiting boot services");
	for (int attempt = 0; attempt < EBS_ATTEMPTS; attempt++) {
		*map_size = s->fw_map_cap;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, map_size, s->fw_map, &key, desc_size,
				       &dver);
		if (EFI_ERROR(st))
			break;
		st = uefi_call_wrapper(BS->ExitBootServices, 2, s->image, key);
		if (!EFI_ERROR(st))
			return 0;
	}
	console_error("ExitBootServices failed (EFI status %#lx)", (unsigned long)st);
	return -5;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static void enable_nxe(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080u));
	lo |= 1u << 11; /* EFER.NXE */
	__asm__ volatile("wrmsr" : : "a"(lo), "d"(hi), "c"(0xc0000080u));
}

/* One boot attempt. Returns only on failure, with the reason printed. */
static int boot(struct boot_state *s)
{
	UINTN map_size, desc_size;
	const struct memmap_carve *carves;
	size_t ncarves, count = 0;
	struct boot_info *bi;
	int err;

	if (EFI_ERROR(files_open_root(s->image, &s->root)))
		return -5;
	if ((err = read_kernel(s)) || (err = read_ramdisk(s)) || (err = read_cmdline(s)))
		return err;
	find_framebuffer(s);
	find_rsdp(s);
	detect_cpu(s);
	if ((err = load_kernel(s)))
		return err;
	s->stack_pa = alloc_pages(BOOT_STACK_PAGES, MEM_BOOT_STACK, "boot stack");
	if (!s->stack_pa)
		return -12;
	if ((err = build_page_tables(s)) || (err = alloc_boot_info(s)))
		return err;
	if (s->fb.size)
		alloc_note(s->fb.base_pa, (s->fb.size + PAGE_SIZE - 1) / PAGE_SIZE, MEM_FRAMEBUFFER);
	fill_boot_info(s);
	if ((err = exit_boot_services(s, &map_size, &desc_size)))
		return err;

	/* Boot services are gone: no console, no allocation, no way back. */
	bi = s->info;
	carves = alloc_carves(&ncarves);
	if (memmap_classify(s->fw_map, map_size, desc_size, carves, ncarves,
			    phys_ptr(bi->regions_pa), bi->region_capacity, &count))
		count = 0; /* the kernel reports an empty map */
	bi->region_count = (uint32_t)count;
	if (s->has_nx)
		enable_nxe();
	bi->handoff_tsc = rdtsc();
	loader_handoff(bi->pml4_pa, s->kernel.entry, bi->stack_top_va,
		       BOOT_DIRECT_MAP_VA + (uint64_t)(uintptr_t)bi);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static struct boot_state s;

	InitializeLib(image, systab);
	s.image = image;
	console_log("starting");
	boot(&s);
	alloc_free_all();
	console_log("returning to the firmware in 10 seconds");
	uefi_call_wrapper(BS->Stall, 1, 10 * 1000 * 1000);
	return EFI_LOAD_ERROR;
}
