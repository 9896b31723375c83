; The last loader instructions: switch to the kernel's page tables and jump.
; This code is identity-mapped in the new tables (loader_handoff_page), so
; the instruction after "mov cr3" is still reachable.

bits 64
section .text
align 16

; void loader_handoff(uint64_t pml4_pa, uint64_t entry_va,
;                     uint64_t stack_top_va, uint64_t boot_info_va)
; Never returns. Interrupts stay disabled; the kernel loads its own GDT/IDT.
global loader_handoff
global loader_handoff_end
loader_handoff:
	cli
	mov	rax, cr0
	or	rax, 1 << 16		; CR0.WP: read-only pages bind the kernel too
	mov	cr0, rax
	mov	cr3, rdi
	mov	rsp, rdx
	mov	rdi, rcx		; first argument: struct boot_info *
	xor	ebp, ebp		; terminates the kernel's backtraces
	push	0			; fake return address: ABI stack alignment
	jmp	rsi
loader_handoff_end:
