UNIT_TESTS += fbcon
unit_fbcon_SRCS := kernel/dev/fbcon.c build/gen/font_default.c
