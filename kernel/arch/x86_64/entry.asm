; Kernel entry: the loader jumps here on the boot stack with interrupts off.

bits 64
section .text.entry

extern kmain
global _start

; rdi = struct boot_info * (direct-mapped), rsp = top of the boot stack.
_start:
	xor	ebp, ebp		; end of every backtrace
	and	rsp, -16
	call	kmain			; never returns
.halt:
	cli
	hlt
	jmp	.halt
