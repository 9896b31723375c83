/* Host unit tests of the ACPI table parser over synthetic tables in simulated physical memory. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/acpi.h"
#include "lib/errno.h"
#include "tests/unit/stubs_kernel.h"

/*
 * Simulated physical memory: [MEM_BASE, MEM_BASE + MEM_SIZE). Each map()
 * returns a fresh heap copy of exactly the bytes asked for, so ASan reports
 * any read past a length the parser has not checked.
 */
#define MEM_BASE  0xe0000ull
#define MEM_SIZE  0x20000u
#define MAX_COPIES 4096

static uint8_t mem[MEM_SIZE];
static uint32_t mem_used;
static void *copies[MAX_COPIES];
static unsigned map_calls;

static const void *sim_map(void *arg, paddr_t pa, size_t len)
{
	void *copy;

	map_calls++;
	if (pa.pa < MEM_BASE || pa.pa - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (pa.pa - MEM_BASE))
		return NULL;
	assert_true(map_calls <= MAX_COPIES);
	copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, mem + (pa.pa - MEM_BASE), len);
	copies[map_calls - 1] = copy;
	return copy;
}

static const struct acpi_mem sim = { sim_map, NULL };

static int setup(void **state)
{
	memset(mem, 0, sizeof(mem));
	mem_used = 0;
	map_calls = 0;
	memset(copies, 0, sizeof(copies));
	return 0;
}

static int teardown(void **state)
{
	for (unsigned i = 0; i < MAX_COPIES; i++)
		free(copies[i]);
	return 0;
}

/* ---------------------------------------------------------------- builders */

static uint8_t *at(uint64_t pa)
{
	return mem + (pa - MEM_BASE);
}

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v); w16(p + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }
static uint32_t r32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | (uint32_t)(p[2] | p[3] << 8) << 16;
}

/* Reserves len bytes of simulated memory, 16-byte aligned; returns its address. */
static uint64_t alloc(size_t len)
{
	uint64_t pa = MEM_BASE + mem_used;

	mem_used = (uint32_t)((mem_used + len + 15) & ~15ull);
	assert_true(mem_used <= MEM_SIZE);
	return pa;
}

/* Sets the byte at csum so that the len bytes at p sum to 0. */
static void fix_sum(uint8_t *p, size_t len, size_t csum)
{
	uint8_t sum = 0;

	p[csum] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	p[csum] = (uint8_t)-sum;
}

/* Recomputes the checksum of the table at pa from its own length field. */
static void fix_table(uint64_t pa)
{
	fix_sum(at(pa), r32(at(pa) + 4), 9);
}

/* Appends a table: a header with signature sig, then body; checksum fixed. */
static uint64_t put_table(const char *sig, uint8_t rev, const void *body, size_t body_len)
{
	uint64_t pa = alloc(36 + body_len);
	uint8_t *t = at(pa);

	memcpy(t, sig, 4);
	w32(t + 4, (uint32_t)(36 + body_len));
	t[8] = rev;
	memcpy(t + 10, "TESTOE", 6);
	memcpy(t + 16, "TESTTBL ", 8);
	memcpy(t + 28, "TEST", 4);
	if (body_len)
		memcpy(t + 36, body, body_len);
	fix_table(pa);
	return pa;
}

/* An RSDT (4-byte entries) or XSDT (8-byte entries) listing n tables. */
static uint64_t put_root(bool xsdt, const uint64_t *entries, size_t n)
{
	uint8_t body[8 * 1024];
	size_t esize = xsdt ? 8 : 4;

	assert_true(n * esize <= sizeof(body));
	for (size_t i = 0; i < n; i++) {
		if (xsdt)
			w64(body + i * 8, entries[i]);
		else
			w32(body + i * 4, (uint32_t)entries[i]);
	}
	return put_table(xsdt ? "XSDT" : "RSDT", 1, body, n * esize);
}

static uint64_t put_rsdp(uint8_t rev, uint64_t rsdt, uint64_t xsdt)
{
	uint64_t pa = alloc(36);
	uint8_t *p = at(pa);

	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "BOCHS ", 6);
	p[15] = rev;
	w32(p + 16, (uint32_t)rsdt);
	fix_sum(p, 20, 8);
	if (rev >= 2) {
		w32(p + 20, 36);
		w64(p + 24, xsdt);
		fix_sum(p, 36, 32);
	}
	return pa;
}

/* A table body under construction. */
struct body {
	uint8_t b[2048];
	size_t n;
};

static void e8(struct body *b, uint8_t v) { assert_true(b->n < sizeof(b->b)); b->b[b->n++] = v; }
static void e16(struct body *b, uint16_t v) { e8(b, (uint8_t)v); e8(b, (uint8_t)(v >> 8)); }
static void e32(struct body *b, uint32_t v) { e16(b, (uint16_t)v); e16(b, (uint16_t)(v >> 16)); }
static void e64(struct body *b, uint64_t v) { e32(b, (uint32_t)v); e32(b, (uint32_t)(v >> 32)); }

static void madt_lapic(struct body *b, uint8_t uid, uint8_t id, uint32_t flags)
{
	e8(b, 0), e8(b, 8), e8(b, uid), e8(b, id), e32(b, flags);
}

static void madt_ioapic(struct body *b, uint8_t id, uint32_t addr, uint32_t gsi_base)
{
	e8(b, 1), e8(b, 12), e8(b, id), e8(b, 0), e32(b, addr), e32(b, gsi_base);
}

static void madt_iso(struct body *b, uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	e8(b, 2), e8(b, 10), e8(b, bus), e8(b, irq), e32(b, gsi), e16(b, flags);
}

static void madt_nmi(struct body *b, uint8_t uid, uint16_t flags, uint8_t lint)
{
	e8(b, 4), e8(b, 6), e8(b, uid), e16(b, flags), e8(b, lint);
}

static void madt_x2apic(struct body *b, uint32_t id, uint32_t flags, uint32_t uid)
{
	e8(b, 9), e8(b, 16), e16(b, 0), e32(b, id), e32(b, flags), e32(b, uid);
}

static void madt_x2nmi(struct body *b, uint16_t flags, uint32_t uid, uint8_t lint)
{
	e8(b, 10), e8(b, 12), e16(b, flags), e32(b, uid), e8(b, lint), e8(b, 0), e16(b, 0);
}

/* The MADT of a 2-CPU PC: CPU 1 disabled, one IOAPIC, ISA overrides, an NMI. */
static uint64_t put_pc_madt(void)
{
	struct body b = { .n = 0 };

	e32(&b, 0xfee00000), e32(&b, 1); /* local APIC, PCAT_COMPAT */
	madt_lapic(&b, 0, 0, 1);
	madt_lapic(&b, 1, 1, 0);
	madt_ioapic(&b, 2, 0xfec00000, 0);
	madt_iso(&b, 0, 0, 2, 0);
	madt_iso(&b, 0, 9, 9, ACPI_POLARITY_LOW | ACPI_TRIGGER_LEVEL);
	madt_nmi(&b, 0xff, 0, 1);
	return put_table("APIC", 3, b.b, b.n);
}

static uint64_t put_hpet(uint8_t space, uint64_t base)
{
	struct body b = { .n = 0 };

	e32(&b, 0x8086a201);                       /* event timer block id */
	e8(&b, space), e8(&b, 64), e8(&b, 0), e8(&b, 0), e64(&b, base);
	e8(&b, 0), e16(&b, 0x80), e8(&b, 0);       /* number, min tick, protection */
	return put_table("HPET", 1, b.b, b.n);
}

/* Puts a GAS at p. */
static void gas(uint8_t *p, uint8_t space, uint8_t width, uint64_t addr)
{
	p[0] = space, p[1] = width, p[2] = 0, p[3] = 1;
	w64(p + 4, addr);
}

/*
 * A FADT of `len` bytes (116: ACPI 1.0, 276: ACPI 6) like QEMU q35's:
 * PM1a control 0x604, timer 0x608, reset register 0xcf9 = 6.
 */
static uint64_t put_fadt(uint32_t len, uint8_t rev, uint32_t dsdt)
{
	uint8_t t[276] = { 0 };

	w32(t + 40, dsdt);
	w16(t + 46, 9);         /* SCI */
	w32(t + 48, 0xb2);      /* SMI_CMD */
	t[52] = 0xf1;           /* ACPI_ENABLE */
	w32(t + 64, 0x604);     /* PM1a_CNT_BLK */
	w32(t + 76, 0x608);     /* PM_TMR_BLK */
	t[108] = 0x32;          /* century */
	w16(t + 109, ACPI_BOOT_8042 | ACPI_BOOT_LEGACY_DEVICES);
	w32(t + 112, (1u << 10) | (1u << 8)); /* RESET_REG_SUP, TMR_VAL_EXT */
	gas(t + 116, ACPI_GAS_IO, 8, 0xcf9);
	t[128] = 6;
	return put_table("FACP", rev, t + 36, len - 36);
}

/* A DSDT holding aml. */
static uint64_t put_dsdt(const uint8_t *aml, size_t n)
{
	return put_table("DSDT", 2, aml, n);
}

/* Name (_S5, Package (4) { 5, 5, 0, 0 }) as iasl encodes it, after some other AML. */
static const uint8_t aml_s5_bytes[] = {
	0x10, 0x05, '_', 'S', 'B', '_', 0x00,                   /* Scope (_SB) {} */
	0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
	0x5b, 0x80,                                             /* trailing bytes */
};

/* Addresses of a full set of tables. */
struct pc {
	uint64_t madt, hpet, fadt, dsdt, rsdt, xsdt, rsdp;
};

/* A complete, valid ACPI 2.0 set: RSDP -> XSDT and RSDT -> MADT, HPET, FADT -> DSDT. */
static struct pc put_pc(void)
{
	struct pc pc;
	uint64_t list[3];

	pc.dsdt = put_dsdt(aml_s5_bytes, sizeof(aml_s5_bytes));
	pc.fadt = put_fadt(276, 6, (uint32_t)pc.dsdt);
	pc.madt = put_pc_madt();
	pc.hpet = put_hpet(ACPI_GAS_MEMORY, 0xfed00000);
	list[0] = pc.madt, list[1] = pc.hpet, list[2] = pc.fadt;
	pc.rsdt = put_root(false, list, 3);
	pc.xsdt = put_root(true, list, 3);
	pc.rsdp = put_rsdp(2, pc.rsdt, pc.xsdt);
	return pc;
}

/* ---------------------------------------------------------------- parsing and logs */

static char logs[65536];

/* Whether some err or warn line of the last parse contains both a and b. */
static bool logged(const char *a, const char *b)
{
	for (const char *line = logs; *line; ) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char buf[512];

		snprintf(buf, sizeof(buf), "%.*s", (int)n, line);
		if ((strncmp(buf, "[err]", 5) == 0 || strncmp(buf, "[warn]", 6) == 0) &&
		    strstr(buf, a) && (!b || strstr(buf, b)))
			return true;
		line += n + (end != NULL);
	}
	return false;
}

/*
 * Runs acpi_parse with stdout (where the klog stub prints) captured into
 * logs, and checks that every err/warn line names a table.
 */
static int parse(uint64_t rsdp_pa, struct acpi_info *info)
{
	static const char *const names[] = { "RSDP", "RSDT", "XSDT", "MADT", "FADT", "HPET", "DSDT" };
	FILE *f = tmpfile();
	int saved, rc;
	size_t n;

	assert_non_null(f);
	fflush(stdout);
	saved = dup(1);
	assert_true(saved >= 0 && dup2(fileno(f), 1) == 1);
	rc = acpi_parse(&sim, PA(rsdp_pa), info);
	fflush(stdout);
	assert_true(dup2(saved, 1) == 1);
	close(saved);
	rewind(f);
	n = fread(logs, 1, sizeof(logs) - 1, f);
	logs[n] = '\0';
	fclose(f);
	fputs(logs, stdout);

	for (const char *line = logs; *line; ) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		bool named = false;

		if (strncmp(line, "[err]", 5) == 0 || strncmp(line, "[warn]", 6) == 0) {
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
				const char *hit = strstr(line, names[i]);

				named |= hit && hit < line + len;
			}
			if (!named)
				fail_msg("log line names no table: %.*s", (int)len, line);
		}
		line += len + (end != NULL);
	}
	return rc;
}

static void assert_zeroed(const struct acpi_info *info)
{
	static const struct acpi_info zero;

	assert_memory_equal(info, &zero, sizeof(zero));
}

/* ---------------------------------------------------------------- valid tables */

static void test_rsdp_v1_rsdt(void **state)
{
	uint64_t list[1], rsdp;
	struct acpi_info info;

	list[0] = put_pc_madt();
	rsdp = put_rsdp(0, put_root(false, list, 1), 0);
	assert_int_equal(parse(rsdp, &info), 0);
	assert_true(info.present);
	assert_int_equal(info.revision, 0);
	assert_string_equal(info.oem_id, "BOCHS");
	assert_false(info.xsdt_used);
	assert_true(info.madt_present);
	assert_int_equal(info.cpu_count, 2);
	assert_false(info.fadt_present);
	assert_true(logged("FADT", "none"));
}

static void test_rsdp_v2_prefers_xsdt(void **state)
{
	struct body b = { .n = 0 };
	uint64_t list[1], rsdt, xsdt;
	struct acpi_info info;

	e32(&b, 0xaaaa0000), e32(&b, 0);
	list[0] = put_table("APIC", 3, b.b, b.n); /* only the RSDT lists this one */
	rsdt = put_root(false, list, 1);
	list[0] = put_pc_madt();
	xsdt = put_root(true, list, 1);
	assert_int_equal(parse(put_rsdp(2, rsdt, xsdt), &info), 0);
	assert_true(info.xsdt_used);
	assert_int_equal(info.revision, 2);
	assert_int_equal(info.lapic_pa, 0xfee00000);
}

static void test_full_pc(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;

	assert_int_equal(parse(pc.rsdp, &info), 0);
	assert_true(info.present && info.xsdt_used && info.madt_present);
	assert_true(info.hpet_present && info.fadt_present && info.s5_valid);
	assert_false(logged("", NULL)); /* a good set logs no warning */
}

static void test_madt_cpus(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;

	assert_int_equal(parse(pc.rsdp, &info), 0);
	assert_int_equal(info.lapic_pa, 0xfee00000);
	assert_true(info.pic_present);
	assert_int_equal(info.cpu_count, 2);
	assert_int_equal(info.cpus[0].apic_id, 0);
	assert_true(info.cpus[0].enabled);
	assert_int_equal(info.cpus[1].acpi_id, 1);
	assert_int_equal(info.cpus[1].apic_id, 1);
	assert_false(info.cpus[1].enabled);
}

static void test_madt_ioapic_and_overrides(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;
	uint16_t flags = 0xffff;

	assert_int_equal(parse(pc.rsdp, &info), 0);
	assert_int_equal(info.ioapic_count, 1);
	assert_int_equal(info.ioapics[0].id, 2);
	assert_int_equal(info.ioapics[0].pa, 0xfec00000);
	assert_int_equal(info.ioapics[0].gsi_base, 0);
	assert_int_equal(info.override_count, 2);
	assert_int_equal(acpi_isa_irq_to_gsi(&info, 0, &flags), 2);
	assert_int_equal(flags, 0);
	assert_int_equal(acpi_isa_irq_to_gsi(&info, 9, &flags), 9);
	assert_int_equal(flags & ACPI_POLARITY_MASK, ACPI_POLARITY_LOW);
	assert_int_equal(flags & ACPI_TRIGGER_MASK, ACPI_TRIGGER_LEVEL);
	flags = 0xffff;
	assert_int_equal(acpi_isa_irq_to_gsi(&info, 4, &flags), 4);
	assert_int_equal(flags, 0);
	assert_int_equal(acpi_isa_irq_to_gsi(&info, 1, NULL), 1);
}

static void test_isa_irq_without_acpi(void **state)
{
	struct acpi_info info;
	uint16_t flags = 0xffff;

	memset(&info, 0, sizeof(info));
	assert_int_equal(acpi_isa_irq_to_gsi(&info, 0, &flags), 0);
	assert_int_equal(flags, 0);
	assert_int_equal(acpi_isa_irq_to_gsi(NULL, 7, &flags), 7);
}

static void test_madt_nmis_x2apic_and_address_override(void **state)
{
	struct body b = { .n = 0 };
	uint64_t list[1];
	struct acpi_info info;

	e32(&b, 0xfee00000), e32(&b, 0);
	madt_lapic(&b, 0, 0, 1);
	madt_x2apic(&b, 0, 1, 0);            /* the same CPU again: listed once */
	madt_x2apic(&b, 300, 1, 7);
	madt_nmi(&b, 0xff, 0x5, 1);
	madt_nmi(&b, 3, 0, 0);
	madt_x2nmi(&b, 0xd, 7, 1);
	e8(&b, 5), e8(&b, 12), e16(&b, 0), e64(&b, 0x1fee00000ull); /* LAPIC address override */
	madt_nmi(&b, 4, 0, 2);               /* LINT2 does not exist: skipped */
	list[0] = put_table("APIC", 5, b.b, b.n);
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), &info), 0);
	assert_int_equal(info.cpu_count, 2);
	assert_int_equal(info.cpus[1].apic_id, 300);
	assert_int_equal(info.cpus[1].acpi_id, 7);
	assert_int_equal(info.lapic_pa, 0x1fee00000ull);
	assert_false(info.pic_present);
	assert_int_equal(info.nmi_count, 3);
	assert_int_equal(info.nmis[0].acpi_cpu, ACPI_CPU_ALL);
	assert_int_equal(info.nmis[0].lint, 1);
	assert_int_equal(info.nmis[0].flags, 0x5);
	assert_int_equal(info.nmis[1].acpi_cpu, 3);
	assert_int_equal(info.nmis[1].lint, 0);
	assert_int_equal(info.nmis[2].acpi_cpu, 7);
	assert_int_equal(info.nmis[2].flags, 0xd);
	assert_true(logged("MADT", "LINT2"));
	assert_true(logged("MADT", "no IOAPIC"));
}

static void test_madt_limits(void **state)
{
	struct body b = { .n = 0 };
	uint64_t list[1];
	struct acpi_info info;

	e32(&b, 0xfee00000), e32(&b, 0);
	for (unsigned i = 0; i < ACPI_MAX_CPUS + 6; i++)
		madt_lapic(&b, (uint8_t)i, (uint8_t)i, 1);
	madt_iso(&b, 1, 5, 5, 0);            /* not ISA */
	madt_iso(&b, 0, 16, 16, 0);          /* not an ISA IRQ */
	madt_ioapic(&b, 9, 0, 0);            /* address 0 */
	e8(&b, 1), e8(&b, 8), e16(&b, 0), e32(&b, 0xfec00000); /* IOAPIC entry too short */
	e8(&b, 0x7f), e8(&b, 3), e8(&b, 0);  /* unknown type: skipped silently */
	list[0] = put_table("APIC", 5, b.b, b.n);
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), &info), 0);
	assert_int_equal(info.cpu_count, ACPI_MAX_CPUS);
	assert_int_equal(info.madt_dropped, 6);
	assert_int_equal(info.override_count, 0);
	assert_int_equal(info.ioapic_count, 0);
	assert_true(logged("MADT", "beyond"));
	assert_true(logged("MADT", "not ISA"));
	assert_true(logged("MADT", "address 0"));
	assert_true(logged("MADT", "short entry"));
}

static void test_hpet(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;

	assert_int_equal(parse(pc.rsdp, &info), 0);
	assert_true(info.hpet_present);
	assert_int_equal(info.hpet_pa, 0xfed00000);
	assert_int_equal(info.hpet_number, 0);
	assert_int_equal(info.hpet_min_tick, 0x80);
}

static void test_hpet_not_in_memory(void **state)
{
	uint64_t list[1];
	struct acpi_info info;

	list[0] = put_hpet(ACPI_GAS_IO, 0x1000);
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), &info), 0);
	assert_false(info.hpet_present);
	assert_true(logged("HPET", "not memory"));
}

static void test_fadt_fields(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;

	assert_int_equal(parse(pc.rsdp, &info), 0);
	assert_true(info.fadt_present);
	assert_int_equal(info.sci_irq, 9);
	assert_int_equal(info.smi_cmd, 0xb2);
	assert_int_equal(info.acpi_enable, 0xf1);
	assert_int_equal(info.pm1a_cnt, 0x604);
	assert_int_equal(info.pm1b_cnt, 0);
	assert_int_equal(info.pm_timer_port, 0x608);
	assert_true(info.pm_timer_32bit);
	assert_int_equal(info.century, 0x32);
	assert_int_equal(info.iapc_boot_arch, ACPI_BOOT_8042 | ACPI_BOOT_LEGACY_DEVICES);
	assert_true(info.reset_supported);
	assert_int_equal(info.reset_reg.space_id, ACPI_GAS_IO);
	assert_int_equal(info.reset_reg.bit_width, 8);
	assert_int_equal(info.reset_reg.address, 0xcf9);
	assert_int_equal(info.reset_value, 6);
	assert_int_equal(info.dsdt_pa, pc.dsdt);
	assert_false(info.hw_reduced);
}

static void test_fadt_x_fields_win(void **state)
{
	uint64_t dsdt = put_dsdt(aml_s5_bytes, sizeof(aml_s5_bytes));
	uint64_t fadt = put_fadt(276, 6, 0xdead0000), list[1];
	struct acpi_info info;

	w64(at(fadt) + 140, dsdt);                       /* X_DSDT */
	gas(at(fadt) + 172, ACPI_GAS_IO, 16, 0xb004);    /* X_PM1a_CNT_BLK */
	gas(at(fadt) + 184, ACPI_GAS_MEMORY, 16, 0xfe000000); /* X_PM1b: not a port */
	gas(at(fadt) + 208, ACPI_GAS_IO, 32, 0xb008);    /* X_PM_TMR_BLK */
	fix_table(fadt);
	list[0] = fadt;
	assert_int_equal(parse(put_rsdp(2, 0, put_root(true, list, 1)), &info), 0);
	assert_int_equal(info.dsdt_pa, dsdt);
	assert_int_equal(info.pm1a_cnt, 0xb004);
	assert_int_equal(info.pm1b_cnt, 0);
	assert_int_equal(info.pm_timer_port, 0xb008);
	assert_true(info.s5_valid);
	assert_true(logged("FADT", "X_PM1b_CNT_BLK"));
}

static void test_fadt_acpi1(void **state)
{
	uint64_t dsdt = put_dsdt(aml_s5_bytes, sizeof(aml_s5_bytes));
	uint64_t list[1];
	struct acpi_info info;

	list[0] = put_fadt(116, 1, (uint32_t)dsdt);
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), &info), 0);
	assert_true(info.fadt_present);
	assert_int_equal(info.pm1a_cnt, 0x604);
	assert_int_equal(info.iapc_boot_arch, 0); /* reserved in ACPI 1.0 */
	assert_false(info.reset_supported);     /* not in a 116-byte FADT */
	assert_int_equal(info.dsdt_pa, dsdt);
	assert_true(info.s5_valid);
}

static void test_fadt_reset_register_unusable(void **state)
{
	uint64_t fadt = put_fadt(276, 6, 0), list[1];
	struct acpi_info info;

	gas(at(fadt) + 116, ACPI_GAS_IO, 8, 0);
	fix_table(fadt);
	list[0] = fadt;
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), &info), 0);
	assert_true(info.fadt_present);
	assert_false(info.reset_supported);
	assert_false(info.s5_valid);
	assert_true(logged("FADT", "reset register"));
}

/* ---------------------------------------------------------------- \_S5 */

/* Parses a set whose DSDT holds aml; returns the result. */
static struct acpi_info parse_with_dsdt(const uint8_t *aml, size_t n)
{
	uint64_t list[1];
	struct acpi_info info;

	list[0] = put_fadt(276, 6, (uint32_t)put_dsdt(aml, n));
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), &info), 0);
	return info;
}

static void test_s5_byte_prefix(void **state)
{
	struct acpi_info info = parse_with_dsdt(aml_s5_bytes, sizeof(aml_s5_bytes));

	assert_true(info.s5_valid);
	assert_int_equal(info.slp_typa, 5);
	assert_int_equal(info.slp_typb, 5);
	assert_int_equal(acpi_pm1_sleep_bits(info.slp_typa), (5 << 10) | ACPI_PM1_SLP_EN);
}

static void test_s5_zero_one_ops_and_root_prefix(void **state)
{
	/* Name (\_S5, Package (4) { Zero, One, Zero, Zero }) */
	static const uint8_t aml[] = {
		0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x01, 0x00, 0x00,
	};
	struct acpi_info info = parse_with_dsdt(aml, sizeof(aml));

	assert_true(info.s5_valid);
	assert_int_equal(info.slp_typa, 0);
	assert_int_equal(info.slp_typb, 1);
}

static void test_s5_two_byte_pkglength(void **state)
{
	static const uint8_t aml[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x49, 0x00, 0x04, 0x0a, 0x07, 0x0a, 0x03, 0x00, 0x00,
	};
	struct acpi_info info = parse_with_dsdt(aml, sizeof(aml));

	assert_true(info.s5_valid);
	assert_int_equal(info.slp_typa, 7);
	assert_int_equal(info.slp_typb, 3);
}

static void test_s5_skips_references_and_non_packages(void **state)
{
	static const uint8_t aml[] = {
		0x70, '\\', '_', 'S', '5', '_', 0x60,                  /* Store (\_S5, Local0) */
		0x08, '_', 'S', '5', '_', 0x0a, 0x05,                  /* Name (_S5, 5) */
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x06, 0x0a, 0x02,
	};
	struct acpi_info info = parse_with_dsdt(aml, sizeof(aml));

	assert_true(info.s5_valid);
	assert_int_equal(info.slp_typa, 6);
	assert_int_equal(info.slp_typb, 2);
}

static void test_s5_missing_or_malformed(void **state)
{
	static const uint8_t none[] = { 0x10, 0x05, '_', 'S', 'B', '_', 0x00 };
	static const uint8_t too_big[] = { /* a value that is no sleep type */
		0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x08, 0x00,
	};
	static const uint8_t one_element[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x05,
	};
	static const uint8_t past_end[] = { /* PkgLength runs past the DSDT */
		0x08, '_', 'S', '5', '_', 0x12, 0x3f, 0x04, 0x0a, 0x05, 0x0a, 0x05,
	};
	static const uint8_t truncated[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x4f };
	static const uint8_t word_value[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0b, 0x05, 0x00, 0x00,
	};
	const struct { const uint8_t *aml; size_t n; } cases[] = {
		{ none, sizeof(none) }, { too_big, sizeof(too_big) },
		{ one_element, sizeof(one_element) }, { past_end, sizeof(past_end) },
		{ truncated, sizeof(truncated) }, { word_value, sizeof(word_value) },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct acpi_info info = parse_with_dsdt(cases[i].aml, cases[i].n);

		assert_true(info.fadt_present);
		assert_false(info.s5_valid);
		assert_true(logged("DSDT", "_S5"));
	}
}

static void test_dsdt_bad(void **state)
{
	uint64_t dsdt = put_dsdt(aml_s5_bytes, sizeof(aml_s5_bytes)), list[2];
	struct acpi_info info;

	at(dsdt)[40] ^= 1; /* checksum now wrong */
	list[0] = put_fadt(276, 6, (uint32_t)dsdt);
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), &info), 0);
	assert_false(info.s5_valid);
	assert_true(logged("DSDT", "bad checksum"));

	list[0] = put_fadt(276, 6, (uint32_t)list[0]); /* a "DSDT" that is a FADT */
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), &info), 0);
	assert_false(info.s5_valid);
	assert_true(logged("DSDT", "wrong signature"));
}

/* ---------------------------------------------------------------- bad RSDP */

static void test_rsdp_bad_signature(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;

	at(pc.rsdp)[3] = 'X';
	fix_sum(at(pc.rsdp), 20, 8);
	assert_int_equal(parse(pc.rsdp, &info), -ENOENT);
	assert_zeroed(&info);
	assert_true(logged("RSDP", "signature"));
}

static void test_rsdp_bad_checksum(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;

	at(pc.rsdp)[8]++;
	assert_int_equal(parse(pc.rsdp, &info), -ENOENT);
	assert_false(info.present);
	assert_true(logged("RSDP", "checksum"));
}

static void test_rsdp_revision_1(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;

	at(pc.rsdp)[15] = 1;
	fix_sum(at(pc.rsdp), 20, 8);
	assert_int_equal(parse(pc.rsdp, &info), -ENOENT);
	assert_true(logged("RSDP", "revision"));
}

static void test_rsdp_missing(void **state)
{
	struct acpi_info info;

	assert_int_equal(parse(0, &info), -ENOENT);
	assert_zeroed(&info);
	assert_true(logged("RSDP", NULL));
	assert_int_equal(parse(0xfffffffffffffff0ull, &info), -ENOENT); /* wraps */
	assert_int_equal(parse(MEM_BASE + MEM_SIZE - 10, &info), -ENOENT); /* half mapped */
	assert_true(logged("RSDP", NULL));
}

static void test_rsdp_bad_extended_checksum_uses_rsdt(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;

	at(pc.rsdp)[33] = 0x55; /* reserved byte: only the extended checksum covers it */
	assert_int_equal(parse(pc.rsdp, &info), 0);
	assert_false(info.xsdt_used);
	assert_true(info.madt_present);
	assert_true(logged("RSDP", "extended checksum"));

	w32(at(pc.rsdp) + 20, 0x7fffffff); /* absurd v2 length */
	fix_sum(at(pc.rsdp), 36, 32);
	assert_int_equal(parse(pc.rsdp, &info), 0);
	assert_false(info.xsdt_used);
	assert_true(logged("RSDP", "length"));
}

/* ---------------------------------------------------------------- bad root tables */

static void test_bad_xsdt_falls_back_to_rsdt(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;

	at(pc.xsdt)[40] ^= 0xff; /* entry 0 changes: checksum wrong */
	assert_int_equal(parse(pc.rsdp, &info), 0);
	assert_false(info.xsdt_used);
	assert_true(info.madt_present && info.fadt_present && info.hpet_present);
	assert_true(logged("XSDT", "bad checksum"));
	assert_true(logged("XSDT", "RSDT"));
}

static void test_no_usable_root(void **state)
{
	struct pc pc = put_pc();
	struct acpi_info info;

	at(pc.xsdt)[40] ^= 0xff;
	memcpy(at(pc.rsdt), "RSDX", 4);
	assert_int_equal(parse(pc.rsdp, &info), -ENOENT);
	assert_zeroed(&info);
	assert_true(logged("RSDT", "wrong signature"));
}

static void test_root_duplicates_and_cycles(void **state)
{
	struct pc pc = put_pc();
	uint64_t list[7], xsdt;
	struct acpi_info info;

	xsdt = alloc(36 + 8 * 7); /* the XSDT lists itself, the RSDP and tables twice */
	list[0] = xsdt, list[1] = pc.rsdp, list[2] = pc.madt, list[3] = pc.madt;
	list[4] = pc.rsdt, list[5] = pc.fadt, list[6] = pc.fadt;
	memcpy(at(xsdt), "XSDT", 4);
	w32(at(xsdt) + 4, 36 + 8 * 7);
	for (int i = 0; i < 7; i++)
		w64(at(xsdt) + 36 + 8 * i, list[i]);
	fix_table(xsdt);
	assert_int_equal(parse(put_rsdp(2, 0, xsdt), &info), 0);
	assert_true(info.xsdt_used);
	assert_int_equal(info.cpu_count, 2);
	assert_int_equal(info.override_count, 2);
	assert_true(logged("XSDT", "second MADT"));
	assert_true(logged("XSDT", "second FADT"));
}

static void test_root_entry_count_bounded(void **state)
{
	static uint64_t list[1000];
	struct pc pc = put_pc();
	struct acpi_info info;

	for (size_t i = 0; i < 1000; i++)
		list[i] = pc.hpet + (i % 2) * 0x100000000ull; /* half unmapped */
	pc.xsdt = put_root(true, list, 1000);
	map_calls = 0;
	assert_int_equal(parse(put_rsdp(2, 0, pc.xsdt), &info), 0);
	assert_true(map_calls <= 5 + 64 * 3);
	assert_true(info.hpet_present);
	assert_true(logged("XSDT", "first 64"));
	assert_true(logged("XSDT", "not accessible"));
}

static void test_unmapped_entries_skipped(void **state)
{
	struct pc pc = put_pc();
	uint64_t list[4] = { 0, 0x100000000ull, MEM_BASE + MEM_SIZE - 8, 0 };
	struct acpi_info info;

	list[3] = pc.madt;
	assert_int_equal(parse(put_rsdp(2, 0, put_root(true, list, 4)), &info), 0);
	assert_true(info.madt_present);
	assert_true(logged("XSDT", "entry 0"));
	assert_true(logged("XSDT", "entry 1"));
	assert_true(logged("XSDT", "entry 2"));
}

/* ---------------------------------------------------------------- bad MADT */

/* Parses an RSDT listing only the table at pa. */
static void parse_one(uint64_t pa, struct acpi_info *info)
{
	uint64_t list[1] = { pa };

	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), info), 0);
}

static void test_madt_bad_checksum(void **state)
{
	uint64_t madt = put_pc_madt();
	struct acpi_info info;

	at(madt)[50]++;
	parse_one(madt, &info);
	assert_false(info.madt_present);
	assert_int_equal(info.cpu_count, 0);
	assert_true(logged("MADT", "bad checksum"));
	assert_true(logged("MADT", "legacy PIC"));
}

static void test_madt_shorter_than_fixed_part(void **state)
{
	uint64_t madt = put_pc_madt();
	struct acpi_info info;

	w32(at(madt) + 4, 40); /* a header and half the fixed part */
	fix_table(madt);
	parse_one(madt, &info);
	assert_false(info.madt_present);
	assert_true(logged("MADT", "length out of range"));
}

static void test_table_shorter_than_header(void **state)
{
	uint64_t hpet = put_hpet(ACPI_GAS_MEMORY, 0xfed00000);
	struct acpi_info info;

	w32(at(hpet) + 4, 20);
	fix_table(hpet);
	parse_one(hpet, &info);
	assert_false(info.hpet_present);
	assert_true(logged("HPET", "length out of range"));
}

static void test_table_length_absurd(void **state)
{
	uint64_t madt = put_pc_madt(), fadt = put_fadt(276, 6, 0), list[2];
	struct acpi_info info;

	w32(at(madt) + 4, 0xffffffff);   /* beyond any table */
	w32(at(fadt) + 4, 0x100000);     /* plausible, but past accessible memory */
	list[0] = madt, list[1] = fadt;
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 2), 0), &info), 0);
	assert_false(info.madt_present);
	assert_false(info.fadt_present);
	assert_true(logged("MADT", "length out of range"));
	assert_true(logged("FADT", "inaccessible"));
}

static void test_table_header_unmapped(void **state)
{
	uint64_t pa = MEM_BASE + MEM_SIZE - 20, list[1];
	struct acpi_info info;

	memcpy(at(pa), "APIC", 4); /* a signature, but the header runs off the end */
	list[0] = pa;
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), &info), 0);
	assert_false(info.madt_present);
	assert_true(logged("RSDT", "not accessible"));
}

/* Builds a MADT with one CPU, then a raw tail of entry bytes. */
static uint64_t put_madt_with_tail(const uint8_t *tail, size_t n)
{
	struct body b = { .n = 0 };

	e32(&b, 0xfee00000), e32(&b, 0);
	madt_lapic(&b, 0, 0, 1);
	for (size_t i = 0; i < n; i++)
		e8(&b, tail[i]);
	return put_table("APIC", 3, b.b, b.n);
}

static void test_madt_entry_length_zero(void **state)
{
	static const uint8_t tail[] = { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0 };
	struct acpi_info info;

	parse_one(put_madt_with_tail(tail, sizeof(tail)), &info);
	assert_true(info.madt_present);
	assert_int_equal(info.cpu_count, 1);
	assert_int_equal(info.ioapic_count, 0);
	assert_true(logged("MADT", "bad entry length"));
}

static void test_madt_entry_runs_past_end(void **state)
{
	static const uint8_t tail[] = { 0x01, 0x0c, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xfe };
	static const uint8_t stray[] = { 0x01 };
	struct acpi_info info;

	parse_one(put_madt_with_tail(tail, sizeof(tail)), &info);
	assert_int_equal(info.cpu_count, 1);
	assert_int_equal(info.ioapic_count, 0);
	assert_true(logged("MADT", "bad entry length"));

	parse_one(put_madt_with_tail(stray, sizeof(stray)), &info);
	assert_int_equal(info.cpu_count, 1);
	assert_true(logged("MADT", "bad entry length"));
}

static void test_madt_without_ioapic(void **state)
{
	uint64_t madt = put_madt_with_tail(NULL, 0);
	struct acpi_info info;

	parse_one(madt, &info);
	assert_true(info.madt_present);
	assert_int_equal(info.ioapic_count, 0);
	assert_int_equal(acpi_isa_irq_to_gsi(&info, 0, NULL), 0);
	assert_true(logged("MADT", "no IOAPIC"));
}

static void test_fadt_too_short(void **state)
{
	uint64_t list[1];
	struct acpi_info info;

	list[0] = put_fadt(100, 1, 0);
	assert_int_equal(parse(put_rsdp(0, put_root(false, list, 1), 0), &info), 0);
	assert_false(info.fadt_present);
	assert_true(logged("FADT", "length out of range"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rsdp_v1_rsdt),
		T(test_rsdp_v2_prefers_xsdt),
		T(test_full_pc),
		T(test_madt_cpus),
		T(test_madt_ioapic_and_overrides),
		T(test_isa_irq_without_acpi),
		T(test_madt_nmis_x2apic_and_address_override),
		T(test_madt_limits),
		T(test_hpet),
		T(test_hpet_not_in_memory),
		T(test_fadt_fields),
		T(test_fadt_x_fields_win),
		T(test_fadt_acpi1),
		T(test_fadt_reset_register_unusable),
		T(test_s5_byte_prefix),
		T(test_s5_zero_one_ops_and_root_prefix),
		T(test_s5_two_byte_pkglength),
		T(test_s5_skips_references_and_non_packages),
		T(test_s5_missing_or_malformed),
		T(test_dsdt_bad),
		T(test_rsdp_bad_signature),
		T(test_rsdp_bad_checksum),
		T(test_rsdp_revision_1),
		T(test_rsdp_missing),
		T(test_rsdp_bad_extended_checksum_uses_rsdt),
		T(test_bad_xsdt_falls_back_to_rsdt),
		T(test_no_usable_root),
		T(test_root_duplicates_and_cycles),
		T(test_root_entry_count_bounded),
		T(test_unmapped_entries_skipped),
		T(test_madt_bad_checksum),
		T(test_madt_shorter_than_fixed_part),
		T(test_table_shorter_than_header),
		T(test_table_length_absurd),
		T(test_table_header_unmapped),
		T(test_madt_entry_length_zero),
		T(test_madt_entry_runs_past_end),
		T(test_madt_without_ioapic),
		T(test_fadt_too_short),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
