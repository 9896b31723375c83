UNIT_TESTS += ext2
unit_ext2_SRCS := kernel/fs/ext2.c kernel/fs/ext2_alloc.c kernel/fs/ext2_dir.c \
                  kernel/fs/ext2_inode.c kernel/fs/ext2_ops.c kernel/fs/bcache.c kernel/fs/ramdisk.c \
                  tests/unit/stubs_kernel.c tests/unit/stubs_malloc.c
