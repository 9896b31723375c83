/* Checks an untrusted ELF64 x86_64 executable before any of it is loaded. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/elf64.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "elf64.c copies little-endian file fields straight into structs");

#define PAGE_MASK ((uint64_t)ELF64_PAGE_SIZE - 1)

/* What the program header scan has learned so far. */
struct scan {
	struct elf64_image img;
	bool entry_ok;		/* e_entry seen inside an executable PT_LOAD */
};

/* Records the failure in *err (if any) and returns code (negative). */
static int fail(struct elf64_error *err, int code, int phdr_index)
{
	if (err) {
		err->code = code;
		err->phdr_index = phdr_index;
	}
	return code;
}

/* True if align is 0, 1 or a power of two. */
static bool align_ok(uint64_t align)
{
	return (align & (align - 1)) == 0;
}

/*
 * Checks that [off, off + size) lies inside a file of len bytes.
 * Returns 0, -ELF64_E_OVERFLOW if the sum wraps, or outside_code.
 */
static int check_file_range(uint64_t off, uint64_t size, size_t len,
			    int outside_code)
{
	uint64_t end;

	if (__builtin_add_overflow(off, size, &end))
		return -ELF64_E_OVERFLOW;
	return end <= (uint64_t)len ? 0 : outside_code;
}

/*
 * Checks the file header of a len-byte file against policy, including that
 * the program header table lies inside the file.
 * Returns 0 or a negative ELF64_E_* code.
 */
static int check_header(const struct elf64_ehdr *eh, size_t len,
			const struct elf64_policy *policy)
{
	const uint8_t *id = eh->e_ident;
	uint64_t table_size;

	if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F')
		return -ELF64_E_MAGIC;
	if (id[ELF64_EI_CLASS] != ELF64_CLASS64)
		return -ELF64_E_CLASS;
	if (id[ELF64_EI_DATA] != ELF64_DATA2LSB)
		return -ELF64_E_DATA;
	if (id[ELF64_EI_VERSION] != ELF64_EV_CURRENT ||
	    eh->e_version != ELF64_EV_CURRENT)
		return -ELF64_E_VERSION;
	if (eh->e_machine != ELF64_EM_X86_64)
		return -ELF64_E_MACHINE;
	if (!(eh->e_type == ELF64_ET_EXEC && policy->allow_exec) &&
	    !(eh->e_type == ELF64_ET_DYN && policy->allow_dyn))
		return -ELF64_E_TYPE;
	if (eh->e_ehsize < sizeof(struct elf64_ehdr))
		return -ELF64_E_EHSIZE;
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return -ELF64_E_PHENTSIZE;
	if (eh->e_phnum == 0 || eh->e_phnum == ELF64_PN_XNUM ||
	    eh->e_phnum > policy->max_phnum)
		return -ELF64_E_PHNUM;
	if (__builtin_mul_overflow((uint64_t)eh->e_phnum,
				   sizeof(struct elf64_phdr), &table_size))
		return -ELF64_E_OVERFLOW;
	return check_file_range(eh->e_phoff, table_size, len,
				-ELF64_E_PHDRS_OUTSIDE_FILE);
}

/*
 * Checks one PT_LOAD (already known to lie inside the file) and adds it to
 * the span in s. Needs the PT_LOADs in ascending order, so that "starts
 * below the end of the previous one" catches both overlap and disorder.
 * Returns 0 or a negative ELF64_E_* code.
 */
static int check_load(const struct elf64_phdr *ph,
		      const struct elf64_policy *policy, struct scan *s)
{
	struct elf64_image *img = &s->img;
	uint64_t end, page_lo, page_hi;

	if (ph->p_filesz > ph->p_memsz)
		return -ELF64_E_FILESZ_GT_MEMSZ;
	if (ph->p_memsz == 0)
		return 0;
	if (__builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &end) ||
	    __builtin_add_overflow(end, PAGE_MASK, &page_hi))
		return -ELF64_E_OVERFLOW;
	page_lo = ph->p_vaddr & ~PAGE_MASK;
	page_hi &= ~PAGE_MASK;
	if (!align_ok(ph->p_align) ||
	    (ph->p_vaddr & PAGE_MASK) != (ph->p_offset & PAGE_MASK))
		return -ELF64_E_ALIGN;
	if (page_lo < policy->va_lo || page_hi > policy->va_hi)
		return -ELF64_E_OUTSIDE_WINDOW;
	if (img->load_count > 0 && page_lo < img->va_hi)
		return -ELF64_E_OVERLAP;
	if ((ph->p_flags & ELF64_PF_W) && (ph->p_flags & ELF64_PF_X))
		return -ELF64_E_WX;

	if ((ph->p_flags & ELF64_PF_X) && img->entry >= ph->p_vaddr &&
	    img->entry - ph->p_vaddr < ph->p_filesz)
		s->entry_ok = true;
	if (img->load_count == 0)
		img->va_lo = page_lo;
	img->va_hi = page_hi;
	img->load_count++;
	if (ph->p_align > img->load_align)
		img->load_align = ph->p_align;
	return 0;
}

/*
 * Checks the single PT_TLS and records its template in s.
 * Returns 0 or a negative ELF64_E_* code.
 */
static int check_tls(const struct elf64_phdr *ph, struct scan *s)
{
	struct elf64_image *img = &s->img;
	uint64_t end;

	if (img->has_tls)
		return -ELF64_E_TLS;
	if (ph->p_filesz > ph->p_memsz)
		return -ELF64_E_FILESZ_GT_MEMSZ;
	if (!align_ok(ph->p_align))
		return -ELF64_E_ALIGN;
	if (__builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &end))
		return -ELF64_E_OVERFLOW;
	img->has_tls = true;
	img->tls_vaddr = ph->p_vaddr;
	img->tls_offset = ph->p_offset;
	img->tls_filesz = ph->p_filesz;
	img->tls_memsz = ph->p_memsz;
	img->tls_align = ph->p_align;
	return 0;
}

/*
 * Checks one program header of a len-byte file and records what the caller
 * needs from it in s. The file bytes of every type must lie in the file,
 * even those the loader ignores, so a later reader cannot be misled.
 * Returns 0 or a negative ELF64_E_* code.
 */
static int check_phdr(const struct elf64_phdr *ph, size_t len,
		      const struct elf64_policy *policy, struct scan *s)
{
	int rc;

	if (ph->p_filesz != 0) {
		rc = check_file_range(ph->p_offset, ph->p_filesz, len,
				      -ELF64_E_SEGMENT_OUTSIDE_FILE);
		if (rc)
			return rc;
	}
	switch (ph->p_type) {
	case ELF64_PT_LOAD:
		return check_load(ph, policy, s);
	case ELF64_PT_TLS:
		return check_tls(ph, s);
	case ELF64_PT_INTERP:
		if (!policy->allow_interp || s->img.has_interp ||
		    ph->p_filesz == 0)
			return -ELF64_E_INTERP;
		s->img.has_interp = true;
		s->img.interp_offset = ph->p_offset;
		s->img.interp_size = ph->p_filesz;
		return 0;
	case ELF64_PT_GNU_STACK:
		s->img.stack_exec = (ph->p_flags & ELF64_PF_X) != 0;
		return 0;
	default:
		return 0;
	}
}

int elf64_check(const void *buf, size_t len, const struct elf64_policy *policy,
		struct elf64_image *out, struct elf64_error *err)
{
	const uint8_t *bytes = buf;
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	struct scan s = { 0 };
	int rc;

	if (!buf || !policy || !out)
		return fail(err, -ELF64_E_INVAL, -1);
	if (len < sizeof(eh))
		return fail(err, -ELF64_E_TRUNCATED, -1);
	__builtin_memcpy(&eh, bytes, sizeof(eh));
	rc = check_header(&eh, len, policy);
	if (rc)
		return fail(err, rc, -1);

	s.img.entry = eh.e_entry;
	s.img.phoff = eh.e_phoff;
	s.img.phnum = eh.e_phnum;
	s.img.is_dyn = eh.e_type == ELF64_ET_DYN;
	s.img.load_align = ELF64_PAGE_SIZE;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		/* In bounds: check_header() checked the whole table. */
		__builtin_memcpy(&ph, bytes + eh.e_phoff + (uint64_t)i * sizeof(ph),
				 sizeof(ph));
		rc = check_phdr(&ph, len, policy, &s);
		if (rc)
			return fail(err, rc, (int)i);
	}
	if (s.img.load_count == 0)
		return fail(err, -ELF64_E_NO_LOAD, -1);
	if (!s.entry_ok)
		return fail(err, -ELF64_E_ENTRY, -1);

	*out = s.img;
	fail(err, 0, -1);
	return 0;
}

int elf64_read_phdr(const void *buf, size_t len, const struct elf64_image *img,
		    unsigned index, struct elf64_phdr *out)
{
	uint64_t off;
	int rc;

	if (!buf || !img || !out || index >= img->phnum)
		return -ELF64_E_INVAL;
	if (__builtin_mul_overflow((uint64_t)index, sizeof(*out), &off) ||
	    __builtin_add_overflow(off, img->phoff, &off))
		return -ELF64_E_OVERFLOW;
	rc = check_file_range(off, sizeof(*out), len,
			      -ELF64_E_PHDRS_OUTSIDE_FILE);
	if (rc)
		return rc;
	__builtin_memcpy(out, (const uint8_t *)buf + off, sizeof(*out));
	return 0;
}

bool elf64_phdr_is_load(const struct elf64_phdr *ph)
{
	return ph->p_type == ELF64_PT_LOAD && ph->p_memsz != 0;
}

const char *elf64_strerror(int code)
{
	static const char *const phrases[ELF64_E_COUNT] = {
		[0] = "success",
		[ELF64_E_INVAL] = "invalid argument",
		[ELF64_E_TRUNCATED] = "file shorter than an ELF64 header",
		[ELF64_E_MAGIC] = "not an ELF file (bad magic)",
		[ELF64_E_CLASS] = "not a 64-bit ELF file",
		[ELF64_E_DATA] = "not a little-endian ELF file",
		[ELF64_E_VERSION] = "unknown ELF version",
		[ELF64_E_MACHINE] = "not an x86_64 file",
		[ELF64_E_TYPE] = "ELF type not allowed here",
		[ELF64_E_EHSIZE] = "e_ehsize too small",
		[ELF64_E_PHENTSIZE] = "e_phentsize is not 56",
		[ELF64_E_PHNUM] = "e_phnum is zero or too large",
		[ELF64_E_PHDRS_OUTSIDE_FILE] = "program header table outside the file",
		[ELF64_E_FILESZ_GT_MEMSZ] = "p_filesz > p_memsz",
		[ELF64_E_SEGMENT_OUTSIDE_FILE] = "segment outside the file",
		[ELF64_E_ALIGN] = "misaligned segment (p_align, or p_vaddr vs p_offset)",
		[ELF64_E_OVERFLOW] = "offset or address arithmetic overflows",
		[ELF64_E_OUTSIDE_WINDOW] = "segment outside the allowed address window",
		[ELF64_E_OVERLAP] = "PT_LOAD shares a page with or precedes the previous one",
		[ELF64_E_WX] = "segment both writable and executable",
		[ELF64_E_ENTRY] = "entry point not in an executable segment",
		[ELF64_E_INTERP] = "PT_INTERP not allowed, repeated or empty",
		[ELF64_E_TLS] = "more than one PT_TLS",
		[ELF64_E_NO_LOAD] = "no loadable segment",
	};
	/* Negate in unsigned arithmetic: -INT_MIN would overflow. */
	unsigned index = code < 0 ? 0u - (unsigned)code : (unsigned)code;

	return index < ELF64_E_COUNT ? phrases[index] : "unknown error";
}
