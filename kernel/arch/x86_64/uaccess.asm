; User-memory copies: the only kernel code that touches user pages. A fault
; inside one of them resumes at its fixup, which returns -EFAULT
; (see uaccess_fixup in kernel/proc/uaccess.c).

bits 64
section .text

%define EFAULT 14

; long uaccess_copy(void *dst, const void *src, size_t n)
; Returns 0, or -EFAULT if a fault interrupted the copy.
global uaccess_copy
global uaccess_copy_fault
global uaccess_copy_fixup
uaccess_copy:
	mov	rcx, rdx
	stac			; this variant runs only on CPUs with SMAP
uaccess_copy_fault:
	rep movsb
	clac
	xor	eax, eax
	ret
uaccess_copy_fixup:
	clac
	mov	rax, -EFAULT
	ret

; Same without stac/clac, for CPUs without SMAP (stac would be #UD there).
global uaccess_copy_nosmap
global uaccess_copy_nosmap_fault
global uaccess_copy_nosmap_fixup
uaccess_copy_nosmap:
	mov	rcx, rdx
uaccess_copy_nosmap_fault:
	rep movsb
	xor	eax, eax
	ret
uaccess_copy_nosmap_fixup:
	mov	rax, -EFAULT
	ret

; long uaccess_strncpy(char *dst, const char *src, size_t max)
; Copies up to max bytes, stopping after a NUL. Returns the length without
; the NUL, max if there was none, or -EFAULT.
global uaccess_strncpy
global uaccess_strncpy_fault
global uaccess_strncpy_fixup
uaccess_strncpy:
	xor	eax, eax
	test	rcx, rcx	; rcx = 1: SMAP present (4th argument)
	jz	strncpy_loop
	stac
strncpy_loop:
	cmp	rax, rdx
	je	strncpy_done
uaccess_strncpy_fault:
	mov	r8b, [rsi + rax]
	mov	[rdi + rax], r8b
	test	r8b, r8b
	jz	strncpy_done
	inc	rax
	jmp	strncpy_loop
strncpy_done:
	test	rcx, rcx
	jz	strncpy_ret
	clac
strncpy_ret:
	ret
uaccess_strncpy_fixup:
	test	rcx, rcx
	jz	strncpy_efault
	clac
strncpy_efault:
	mov	rax, -EFAULT
	ret
