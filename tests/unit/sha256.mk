UNIT_TESTS += sha256
unit_sha256_SRCS := kernel/lib/sha256.c
