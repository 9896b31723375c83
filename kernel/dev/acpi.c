/* ACPI table discovery: every table is bounds- and checksum-checked before it is read. */

/*
 * Each table passes map_table() (header, signature, length bounds, whole
 * length mapped, checksum) before any field is read, each field guarded by
 * the length that covers it; a failed check is logged with the table's name
 * and the table ignored. Walks are bounded: ROOT_MAX_ENTRIES root entries,
 * the first valid table of each kind, MADT entries of at least 2 bytes.
 */
#include "dev/acpi.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"

#define SDT_HEADER_LEN   36
#define RSDP_V1_LEN      20
#define RSDP_V2_LEN      36
#define RSDP_MAX_LEN     4096
#define TABLE_MAX_LEN    (4u << 20) /* beyond any sane DSDT */
#define ROOT_MAX_ENTRIES 64

#define MADT_ENTRIES      44 /* offset of the first interrupt controller entry */
#define MADT_PCAT_COMPAT  0x1
#define MADT_CPU_ENABLED  0x1
#define HPET_LEN          56
#define FADT_V1_LEN       116
#define FADT_TMR_VAL_EXT  (1u << 8)
#define FADT_RESET_REG    (1u << 10)
#define FADT_HW_REDUCED   (1u << 20)

enum madt_type {
	MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4,
	MADT_LAPIC_ADDR = 5, MADT_X2APIC = 9, MADT_X2APIC_NMI = 10,
};

/* Minimum length of each MADT entry type this file reads (0: not read). */
static const uint8_t madt_min_len[] = {
	[MADT_LAPIC] = 8, [MADT_IOAPIC] = 12, [MADT_ISO] = 10, [MADT_LAPIC_NMI] = 6,
	[MADT_LAPIC_ADDR] = 12, [MADT_X2APIC] = 16, [MADT_X2APIC_NMI] = 12,
};

/* Little-endian loads; firmware tables are packed, so nothing is aligned. */
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static struct acpi_gas rd_gas(const uint8_t *p)
{
	return (struct acpi_gas){ p[0], p[1], p[2], p[3], rd64(p + 4) };
}

/* Sum of n bytes modulo 256: 0 for a table with a correct checksum. */
static uint8_t byte_sum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

/* map() that also refuses ranges wrapping past the top of physical memory. */
static const uint8_t *map_range(const struct acpi_mem *mem, paddr_t pa, size_t len)
{
	return pa.pa > UINT64_MAX - len ? NULL : mem->map(mem->arg, pa, len);
}

/*
 * Maps the table at pa, which must have signature sig and a length from
 * min_len to TABLE_MAX_LEN, and checks its checksum; `name` is what logs
 * call it. Returns the table with its length in *len_out, or NULL after
 * logging the check that failed.
 */
static const uint8_t *map_table(const struct acpi_mem *mem, paddr_t pa, const char *sig,
				const char *name, uint32_t min_len, uint32_t *len_out)
{
	const uint8_t *t = map_range(mem, pa, SDT_HEADER_LEN);
	uint32_t len = t ? rd32(t + 4) : 0;
	const char *why;

	if (!t)
		why = "header not accessible";
	else if (memcmp(t, sig, 4) != 0)
		why = "wrong signature";
	else if (len < min_len || len > TABLE_MAX_LEN)
		why = "length out of range";
	else if (!(t = map_range(mem, pa, len)))
		why = "length runs into inaccessible memory";
	else if (byte_sum(t, len) != 0)
		why = "bad checksum";
	else {
		*len_out = len;
		return t;
	}
	log_err("acpi", "%s at %#lx: %s (length %u): ignored", name, pa.pa, why, len);
	return NULL;
}

/* Keeps a processor unless its APIC id is already listed or the list is full. */
static void add_cpu(struct acpi_info *out, uint32_t acpi_id, uint32_t apic_id, uint32_t flags)
{
	for (unsigned i = 0; i < out->cpu_count; i++)
		if (out->cpus[i].apic_id == apic_id)
			return; /* firmware may list a CPU as both xAPIC and x2APIC */
	if (out->cpu_count < ACPI_MAX_CPUS)
		out->cpus[out->cpu_count++] = (struct acpi_cpu){ acpi_id, apic_id,
								 flags & MADT_CPU_ENABLED };
	else
		out->madt_dropped++;
}

static void add_nmi(struct acpi_info *out, uint32_t acpi_cpu, uint8_t lint, uint16_t flags,
		    unsigned off)
{
	if (lint > 1)
		log_warn("acpi", "MADT: NMI entry at offset %u names LINT%u: skipped", off, lint);
	else if (out->nmi_count < ACPI_MAX_NMIS)
		out->nmis[out->nmi_count++] = (struct acpi_nmi){ acpi_cpu, lint, flags };
	else
		out->madt_dropped++;
}

/* Reads one MADT entry e of length len (already checked to lie in the table). */
static void madt_entry(struct acpi_info *out, const uint8_t *e, uint8_t len, unsigned off)
{
	uint8_t type = e[0];

	if (type >= sizeof(madt_min_len) || madt_min_len[type] == 0)
		return; /* a type this kernel does not use */
	if (len < madt_min_len[type]) {
		log_warn("acpi", "MADT: short entry (type %u) at offset %u: skipped", type, off);
		return;
	}
	switch (type) {
	case MADT_LAPIC:
		add_cpu(out, e[2], e[3], rd32(e + 4));
		break;
	case MADT_X2APIC:
		add_cpu(out, rd32(e + 12), rd32(e + 4), rd32(e + 8));
		break;
	case MADT_IOAPIC:
		if (rd32(e + 4) == 0)
			log_warn("acpi", "MADT: IOAPIC at offset %u has address 0: skipped", off);
		else if (out->ioapic_count < ACPI_MAX_IOAPICS)
			out->ioapics[out->ioapic_count++] =
				(struct acpi_ioapic){ e[2], rd32(e + 4), rd32(e + 8) };
		else
			out->madt_dropped++;
		break;
	case MADT_ISO:
		if (e[2] != 0 || e[3] >= 16)
			log_warn("acpi", "MADT: override at offset %u is not ISA: skipped", off);
		else if (out->override_count < ACPI_MAX_OVERRIDES)
			out->overrides[out->override_count++] =
				(struct acpi_override){ e[3], rd32(e + 4), rd16(e + 8) };
		else
			out->madt_dropped++;
		break;
	case MADT_LAPIC_NMI:
		add_nmi(out, e[2] == 0xff ? ACPI_CPU_ALL : e[2], e[5], rd16(e + 3), off);
		break;
	case MADT_X2APIC_NMI:
		add_nmi(out, rd32(e + 4), e[8], rd16(e + 2), off);
		break;
	case MADT_LAPIC_ADDR:
		out->lapic_pa = rd64(e + 4);
		break;
	}
}

/* MADT ("APIC"): local APICs, IOAPICs, overrides, NMIs. False if unusable. */
static bool parse_madt(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
	uint32_t off;

	out->madt_present = true;
	out->lapic_pa = rd32(t + 36);
	out->pic_present = rd32(t + 40) & MADT_PCAT_COMPAT;
	for (off = MADT_ENTRIES; off < len; off += t[off + 1]) {
		if (len - off < 2 || t[off + 1] < 2 || t[off + 1] > len - off) {
			log_err("acpi", "MADT: bad entry length at offset %u (%u bytes left): walk stopped",
				off, len - off);
			break;
		}
		madt_entry(out, t + off, t[off + 1], off);
	}
	if (out->madt_dropped)
		log_warn("acpi", "MADT: %u entries beyond this kernel's limits ignored",
			 out->madt_dropped);
	if (out->cpu_count == 0)
		log_warn("acpi", "MADT: no processor entries: only the boot CPU runs");
	if (out->ioapic_count == 0)
		log_warn("acpi", "MADT: no IOAPIC: interrupts stay on the legacy PIC");
	return true;
}

/* HPET: the first timer block's base, which must be in memory space. */
static bool parse_hpet(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
	struct acpi_gas base = rd_gas(t + 40);

	if (base.space_id != ACPI_GAS_MEMORY || base.address == 0) {
		log_err("acpi", "HPET: base %#lx in space %u, not memory: ignored", base.address,
			base.space_id);
		return false;
	}
	out->hpet_present = true;
	out->hpet_pa = base.address;
	out->hpet_number = t[52];
	out->hpet_min_tick = rd16(t + 53);
	return true;
}

/* Replaces *port by the FADT's X_ block at off if present and an I/O port. */
static void fadt_x_port(const uint8_t *t, uint32_t len, uint32_t off, const char *what,
			uint32_t *port)
{
	struct acpi_gas gas = len >= off + 12 ? rd_gas(t + off) : (struct acpi_gas){ 0 };

	if (gas.address != 0 && gas.space_id == ACPI_GAS_IO && gas.address <= 0xffff)
		*port = (uint32_t)gas.address;
	else if (gas.address != 0)
		log_warn("acpi", "FADT: X_%s (space %u, address %#lx) is not an I/O port: using %#x",
			 what, gas.space_id, gas.address, *port);
}

/* FADT ("FACP"): power-management ports, reset register, boot flags, DSDT. */
static bool parse_fadt(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
	uint32_t flags = rd32(t + 112);

	out->fadt_present = true;
	out->dsdt_pa = rd32(t + 40);
	out->sci_irq = rd16(t + 46);
	out->smi_cmd = rd32(t + 48);
	out->acpi_enable = t[52];
	out->pm1a_cnt = rd32(t + 64);
	out->pm1b_cnt = rd32(t + 68);
	out->pm_timer_port = rd32(t + 76);
	out->century = t[108];
	out->iapc_boot_arch = t[8] >= 2 ? rd16(t + 109) : 0; /* reserved in ACPI 1.0 */
	out->pm_timer_32bit = flags & FADT_TMR_VAL_EXT;
	out->hw_reduced = flags & FADT_HW_REDUCED;
	if (len >= 129 && (flags & FADT_RESET_REG)) {
		out->reset_reg = rd_gas(t + 116);
		out->reset_value = t[128];
		out->reset_supported = out->reset_reg.address != 0 &&
				       out->reset_reg.space_id <= ACPI_GAS_PCI;
		if (!out->reset_supported)
			log_warn("acpi", "FADT: reset register (space %u, address %#lx) unusable",
				 out->reset_reg.space_id, out->reset_reg.address);
	}
	if (len >= 148 && rd64(t + 140) != 0)
		out->dsdt_pa = rd64(t + 140);
	fadt_x_port(t, len, 172, "PM1a_CNT_BLK", &out->pm1a_cnt);
	fadt_x_port(t, len, 184, "PM1b_CNT_BLK", &out->pm1b_cnt);
	fadt_x_port(t, len, 208, "PM_TMR_BLK", &out->pm_timer_port);
	if (out->pm1a_cnt == 0 && !out->hw_reduced)
		log_warn("acpi", "FADT: no PM1a control block: no ACPI power-off");
	return true;
}

/*
 * Reads the AML integer constant at *pos, before end: ZeroOp, OneOp or
 * BytePrefix, the encodings iasl emits for 0..7. Anything else is false.
 */
static bool aml_small_integer(const uint8_t *p, uint32_t end, uint32_t *pos, uint32_t *value)
{
	if (*pos < end && p[*pos] <= 0x01) {
		*value = p[(*pos)++];
		return true;
	}
	if (*pos < end && end - *pos >= 2 && p[*pos] == 0x0a) {
		*value = p[*pos + 1];
		*pos += 2;
		return true;
	}
	return false;
}

/*
 * Reads "PackageOp PkgLength NumElements a b ..." from the n bytes at p,
 * all within the package's own length. True if a and b are sleep types.
 */
static bool s5_package(const uint8_t *p, uint32_t n, uint8_t *typa, uint8_t *typb)
{
	uint32_t extra, pkg_len, pos, a, b;

	if (n < 2 || p[0] != 0x12) /* PackageOp */
		return false;
	p++;
	n--;
	extra = p[0] >> 6; /* PkgLength bytes after the lead byte */
	if (n < 1 + extra)
		return false;
	pkg_len = extra == 0 ? p[0] & 0x3fu : p[0] & 0x0fu;
	for (uint32_t i = 1; i <= extra; i++)
		pkg_len |= (uint32_t)p[i] << (8 * i - 4);
	pos = 1 + extra;
	if (pkg_len > n || pkg_len <= pos || p[pos] < 2) /* NumElements */
		return false;
	pos++;
	if (!aml_small_integer(p, pkg_len, &pos, &a) || !aml_small_integer(p, pkg_len, &pos, &b) ||
	    a > 7 || b > 7)
		return false;
	*typa = (uint8_t)a;
	*typb = (uint8_t)b;
	return true;
}

/*
 * Finds \_S5 in the DSDT by bytes: NameOp (0x08), an optional root prefix
 * '\', "_S5_", then a package whose first two elements are integer
 * constants. This is not AML interpretation: an _S5 built by a method,
 * defined in an SSDT or with non-constant elements is not found, and when
 * _S5 is declared several times (e.g. in If/Else branches) the first one
 * wins. The power-off code must treat s5_valid false as "no ACPI S5" and
 * use its documented fallback.
 */
static void parse_dsdt(const struct acpi_mem *mem, struct acpi_info *out)
{
	const uint8_t *t, *aml;
	uint32_t len, n, i;

	t = map_table(mem, PA(out->dsdt_pa), "DSDT", "DSDT", SDT_HEADER_LEN, &len);
	if (!t)
		return;
	aml = t + SDT_HEADER_LEN;
	n = len - SDT_HEADER_LEN;
	for (i = 1; i + 4 <= n && !out->s5_valid; i++) {
		bool defined = aml[i - 1] == 0x08 || /* NameOp, not a mere reference */
			       (aml[i - 1] == '\\' && i >= 2 && aml[i - 2] == 0x08);

		out->s5_valid = defined && memcmp(aml + i, "_S5_", 4) == 0 &&
				s5_package(aml + i + 4, n - i - 4, &out->slp_typa, &out->slp_typb);
	}
	if (!out->s5_valid)
		log_warn("acpi", "DSDT: no \\_S5 package with constant sleep types: no ACPI power-off");
}

/* The tables this file reads; parse() may assume len >= min_len. */
struct table_kind {
	char sig[5];
	const char *name;
	uint32_t min_len;
	bool (*parse)(const uint8_t *t, uint32_t len, struct acpi_info *out);
};

static const struct table_kind table_kinds[] = {
	{ "APIC", "MADT", MADT_ENTRIES, parse_madt },
	{ "HPET", "HPET", HPET_LEN, parse_hpet },
	{ "FACP", "FADT", FADT_V1_LEN, parse_fadt },
};

/*
 * Parses the root table's entry i at pa if it is a kind this file reads and
 * none of that kind was parsed yet (bit k of *done).
 */
static void visit_table(const struct acpi_mem *mem, const char *root, unsigned i, paddr_t pa,
			unsigned *done, struct acpi_info *out)
{
	const uint8_t *h, *t;
	uint32_t len;
	size_t k;

	h = pa.pa ? map_range(mem, pa, SDT_HEADER_LEN) : NULL;
	if (!h) {
		log_err("acpi", "%s: entry %u (%#lx) is not accessible: skipped", root, i, pa.pa);
		return;
	}
	for (k = 0; k < sizeof(table_kinds) / sizeof(table_kinds[0]); k++)
		if (memcmp(h, table_kinds[k].sig, 4) == 0)
			break;
	if (k == sizeof(table_kinds) / sizeof(table_kinds[0])) {
		log_debug("acpi", "%s: entry %u (%#lx): not a table read here", root, i, pa.pa);
		return;
	}
	if (*done & (1u << k)) {
		log_warn("acpi", "%s: entry %u (%#lx) is a second %s: ignored", root, i, pa.pa,
			 table_kinds[k].name);
		return;
	}
	t = map_table(mem, pa, table_kinds[k].sig, table_kinds[k].name, table_kinds[k].min_len,
		      &len);
	if (t && table_kinds[k].parse(t, len, out))
		*done |= 1u << k;
}

/* Checks the XSDT (xsdt true) or RSDT at pa, then visits its entries. */
static int walk_root(const struct acpi_mem *mem, paddr_t pa, bool xsdt, struct acpi_info *out)
{
	const char *name = xsdt ? "XSDT" : "RSDT";
	uint32_t esize = xsdt ? 8 : 4, len, count;
	unsigned done = 0;
	const uint8_t *t = map_table(mem, pa, name, name, SDT_HEADER_LEN, &len);

	if (!t)
		return -ENOENT;
	count = (len - SDT_HEADER_LEN) / esize;
	if (count > ROOT_MAX_ENTRIES) {
		log_warn("acpi", "%s: %u entries, reading the first %d", name, count, ROOT_MAX_ENTRIES);
		count = ROOT_MAX_ENTRIES;
	}
	for (uint32_t i = 0, off = SDT_HEADER_LEN; i < count; i++, off += esize)
		visit_table(mem, name, i, PA(xsdt ? rd64(t + off) : rd32(t + off)), &done, out);
	return 0;
}

/*
 * Checks the RSDP at pa; fills out's revision and OEM id, the RSDT address
 * and the XSDT's (0 unless revision >= 2 and the extended part checks out).
 * Returns false, after logging why, if the RSDP is unusable.
 */
static bool check_rsdp(const struct acpi_mem *mem, paddr_t pa, struct acpi_info *out,
		       paddr_t *rsdt_pa, paddr_t *xsdt_pa)
{
	const uint8_t *p = pa.pa ? map_range(mem, pa, RSDP_V1_LEN) : NULL;
	uint32_t len;
	int i;

	if (!p) {
		log_warn("acpi", "RSDP: none at %#lx: no ACPI tables", pa.pa);
		return false;
	}
	if (memcmp(p, "RSD PTR ", 8) != 0 || byte_sum(p, RSDP_V1_LEN) != 0 || p[15] == 1) {
		log_err("acpi", "RSDP at %#lx: bad %s: no ACPI tables", pa.pa,
			memcmp(p, "RSD PTR ", 8) ? "signature" :
			byte_sum(p, RSDP_V1_LEN) ? "checksum" : "revision (1)");
		return false;
	}
	out->revision = p[15];
	for (i = 0; i < 6; i++)
		out->oem_id[i] = p[9 + i] >= 0x20 && p[9 + i] < 0x7f ? (char)p[9 + i] : '?';
	while (i > 0 && out->oem_id[i - 1] == ' ')
		i--;
	out->oem_id[i] = '\0';
	*rsdt_pa = PA(rd32(p + 16));
	*xsdt_pa = PA(0);
	if (out->revision < 2)
		return true;
	p = map_range(mem, pa, RSDP_V2_LEN);
	len = p ? rd32(p + 20) : 0;
	if (len < RSDP_V2_LEN || len > RSDP_MAX_LEN || !(p = map_range(mem, pa, len)))
		log_warn("acpi", "RSDP: v2 length %u unusable: using the RSDT", len);
	else if (byte_sum(p, len) != 0)
		log_warn("acpi", "RSDP: extended checksum is wrong: using the RSDT");
	else
		*xsdt_pa = PA(rd64(p + 24));
	return true;
}

int acpi_parse(const struct acpi_mem *mem, paddr_t rsdp_pa, struct acpi_info *out)
{
	paddr_t rsdt_pa, xsdt_pa;

	memset(out, 0, sizeof(*out));
	if (!check_rsdp(mem, rsdp_pa, out, &rsdt_pa, &xsdt_pa))
		goto out_none;
	if (xsdt_pa.pa && walk_root(mem, xsdt_pa, true, out) == 0) {
		out->xsdt_used = true;
	} else {
		if (xsdt_pa.pa)
			log_warn("acpi", "XSDT unusable: falling back to the RSDT");
		if (!rsdt_pa.pa || walk_root(mem, rsdt_pa, false, out) != 0) {
			log_err("acpi", "RSDT/XSDT: no usable root table: no ACPI tables");
			goto out_none;
		}
	}
	if (out->dsdt_pa)
		parse_dsdt(mem, out);
	if (!out->madt_present)
		log_warn("acpi", "MADT: none usable: legacy PIC and PIT, one CPU");
	if (!out->fadt_present)
		log_warn("acpi", "FADT: none usable: no ACPI power-off or reset register");
	out->present = true;
	log_info("acpi", "rev %u \"%s\" via %s: %u CPUs, %u IOAPICs, %u overrides%s%s%s",
		 out->revision, out->oem_id, out->xsdt_used ? "XSDT" : "RSDT", out->cpu_count,
		 out->ioapic_count, out->override_count, out->hpet_present ? ", HPET" : "",
		 out->fadt_present ? ", FADT" : "", out->s5_valid ? ", S5" : "");
	return 0;

out_none:
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

uint32_t acpi_isa_irq_to_gsi(const struct acpi_info *info, uint8_t irq, uint16_t *flags)
{
	for (unsigned i = 0; info && i < info->override_count; i++) {
		if (info->overrides[i].bus_irq == irq) {
			if (flags)
				*flags = info->overrides[i].flags;
			return info->overrides[i].gsi;
		}
	}
	if (flags)
		*flags = 0;
	return irq;
}
