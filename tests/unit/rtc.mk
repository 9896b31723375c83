UNIT_TESTS += rtc
unit_rtc_SRCS := kernel/dev/rtc.c tests/unit/stubs_kernel.c
