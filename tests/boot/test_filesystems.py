"""The root filesystem in QEMU: ext2 on the ramdisk, devfs, procfs, bad images."""
import gzip
import re
from pathlib import Path

from qemu import EXIT_FAILURE, EXIT_SUCCESS, ROOT, boot, image

FS_KTESTS = ["fs_read_ramdisk_file", "fs_path_errors", "fs_create_write_read_unlink",
             "fs_symlinks_and_loops", "fs_directories_and_rename", "fs_permissions",
             "fs_unlinked_file_lives_until_closed", "fs_getdents_lists_etc",
             "namecache_hits_misses_and_negative_entries", "namecache_rename_unlink_and_replace",
             "namecache_directory_moves_and_rmdir", "namecache_eviction_keeps_answers_right",
             "namecache_proc_pid_goes_when_the_process_exits"]


def test_vfs_ktests_on_the_ramdisk(tmp_path):
    b = boot(tmp_path, image(tmp_path, cmdline="ktest=" + ",".join(FS_KTESTS)))
    assert f"ktest: {len(FS_KTESTS)} passed, 0 failed" in b.log, b.log[-3000:]
    assert "vfs: mounted /dev/ram0 (ext2) on /" in b.log
    assert "vfs: mounted devfs (devfs) on /dev" in b.log
    assert "vfs: mounted proc (proc) on /proc" in b.log
    assert b.exitstatus == EXIT_SUCCESS


def test_garbage_ramdisk_is_a_clean_mount_failure(tmp_path):
    b = boot(tmp_path, image(tmp_path, put={"boot/ramdisk.img": b"\x00" * 65536}))
    assert re.search(r"root: mount failed: EINVAL", b.log), b.log[-3000:]
    assert "panic:" not in b.log
    assert b.exitstatus == EXIT_FAILURE


def test_corrupt_corpus_image_as_root_is_refused_cleanly(tmp_path):
    """An e2fsprogs test image with a corrupt root inode."""
    img = gzip.decompress((ROOT / "tests/data/ext2-bad/f_badroot.img.gz").read_bytes())
    b = boot(tmp_path, image(tmp_path, put={"boot/ramdisk.img": img}))
    assert "panic:" not in b.log, b.log[-3000:]
    # Either the mount is refused, or it mounts and init is missing: both clean.
    assert re.search(r"root: mount failed: |cannot start init", b.log), b.log[-3000:]
