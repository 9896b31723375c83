UNIT_TESTS += memmap
unit_memmap_SRCS := loader/memmap.c shared/mem_class.c
