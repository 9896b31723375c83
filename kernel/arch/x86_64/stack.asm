; Running a function on another stack.

bits 64
section .text

; void call_on_stack(void (*fn)(void *), void *arg, uint64_t stack_top)
global call_on_stack
call_on_stack:
	push	rbp
	mov	rbp, rsp
	mov	rsp, rdx
	and	rsp, -16
	mov	rax, rdi
	mov	rdi, rsi
	call	rax
	mov	rsp, rbp
	pop	rbp
	ret
