UNIT_TESTS += pmm
unit_pmm_SRCS := kernel/mm/pmm.c tests/unit/stubs_kernel.c
