"""Rules the compiler enforces: typed addresses and TLB-flush obligations."""
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["clang", "-std=c17", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
         "-ffreestanding", "-target", "x86_64-unknown-none-elf", "-I", str(ROOT),
         "-I", str(ROOT / "kernel"), "-x", "c", "-"]


def compiles(body):
    src = textwrap.dedent('''
        #include "mm/addr.h"
        #include "mm/vmm.h"
        void f(void);
        void f(void) {
        %s
        }
    ''') % textwrap.indent(textwrap.dedent(body), "    ")
    r = subprocess.run(FLAGS, input=src, capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def test_well_typed_code_compiles():
    ok, err = compiles("""
        paddr_t pa = PA(0x1000);
        char *p = phys_to_virt(pa);
        tlb_flush(vmm_map(VA(0xffffc04000000000), pa, 1, PTE_WRITE));
        (void)p;
    """)
    assert ok, err


@pytest.mark.parametrize("body", [
    "paddr_t pa = PA(0x1000); char *p = pa; (void)p;",           # address used as pointer
    "vaddr_t va = VA(1); paddr_t pa = va; (void)pa;",            # virtual as physical
    "char c; paddr_t pa = virt_to_phys(&c); uint64_t x = pa + 1; (void)x;",  # arithmetic on paddr_t
])
def test_mixing_address_kinds_is_rejected(body):
    ok, _ = compiles(body)
    assert not ok


def test_ignoring_a_tlb_flush_obligation_is_rejected():
    ok, err = compiles("vmm_map(VA(0xffffc04000000000), PA(0x1000), 1, PTE_WRITE);")
    assert not ok and "unused" in err, err
