/* The terminal: a line discipline (termios, line editing, job-control signals) over the console. */
#ifndef DEV_TTY_H
#define DEV_TTY_H

#include <stdint.h>

#include "fs/vfs.h"

/*
 * One terminal today, "the console": its input comes from drivers through
 * tty_input() (the serial port now, the keyboard later) and goes through
 * the line discipline in the terminal's own kernel thread, never in an
 * interrupt handler; its output goes to console_write() (COM1 and the
 * framebuffer console). It appears three times in /dev, Linux's numbers:
 *
 *   console  5:1   never becomes a controlling terminal by open() (as on
 *                  Linux): init uses setsid() + TIOCSCTTY
 *   ttyS0    4:64  a session leader without a terminal that opens it
 *                  without O_NOCTTY gets it as its controlling terminal
 *   tty      5:0   the caller's controlling terminal, or -ENXIO
 *
 * The line discipline is Linux's N_TTY, cut to what a shell needs:
 *  - input: ISTRIP, INLCR, IGNCR, ICRNL (no flow control: IXON is stored,
 *    ^S/^Q are ordinary characters);
 *  - canonical mode (ICANON): the current line is editable (VERASE, VKILL,
 *    VWERASE, VREPRINT, VLNEXT; IUTF8 erases whole characters) and becomes
 *    readable at '\n', VEOL, VEOL2 or VEOF; a read returns at most one
 *    line; VEOF on an empty line reads as end of file;
 *  - raw mode: VMIN/VTIME as POSIX says, except that with both non-zero
 *    the VTIME timer runs once from the first byte, not between bytes;
 *  - echo: ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL (^X for controls);
 *  - signals (ISIG): VINTR SIGINT, VQUIT SIGQUIT, VSUSP SIGTSTP, to the
 *    foreground process group, flushing the input unless NOFLSH;
 *  - output: OPOST with ONLCR, OCRNL, ONOCR, ONLRET.
 * The input buffer holds TTY_INPUT_MAX bytes; what arrives when it is full
 * is dropped (in canonical mode one place is kept for the end of the line).
 *
 * Job control, as on Linux: a read from a background process group of
 * the terminal's session sends SIGTTIN to that group and fails with EINTR
 * (EIO if SIGTTIN is ignored or blocked, or the group is orphaned); a
 * write with TOSTOP set, or a change of the settings (TCSETS*, TIOCSPGRP,
 * TCFLSH, TCXONC, TCSBRK*), sends SIGTTOU the same way (and goes ahead if
 * SIGTTOU is ignored or blocked). When the session leader exits, the
 * foreground group gets SIGHUP and the terminal is free for the next
 * session.
 *
 * ioctls: TCGETS, TCSETS, TCSETSW, TCSETSF (struct termios below),
 * TIOCGWINSZ, TIOCSWINSZ (SIGWINCH to the foreground group on a change),
 * TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY, TIOCNOTTY, TIOCSTI, FIONREAD,
 * TIOCOUTQ, TCFLSH, TCSBRK, TCSBRKP, TCXONC; others give -ENOTTY.
 */

#define TTY_INPUT_MAX 4096

/* struct termios as Linux's TCGETS/TCSETS pass it on x86_64 (36 bytes). */
#define TTY_NCCS 19
struct tty_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[TTY_NCCS];
};
_Static_assert(sizeof(struct tty_termios) == 36, "Linux's kernel struct termios");

/* struct winsize of TIOCGWINSZ. */
struct tty_winsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* c_cc indexes. A c_cc value of 0 disables that character (_POSIX_VDISABLE). */
enum {
	VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP, VSUSP, VEOL,
	VREPRINT, VDISCARD, VWERASE, VLNEXT, VEOL2,
};

/* c_iflag */
#define ISTRIP 0x020
#define INLCR  0x040
#define IGNCR  0x080
#define ICRNL  0x100
#define IXON   0x400
#define IUTF8  0x4000
/* c_oflag */
#define OPOST  0x01
#define ONLCR  0x04
#define OCRNL  0x08
#define ONOCR  0x10
#define ONLRET 0x20
/* c_cflag */
#define TTY_B115200 0x1002
#define CS8    0x030
#define CREAD  0x080
#define CLOCAL 0x800
/* c_lflag */
#define ISIG    0x0001
#define ICANON  0x0002
#define ECHO    0x0008
#define ECHOE   0x0010
#define ECHOK   0x0020
#define ECHONL  0x0040
#define NOFLSH  0x0080
#define TOSTOP  0x0100
#define ECHOCTL 0x0200
#define ECHOKE  0x0800
#define IEXTEN  0x8000

struct tty;

/*
 * Creates the console terminal, registers /dev/console, /dev/ttyS0 and
 * /dev/tty (replacing devfs's placeholders: call before devfs_create()),
 * starts its input thread and the serial port's receive interrupt. Once,
 * after the scheduler and interrupt routing are up.
 */
void tty_init(void);

/* The console terminal (NULL before tty_init), for input drivers. */
struct tty *tty_console(void);

/*
 * A byte received from the terminal's hardware. Callable from interrupt
 * handlers: it only queues the byte (dropped if the queue is full) for the
 * terminal's input thread, which runs the line discipline. Any byte value
 * is fine.
 */
void tty_input(struct tty *tty, char c);

/* The terminal a vnode of devfs stands for, or NULL if it is not one. */
struct tty *tty_of_vnode(struct vnode *vn);

/*
 * The POLL* events ready on a terminal file (fs/poll.h): POLLOUT always
 * (output never blocks), POLLIN when a read would not block. Takes only
 * the terminal's spinlock: callable with interrupts off.
 */
unsigned tty_poll(struct vnode *vn, struct file *f);

#endif
