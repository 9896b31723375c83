UNIT_TESTS += acpi
unit_acpi_SRCS := kernel/dev/acpi.c tests/unit/stubs_kernel.c
