UNIT_TESTS += chacha20
unit_chacha20_SRCS := kernel/lib/chacha20.c
