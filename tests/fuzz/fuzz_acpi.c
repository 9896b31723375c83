/* libFuzzer harness: acpi_parse over a blob of tables must never crash, loop or read outside. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/acpi.h"
#include "log.h"
#include "panic.h"

/*
 * Input: byte 0 holds flags, bytes 1-2 a 16-bit little-endian offset, the
 * rest is the payload. Physical memory starts at address 0, so table
 * pointers are offsets into it.
 *   FLAG_TEMPLATE clear: memory is the payload, the RSDP is at the offset.
 *   FLAG_TEMPLATE set: memory is a valid table set (RSDP v2 -> XSDT, RSDT
 *     -> MADT, HPET, FADT -> DSDT) with the payload XORed in at the offset,
 *     so even an empty corpus reaches every parser quickly.
 *   FLAG_REPAIR: fix the checksum of everything that looks like a table,
 *     to get past checksums; without it the checksum paths are exercised.
 */
#define HEADER_BYTES  3
#define FLAG_REPAIR   0x1
#define FLAG_TEMPLATE 0x2
#define MAX_MAPS      1024 /* far above what a bounded walk needs */

static const uint8_t *blob;
static size_t blob_len;
static void *maps[MAX_MAPS];
static unsigned map_count;

/* Kernel services the parser links against. */
void klog(enum log_level level, const char *module, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap); /* formats every argument */
	va_end(ap);
}

void kvprintf(const char *fmt, va_list ap)
{
}

void kprintf(const char *fmt, ...)
{
}

void panic(const char *fmt, ...)
{
	abort();
}

/*
 * Returns a heap copy of exactly [pa, pa + len) of the blob, so ASan traps
 * any read past what the parser asked for; NULL outside the blob.
 */
static const void *blob_map(void *arg, paddr_t pa, size_t len)
{
	void *copy;

	if (++map_count > MAX_MAPS)
		__builtin_trap(); /* the walk is not bounded */
	if (pa.pa > blob_len || len > blob_len - pa.pa)
		return NULL;
	copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, blob + pa.pa, len);
	maps[map_count - 1] = copy;
	return copy;
}

static void fix_sum(uint8_t *p, size_t len, size_t at)
{
	uint8_t sum = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	p[at] = (uint8_t)-sum;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Fixes the checksum of everything in m that looks like an RSDP or a table. */
static void repair(uint8_t *m, size_t n)
{
	static const char *const sigs[] = { "XSDT", "RSDT", "APIC", "FACP", "HPET", "DSDT" };

	for (size_t i = 0; i + 36 <= n; i++) {
		if (memcmp(m + i, "RSD PTR ", 8) == 0) {
			fix_sum(m + i, 20, 8);
			if (le32(m + i + 20) >= 36 && le32(m + i + 20) <= n - i)
				fix_sum(m + i, le32(m + i + 20), 32);
			continue;
		}
		for (size_t s = 0; s < sizeof(sigs) / sizeof(sigs[0]); s++)
			if (memcmp(m + i, sigs[s], 4) == 0 && le32(m + i + 4) >= 36 &&
			    le32(m + i + 4) <= n - i)
				fix_sum(m + i, le32(m + i + 4), 9);
	}
}

static uint8_t tmpl[1024];
static size_t tmpl_len, tmpl_rsdp;

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Appends a table with signature sig and body to the template; returns its offset. */
static size_t tmpl_table(const char *sig, uint8_t rev, const uint8_t *body, size_t n)
{
	size_t off = tmpl_len;

	memcpy(tmpl + off, sig, 4);
	put32(tmpl + off + 4, (uint32_t)(36 + n));
	tmpl[off + 8] = rev;
	memcpy(tmpl + off + 10, "FUZZOE", 6);
	memcpy(tmpl + off + 36, body, n);
	tmpl_len = (off + 36 + n + 15) & ~(size_t)15;
	return off;
}

static void build_template(void)
{
	static const uint8_t madt[] = {
		0x00, 0x00, 0xe0, 0xfe, 0x01, 0x00, 0x00, 0x00,  /* LAPIC address, PCAT_COMPAT */
		0, 8, 0, 0, 1, 0, 0, 0,                          /* CPU 0 enabled */
		0, 8, 1, 1, 0, 0, 0, 0,                          /* CPU 1 disabled */
		9, 16, 0, 0, 0x2c, 1, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, /* x2APIC 300 */
		1, 12, 2, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0, /* IOAPIC */
		2, 10, 0, 0, 2, 0, 0, 0, 0, 0,                   /* IRQ0 -> GSI2 */
		2, 10, 0, 9, 9, 0, 0, 0, 0x0f, 0,                /* IRQ9 level, low */
		4, 6, 0xff, 0, 0, 1,                             /* NMI on LINT1 */
		10, 12, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0,            /* x2APIC NMI */
		5, 12, 0, 0, 0x00, 0x00, 0xe0, 0xfe, 0, 0, 0, 0, /* LAPIC address override */
	};
	static const uint8_t hpet[] = {
		0x01, 0xa2, 0x86, 0x80, 0, 64, 0, 0, 0x00, 0x00, 0xd0, 0xfe, 0, 0, 0, 0, 0, 0x80, 0, 0,
	};
	static const uint8_t aml[] = {
		0x10, 0x05, '_', 'S', 'B', '_', 0x70, '\\', '_', 'S', '5', '_', 0x60,
		0x08, '\\', '_', 'S', '5', '_', 0x12, 0x48, 0x00, 0x04, 0x0a, 0x05, 0x01, 0x00, 0x00,
	};
	uint8_t fadt[276 - 36] = { 0 }, xsdt[24] = { 0 }, rsdt[12] = { 0 }, *rsdp;
	size_t dsdt, table, xsdt_off, rsdt_off;

	tmpl_len = 16;
	dsdt = tmpl_table("DSDT", 2, aml, sizeof(aml));
	put32(fadt + 40 - 36, (uint32_t)dsdt);
	put32(fadt + 64 - 36, 0x604);                    /* PM1a_CNT_BLK */
	put32(fadt + 112 - 36, (1u << 10) | (1u << 8));  /* RESET_REG_SUP, TMR_VAL_EXT */
	memcpy(fadt + 116 - 36, "\x01\x08\x00\x01\xf9\x0c", 6); /* reset register: port 0xcf9 */
	fadt[128 - 36] = 6;
	put32(fadt + 140 - 36, (uint32_t)dsdt);          /* X_DSDT */
	memcpy(fadt + 172 - 36, "\x01\x10\x00\x02\x04\x06", 6); /* X_PM1a_CNT_BLK */
	table = tmpl_table("APIC", 5, madt, sizeof(madt));
	put32(xsdt, (uint32_t)table);
	put32(rsdt, (uint32_t)table);
	table = tmpl_table("HPET", 1, hpet, sizeof(hpet));
	put32(xsdt + 8, (uint32_t)table);
	put32(rsdt + 4, (uint32_t)table);
	table = tmpl_table("FACP", 6, fadt, sizeof(fadt));
	put32(xsdt + 16, (uint32_t)table);
	put32(rsdt + 8, (uint32_t)table);
	xsdt_off = tmpl_table("XSDT", 1, xsdt, sizeof(xsdt));
	rsdt_off = tmpl_table("RSDT", 1, rsdt, sizeof(rsdt));
	tmpl_rsdp = tmpl_len;
	rsdp = tmpl + tmpl_rsdp;
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "FUZZOE", 6);
	rsdp[15] = 2;
	put32(rsdp + 16, (uint32_t)rsdt_off);
	put32(rsdp + 20, 36);
	put32(rsdp + 24, (uint32_t)xsdt_off);
	tmpl_len = tmpl_rsdp + 36;
	repair(tmpl, tmpl_len);
}

static void check(int rc, const struct acpi_info *info)
{
	static const struct acpi_info zero;

	if ((rc == 0) != info->present || (rc != 0 && memcmp(info, &zero, sizeof(zero)) != 0))
		__builtin_trap();
	if (info->cpu_count > ACPI_MAX_CPUS || info->ioapic_count > ACPI_MAX_IOAPICS ||
	    info->override_count > ACPI_MAX_OVERRIDES || info->nmi_count > ACPI_MAX_NMIS ||
	    memchr(info->oem_id, '\0', sizeof(info->oem_id)) == NULL)
		__builtin_trap();
	if (info->s5_valid && (info->slp_typa > 7 || info->slp_typb > 7 || !info->fadt_present))
		__builtin_trap();
	for (unsigned i = 0; i < info->override_count; i++)
		if (info->overrides[i].bus_irq >= 16)
			__builtin_trap();
	for (unsigned i = 0; i < info->nmi_count; i++)
		if (info->nmis[i].lint > 1)
			__builtin_trap();
	for (uint8_t irq = 0; irq < 16; irq++)
		(void)acpi_isa_irq_to_gsi(info, irq, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct acpi_mem mem = { blob_map, NULL };
	struct acpi_info info;
	size_t offset, payload_len;
	uint64_t rsdp_pa;
	uint8_t *m;
	int rc;

	if (size < HEADER_BYTES)
		return 0;
	offset = data[1] | data[2] << 8;
	payload_len = size - HEADER_BYTES;
	if (data[0] & FLAG_TEMPLATE) {
		if (tmpl_len == 0)
			build_template();
		blob_len = tmpl_len;
		m = malloc(blob_len);
		if (!m)
			abort();
		memcpy(m, tmpl, blob_len);
		for (size_t i = 0; i < payload_len; i++)
			m[(offset + i) % blob_len] ^= data[HEADER_BYTES + i];
		rsdp_pa = tmpl_rsdp;
	} else {
		blob_len = payload_len;
		m = malloc(blob_len ? blob_len : 1);
		if (!m)
			abort();
		memcpy(m, data + HEADER_BYTES, blob_len);
		rsdp_pa = offset;
	}
	if (data[0] & FLAG_REPAIR)
		repair(m, blob_len);
	blob = m;
	map_count = 0;
	rc = acpi_parse(&mem, PA(rsdp_pa), &info);
	check(rc, &info);
	for (unsigned i = 0; i < map_count && i < MAX_MAPS; i++) {
		free(maps[i]);
		maps[i] = NULL;
	}
	free(m);
	return 0;
}
