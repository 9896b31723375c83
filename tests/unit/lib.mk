UNIT_TESTS += lib
unit_lib_SRCS := kernel/lib/bitmap.c tests/unit/stubs_kernel.c
