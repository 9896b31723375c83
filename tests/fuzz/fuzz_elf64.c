/* libFuzzer harness: elf64_check must never crash, and what it accepts must honour its contract. */
#include <stddef.h>
#include <stdint.h>

#include "shared/elf64.h"

static const struct elf64_policy kernel_policy = {
	.va_lo = 0xffffffff80000000ull, .va_hi = 0xffffffffc0000000ull,
	.allow_exec = true, .max_phnum = 64,
};
static const struct elf64_policy user_policy = {
	.va_lo = 0, .va_hi = 0x0000800000000000ull,
	.allow_exec = true, .allow_dyn = true, .allow_interp = true,
	.max_phnum = 128,
};

/* Traps unless [off, off + size) lies inside a file of len bytes. */
static void assert_in_file(uint64_t off, uint64_t size, size_t len)
{
	if (size != 0 && (off > len || size > len - off))
		__builtin_trap();
}

/*
 * Re-checks an accepted file the way a loader would use it: every mapped
 * segment inside the file and the window, in order, never W+X.
 */
static void check_accepted(const uint8_t *data, size_t size,
			   const struct elf64_policy *policy,
			   const struct elf64_image *img)
{
	struct elf64_phdr ph;
	uint64_t prev_end = 0;
	unsigned loads = 0;

	if (img->va_lo < policy->va_lo || img->va_hi > policy->va_hi ||
	    img->va_lo >= img->va_hi || img->load_count == 0)
		__builtin_trap();
	for (unsigned i = 0; i < img->phnum; i++) {
		if (elf64_read_phdr(data, size, img, i, &ph) != 0)
			__builtin_trap();
		if (!elf64_phdr_is_load(&ph))
			continue;
		assert_in_file(ph.p_offset, ph.p_filesz, size);
		if (ph.p_filesz > ph.p_memsz || ph.p_vaddr < img->va_lo ||
		    ph.p_memsz > img->va_hi - ph.p_vaddr ||
		    (loads > 0 && ph.p_vaddr < prev_end) ||
		    ((ph.p_flags & ELF64_PF_W) && (ph.p_flags & ELF64_PF_X)))
			__builtin_trap();
		prev_end = ph.p_vaddr + ph.p_memsz;
		loads++;
	}
	if (loads != img->load_count)
		__builtin_trap();
	if (img->has_interp)
		assert_in_file(img->interp_offset, img->interp_size, size);
	if (img->has_tls)
		assert_in_file(img->tls_offset, img->tls_filesz, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks data under both policies; an accepted file is re-checked. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct elf64_policy *policies[] = { &kernel_policy, &user_policy };
	struct elf64_image img;
	struct elf64_error err;

	for (unsigned i = 0; i < 2; i++) {
		int rc = elf64_check(data, size, policies[i], &img, &err);

		if (rc != err.code || elf64_strerror(rc)[0] == '\0')
			__builtin_trap();
		if (rc == 0)
			check_accepted(data, size, policies[i], &img);
	}
	return 0;
}
