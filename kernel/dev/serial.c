/* 16550 UART console on COM1, used when the port exists. */
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "dev/console.h"
#include "dev/serial.h"

#define COM1 0x3f8
enum { DATA, IER, FCR, LCR, MCR, LSR, MSR, SCRATCH };
#define LSR_THR_EMPTY 0x20
#define TX_SPIN_LIMIT 100000 /* a wedged UART must not hang the kernel */

static void serial_putc(char c)
{
	for (int i = 0; i < TX_SPIN_LIMIT && !(inb(COM1 + LSR) & LSR_THR_EMPTY); i++)
		cpu_relax();
	outb(COM1 + DATA, (uint8_t)c);
}

static void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

static struct console serial_console = { .name = "ttyS0", .write = serial_write };

bool serial_init(void)
{
	/* No UART: the scratch register does not hold a value. */
	outb(COM1 + SCRATCH, 0x5a);
	if (inb(COM1 + SCRATCH) != 0x5a)
		return false;
	outb(COM1 + IER, 0x00);  /* no interrupts yet */
	outb(COM1 + LCR, 0x80);  /* DLAB: divisor follows */
	outb(COM1 + DATA, 0x01); /* 115200 baud */
	outb(COM1 + IER, 0x00);
	outb(COM1 + LCR, 0x03);  /* 8N1 */
	outb(COM1 + FCR, 0xc7);  /* FIFOs on, cleared, 14-byte threshold */
	outb(COM1 + MCR, 0x1e);  /* loopback to test the chip */
	outb(COM1 + DATA, 0xae);
	if (inb(COM1 + DATA) != 0xae)
		return false;
	outb(COM1 + MCR, 0x0f);  /* normal operation, DTR RTS OUT1 OUT2 */
	console_register(&serial_console);
	return true;
}
