UNIT_TESTS += elf64
unit_elf64_SRCS := shared/elf64.c
