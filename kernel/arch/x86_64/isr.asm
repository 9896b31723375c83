; Interrupt and exception entry stubs: make every vector look alike, then call trap_handler.

bits 64
%include "frame.inc"
section .text

extern trap_handler

; Vectors for which the CPU pushes an error code.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%macro ISR 1
isr_%1:
%if !HAS_ERROR(%1)
	push	0			; uniform frame: fake error code
%endif
	push	%1			; vector
	jmp	isr_common
%endmacro

%assign v 0
%rep 256
ISR v
%assign v v + 1
%endrep

; Builds struct trap_frame (kernel/arch/x86_64/trap.h) on the stack.
; From user mode (CS RPL 3) it switches GS to the kernel's per-CPU base.
isr_common:
	test	byte [rsp + 24], 3	; the CPU-pushed CS
	jz	.from_kernel
	swapgs
.from_kernel:
	PUSH_GENERAL_REGS
	cld
	mov	rdi, rsp
	call	trap_handler

; Returns through the trap_frame at rsp (also the way a new process first
; enters user mode: see ret_to_user).
global trap_return
trap_return:
	POP_GENERAL_REGS
	add	rsp, 16			; vector and error code
	test	byte [rsp + 8], 3	; back to user mode: the user's GS
	jz	.to_kernel
	swapgs
.to_kernel:
	iretq

; void ret_to_user(struct trap_frame *tf): leaves the kernel through tf.
global ret_to_user
ret_to_user:
	cli
	mov	rsp, rdi
	jmp	trap_return

section .rodata
global isr_stubs
isr_stubs:
%assign v 0
%rep 256
	dq	isr_ %+ v
%assign v v + 1
%endrep
