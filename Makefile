# The one build: loader (BOOTX64.EFI), kernel, ramdisk, ESP, disk image, tests.
# Outputs go to build/ (and the ESP tree to esp/); `make help` lists targets.

.DEFAULT_GOAL := esp
.SUFFIXES:
SHELL := /bin/bash
.DELETE_ON_ERROR:

B      := build
CC     := clang
LD     := ld.lld
NASM   := nasm
PYTHON := /usr/bin/python3
CLANG_INC := $(shell $(CC) -print-resource-dir)/include

# Knobs a user may set on the command line.
CMDLINE      ?=
RAMDISK_FREE ?= 4096   # KiB of free room in the ext2 image beyond its files
MEM          ?= 512M
QEMU_EXTRA   ?=

# Quiet by default; `make V=1` prints every command.
ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter
DEPFLAGS = -MMD -MP -MJ $@.json

# ---------------------------------------------------------------- packages
# Each stamp runs tools/deps once: it installs missing Debian packages as
# root, or prints the exact apt-get line and stops.
$(B)/.deps-%: tools/deps
	@mkdir -p $(B)
	@tools/deps $*
	@touch $@

# ---------------------------------------------------------------- loader
OVMF_CODE := /usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS := /usr/share/OVMF/OVMF_VARS_4M.fd
EFI_INC   := -isystem /usr/include/efi -isystem /usr/include/efi/x86_64

LOADER_CFLAGS := -std=c17 -target x86_64-unknown-linux-gnu -ffreestanding -fpic \
                 -fshort-wchar -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
                 -DEFI_FUNCTION_WRAPPER -O2 -g $(WARN) $(EFI_INC) -I.
LOADER_SRCS := loader/main.c loader/console.c loader/files.c loader/memmap.c loader/video.c \
               shared/paging.c loader/alloc.c shared/elf64.c shared/mem_class.c kernel/lib/printf.c
LOADER_ASMS := loader/handoff.asm
LOADER_OBJS := $(LOADER_SRCS:%.c=$(B)/loader/%.o) $(LOADER_ASMS:%.asm=$(B)/loader/%.o)

$(B)/loader/%.o: %.c | $(B)/.deps-build
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(LOADER_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(B)/loader/%.o: %.asm | $(B)/.deps-build
	@mkdir -p $(@D)
	@echo "  NASM    $@"
	$(Q)$(NASM) -f elf64 -g -I$(dir $<) -MD $(@:.o=.d) -MP $< -o $@

$(B)/loader/loader.so: $(LOADER_OBJS) loader/efi.lds
	@echo "  LD      $@"
	$(Q)$(LD) -nostdlib -shared -Bsymbolic -znocombreloc --no-undefined --apply-dynamic-relocs -T loader/efi.lds \
	    /usr/lib/crt0-efi-x86_64.o $(LOADER_OBJS) -L/usr/lib -lefi -lgnuefi -o $@

$(B)/BOOTX64.EFI: $(B)/loader/loader.so
	@echo "  EFI     $@"
	$(Q)objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
	    -j .rel -j .rela -j '.rel.*' -j '.rela.*' -j .reloc \
	    --target efi-app-x86_64 --subsystem=10 $< $@

# ---------------------------------------------------------------- kernel
KERNEL_CFLAGS := -std=c17 -target x86_64-unknown-none-elf -ffreestanding -nostdinc \
                 -isystem $(CLANG_INC) -fno-pic -mcmodel=kernel -mno-red-zone \
                 -mgeneral-regs-only -fno-stack-protector -fno-omit-frame-pointer \
                 -mno-omit-leaf-frame-pointer -fno-asynchronous-unwind-tables -O2 -g $(WARN) -I. -Ikernel
KERNEL_SRCS := $(shell find kernel -name '*.c' | sort) \
               shared/mem_class.c shared/elf64.c shared/paging.c
KERNEL_ASMS := $(shell find kernel -name '*.asm' | sort)
KERNEL_OBJS := $(KERNEL_SRCS:%.c=$(B)/kernel/%.o) $(KERNEL_ASMS:%.asm=$(B)/kernel/%.o) \
               $(B)/kernel/gen/font_default.o $(B)/kernel/gen/syscall_names.o

# Names of Linux system calls, for the log line about one not implemented.
UNISTD_64 := /usr/include/x86_64-linux-gnu/asm/unistd_64.h
$(B)/gen/syscall_names.c: tools/syscall-names | $(B)/.deps-build
	@mkdir -p $(@D)
	$(Q)$(PYTHON) tools/syscall-names $(UNISTD_64) > $@

# The console font is converted at build time from Debian's console-setup-linux.
FONT_PSF := /usr/share/consolefonts/Uni2-VGA16.psf.gz
$(B)/gen/font_default.c: tools/psf2c | $(B)/.deps-build
	@mkdir -p $(@D)
	@echo "  FONT    $@"
	$(Q)$(PYTHON) tools/psf2c $(FONT_PSF) -o $@

$(B)/kernel/%.o: %.c | $(B)/.deps-build
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(KERNEL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(B)/kernel/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(B)/kernel/%.o: %.asm | $(B)/.deps-build
	@mkdir -p $(@D)
	@echo "  NASM    $@"
	$(Q)$(NASM) -f elf64 -g -I$(dir $<) -MD $(@:.o=.d) -MP $< -o $@

# Two links: the first gives the addresses for the symbol table that the
# second embeds (for symbolized backtraces). The table lands in .rodata,
# after .text, so no code address moves: the check below proves it.
KERNEL_LD = $(LD) -nostdlib -static -z max-page-size=4096 -T kernel/kernel.ld
text_syms = nm -n --defined-only $(1) | grep ' [Tt] '

$(B)/kernel.pass1.elf: $(KERNEL_OBJS) $(B)/kernel/gen/ksyms0.o kernel/kernel.ld
	@echo "  LD      $@"
	$(Q)$(KERNEL_LD) $(KERNEL_OBJS) $(B)/kernel/gen/ksyms0.o -o $@

$(B)/gen/ksyms0.c: tools/ksyms
	@mkdir -p $(@D)
	$(Q)tools/ksyms --empty > $@

$(B)/gen/ksyms.c: $(B)/kernel.pass1.elf tools/ksyms
	@mkdir -p $(@D)
	$(Q)tools/ksyms $< > $@

$(B)/kernel.elf: $(B)/kernel.pass1.elf $(B)/kernel/gen/ksyms.o
	@echo "  LD      $@"
	$(Q)$(KERNEL_LD) $(KERNEL_OBJS) $(B)/kernel/gen/ksyms.o -o $@
	$(Q)cmp -s <($(call text_syms,$<)) <($(call text_syms,$@)) || \
	  { echo "kernel.elf: code moved between the two links" >&2; rm -f $@; exit 1; }

# ---------------------------------------------------------------- user programs
include user/user.mk

# ---------------------------------------------------------------- ramdisk
# Debian's busybox-static (a glibc static binary, unmodified) is the shell.
BUSYBOX := /bin/busybox
ROOTFS_FILES := $(shell find fs -type f -o -type l)

$(B)/ramdisk.img: $(ROOTFS_FILES) $(USER_BINS) $(wildcard tests/data/elf-bad/*) $(BUSYBOX) Makefile | $(B)/.deps-build
	@echo "  EXT2    $@"
	$(Q)rm -rf $(B)/rootfs && mkdir -p $(B)/rootfs
	$(Q)cp -a fs/. $(B)/rootfs/
	$(Q)mkdir -p $(B)/rootfs/dev $(B)/rootfs/proc $(B)/rootfs/tmp $(B)/rootfs/bin $(B)/rootfs/sbin
	$(Q)chmod 1777 $(B)/rootfs/tmp
	$(Q)cp $(USER_BINS) $(B)/rootfs/bin/
	$(Q)mv $(B)/rootfs/bin/init $(B)/rootfs/sbin/init
	$(Q)cp $(BUSYBOX) $(B)/rootfs/bin/busybox
	$(Q)for a in $$($(BUSYBOX) --list); do \
	  case $$a in init|linuxrc) continue;; esac; \
	  [ -e $(B)/rootfs/bin/$$a ] || ln -s busybox $(B)/rootfs/bin/$$a; done
	$(Q)mkdir -p $(B)/rootfs/usr/share/elf-bad
	$(Q)cp tests/data/elf-bad/*_* $(B)/rootfs/usr/share/elf-bad/
	$(Q)chmod 755 $(B)/rootfs/usr/share/elf-bad/*
	$(Q)kib=$$(( $$(du -sk --apparent-size $(B)/rootfs | cut -f1) * 2 + $(RAMDISK_FREE) + 1024 )); \
	rm -f $@; mke2fs -q -t ext2 -b 4096 -L root -E root_owner=0:0 -d $(B)/rootfs $@ $${kib}k
	$(Q)e2fsck -fn $@ >/dev/null

# ---------------------------------------------------------------- ESP and image
# esp/ is generated; CMDLINE (possibly empty) decides boot/cmdline.txt.
$(B)/cmdline.stamp: FORCE
	@mkdir -p $(B)
	@printf '%s' '$(strip $(CMDLINE))' > $@.new
	@cmp -s $@.new $@ || cp $@.new $@
	@rm -f $@.new

esp/.stamp: $(B)/BOOTX64.EFI $(B)/kernel.elf $(B)/ramdisk.img $(B)/cmdline.stamp
	mkdir -p esp/EFI/BOOT esp/boot
	cp $(B)/BOOTX64.EFI esp/EFI/BOOT/BOOTX64.EFI
	cp $(B)/kernel.elf esp/boot/kernel.elf
	cp $(B)/ramdisk.img esp/boot/ramdisk.img
	if [ -s $(B)/cmdline.stamp ]; then cp $(B)/cmdline.stamp esp/boot/cmdline.txt; \
	else rm -f esp/boot/cmdline.txt; fi
	@touch $@

$(B)/esp.img: esp/.stamp | $(B)/.deps-build
	tools/mkesp esp $@

# A GPT disk with one EFI system partition holding esp/, for dd or `make usb`.
$(B)/disk.img: esp/.stamp tools/mkdisk tools/mkesp | $(B)/.deps-build
	tools/mkdisk esp $@

.PHONY: esp image usb run debug test unit fuzz bench clean help FORCE $(FUZZERS:%=fuzz-run-%)
FORCE:
esp: esp/.stamp compile_commands.json
image: $(B)/esp.img $(B)/disk.img

# make usb DEV=/dev/sdX: tools/usb checks the device and asks before erasing it.
usb: $(B)/disk.img
	@[ -n "$(DEV)" ] || { echo "usage: make usb DEV=/dev/sdX  (the whole USB stick, see lsblk)" >&2; exit 2; }
	tools/usb '$(DEV)' $<

QEMU := qemu-system-x86_64 -machine q35 -m $(MEM) -nic none \
        -drive if=pflash,format=raw,readonly=on,file=$(OVMF_CODE) \
        -drive if=pflash,format=raw,file=$(B)/ovmf_vars.fd \
        -drive format=raw,file=$(B)/esp.img \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot $(QEMU_EXTRA)

$(B)/ovmf_vars.fd: | $(B)/.deps-run
	cp $(OVMF_VARS) $@

# QEMU exits 33 when the kernel reports success through isa-debug-exit.
# RUN_DISPLAY=gtk (Debian package qemu-system-gui, on a desktop) also shows
# the screen, where the PS/2 keyboard types into the same shell.
RUN_DISPLAY ?= none
run: $(B)/esp.img $(B)/ovmf_vars.fd | $(B)/.deps-run
	$(QEMU) -serial mon:stdio -display $(RUN_DISPLAY) || [ $$? -eq 33 ]

debug: $(B)/esp.img $(B)/ovmf_vars.fd | $(B)/.deps-run
	@echo "debug: gdb -ex 'target remote :1234' $(B)/kernel.elf"
	$(QEMU) -serial mon:stdio -display none -s -S || [ $$? -eq 33 ]

# ---------------------------------------------------------------- host tests
HOST_CFLAGS := -std=c17 -g -O1 $(WARN) -fsanitize=address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer -I. -Ikernel -DHOST_TEST
UNIT_TESTS :=
include $(sort $(wildcard tests/unit/*.mk))

define unit_rule
$(B)/host/test_$(1): tests/unit/test_$(1).c $$(unit_$(1)_SRCS) | $(B)/.deps-test
	@mkdir -p $$(@D)
	@echo "  HOSTCC  $$@"
	$(Q)$$(CC) $$(HOST_CFLAGS) $$^ -lcmocka -o $$@
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

FUZZERS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz_elf64_SRCS   := shared/elf64.c
fuzz_memmap_SRCS  := loader/memmap.c shared/mem_class.c
fuzz_elf64_SEEDS  := tests/data/elf-bad
fuzz_acpi_SRCS    := kernel/dev/acpi.c
$(B)/host/fuzz_%: tests/fuzz/fuzz_%.c | $(B)/.deps-test
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)$(CC) -g -O1 -fsanitize=fuzzer,address,undefined -I. -Ikernel $(fuzz_$*_CFLAGS) $< $(fuzz_$*_SRCS) -o $@

# ---------------------------------------------------------------- ext2tool
# The kernel's ext2 driver and block layer, built for the host (ASan + UBSan).
EXT2_SRCS := kernel/fs/ext2.c kernel/fs/ext2_alloc.c kernel/fs/ext2_dir.c kernel/fs/ext2_inode.c \
             kernel/fs/ext2_ops.c kernel/fs/bcache.c kernel/fs/ramdisk.c
EXT2_HDRS := $(wildcard kernel/fs/ext2*.h kernel/fs/bcache.h kernel/fs/blockdev.h \
             kernel/fs/ramdisk.h kernel/lib/sha256.h tools/ext2tool/*.h)
EXT2TOOL_SRCS := $(sort $(wildcard tools/ext2tool/*.c)) $(EXT2_SRCS) kernel/lib/sha256.c
$(B)/host/ext2tool: $(EXT2TOOL_SRCS) $(EXT2_HDRS) | $(B)/.deps-test
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(CC) $(HOST_CFLAGS) $(EXT2TOOL_SRCS) -o $@

# Fuzzing ext2: seeds are the corpus images, decompressed, plus two small valid images.
fuzz_ext2_SRCS   := $(EXT2_SRCS) tests/unit/stubs_malloc.c
fuzz_ext2_CFLAGS := -DHOST_TEST
fuzz_ext2_SEEDS  := $(B)/fuzz-seeds/ext2
$(B)/host/fuzz_ext2: $(fuzz_ext2_SRCS) $(EXT2_HDRS) $(B)/fuzz-seeds/ext2/.stamp
$(B)/fuzz-seeds/ext2/.stamp: $(wildcard tests/data/ext2-bad/*.gz) | $(B)/.deps-build
	@rm -rf $(@D) && mkdir -p $(@D)/tree/dir
	@for f in tests/data/ext2-bad/*.gz; do gzip -dc $$f > $(@D)/$$(basename $$f .gz); done
	@echo hello > $(@D)/tree/dir/file && ln -s dir/file $(@D)/tree/link
	$(Q)mke2fs -q -F -t ext2 -b 1024 -N 16 -d $(@D)/tree $(@D)/small-rev1.img 128k >/dev/null
	$(Q)mke2fs -q -F -t ext2 -b 1024 -r 0 -N 16 -d $(@D)/tree $(@D)/small-rev0.img 96k >/dev/null
	@rm -rf $(@D)/tree && touch $@

FUZZ_SECONDS ?= 300
unit: $(UNIT_TESTS:%=$(B)/host/test_%)
	@for t in $^; do echo "== $$t"; $$t || exit 1; done

# One run per harness: its own corpus directory plus the seeds it names.
fuzz: $(FUZZERS:%=fuzz-run-%)
fuzz-run-%: $(B)/host/fuzz_%
	@mkdir -p $(B)/fuzz-corpus/$*
	@echo "== fuzz_$* ($(FUZZ_SECONDS) s)"
	$(Q)$< -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 $(B)/fuzz-corpus/$* \
	    $(fuzz_$*_SEEDS) 2>$(B)/fuzz-corpus/$*.log || { tail -50 $(B)/fuzz-corpus/$*.log; exit 1; }

# make test: host unit tests, short fuzz runs, then QEMU + OVMF boot tests.
test: unit $(FUZZERS:%=$(B)/host/fuzz_%) $(B)/host/ext2tool $(USER_BINS) $(B)/esp.img $(B)/disk.img | $(B)/.deps-test
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10
	$(PYTHON) -m pytest -q tests/

# ---------------------------------------------------------------- benchmarks
# user/bench on our kernel and on Debian's Linux, same QEMU flags (README "Benchmarks").
bench: $(B)/esp.img $(B)/user/bench $(B)/user/exit0 | $(B)/.deps-bench
	$(PYTHON) tools/bench

# ---------------------------------------------------------------- misc
# clang -MJ leaves one JSON fragment beside every C object.
compile_commands.json: $(LOADER_OBJS) $(KERNEL_OBJS)
	@{ echo '['; find $(B) -name '*.o.json' | sort | xargs cat | sed '$$ s/,$$//'; \
	   echo ']'; } > $@

clean:
	rm -rf $(B) esp compile_commands.json

help:
	@echo "make esp      build loader, kernel and ramdisk into esp/"
	@echo "make image    build/esp.img (FAT32) and build/disk.img (GPT + ESP) for QEMU or dd"
	@echo "make usb DEV=/dev/sdX   write build/disk.img to a USB stick (checks, asks first)"
	@echo "make run      boot it in QEMU + OVMF, serial on this terminal"
	@echo "make debug    same, paused, gdb stub on :1234"
	@echo "make test     host unit tests, short fuzzing, QEMU boot tests"
	@echo "make fuzz     long fuzzing runs (FUZZ_SECONDS=$(FUZZ_SECONDS) each)"
	@echo "make bench    our kernel vs Linux on user/bench under QEMU -icount (build/bench/)"
	@echo "make clean    remove build/ and esp/"
	@echo "knobs: CMDLINE='ktest=all' MEM=512M RAMDISK_FREE=4096 QEMU_EXTRA=..."

-include $(shell find $(B) -name '*.d' 2>/dev/null)
