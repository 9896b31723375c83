UNIT_TESTS += paging
unit_paging_SRCS := loader/paging.c
