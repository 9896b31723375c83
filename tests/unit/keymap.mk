UNIT_TESTS += keymap
unit_keymap_SRCS := kernel/dev/keymap.c
