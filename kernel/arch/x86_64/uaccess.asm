; User-memory copies: the only kernel code that touches user pages. A fault
; inside one of them resumes at its fixup, which returns -EFAULT
; (see uaccess_fixup in kernel/proc/uaccess.c).

bits 64
section .text

%define EFAULT 14

; long uaccess_copy(void *dst, const void *src, size_t n)
; Returns 0, or -EFAULT if a fault interrupted the copy. Eight bytes a
; step, then the tail: both rep instructions may fault.
;
; COPY name, smap: the routine `name`, with stac/clac around the copy if
; smap is 1 (stac is #UD on CPUs without SMAP, so those get the other one).
%macro COPY 2
global %1
global %1_fault
global %1_fault_tail
global %1_fixup
%1:
	mov	rcx, rdx
	shr	rcx, 3
%if %2
	stac
%endif
%1_fault:
	rep movsq
	mov	rcx, rdx
	and	rcx, 7
%1_fault_tail:
	rep movsb
%if %2
	clac
%endif
	xor	eax, eax
	ret
%1_fixup:
%if %2
	clac
%endif
	mov	rax, -EFAULT
	ret
%endmacro

COPY uaccess_copy, 1
COPY uaccess_copy_nosmap, 0

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
