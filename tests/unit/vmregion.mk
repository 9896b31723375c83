UNIT_TESTS += vmregion
unit_vmregion_SRCS := kernel/mm/vmregion.c tests/unit/stubs_kernel.c
