UNIT_TESTS += physmap
unit_physmap_SRCS := kernel/mm/physmap.c shared/mem_class.c tests/unit/stubs_kernel.c
