/* PS/2 keyboard on the i8042 controller: key presses become console terminal input. */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/time.h"
#include "dev/interrupts.h"
#include "dev/keymap.h"
#include "dev/ps2kbd.h"
#include "dev/tty.h"
#include "log.h"
#include "sched/spinlock.h"

#define I8042_DATA    0x60
#define I8042_STATUS  0x64 /* read */
#define I8042_COMMAND 0x64 /* write */
#define KBD_IRQ       1

/* Status register. */
#define STATUS_OUTPUT_FULL 0x01 /* a byte waits at I8042_DATA */
#define STATUS_INPUT_FULL  0x02 /* the controller has not taken the last write */
#define STATUS_AUX_DATA    0x20 /* the waiting byte is from the second port */

/* Controller commands. */
#define CMD_READ_CONFIG   0x20
#define CMD_WRITE_CONFIG  0x60
#define CMD_DISABLE_AUX   0xa7
#define CMD_SELF_TEST     0xaa /* answers 0x55 */
#define CMD_TEST_PORT1    0xab /* answers 0x00 */
#define CMD_DISABLE_PORT1 0xad
#define CMD_ENABLE_PORT1  0xae

/* Configuration byte. */
#define CONFIG_PORT1_IRQ   0x01
#define CONFIG_AUX_IRQ     0x02
#define CONFIG_PORT1_CLOCK_OFF 0x10
#define CONFIG_AUX_CLOCK_OFF   0x20
#define CONFIG_TRANSLATE   0x40 /* set 2 from the keyboard arrives as set 1 */

/* Keyboard commands and answers. */
#define KBD_RESET       0xff /* answers ACK, then 0xaa when its self-test passes */
#define KBD_ENABLE_SCAN 0xf4
#define KBD_ACK         0xfa
#define KBD_SELF_TEST_OK 0xaa

#define CONTROLLER_TIMEOUT_NS   20000000ull  /* 20 ms per controller step */
#define KBD_RESET_TIMEOUT_NS    1000000000ull /* a keyboard's self-test can take 500+ ms */
#define FLUSH_LIMIT      64  /* stale bytes dropped at start */
#define IRQ_DRAIN_LIMIT  16  /* bytes per interrupt, against a stuck status bit */

static struct keymap_state keys; /* only the IRQ 1 handler touches it after init */
static struct tty *console;       /* written once, before the IRQ is routed */

/*
 * Waits until the status bits in mask read as want. Returns false on
 * timeout: the clock's deadline, or, in case the clock is not running
 * (its calibration failed), eight status reads per microsecond (a read of
 * an ISA port takes about one; the margin is for faster ones).
 */
static bool wait_status(uint8_t mask, uint8_t want, uint64_t timeout_ns)
{
	uint64_t deadline = time_since_boot_ns() + timeout_ns, reads = timeout_ns / 125 + 1;

	while ((inb(I8042_STATUS) & mask) != want) {
		if (time_since_boot_ns() > deadline || --reads == 0)
			return false;
		cpu_relax();
	}
	return true;
}

static bool write_port(uint16_t port, uint8_t v)
{
	if (!wait_status(STATUS_INPUT_FULL, 0, CONTROLLER_TIMEOUT_NS))
		return false;
	outb(port, v);
	return true;
}

/* Reads the next byte the controller or keyboard sends. Returns -1 on timeout. */
static int read_data(uint64_t timeout_ns)
{
	if (!wait_status(STATUS_OUTPUT_FULL, STATUS_OUTPUT_FULL, timeout_ns))
		return -1;
	return inb(I8042_DATA);
}

/* Sends a controller command; with an argument (arg >= 0) writes it next. */
static bool command(uint8_t cmd, int arg)
{
	return write_port(I8042_COMMAND, cmd) && (arg < 0 || write_port(I8042_DATA, (uint8_t)arg));
}

/* A controller command with a one-byte answer; -1 if none came. */
static int query(uint8_t cmd)
{
	return command(cmd, -1) ? read_data(CONTROLLER_TIMEOUT_NS) : -1;
}

/* Runs a controller test command. Returns true if it answered want. */
static bool test_passes(uint8_t cmd, int want, const char *what)
{
	int answer = query(cmd);

	if (answer != want)
		log_warn("kbd", "i8042 %s answered %d, not %#x: no keyboard", what, answer, want);
	return answer == want;
}

static void flush_output(void)
{
	for (int i = 0; i < FLUSH_LIMIT && (inb(I8042_STATUS) & STATUS_OUTPUT_FULL); i++)
		(void)inb(I8042_DATA);
}

/*
 * Brings the controller to a known state: both ports off, no interrupts,
 * translation on, self-tested, port 1 tested. Returns the configuration
 * byte to run with, or -1 (logged) if there is no working controller.
 */
static int controller_setup(void)
{
	int config;

	if (inb(I8042_STATUS) == 0xff) { /* nothing decodes the port: reads float high */
		log_info("kbd", "no i8042 controller (status reads 0xff)");
		return -1;
	}
	if (!command(CMD_DISABLE_PORT1, -1) || !command(CMD_DISABLE_AUX, -1)) {
		log_info("kbd", "no i8042 controller (commands are not taken)");
		return -1;
	}
	flush_output();
	config = query(CMD_READ_CONFIG);
	if (config < 0) {
		log_warn("kbd", "i8042 does not answer READ_CONFIG: no keyboard");
		return -1;
	}
	config &= ~(CONFIG_PORT1_IRQ | CONFIG_AUX_IRQ);
	config |= CONFIG_TRANSLATE | CONFIG_AUX_CLOCK_OFF;
	/* The configuration is written again after the self-test, which resets
	 * it on some controllers. */
	if (!command(CMD_WRITE_CONFIG, config) || !test_passes(CMD_SELF_TEST, 0x55, "self-test") ||
	    !command(CMD_WRITE_CONFIG, config) || !test_passes(CMD_TEST_PORT1, 0x00, "port 1 test"))
		return -1;
	return config;
}

/* Sends cmd to the keyboard; true once it acknowledges it. */
static bool keyboard_command(uint8_t cmd)
{
	for (int tries = 0; tries < 3; tries++) {
		int answer;

		if (!write_port(I8042_DATA, cmd))
			return false;
		answer = read_data(CONTROLLER_TIMEOUT_NS * 5);
		if (answer == KBD_ACK)
			return true;
		if (answer != 0xfe) /* anything but "resend" */
			return false;
	}
	return false;
}

/* Resets the keyboard and turns scanning on. Failures are logged, not fatal:
 * the port stays on, so a keyboard plugged in later can still talk. */
static void keyboard_setup(void)
{
	int answer;

	if (!keyboard_command(KBD_RESET)) {
		log_warn("kbd", "no keyboard answers on the i8042's first port");
		return;
	}
	answer = read_data(KBD_RESET_TIMEOUT_NS);
	if (answer != KBD_SELF_TEST_OK)
		log_warn("kbd", "keyboard self-test answered %d, not 0xaa", answer);
	if (!keyboard_command(KBD_ENABLE_SCAN))
		log_warn("kbd", "keyboard does not acknowledge ENABLE_SCAN");
}

/* Decodes every byte waiting in the controller. Interrupts off. */
static void kbd_drain(void)
{
	for (int i = 0; i < IRQ_DRAIN_LIMIT; i++) {
		uint8_t status = inb(I8042_STATUS), code;
		char out[KEYMAP_OUT_MAX];
		size_t n;

		if (!(status & STATUS_OUTPUT_FULL))
			return;
		code = inb(I8042_DATA);
		if (status & STATUS_AUX_DATA)
			continue; /* a mouse byte, though the port is off */
		n = keymap_feed(&keys, code, out);
		for (size_t j = 0; j < n; j++)
			tty_input(console, out[j]);
	}
}

/* IRQ 1: one or more bytes from the keyboard. */
static void kbd_interrupt(struct trap_frame *tf, void *arg)
{
	kbd_drain();
}

void ps2kbd_init(void)
{
	const struct acpi_info *acpi = interrupts_acpi();
	int config;
	uint64_t flags;

	console = tty_console();
	if (!console)
		return;
	/* A hint only: firmware that emulates PS/2 for a USB keyboard may not set it. */
	if (acpi->fadt_present)
		log_info("kbd", "ACPI FADT %s an 8042", acpi->iapc_boot_arch & ACPI_BOOT_8042 ?
			 "lists" : "does not list");
	config = controller_setup();
	if (config < 0)
		return;
	if (!command(CMD_ENABLE_PORT1, -1))
		return;
	keyboard_setup();
	flush_output();
	config = (config | CONFIG_PORT1_IRQ) & ~CONFIG_PORT1_CLOCK_OFF;
	interrupts_route_isa(KBD_IRQ, kbd_interrupt, NULL, "i8042 keyboard");
	if (!command(CMD_WRITE_CONFIG, config)) {
		log_warn("kbd", "i8042 stopped answering: no keyboard");
		return;
	}
	flags = irq_save();
	kbd_drain(); /* what arrived before the interrupt was on */
	irq_restore(flags);
	log_info("kbd", "PS/2 keyboard on the i8042 (IRQ %d, scan code set 1)", KBD_IRQ);
}
