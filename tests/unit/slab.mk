UNIT_TESTS += slab
unit_slab_SRCS := kernel/mm/slab.c kernel/mm/kmalloc.c tests/unit/stubs_heap.c
