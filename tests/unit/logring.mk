UNIT_TESTS += logring
unit_logring_SRCS := kernel/lib/logring.c
