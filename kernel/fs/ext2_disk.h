/* ext2 on-disk format: superblock, group descriptors, inodes, directory entries. */
#ifndef FS_EXT2_DISK_H
#define FS_EXT2_DISK_H

#include <stdint.h>

/*
 * All fields are little-endian on disk; this kernel runs on x86_64 only,
 * so the structures are read in place. Host tools include this header too.
 */

#define EXT2_SUPER_OFFSET     1024  /* bytes from the device start */
#define EXT2_SUPER_SIZE       1024
#define EXT2_MAGIC            0xef53
#define EXT2_MIN_BLOCK_LOG    10    /* 1 KiB */
#define EXT2_MAX_BLOCK_LOG    16    /* 64 KiB */
#define EXT2_GOOD_OLD_REV     0
#define EXT2_DYNAMIC_REV      1
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_FIRST_INO  11

#define EXT2_BAD_INO          1
#define EXT2_ROOT_INO         2

/* s_state */
#define EXT2_VALID_FS         0x0001 /* cleanly unmounted */
#define EXT2_ERROR_FS         0x0002 /* errors detected */

/* s_creator_os */
#define EXT2_OS_LINUX         0
#define EXT2_OS_HURD          1

#define EXT2_FEATURE_COMPAT_DIR_INDEX     0x0020

#define EXT2_FEATURE_INCOMPAT_FILETYPE    0x0002

#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE   0x0002

#define EXT2_FEATURE_COMPAT_RESIZE_INODE  0x0010

struct ext2_super {
	uint32_t s_inodes_count;
	uint32_t s_blocks_count;
	uint32_t s_r_blocks_count;
	uint32_t s_free_blocks_count;
	uint32_t s_free_inodes_count;
	uint32_t s_first_data_block;
	uint32_t s_log_block_size;     /* block size = 1024 << this */
	uint32_t s_log_frag_size;
	uint32_t s_blocks_per_group;
	uint32_t s_frags_per_group;
	uint32_t s_inodes_per_group;
	uint32_t s_mtime;
	uint32_t s_wtime;
	uint16_t s_mnt_count;
	int16_t s_max_mnt_count;
	uint16_t s_magic;
	uint16_t s_state;
	uint16_t s_errors;
	uint16_t s_minor_rev_level;
	uint32_t s_lastcheck;
	uint32_t s_checkinterval;
	uint32_t s_creator_os;
	uint32_t s_rev_level;
	uint16_t s_def_resuid;
	uint16_t s_def_resgid;
	/* EXT2_DYNAMIC_REV only */
	uint32_t s_first_ino;
	uint16_t s_inode_size;
	uint16_t s_block_group_nr;
	uint32_t s_feature_compat;
	uint32_t s_feature_incompat;
	uint32_t s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	uint32_t s_algorithm_usage_bitmap;
	uint8_t s_prealloc_blocks;
	uint8_t s_prealloc_dir_blocks;
	uint16_t s_reserved_gdt_blocks;
	uint8_t s_journal_uuid[16];
	uint32_t s_journal_inum;
	uint32_t s_journal_dev;
	uint32_t s_last_orphan;
	uint32_t s_hash_seed[4];
	uint8_t s_def_hash_version;
	uint8_t s_jnl_backup_type;
	uint16_t s_desc_size;
	uint32_t s_default_mount_opts;
	uint32_t s_first_meta_bg;
	uint8_t s_rest[760];
};
_Static_assert(sizeof(struct ext2_super) == EXT2_SUPER_SIZE, "ext2 superblock layout");

struct ext2_group_desc {
	uint32_t bg_block_bitmap;
	uint32_t bg_inode_bitmap;
	uint32_t bg_inode_table;
	uint16_t bg_free_blocks_count;
	uint16_t bg_free_inodes_count;
	uint16_t bg_used_dirs_count;
	uint16_t bg_flags;
	uint8_t bg_reserved[12];
};
_Static_assert(sizeof(struct ext2_group_desc) == 32, "ext2 group descriptor layout");

#define EXT2_NDIR_BLOCKS 12
#define EXT2_IND_BLOCK   12
#define EXT2_DIND_BLOCK  13
#define EXT2_TIND_BLOCK  14
#define EXT2_N_BLOCKS    15

/* The 128-byte inode every revision has, then the large-inode fields. */
struct ext2_inode {
	uint16_t i_mode;
	uint16_t i_uid;
	uint32_t i_size;
	uint32_t i_atime;
	uint32_t i_ctime;
	uint32_t i_mtime;
	uint32_t i_dtime;
	uint16_t i_gid;
	uint16_t i_links_count;
	uint32_t i_blocks;             /* 512-byte units, indirect blocks included */
	uint32_t i_flags;
	uint32_t i_osd1;
	uint32_t i_block[EXT2_N_BLOCKS];
	uint32_t i_generation;
	uint32_t i_file_acl;
	uint32_t i_size_high;          /* regular files: bits 32..63 of the size */
	uint32_t i_faddr;
	uint16_t l_i_blocks_hi;
	uint16_t l_i_file_acl_high;
	uint16_t l_i_uid_high;         /* Linux: bits 16..31 of the owner */
	uint16_t l_i_gid_high;
	uint16_t l_i_checksum_lo;
	uint16_t l_i_reserved;
	/* inodes larger than 128 bytes: i_extra_isize says how much follows is valid */
	uint16_t i_extra_isize;
	uint16_t i_checksum_hi;
	uint32_t i_ctime_extra;        /* bits 0..1: epoch (bits 32..33 of the time) */
	uint32_t i_mtime_extra;
	uint32_t i_atime_extra;
	uint32_t i_crtime;
	uint32_t i_crtime_extra;
	uint32_t i_version_hi;
	uint32_t i_projid;
};
_Static_assert(sizeof(struct ext2_inode) == 160, "ext2 inode layout");

#define EXT2_INODE_EXTRA_FIELDS (sizeof(struct ext2_inode) - EXT2_GOOD_OLD_INODE_SIZE)

/* i_flags */
#define EXT2_INDEX_FL      0x00001000 /* hashed (dir_index) directory */

/* i_mode: the POSIX type and permission bits */
#define EXT2_S_IFMT   0170000
#define EXT2_S_IFSOCK 0140000
#define EXT2_S_IFLNK  0120000
#define EXT2_S_IFREG  0100000
#define EXT2_S_IFBLK  0060000
#define EXT2_S_IFDIR  0040000
#define EXT2_S_IFCHR  0020000
#define EXT2_S_IFIFO  0010000
#define EXT2_S_PERM   07777

/* A directory entry; entries tile each directory block exactly. */
struct ext2_dirent {
	uint32_t inode;                /* 0: unused entry */
	uint16_t rec_len;              /* bytes to the next entry (64 KiB blocks: 0 means 65536) */
	uint8_t name_len;
	uint8_t file_type;             /* with INCOMPAT_FILETYPE; else high byte of name_len */
	char name[];
};
_Static_assert(sizeof(struct ext2_dirent) == 8, "ext2 directory entry layout");

#define EXT2_NAME_LEN 255
#define EXT2_DIRENT_SIZE(name_len) ((8u + (name_len) + 3u) & ~3u)

/* file_type in directory entries */
#define EXT2_FT_UNKNOWN  0
#define EXT2_FT_REG_FILE 1
#define EXT2_FT_DIR      2
#define EXT2_FT_CHRDEV   3
#define EXT2_FT_BLKDEV   4
#define EXT2_FT_FIFO     5
#define EXT2_FT_SOCK     6
#define EXT2_FT_SYMLINK  7

#define EXT2_FAST_SYMLINK_MAX 59 /* longest target kept in i_block */
#define EXT2_LINK_MAX         32000

#endif
