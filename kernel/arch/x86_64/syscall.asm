; SYSCALL entry: build a struct trap_frame on the thread's kernel stack,
; call syscall_dispatch, return with SYSRET (or IRETQ when it says so).

bits 64
%include "frame.inc"
section .text

%define USER_CS 0x2b
%define USER_SS 0x23

extern syscall_dispatch
extern trap_return
global syscall_entry
syscall_entry:
	swapgs
	mov	[gs:16], rsp		; the user's stack pointer
	mov	rsp, [gs:8]		; this thread's kernel stack
	push	USER_SS
	push	qword [gs:16]
	push	r11			; user rflags
	push	USER_CS
	push	rcx			; user rip
	push	0			; error code
	push	0x100			; vector: "system call"
	PUSH_GENERAL_REGS
	cld
	mov	rdi, rsp		; interrupts still off: syscall_dispatch enables them
	call	syscall_dispatch	; nonzero: return with iretq (full frame)
	cli
	test	eax, eax
	jnz	trap_return
	POP_GENERAL_REGS
	add	rsp, 16			; vector, error code
	pop	rcx			; rip
	add	rsp, 8			; cs
	pop	r11			; rflags
	pop	rsp			; user rsp (interrupts are off; NMIs use IST)
	swapgs
	o64 sysret
