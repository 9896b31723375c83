/* Unit tests for the ELF64 validator: hand-built images, mutations, and real malformed files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/elf64.h"

/*
 * The test image (offsets in the file, addresses relative to a base):
 *   phdr 0  PT_LOAD R+X  file [0x000, 0x300)  va base+0x1000  (headers, text)
 *   phdr 1  PT_LOAD R+W  file [0x300, 0x380)  va base+0x3300  memsz 0x2000
 *   phdr 2  PT_GNU_STACK R+W
 *   phdr 3  PT_NULL (a free slot for tests to fill)
 * Entry point: base+0x1100. The text holds "/lib/ld.so" at 0x200.
 */
#define KERNEL_BASE 0xffffffff80000000ull
#define USER_BASE   0x400000ull
#define TEXT_VA     0x1000u
#define DATA_OFF    0x300u
#define DATA_VA     0x3300u
#define INTERP_OFF  0x200u
#define IMAGE_LEN   0x380u
#define PHNUM       4u
#define RX (ELF64_PF_R | ELF64_PF_X)
#define RW (ELF64_PF_R | ELF64_PF_W)

static const struct elf64_policy kernel_policy = {
	.va_lo = KERNEL_BASE, .va_hi = 0xffffffffc0000000ull,
	.allow_exec = true, .max_phnum = 16,
};
static const struct elf64_policy user_policy = {
	.va_lo = 0, .va_hi = 0x0000800000000000ull,
	.allow_exec = true, .allow_dyn = true, .allow_interp = true,
	.max_phnum = 64,
};
/* Allows everything a policy can: isolates the policy-independent checks. */
static const struct elf64_policy lax_policy = {
	.va_lo = 0, .va_hi = UINT64_MAX,
	.allow_exec = true, .allow_dyn = true, .allow_interp = true,
	.max_phnum = 0xffff,
};

static void put_phdr(uint8_t *image, unsigned index, uint32_t type,
		     uint32_t flags, uint64_t off, uint64_t va, uint64_t filesz,
		     uint64_t memsz)
{
	struct elf64_phdr ph = {
		.p_type = type, .p_flags = flags, .p_offset = off,
		.p_vaddr = va, .p_paddr = va, .p_filesz = filesz,
		.p_memsz = memsz, .p_align = type == ELF64_PT_LOAD ? 0x1000 : 0,
	};
	memcpy(image + sizeof(struct elf64_ehdr) + index * sizeof(ph), &ph,
	       sizeof(ph));
}

/* Fills image[IMAGE_LEN] with the valid test file described above. */
static void build_image(uint8_t *image, uint64_t base, uint16_t type)
{
	struct elf64_ehdr eh = {
		.e_ident = { 0x7f, 'E', 'L', 'F', ELF64_CLASS64, ELF64_DATA2LSB,
			     ELF64_EV_CURRENT },
		.e_type = type, .e_machine = ELF64_EM_X86_64,
		.e_version = ELF64_EV_CURRENT, .e_entry = base + TEXT_VA + 0x100,
		.e_phoff = sizeof(struct elf64_ehdr), .e_ehsize = 64,
		.e_phentsize = 56, .e_phnum = PHNUM,
	};

	memset(image, 0, IMAGE_LEN);
	memcpy(image, &eh, sizeof(eh));
	put_phdr(image, 0, ELF64_PT_LOAD, RX, 0, base + TEXT_VA, DATA_OFF,
		 DATA_OFF);
	put_phdr(image, 1, ELF64_PT_LOAD, RW, DATA_OFF, base + DATA_VA, 0x80,
		 0x2000);
	put_phdr(image, 2, ELF64_PT_GNU_STACK, RW, 0, 0, 0, 0);
	memcpy(image + INTERP_OFF, "/lib/ld.so", 11);
}

/*
 * Runs elf64_check on a private copy of bytes that starts at an odd address
 * and ends exactly at the end of its allocation, so ASan sees any overread.
 */
static int check_bytes(const uint8_t *bytes, size_t len,
		       const struct elf64_policy *policy,
		       struct elf64_image *out, struct elf64_error *err)
{
	uint8_t *copy = malloc(len + 1);
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy + 1, bytes, len);
	rc = elf64_check(copy + 1, len, policy, out, err);
	free(copy);
	return rc;
}

/* One field to overwrite: phdr -1 means the file header. */
struct patch {
	int phdr;
	size_t offset, size;
	uint64_t value;
};

/* A valid kernel image with up to four patches must fail this way. */
struct bad_case {
	const char *name;
	const struct elf64_policy *policy;	/* NULL: kernel_policy */
	int code;
	int phdr_index;
	struct patch patches[4];		/* size 0 ends the list */
};

#define IDENT(i, v)	  { -1, (i), 1, (v) }
#define EHDR(field, v)	  { -1, offsetof(struct elf64_ehdr, field), \
			    sizeof(((struct elf64_ehdr *)0)->field), (v) }
#define PHDR(n, field, v) { (n), offsetof(struct elf64_phdr, field), \
			    sizeof(((struct elf64_phdr *)0)->field), (v) }
#define KB KERNEL_BASE

static const struct bad_case bad_cases[] = {
	{ "bad magic", NULL, -ELF64_E_MAGIC, -1, { IDENT(0, 0x7e) } },
	{ "bad magic 'ELG'", NULL, -ELF64_E_MAGIC, -1, { IDENT(3, 'G') } },
	{ "ELF32 class", NULL, -ELF64_E_CLASS, -1, { IDENT(4, 1) } },
	{ "big-endian", NULL, -ELF64_E_DATA, -1, { IDENT(5, 2) } },
	{ "EI_VERSION 0", NULL, -ELF64_E_VERSION, -1, { IDENT(6, 0) } },
	{ "e_version 2", NULL, -ELF64_E_VERSION, -1, { EHDR(e_version, 2) } },
	{ "aarch64", NULL, -ELF64_E_MACHINE, -1, { EHDR(e_machine, 183) } },
	{ "ET_REL", NULL, -ELF64_E_TYPE, -1, { EHDR(e_type, ELF64_ET_REL) } },
	{ "ET_CORE", NULL, -ELF64_E_TYPE, -1, { EHDR(e_type, ELF64_ET_CORE) } },
	{ "ET_DYN, kernel policy", NULL, -ELF64_E_TYPE, -1,
	  { EHDR(e_type, ELF64_ET_DYN) } },
	{ "e_ehsize 52", NULL, -ELF64_E_EHSIZE, -1, { EHDR(e_ehsize, 52) } },
	{ "e_phentsize 32", NULL, -ELF64_E_PHENTSIZE, -1,
	  { EHDR(e_phentsize, 32) } },
	{ "e_phentsize 64", NULL, -ELF64_E_PHENTSIZE, -1,
	  { EHDR(e_phentsize, 64) } },
	{ "e_phnum 0", NULL, -ELF64_E_PHNUM, -1, { EHDR(e_phnum, 0) } },
	{ "e_phnum PN_XNUM", &lax_policy, -ELF64_E_PHNUM, -1,
	  { EHDR(e_phnum, 0xffff) } },
	{ "e_phnum above policy", NULL, -ELF64_E_PHNUM, -1,
	  { EHDR(e_phnum, 17) } },
	{ "e_phoff + table overflows", NULL, -ELF64_E_OVERFLOW, -1,
	  { EHDR(e_phoff, UINT64_MAX - 64) } },
	{ "phdr table past EOF", NULL, -ELF64_E_PHDRS_OUTSIDE_FILE, -1,
	  { EHDR(e_phoff, IMAGE_LEN - 56) } },
	{ "p_offset + p_filesz overflows", NULL, -ELF64_E_OVERFLOW, 1,
	  { PHDR(1, p_offset, UINT64_MAX - 0x10) } },
	{ "segment past EOF", NULL, -ELF64_E_SEGMENT_OUTSIDE_FILE, 1,
	  { PHDR(1, p_filesz, 0x81) } },
	{ "p_filesz > p_memsz", NULL, -ELF64_E_FILESZ_GT_MEMSZ, 0,
	  { PHDR(0, p_memsz, DATA_OFF - 1) } },
	{ "p_vaddr + p_memsz overflows", NULL, -ELF64_E_OVERFLOW, 1,
	  { PHDR(1, p_memsz, UINT64_MAX - 0x1000) } },
	{ "page round-up of the end overflows", &lax_policy, -ELF64_E_OVERFLOW,
	  1, { PHDR(1, p_vaddr, 0xfffffffffffff300), PHDR(1, p_memsz, 0x100) } },
	{ "p_align not a power of two", NULL, -ELF64_E_ALIGN, 1,
	  { PHDR(1, p_align, 0x1800) } },
	{ "p_vaddr and p_offset differ mod 4096", NULL, -ELF64_E_ALIGN, 1,
	  { PHDR(1, p_vaddr, KB + 0x3400) } },
	{ "segments in the user half, kernel policy", NULL,
	  -ELF64_E_OUTSIDE_WINDOW, 0,
	  { PHDR(0, p_vaddr, USER_BASE + TEXT_VA),
	    PHDR(1, p_vaddr, USER_BASE + DATA_VA),
	    EHDR(e_entry, USER_BASE + TEXT_VA + 0x100) } },
	{ "segment end past the window", NULL, -ELF64_E_OUTSIDE_WINDOW, 1,
	  { PHDR(1, p_memsz, 0x40000000) } },
	{ "kernel image, user policy", &user_policy, -ELF64_E_OUTSIDE_WINDOW, 0,
	  { { 0 } } },
	{ "segments overlap", NULL, -ELF64_E_OVERLAP, 1,
	  { PHDR(1, p_offset, 0x100), PHDR(1, p_vaddr, KB + 0x1100) } },
	{ "page shared, different permissions", NULL, -ELF64_E_OVERLAP, 1,
	  { PHDR(1, p_vaddr, KB + 0x1300) } },
	{ "page shared, same permissions", NULL, -ELF64_E_OVERLAP, 1,
	  { PHDR(1, p_vaddr, KB + 0x1300), PHDR(1, p_flags, ELF64_PF_R) } },
	{ "PT_LOADs out of order", NULL, -ELF64_E_OVERLAP, 1,
	  { PHDR(1, p_vaddr, KB + 0x300), PHDR(1, p_memsz, 0x100) } },
	{ "W+X segment", NULL, -ELF64_E_WX, 1,
	  { PHDR(1, p_flags, RW | ELF64_PF_X) } },
	{ "entry in the data segment", NULL, -ELF64_E_ENTRY, -1,
	  { EHDR(e_entry, KB + DATA_VA) } },
	{ "entry just past the text", NULL, -ELF64_E_ENTRY, -1,
	  { EHDR(e_entry, KB + TEXT_VA + DATA_OFF) } },
	{ "entry in the text's zero-filled tail", NULL, -ELF64_E_ENTRY, -1,
	  { PHDR(0, p_memsz, DATA_OFF + 0x100),
	    EHDR(e_entry, KB + TEXT_VA + DATA_OFF) } },
	{ "entry unmapped", NULL, -ELF64_E_ENTRY, -1, { EHDR(e_entry, 0) } },
	{ "text not executable", NULL, -ELF64_E_ENTRY, -1,
	  { PHDR(0, p_flags, ELF64_PF_R) } },
	{ "PT_INTERP, kernel policy", NULL, -ELF64_E_INTERP, 3,
	  { PHDR(3, p_type, ELF64_PT_INTERP), PHDR(3, p_offset, INTERP_OFF),
	    PHDR(3, p_filesz, 11) } },
	{ "empty PT_INTERP", &lax_policy, -ELF64_E_INTERP, 3,
	  { PHDR(3, p_type, ELF64_PT_INTERP) } },
	{ "no PT_LOAD", NULL, -ELF64_E_NO_LOAD, -1,
	  { PHDR(0, p_type, ELF64_PT_NOTE), PHDR(1, p_type, ELF64_PT_NOTE) } },
	{ "only empty PT_LOADs", NULL, -ELF64_E_NO_LOAD, -1,
	  { PHDR(0, p_filesz, 0), PHDR(0, p_memsz, 0), PHDR(1, p_filesz, 0),
	    PHDR(1, p_memsz, 0) } },
	{ "PT_TLS p_filesz > p_memsz", NULL, -ELF64_E_FILESZ_GT_MEMSZ, 3,
	  { PHDR(3, p_type, ELF64_PT_TLS), PHDR(3, p_filesz, 1) } },
	{ "PT_TLS past EOF", NULL, -ELF64_E_SEGMENT_OUTSIDE_FILE, 3,
	  { PHDR(3, p_type, ELF64_PT_TLS), PHDR(3, p_offset, IMAGE_LEN),
	    PHDR(3, p_filesz, 1), PHDR(3, p_memsz, 1) } },
	{ "second PT_TLS", NULL, -ELF64_E_TLS, 3,
	  { PHDR(2, p_type, ELF64_PT_TLS), PHDR(3, p_type, ELF64_PT_TLS) } },
	{ "ignored segment type past EOF (PT_DYNAMIC)", NULL, -ELF64_E_OVERFLOW,
	  3, { PHDR(3, p_type, ELF64_PT_DYNAMIC), PHDR(3, p_offset, UINT64_MAX),
	       PHDR(3, p_filesz, 2) } },
};

static void test_bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct elf64_image img = { .entry = 0x5a5a };
	struct elf64_error err;
	uint8_t image[IMAGE_LEN];

	build_image(image, KERNEL_BASE, ELF64_ET_EXEC);
	for (const struct patch *p = c->patches; p < c->patches + 4 && p->size;
	     p++) {
		size_t at = p->phdr < 0 ? 0 : 64 + (size_t)p->phdr * 56;

		memcpy(image + at + p->offset, &p->value, p->size); /* LE host */
	}
	assert_int_equal(check_bytes(image, IMAGE_LEN,
				     c->policy ? c->policy : &kernel_policy,
				     &img, &err), c->code);
	assert_int_equal(err.code, c->code);
	assert_int_equal(err.phdr_index, c->phdr_index);
	assert_int_equal(img.entry, 0x5a5a);	/* untouched on failure */
}

static void test_kernel_exec_accepted(void **state)
{
	struct elf64_image img;
	struct elf64_error err = { -1, 7 };
	uint8_t image[IMAGE_LEN];

	(void)state;
	build_image(image, KERNEL_BASE, ELF64_ET_EXEC);
	assert_int_equal(check_bytes(image, IMAGE_LEN, &kernel_policy, &img,
				     &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(err.phdr_index, -1);
	assert_int_equal(img.entry, KERNEL_BASE + TEXT_VA + 0x100);
	assert_int_equal(img.va_lo, KERNEL_BASE + 0x1000);
	assert_int_equal(img.va_hi, KERNEL_BASE + 0x6000);
	assert_int_equal(img.load_align, 0x1000);
	assert_int_equal(img.phoff, 64);
	assert_int_equal(img.phnum, PHNUM);
	assert_int_equal(img.load_count, 2);
	assert_false(img.is_dyn);
	assert_false(img.stack_exec);
	assert_false(img.has_interp);
	assert_false(img.has_tls);
	/* A longer buffer (trailing data) is fine too. */
	uint8_t longer[IMAGE_LEN + 100] = { 0 };
	memcpy(longer, image, IMAGE_LEN);
	assert_int_equal(check_bytes(longer, sizeof(longer), &kernel_policy,
				     &img, NULL), 0);
}

static void test_user_exec_accepted(void **state)
{
	struct elf64_image img;
	uint8_t image[IMAGE_LEN];

	(void)state;
	build_image(image, USER_BASE, ELF64_ET_EXEC);
	assert_int_equal(check_bytes(image, IMAGE_LEN, &user_policy, &img,
				     NULL), 0);
	assert_int_equal(img.va_lo, USER_BASE + 0x1000);
	assert_false(img.is_dyn);
	/* ... but not where the kernel policy wants kernel addresses. */
	assert_int_equal(check_bytes(image, IMAGE_LEN, &kernel_policy, &img,
				     NULL), -ELF64_E_OUTSIDE_WINDOW);
}

static void test_dyn_user_only(void **state)
{
	struct elf64_image img;
	uint8_t image[IMAGE_LEN];

	(void)state;
	build_image(image, 0, ELF64_ET_DYN);
	assert_int_equal(check_bytes(image, IMAGE_LEN, &user_policy, &img,
				     NULL), 0);
	assert_true(img.is_dyn);
	assert_int_equal(img.va_lo, 0x1000);	/* un-relocated */
	assert_int_equal(img.entry, TEXT_VA + 0x100);
	build_image(image, KERNEL_BASE, ELF64_ET_DYN);
	assert_int_equal(check_bytes(image, IMAGE_LEN, &kernel_policy, &img,
				     NULL), -ELF64_E_TYPE);
}

static void test_optional_segments_reported(void **state)
{
	struct elf64_image img;
	struct elf64_phdr ph;
	uint8_t image[IMAGE_LEN];

	(void)state;
	build_image(image, USER_BASE, ELF64_ET_EXEC);
	put_phdr(image, 2, ELF64_PT_GNU_STACK, RW | ELF64_PF_X, 0, 0, 0, 0);
	put_phdr(image, 3, ELF64_PT_TLS, ELF64_PF_R, DATA_OFF,
		 USER_BASE + DATA_VA, 0x10, 0x40);
	assert_int_equal(check_bytes(image, IMAGE_LEN, &user_policy, &img,
				     NULL), 0);
	assert_true(img.stack_exec);
	assert_true(img.has_tls);
	assert_int_equal(img.tls_vaddr, USER_BASE + DATA_VA);
	assert_int_equal(img.tls_offset, DATA_OFF);
	assert_int_equal(img.tls_filesz, 0x10);
	assert_int_equal(img.tls_memsz, 0x40);

	put_phdr(image, 3, ELF64_PT_INTERP, ELF64_PF_R, INTERP_OFF,
		 USER_BASE + TEXT_VA + INTERP_OFF, 11, 11);
	assert_int_equal(check_bytes(image, IMAGE_LEN, &user_policy, &img,
				     NULL), 0);
	assert_true(img.has_interp);
	assert_int_equal(img.interp_offset, INTERP_OFF);
	assert_int_equal(img.interp_size, 11);

	/* A zero-size PT_LOAD is ignored, wherever it claims to be. */
	put_phdr(image, 3, ELF64_PT_LOAD, RW | ELF64_PF_X, 0, 0x123, 0, 0);
	assert_int_equal(check_bytes(image, IMAGE_LEN, &user_policy, &img,
				     NULL), 0);
	assert_int_equal(img.load_count, 2);
	assert_int_equal(elf64_read_phdr(image, IMAGE_LEN, &img, 3, &ph), 0);
	assert_false(elf64_phdr_is_load(&ph));
}

static void test_every_prefix_refused(void **state)
{
	struct elf64_image img;
	struct elf64_error err;
	uint8_t image[IMAGE_LEN];

	(void)state;
	build_image(image, KERNEL_BASE, ELF64_ET_EXEC);
	for (size_t len = 0; len < IMAGE_LEN; len++) {
		int rc = check_bytes(image, len, &kernel_policy, &img, &err);

		if (len < 64)
			assert_int_equal(rc, -ELF64_E_TRUNCATED);
		else if (len < 64 + PHNUM * 56)
			assert_int_equal(rc, -ELF64_E_PHDRS_OUTSIDE_FILE);
		else
			assert_int_equal(rc, -ELF64_E_SEGMENT_OUTSIDE_FILE);
	}
}

static void test_read_phdr(void **state)
{
	struct elf64_image img;
	struct elf64_phdr ph;
	uint8_t image[IMAGE_LEN];

	(void)state;
	build_image(image, KERNEL_BASE, ELF64_ET_EXEC);
	assert_int_equal(check_bytes(image, IMAGE_LEN, &kernel_policy, &img,
				     NULL), 0);
	assert_int_equal(elf64_read_phdr(image, IMAGE_LEN, &img, 1, &ph), 0);
	assert_true(elf64_phdr_is_load(&ph));
	assert_int_equal(ph.p_offset, DATA_OFF);
	assert_int_equal(ph.p_vaddr, KERNEL_BASE + DATA_VA);
	assert_int_equal(ph.p_memsz, 0x2000);
	assert_int_equal(elf64_read_phdr(image, IMAGE_LEN, &img, PHNUM, &ph),
			 -ELF64_E_INVAL);
	assert_int_equal(elf64_read_phdr(image, 100, &img, 0, &ph),
			 -ELF64_E_PHDRS_OUTSIDE_FILE);
	assert_int_equal(elf64_read_phdr(NULL, IMAGE_LEN, &img, 0, &ph),
			 -ELF64_E_INVAL);
	img.phoff = UINT64_MAX - 10;
	assert_int_equal(elf64_read_phdr(image, IMAGE_LEN, &img, 0, &ph),
			 -ELF64_E_OVERFLOW);
}

static void test_null_arguments(void **state)
{
	struct elf64_image img;
	struct elf64_error err;
	uint8_t image[IMAGE_LEN];

	(void)state;
	build_image(image, KERNEL_BASE, ELF64_ET_EXEC);
	assert_int_equal(elf64_check(NULL, IMAGE_LEN, &kernel_policy, &img,
				     &err), -ELF64_E_INVAL);
	assert_int_equal(err.code, -ELF64_E_INVAL);
	assert_int_equal(elf64_check(image, IMAGE_LEN, NULL, &img, NULL),
			 -ELF64_E_INVAL);
	assert_int_equal(elf64_check(image, IMAGE_LEN, &kernel_policy, NULL,
				     NULL), -ELF64_E_INVAL);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(elf64_strerror(-ELF64_E_FILESZ_GT_MEMSZ),
			    "p_filesz > p_memsz");
	assert_string_equal(elf64_strerror(ELF64_E_OUTSIDE_WINDOW),
			    "segment outside the allowed address window");
	assert_string_equal(elf64_strerror(0), "success");
	assert_string_equal(elf64_strerror(-ELF64_E_COUNT), "unknown error");
	assert_string_equal(elf64_strerror(-2147483647 - 1), "unknown error");
	for (int code = 1; code < ELF64_E_COUNT; code++)
		assert_true(strlen(elf64_strerror(-code)) > 0);
}

/* Reads path into a malloc'd buffer of exactly its size. */
static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	data = malloc((size_t)size);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return data;
}

/* Every file listed in tests/data/elf-bad/MANIFEST.tsv must be refused. */
static void test_corpus_refused(void **state)
{
	static const struct elf64_policy *const policies[] = {
		&kernel_policy, &user_policy, &lax_policy,
	};
	char line[1024], path[512];
	FILE *manifest = fopen("tests/data/elf-bad/MANIFEST.tsv", "r");
	int files = 0;

	(void)state;
	assert_non_null(manifest);
	assert_non_null(fgets(line, sizeof(line), manifest)); /* header */
	while (fgets(line, sizeof(line), manifest)) {
		struct elf64_image img;
		struct elf64_error err;
		size_t len;
		uint8_t *data;

		line[strcspn(line, "\t\n")] = '\0';
		if (line[0] == '\0')
			continue;
		snprintf(path, sizeof(path), "tests/data/elf-bad/%s", line);
		data = read_file(path, &len);
		for (size_t i = 0; i < 3; i++) {
			int rc = check_bytes(data, len, policies[i], &img, &err);

			if (rc == 0)
				fail_msg("%s accepted by policy %zu", line, i);
			assert_int_equal(err.code, rc);
		}
		free(data);
		files++;
	}
	fclose(manifest);
	assert_int_equal(files, 14);
}

int main(void)
{
	enum { NBAD = sizeof(bad_cases) / sizeof(bad_cases[0]) };
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_kernel_exec_accepted),
		cmocka_unit_test(test_user_exec_accepted),
		cmocka_unit_test(test_dyn_user_only),
		cmocka_unit_test(test_optional_segments_reported),
		cmocka_unit_test(test_every_prefix_refused),
		cmocka_unit_test(test_read_phdr),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_corpus_refused),
	};
	enum { NFIXED = sizeof(fixed) / sizeof(fixed[0]) };
	struct CMUnitTest tests[NFIXED + NBAD];

	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < NBAD; i++) {
		struct CMUnitTest t = {
			.name = bad_cases[i].name,
			.test_func = test_bad_case,
			.initial_state = (void *)&bad_cases[i],
		};
		tests[NFIXED + i] = t;
	}
	return cmocka_run_group_tests_name("elf64", tests, NULL, NULL);
}
