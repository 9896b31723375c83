UNIT_TESTS += printf
unit_printf_SRCS := kernel/lib/printf.c
