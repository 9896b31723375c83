; Thread switching: save the callee-saved registers, swap stacks.

bits 64
section .text

; void context_switch(uint64_t *save_rsp, uint64_t load_rsp)
; Saves the current thread's callee-saved registers on its stack and its
; stack pointer in *save_rsp, then resumes the thread whose stack pointer
; is load_rsp. Returns when some later switch resumes the caller.
global context_switch
context_switch:
	push	rbp
	push	rbx
	push	r12
	push	r13
	push	r14
	push	r15
	mov	[rdi], rsp
	mov	rsp, rsi
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	rbx
	pop	rbp
	ret

; The first instructions of a new thread: thread_create() left the entry
; function in r12 and its argument in r13 on the initial stack.
global thread_entry
extern thread_start
thread_entry:
	mov	rdi, r12
	mov	rsi, r13
	xor	ebp, ebp		; end of backtraces
	call	thread_start		; never returns
	ud2
