/* 16550 UART on COM1, used when the port exists: console output, and input for the terminal. */
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "dev/console.h"
#include "dev/interrupts.h"
#include "dev/serial.h"
#include "dev/tty.h"
#include "sched/spinlock.h"

#define COM1     0x3f8
#define COM1_IRQ 4
enum { DATA, IER, FCR, LCR, MCR, LSR, MSR, SCRATCH };
#define IER_RX_DATA    0x01
#define LSR_DATA_READY 0x01
#define LSR_RX_ERRORS  0x1c /* parity, framing, break: the byte is garbage */
#define LSR_THR_EMPTY  0x20
#define TX_SPIN_LIMIT  100000 /* a wedged UART must not hang the kernel */
#define RX_DRAIN_LIMIT 256    /* bytes per interrupt, against a UART that never empties */

static bool uart_present;  /* serial_init found one; written once at boot */
static struct tty *rx_tty; /* where received bytes go; written once, before the IRQ is on */
static char last_sent;     /* for the \n -> \r\n rule of serial_write */

static void serial_putc(char c)
{
	for (int i = 0; i < TX_SPIN_LIMIT && !(inb(COM1 + LSR) & LSR_THR_EMPTY); i++)
		cpu_relax();
	outb(COM1 + DATA, (uint8_t)c);
}

/* Writes s; a '\n' not preceded by '\r' gets one, so that log lines and
 * the terminal's already translated "\r\n" both come out once. */
static void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && last_sent != '\r')
			serial_putc('\r');
		serial_putc(s[i]);
		last_sent = s[i];
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
	outb(COM1 + MCR, 0x0f);  /* normal operation, DTR RTS OUT1 OUT2 (OUT2 gates the IRQ) */
	console_register(&serial_console);
	uart_present = true;
	return true;
}

/* Hands every byte in the receive FIFO to the terminal. Interrupts off. */
static void serial_drain(void)
{
	for (int i = 0; i < RX_DRAIN_LIMIT; i++) {
		uint8_t lsr = inb(COM1 + LSR), c;

		if (!(lsr & LSR_DATA_READY))
			return;
		c = inb(COM1 + DATA);
		if (!(lsr & LSR_RX_ERRORS))
			tty_input(rx_tty, (char)c);
	}
}

/* IRQ 4: received data (the only interrupt enabled). Reading the FIFO
 * empty ends the request; the edge of the next byte raises a new one. */
static void serial_interrupt(struct trap_frame *tf, void *arg)
{
	serial_drain();
}

bool serial_rx_start(struct tty *tty)
{
	uint64_t flags;

	if (!uart_present || rx_tty)
		return false;
	rx_tty = tty;
	interrupts_route_isa(COM1_IRQ, serial_interrupt, NULL, "com1");
	flags = irq_save();
	outb(COM1 + IER, IER_RX_DATA);
	serial_drain(); /* what arrived before the interrupt was on */
	irq_restore(flags);
	return true;
}
