/* execve: replacing a process's program with a static ELF executable. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "dev/random.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "panic.h"
#include "mm/addr.h"
#include "mm/aspace.h"
#include "mm/kmalloc.h"
#include "proc/exec.h"
#include "proc/signal.h"
#include "proc/uaccess.h"
#include "sched/thread.h"
#include "shared/elf64.h"

#define HEADERS_MAX (64 * 1024) /* ELF header + program headers read at most */
#define AUXV_PAIRS  19          /* the auxv entries build_stack writes, AT_NULL included */

/* auxv keys (Linux values). */
enum {
	AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
	AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
	AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
	AT_HWCAP2 = 26, AT_EXECFN = 31,
};

/* ---- arguments ---------------------------------------------------------------- */

static int append(struct exec_args *a, const char *s, bool user)
{
	long n;

	if (user) {
		n = strncpy_from_user(a->buf + a->used, s, EXEC_ARG_MAX - a->used);
		if (n == -ENAMETOOLONG)
			return -E2BIG;
		if (n < 0)
			return (int)n;
	} else {
		n = (long)strnlen(s, EXEC_ARG_MAX - a->used);
		if ((size_t)n == EXEC_ARG_MAX - a->used)
			return -E2BIG;
		memcpy(a->buf + a->used, s, (size_t)n + 1);
	}
	a->used += (size_t)n + 1;
	return 0;
}

/* Copies one NULL-terminated array of strings; returns the count or an error. */
static int copy_vector(struct exec_args *a, const char *const *vec, bool user)
{
	int count = 0;

	for (; vec; count++) {
		const char *s;
		int err;

		if (count == EXEC_ARGC_MAX)
			return -E2BIG;
		if (user) {
			if (copy_from_user(&s, &vec[count], sizeof(s)))
				return -EFAULT;
		} else {
			s = vec[count];
		}
		if (!s)
			break;
		err = append(a, s, user);
		if (err)
			return err;
	}
	return count;
}

static int fill_args(struct exec_args *a, const char *const *argv, const char *const *envp,
		     bool user)
{
	int n;

	a->buf = kmalloc(EXEC_ARG_MAX);
	a->used = 0;
	n = copy_vector(a, argv, user);
	if (n < 0)
		goto fail;
	a->argc = (unsigned)n;
	n = copy_vector(a, envp, user);
	if (n < 0)
		goto fail;
	a->envc = (unsigned)n;
	return 0;
fail:
	kfree(a->buf);
	a->buf = NULL;
	return n;
}

int exec_args_from_user(struct exec_args *a, char *const *uargv, char *const *uenvp)
{
	return fill_args(a, (const char *const *)uargv, (const char *const *)uenvp, true);
}

void exec_args_free(struct exec_args *a)
{
	kfree(a->buf);
	a->buf = NULL;
}

/* ---- the ELF image -------------------------------------------------------------- */

struct image {
	struct file *file;
	uint64_t size;
	uint8_t *headers;       /* the first hdr_len bytes of the file */
	size_t hdr_len;
	struct elf64_image elf;
	uint64_t bias;          /* added to every address (static-PIE) */
	uint64_t phdr_va;       /* where the program headers are mapped, for AT_PHDR */
	uint64_t end_va;        /* end of the highest segment: the heap starts there */
};

static int read_headers(struct image *im, const char *path)
{
	struct elf64_ehdr eh;
	struct uio u = uio_kernel(&eh, sizeof(eh));
	uint64_t table_end;
	const struct elf64_policy policy = {
		.va_lo = 0, /* ET_DYN is linked at 0; the bias moves it (checked below) */
		.va_hi = USER_MMAP_TOP,
		.allow_exec = true,
		.allow_dyn = true,
		.max_phnum = 64,
	};
	struct elf64_error e;
	int64_t n = vfs_pread(im->file, 0, &u);
	int err;

	if (n < (int64_t)sizeof(eh)) {
		log_info("exec", "%s: not an executable (shorter than an ELF header)", path);
		return n < 0 ? (int)n : -ENOEXEC;
	}
	/* Read through the end of the program header table (bounded); the
	 * checker validates every offset against the real file size. */
	table_end = eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize;
	if (eh.e_phoff > HEADERS_MAX || table_end > HEADERS_MAX)
		table_end = sizeof(eh);
	im->hdr_len = table_end > im->size ? im->size : table_end;
	if (im->hdr_len < sizeof(eh))
		im->hdr_len = sizeof(eh);
	im->headers = kmalloc(im->hdr_len);
	u = uio_kernel(im->headers, im->hdr_len);
	n = vfs_pread(im->file, 0, &u);
	if (n != (int64_t)im->hdr_len)
		return n < 0 ? (int)n : -EIO;
	if (eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize > im->hdr_len &&
	    eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize <= im->size) {
		log_info("exec", "%s: program header table beyond %d KiB", path, HEADERS_MAX / 1024);
		return -ENOEXEC;
	}
	err = elf64_check(im->headers, im->size, &policy, &im->elf, &e);
	if (err) {
		if (e.code == -ELF64_E_INTERP)
			log_info("exec", "%s: needs a dynamic linker (PT_INTERP): only static programs run",
				 path);
		else if (e.phdr_index >= 0)
			log_info("exec", "%s: program header %d: %s", path, e.phdr_index,
				 elf64_strerror(err));
		else
			log_info("exec", "%s: %s", path, elf64_strerror(err));
		return -ENOEXEC;
	}
	im->bias = im->elf.is_dyn ? USER_DYN_BASE : 0;
	if (im->bias + im->elf.va_lo < USER_MIN || im->bias + im->elf.va_hi > USER_MMAP_TOP) {
		log_info("exec", "%s: segments outside the user address range", path);
		return -ENOEXEC;
	}
	return 0;
}

static uint32_t prot_of(uint32_t p_flags)
{
	return ((p_flags & ELF64_PF_R) ? VMR_READ : 0) | ((p_flags & ELF64_PF_W) ? VMR_WRITE : 0) |
	       ((p_flags & ELF64_PF_X) ? VMR_EXEC : 0);
}

/* Maps every PT_LOAD: its file part from the file, the rest (.bss) anonymous. */
static int map_segments(struct image *im, struct aspace *as)
{
	for (unsigned i = 0; i < im->elf.phnum; i++) {
		struct elf64_phdr ph;
		uint64_t start, file_end, mem_end;
		uint32_t prot;
		int err = 0;

		if (elf64_read_phdr(im->headers, im->hdr_len, &im->elf, i, &ph) ||
		    !elf64_phdr_is_load(&ph))
			continue;
		prot = prot_of(ph.p_flags);
		start = align_down(im->bias + ph.p_vaddr, FRAME_SIZE);
		file_end = align_up(im->bias + ph.p_vaddr + ph.p_filesz, FRAME_SIZE);
		mem_end = align_up(im->bias + ph.p_vaddr + ph.p_memsz, FRAME_SIZE);
		if (ph.p_filesz > 0) {
			struct vm_backing *b = vm_backing_create(im->file, ph.p_offset + ph.p_filesz);

			err = aspace_map(as, start, file_end - start, prot, 0, b,
					 align_down(ph.p_offset, FRAME_SIZE), false);
			vm_backing_put(b); /* the region holds its own reference */
		} else {
			file_end = start;
		}
		if (!err && mem_end > file_end)
			err = aspace_map(as, file_end, mem_end - file_end, prot, 0, NULL, 0, false);
		if (err)
			return err;
		if (ph.p_offset <= im->elf.phoff && im->elf.phoff < ph.p_offset + ph.p_filesz)
			im->phdr_va = im->bias + ph.p_vaddr + (im->elf.phoff - ph.p_offset);
		if (mem_end > im->end_va)
			im->end_va = mem_end;
	}
	return 0;
}

/* ---- the initial stack ------------------------------------------------------------- */

/* Builds argc, argv, envp, auxv and the strings at the top of the stack. */
static int build_stack(struct image *im, struct aspace *as, struct process *p, const char *path,
		       struct exec_args *args, uint64_t *sp_out)
{
	unsigned nstr = args->argc + args->envc;
	size_t path_len = strlen(path) + 1, nwords;
	uint64_t sp = USER_STACK_TOP, strings, random_va, execfn_va, platform_va, *words;
	uint8_t random[16];
	uint32_t cpu[4];
	const char *s = args->buf;
	int err;

	/* Strings: argv/envp, the path (AT_EXECFN), "x86_64", 16 random bytes. */
	sp -= 16;
	random_va = sp;
	random_get_bytes(random, sizeof(random));
	sp -= 7;
	platform_va = sp;
	sp -= path_len;
	execfn_va = sp;
	sp -= args->used;
	strings = sp;
	sp &= ~15ull;
	/* argc, argv[], NULL, envp[], NULL, auxv pairs */
	nwords = 1 + args->argc + 1 + args->envc + 1 + 2 * AUXV_PAIRS;
	if (sp - nwords * 8 < USER_STACK_TOP - USER_STACK_SIZE / 2)
		return -E2BIG;
	sp -= nwords * 8;
	sp &= ~15ull; /* rsp is 16-byte aligned at _start, pointing at argc */
	words = kzalloc(nwords * 8); /* the NULLs after argv and envp stay 0 */
	words[0] = args->argc;
	for (unsigned i = 0; i < nstr; i++) {
		unsigned slot = i < args->argc ? 1 + i : 1 + args->argc + 1 + (i - args->argc);

		words[slot] = strings + (uint64_t)(s - args->buf);
		s += strlen(s) + 1;
	}
	{
		uint64_t *aux = &words[1 + args->argc + 1 + args->envc + 1];
		unsigned k = 0;

		cpuid(1, 0, cpu);
#define AUX(key, val) (aux[k++] = (key), aux[k++] = (val))
		AUX(AT_PHDR, im->phdr_va);
		AUX(AT_PHENT, sizeof(struct elf64_phdr));
		AUX(AT_PHNUM, im->elf.phnum);
		AUX(AT_PAGESZ, FRAME_SIZE);
		AUX(AT_BASE, 0);
		AUX(AT_FLAGS, 0);
		AUX(AT_ENTRY, im->bias + im->elf.entry);
		AUX(AT_UID, p->cred.uid);
		AUX(AT_EUID, p->cred.euid);
		AUX(AT_GID, p->cred.gid);
		AUX(AT_EGID, p->cred.egid);
		AUX(AT_SECURE, 0);
		AUX(AT_RANDOM, random_va);
		AUX(AT_HWCAP, cpu[3]);
		AUX(AT_HWCAP2, 0);
		AUX(AT_CLKTCK, 100);
		AUX(AT_PLATFORM, platform_va);
		AUX(AT_EXECFN, execfn_va);
		AUX(AT_NULL, 0);
#undef AUX
		if (k != 2 * AUXV_PAIRS)
			panic("build_stack: %u auxv words written, %u reserved", k, 2 * AUXV_PAIRS);
	}
	err = aspace_copy_in(as, sp, words, nwords * 8);
	if (!err)
		err = aspace_copy_in(as, strings, args->buf, args->used);
	if (!err)
		err = aspace_copy_in(as, execfn_va, path, path_len);
	if (!err)
		err = aspace_copy_in(as, platform_va, "x86_64", 7);
	if (!err)
		err = aspace_copy_in(as, random_va, random, sizeof(random));
	kfree(words);
	*sp_out = sp;
	return err;
}

/* ---- putting it together -------------------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = path;

	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			slash = c + 1;
	return slash;
}

int exec_load(struct process *p, const char *path, struct exec_args *args, struct trap_frame *tf)
{
	struct image im = { 0 };
	struct aspace *as = NULL, *old;
	struct vattr va;
	uint64_t sp;
	int err = vfs_open(p->root, p->cwd, path, O_RDONLY, 0, &p->cred, &im.file);

	if (err)
		return err;
	err = vfs_getattr(im.file->vn, &va);
	if (!err && !S_ISREG(va.mode))
		err = -EACCES;
	if (!err)
		err = vfs_access(im.file->vn, &p->cred, MAY_EXEC);
	im.size = va.size;
	if (!err)
		err = read_headers(&im, path);
	if (!err) {
		as = aspace_create();
		err = as ? 0 : -ENOMEM;
	}
	if (!err)
		err = map_segments(&im, as);
	if (!err)
		err = aspace_map(as, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE,
				 VMR_READ | VMR_WRITE | (im.elf.stack_exec ? VMR_EXEC : 0), VMR_STACK,
				 NULL, 0, false);
	if (!err)
		err = build_stack(&im, as, p, path, args, &sp);
	kfree(im.headers);
	if (err) {
		aspace_destroy(as);
		file_put(im.file);
		return err;
	}

	/* Nothing can fail from here on: the old image goes. */
	as->heap_start = as->brk = im.end_va;
	old = p->as;
	p->as = as;
	p->fs_base = 0;
	if (thread_current()->proc == p) {
		struct thread *t = thread_current();

		__asm__ volatile("cli");
		t->cr3 = aspace_root(as);
		t->fs_base = 0;
		wrmsr(MSR_FS_BASE, 0);
		aspace_activate(as);
		__asm__ volatile("sti");
	}
	aspace_put(old); /* a vfork parent may still use it */
	proc_vfork_release(p);
	file_put(im.file); /* the regions hold their own references */
	fdtable_close_on_exec(p->fds);
	signal_exec(p);
	memset(p->name, 0, sizeof(p->name));
	memcpy(p->name, base_name(path), strnlen(base_name(path), sizeof(p->name) - 1));
	memset(p->exe, 0, sizeof(p->exe));
	memcpy(p->exe, path, strnlen(path, sizeof(p->exe) - 1));
	{ /* argv for /proc/<pid>/cmdline: the first argc strings, at most 4 KiB */
		size_t n = 0;
		const char *c = args->buf;

		for (unsigned i = 0; i < args->argc; i++)
			n += strlen(c + n) + 1;
		n = n < 4096 ? n : 4096;
		kfree(p->cmdline);
		p->cmdline = kmalloc(n ? n : 1);
		memcpy(p->cmdline, c, n);
		p->cmdline_len = n;
	}
	memset(tf, 0, sizeof(*tf));
	tf->rip = im.bias + im.elf.entry;
	tf->rsp = sp;
	tf->rflags = 0x202; /* IF */
	tf->cs = 0x2b;      /* user code, ring 3 */
	tf->ss = 0x23;      /* user data, ring 3 */
	return 0;
}

int exec_kernel_args(struct process *p, const char *path, const char *const argv[],
		     const char *const envp[], struct trap_frame *tf)
{
	struct exec_args a;
	int err = fill_args(&a, argv, envp, false);

	if (err)
		return err;
	err = exec_load(p, path, &a, tf);
	exec_args_free(&a);
	return err;
}
