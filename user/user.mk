# User programs: static Linux x86_64 binaries (clang + Debian's musl) for the ramdisk's /bin.
# Included by the top-level Makefile, which defines B, Q, CC and the
# $(B)/.deps-build stamp. Exports USER_PROGS, USER_BINS and the `user` target.

USER_PROGS := init hello exit0 testrunner bench \
              utest-cow utest-crash utest-efault utest-exec utest-fork-tree \
              utest-forkexec-cycles utest-lazy utest-oom utest-syscalls utest-elf-corpus \
              utest-fault-inject utest-signals utest-poll utest-tty
USER_BINS  := $(USER_PROGS:%=$(B)/user/%) $(B)/user/hello-pie

MUSL_LIB := /usr/lib/x86_64-linux-musl
# Flags of docs' "User programs with musl and clang": no host headers, no
# host libraries, musl's start files around the objects.
USER_CFLAGS := -std=c17 -O2 -g -Wall -Wextra -Werror -nostdinc \
               -isystem /usr/include/x86_64-linux-musl \
               -isystem $(or $(CLANG_INC),$(shell $(CC) -print-resource-dir)/include)
USER_LDFLAGS := -nostdlib -fuse-ld=lld

# ET_EXEC programs: crt1.o, linked at a fixed address.
$(B)/user/obj/%.o: user/%.c | $(B)/.deps-build
	@mkdir -p $(@D)
	@echo "  USERCC  $@"
	$(Q)$(CC) $(USER_CFLAGS) -fno-pie -MMD -MP -c $< -o $@

$(USER_PROGS:%=$(B)/user/%): $(B)/user/%: $(B)/user/obj/%.o
	@echo "  USERLD  $@"
	$(Q)$(CC) -static $(USER_LDFLAGS) $(MUSL_LIB)/crt1.o $(MUSL_LIB)/crti.o $< \
	    $(MUSL_LIB)/libc.a $(MUSL_LIB)/crtn.o -o $@

# The static-PIE variant (ET_DYN, no PT_INTERP): objects built with -fPIE,
# musl's rcrt1.o relocates the image itself before main. clang's -static-pie
# makes ld.lld use `-static -pie --no-dynamic-linker`.
$(B)/user/pie/%.o: user/%.c | $(B)/.deps-build
	@mkdir -p $(@D)
	@echo "  USERCC  $@"
	$(Q)$(CC) $(USER_CFLAGS) -fPIE -MMD -MP -c $< -o $@

$(B)/user/hello-pie: $(B)/user/pie/hello.o
	@echo "  USERLD  $@"
	$(Q)$(CC) -static-pie $(USER_LDFLAGS) $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o $< \
	    $(MUSL_LIB)/libc.a $(MUSL_LIB)/crtn.o -o $@

.PHONY: user
user: $(USER_BINS)

-include $(wildcard $(B)/user/obj/*.d $(B)/user/pie/*.d)
