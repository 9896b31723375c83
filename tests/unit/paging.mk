UNIT_TESTS += paging
unit_paging_SRCS := shared/paging.c
