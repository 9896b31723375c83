/* ELF64 executable validation shared by the UEFI loader and the kernel's execve. */
#ifndef SHARED_ELF64_H
#define SHARED_ELF64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * elf64_check() answers "can this file be loaded safely?" before the
 * caller touches any of it: it reads only the ELF header and the program
 * header table, copying them out of the buffer (which may be unaligned or
 * truncated), with every offset and size sum overflow-checked. After a
 * successful check the caller loads each program header that
 * elf64_phdr_is_load() accepts, reading it with elf64_read_phdr(), and
 * needs no further bounds checks of its own:
 *  - [p_offset, p_offset + p_filesz) lies inside the file (for every
 *    program header; p_offset means nothing when p_filesz is 0);
 *  - p_filesz <= p_memsz, and p_vaddr % ELF64_PAGE_SIZE ==
 *    p_offset % ELF64_PAGE_SIZE, so the segment maps at page granularity;
 *  - the page-rounded range of each PT_LOAD lies inside the policy's window,
 *    and no page is shared by two PT_LOADs (even with equal permissions);
 *    PT_LOADs appear in ascending p_vaddr order, as the gABI demands;
 *  - no PT_LOAD is both writable and executable;
 *  - e_entry lies in the file-backed part of an executable PT_LOAD.
 * PT_LOADs with p_memsz == 0 occupy no memory and are ignored.
 *
 * ET_DYN: every address (window, span, entry, TLS) is the un-relocated one
 * from the file. A caller that adds a load bias must itself check that
 * [va_lo + bias, va_hi + bias) fits where it wants the image, and choose a
 * bias that is a multiple of load_align. A policy for position-independent
 * programs therefore needs a window starting at 0, where they are linked.
 *
 * Only ELFCLASS64, ELFDATA2LSB, EM_X86_64 files are accepted; the code
 * assumes a little-endian host (x86_64 everywhere it is built).
 */

#define ELF64_PAGE_SIZE 4096u

/* e_ident[] layout and values. */
#define ELF64_EI_NIDENT  16
#define ELF64_EI_CLASS   4
#define ELF64_EI_DATA    5
#define ELF64_EI_VERSION 6
#define ELF64_CLASS64    2
#define ELF64_DATA2LSB   1
#define ELF64_EV_CURRENT 1

/* e_type, e_machine, e_phnum. */
#define ELF64_ET_REL    1
#define ELF64_ET_EXEC   2
#define ELF64_ET_DYN    3
#define ELF64_ET_CORE   4
#define ELF64_EM_X86_64 62
#define ELF64_PN_XNUM   0xffff /* real count lives in section 0: refused */

/* p_type and p_flags. */
#define ELF64_PT_NULL      0
#define ELF64_PT_LOAD      1
#define ELF64_PT_DYNAMIC   2
#define ELF64_PT_INTERP    3
#define ELF64_PT_NOTE      4
#define ELF64_PT_PHDR      6
#define ELF64_PT_TLS       7
#define ELF64_PT_GNU_STACK 0x6474e551u
#define ELF64_PF_X 0x1u
#define ELF64_PF_W 0x2u
#define ELF64_PF_R 0x4u

/* The file header, exactly as stored (little-endian). */
struct elf64_ehdr {
	uint8_t e_ident[ELF64_EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

/* One program header, exactly as stored (little-endian). */
struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 phdr is 56 bytes");

/* What the caller accepts. */
struct elf64_policy {
	/* Every PT_LOAD's page-rounded [p_vaddr, p_vaddr + p_memsz) must lie
	 * inside [va_lo, va_hi); give page-aligned bounds. */
	uint64_t va_lo, va_hi;
	bool allow_exec, allow_dyn;	/* accepted e_type values */
	bool allow_interp;		/* else a PT_INTERP is refused */
	uint16_t max_phnum;		/* 1 <= e_phnum <= max_phnum */
};

/* Summary of a checked file; valid only after elf64_check() returned 0. */
struct elf64_image {
	uint64_t entry;
	uint64_t va_lo, va_hi;		/* page-rounded span of all PT_LOADs */
	uint64_t load_align;		/* largest PT_LOAD p_align, >= page size */
	uint64_t phoff;			/* program header table offset */
	uint16_t phnum;
	uint16_t load_count;		/* PT_LOADs with p_memsz > 0 */
	bool is_dyn;			/* ET_DYN: addresses are un-relocated */
	bool stack_exec;		/* PT_GNU_STACK has PF_X (absent: no) */
	bool has_interp;		/* only if policy->allow_interp */
	uint64_t interp_offset, interp_size; /* in the file; NUL not checked */
	bool has_tls;
	uint64_t tls_vaddr, tls_offset, tls_filesz, tls_memsz, tls_align;
};

/* Error codes. Functions return them negated, like -EINVAL. */
enum elf64_errno {
	ELF64_E_INVAL = 1,		/* NULL argument or index out of range */
	ELF64_E_TRUNCATED,
	ELF64_E_MAGIC,
	ELF64_E_CLASS,
	ELF64_E_DATA,
	ELF64_E_VERSION,
	ELF64_E_MACHINE,
	ELF64_E_TYPE,
	ELF64_E_EHSIZE,
	ELF64_E_PHENTSIZE,
	ELF64_E_PHNUM,
	ELF64_E_PHDRS_OUTSIDE_FILE,
	ELF64_E_FILESZ_GT_MEMSZ,
	ELF64_E_SEGMENT_OUTSIDE_FILE,
	ELF64_E_ALIGN,
	ELF64_E_OVERFLOW,
	ELF64_E_OUTSIDE_WINDOW,
	ELF64_E_OVERLAP,
	ELF64_E_WX,
	ELF64_E_ENTRY,
	ELF64_E_INTERP,
	ELF64_E_TLS,
	ELF64_E_NO_LOAD,
	ELF64_E_COUNT
};

/* Where a check failed. */
struct elf64_error {
	int code;		/* the value elf64_check() returned */
	int phdr_index;		/* offending program header, -1 if none */
};

/*
 * Checks the len bytes at buf (any alignment) against policy, reading
 * nothing outside them. On success fills *out and returns 0; otherwise
 * leaves *out untouched and returns -ELF64_E_*. If err is not NULL it
 * receives the code and the index of the offending program header (-1 for
 * the file header and whole-file checks such as the entry point).
 * Cost: one pass over the program headers.
 */
int elf64_check(const void *buf, size_t len, const struct elf64_policy *policy,
		struct elf64_image *out, struct elf64_error *err);

/*
 * Copies program header index of a file that elf64_check() accepted into
 * *out, re-checking its bounds. Returns 0, or -ELF64_E_INVAL if an argument
 * is NULL or index >= img->phnum, or -ELF64_E_PHDRS_OUTSIDE_FILE if buf/len
 * are not the ones img was made from.
 */
int elf64_read_phdr(const void *buf, size_t len, const struct elf64_image *img,
		    unsigned index, struct elf64_phdr *out);

/* True if ph is a PT_LOAD the caller must map (p_memsz > 0). */
bool elf64_phdr_is_load(const struct elf64_phdr *ph);

/*
 * Returns a short phrase for code (either sign), e.g. "p_filesz > p_memsz",
 * or "unknown error"; 0 gives "success". Never NULL.
 */
const char *elf64_strerror(int code);

#endif /* SHARED_ELF64_H */
