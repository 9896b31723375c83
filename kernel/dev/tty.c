/* The console terminal: termios, canonical line editing, echo, job-control signals. */
#include <stdbool.h>

#include "arch/x86_64/time.h"
#include "dev/console.h"
#include "dev/fbcon.h"
#include "dev/serial.h"
#include "dev/tty.h"
#include "fs/devfs.h"
#include "fs/poll.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/kmalloc.h"
#include "panic.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/uaccess.h"
#include "sched/mutex.h"
#include "sched/thread.h"
#include "sched/wait.h"

#define RAW_MAX     1024 /* bytes tty_input() queues for the input thread */
#define ECHO_MAX    2048 /* echo waiting for output; more is dropped (display only) */
#define OUT_CHUNK   256  /* user bytes taken per output step */
#define NO_DEADLINE UINT64_MAX

/* ioctl numbers (Linux, asm-generic/ioctls.h). */
#define TCGETS     0x5401
#define TCSETS     0x5402
#define TCSETSW    0x5403
#define TCSETSF    0x5404
#define TCSBRK     0x5409
#define TCXONC     0x540A
#define TCFLSH     0x540B
#define TIOCSCTTY  0x540E
#define TIOCGPGRP  0x540F
#define TIOCSPGRP  0x5410
#define TIOCOUTQ   0x5411
#define TIOCSTI    0x5412
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD   0x541B
#define TIOCNOTTY  0x5422
#define TCSBRKP    0x5425
#define TIOCGSID   0x5429

/* An input entry: the byte and these flags. */
#define IN_DELIM 0x100 /* ends a canonical line */
#define IN_EOF   0x200 /* VEOF: ends the line and is not read */

/*
 * One terminal. Lock order: out_lock, then wq.lock; raw_wq.lock is a
 * leaf. None is held while sending signals or calling poll_wake(), and
 * only out_lock while writing to the consoles.
 */
struct tty {
	/* tty_input() -> input thread; raw_wq.lock protects raw_*. */
	struct wait_queue raw_wq;
	uint8_t raw[RAW_MAX];
	uint32_t raw_head, raw_len;

	/* wq.lock protects the fields below down to out_lock; readers sleep on wq. */
	struct wait_queue wq;
	struct tty_termios termios;
	struct tty_winsize winsize;
	uint32_t session, pgrp;     /* controlling session, foreground group; 0: none */
	uint16_t in[TTY_INPUT_MAX]; /* ring of input entries */
	uint32_t in_head, in_len;   /* first entry, entries stored */
	uint32_t in_ready;          /* entries from in_head a reader may take: complete
				     * lines in canonical mode, everything otherwise */
	uint32_t line_column;       /* output column where the line being edited began */
	bool lnext;                 /* the next byte is literal (VLNEXT) */
	char echo[ECHO_MAX];        /* echo not yet output */
	uint32_t echo_len;
	uint32_t column;            /* where the cursor is, as far as we know; written
				     * by output() under out_lock too */

	/* Serialises output (user writes, echo) to the consoles. */
	struct mutex out_lock;
};

static struct tty console_tty;
static bool console_ready; /* tty_init() done */

static const struct tty_termios default_termios = {
	.c_iflag = ICRNL | IUTF8,
	.c_oflag = OPOST | ONLCR,
	.c_cflag = TTY_B115200 | CS8 | CREAD | CLOCAL,
	.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	.c_cc = {
		[VINTR] = 3, [VQUIT] = 28, [VERASE] = 127, [VKILL] = 21, [VEOF] = 4,
		[VTIME] = 0, [VMIN] = 1, [VSTART] = 17, [VSTOP] = 19, [VSUSP] = 26,
		[VREPRINT] = 18, [VDISCARD] = 15, [VWERASE] = 23, [VLNEXT] = 22,
	},
};

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* ---- sessions and process groups ------------------------------------------ */

struct group_signal {
	uint32_t pgrp;
	int sig;
};

static void signal_member(struct process *p, void *ctx)
{
	const struct group_signal *g = ctx;

	if (p->state == PROC_ALIVE && p->pgid == g->pgrp)
		signal_send(p, g->sig);
}

/* Sends sig to every process of group pgrp, then wakes the terminal's
 * sleepers so that those among them notice. No tty lock held. */
static void signal_group(struct tty *tty, uint32_t pgrp, int sig)
{
	struct group_signal g = { pgrp, sig };

	if (!pgrp)
		return;
	proc_for_each(signal_member, &g);
	wake_up_all(&tty->wq);
	poll_wake();
}

static void check_leader(struct process *p, void *ctx)
{
	*(bool *)ctx = p->state == PROC_ALIVE && p->sid == p->pid;
}

/* The terminal's session, forgotten first if its leader is gone (the
 * hang-up Linux does at the leader's exit, noticed late). No tty lock held. */
static uint32_t live_session(struct tty *tty)
{
	uint32_t sid;
	bool alive = false;

	spin_lock(&tty->wq.lock);
	sid = tty->session;
	spin_unlock(&tty->wq.lock);
	if (!sid)
		return 0;
	proc_with_pid(sid, check_leader, &alive);
	if (alive)
		return sid;
	spin_lock(&tty->wq.lock);
	if (tty->session == sid)
		tty->session = tty->pgrp = 0;
	spin_unlock(&tty->wq.lock);
	return 0;
}

/*
 * The session leader that owns the terminal exited: its foreground group
 * gets SIGHUP, and the terminal belongs to no session until another
 * leader takes it (Linux's disassociate_ctty at exit, which sends SIGCONT
 * only for TIOCNOTTY).
 */
static void leader_exited(struct process *leader)
{
	struct tty *tty = &console_tty;
	uint32_t pgrp = 0;

	spin_lock(&tty->wq.lock);
	if (tty->session && tty->session == leader->sid) {
		pgrp = tty->pgrp;
		tty->session = tty->pgrp = 0;
	}
	spin_unlock(&tty->wq.lock);
	signal_group(tty, pgrp, SIGHUP);
}

/* Whether tty is p's controlling terminal. */
static bool is_ctty(struct tty *tty, const struct process *p)
{
	bool yes;

	spin_lock(&tty->wq.lock);
	yes = p && tty->session && tty->session == p->sid;
	spin_unlock(&tty->wq.lock);
	return yes;
}

/* Makes tty the controlling terminal of p's session, p in the foreground. */
static void take_ctty(struct tty *tty, const struct process *p)
{
	spin_lock(&tty->wq.lock);
	tty->session = p->sid;
	tty->pgrp = p->pgid;
	spin_unlock(&tty->wq.lock);
}

struct group_query {
	uint32_t pgrp, sid;
	bool exists, in_session;
};

static void query_member(struct process *p, void *ctx)
{
	struct group_query *q = ctx;

	if (p->state != PROC_ALIVE || p->pgid != q->pgrp)
		return;
	q->exists = true;
	q->in_session |= p->sid == q->sid;
}

/* Whether p ignores or blocks sig. */
static bool signal_refused(const struct process *p, int sig)
{
	uint64_t bit = 1ull << (sig - 1);

	return (__atomic_load_n(&p->sigmask, __ATOMIC_RELAXED) & bit) ||
	       (p->actions && p->actions[sig].handler == SIG_IGN);
}

/*
 * Job control, as Linux's: a process of a background group of the
 * terminal's session that reads (sig SIGTTIN), or that writes with TOSTOP
 * set or changes the terminal's settings (sig SIGTTOU), sends sig to its
 * group and gets -EINTR, to be restarted once continued in the
 * foreground. If it ignores or blocks sig, a read fails with -EIO and a
 * write or change goes ahead (a shell ignores SIGTTOU to take the terminal
 * back); an orphaned group gets -EIO, as nobody would continue it. 0 if
 * the caller may go on. No tty lock held.
 */
static int check_background(struct tty *tty, int sig)
{
	struct process *p = proc_current();
	uint32_t pgrp;

	if (!is_ctty(tty, p))
		return 0;
	spin_lock(&tty->wq.lock);
	pgrp = tty->pgrp;
	spin_unlock(&tty->wq.lock);
	if (!pgrp || p->pgid == pgrp)
		return 0;
	if (signal_refused(p, sig))
		return sig == SIGTTIN ? -EIO : 0;
	if (proc_group_orphaned(p->pgid, p->sid))
		return -EIO;
	signal_group(tty, p->pgid, sig);
	return -EINTR;
}

/* ---- output ---------------------------------------------------------------- */

/* The column after c is shown at col. */
static uint32_t column_after(uint32_t col, uint8_t c)
{
	if (c == '\r')
		return 0;
	if (c == '\t')
		return (col | 7) + 1;
	if (c == '\b')
		return col ? col - 1 : 0;
	if (c < 0x20 || c == 0x7f || (c & 0xc0) == 0x80) /* controls, UTF-8 continuations */
		return col;
	return col + 1;
}

/*
 * Writes n <= OUT_CHUNK bytes to the consoles with the output processing
 * the termios asks for (OPOST), keeping track of the column. out_lock
 * held, wq.lock not.
 */
static void output(struct tty *tty, const uint8_t *s, size_t n)
{
	char out[2 * OUT_CHUNK];
	size_t len = 0;
	uint32_t oflag, col;
	bool post;

	if (!mutex_held(&tty->out_lock))
		panic("tty output: out_lock not held");
	spin_lock(&tty->wq.lock);
	oflag = tty->termios.c_oflag;
	col = tty->column;
	spin_unlock(&tty->wq.lock);
	post = oflag & OPOST;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (post && c == '\n' && (oflag & ONLCR)) {
			out[len++] = '\r';
			col = 0;
		} else if (post && c == '\r' && (oflag & ONOCR) && col == 0) {
			continue;
		} else if (post && c == '\r' && (oflag & OCRNL)) {
			c = '\n';
		}
		if (post && c == '\n' && (oflag & ONLRET))
			col = 0;
		col = column_after(col, c);
		out[len++] = (char)c;
	}
	console_write(out, len);
	spin_lock(&tty->wq.lock);
	tty->column = col;
	spin_unlock(&tty->wq.lock);
}

/* Outputs what the line discipline echoed. out_lock held, wq.lock not. */
static void echo_flush(struct tty *tty)
{
	uint8_t buf[128];

	for (;;) {
		uint32_t n;

		spin_lock(&tty->wq.lock);
		n = min_u32(tty->echo_len, sizeof(buf));
		memcpy(buf, tty->echo, n);
		memmove(tty->echo, tty->echo + n, tty->echo_len - n);
		tty->echo_len -= n;
		spin_unlock(&tty->wq.lock);
		if (n == 0)
			return;
		output(tty, buf, n);
	}
}

static int64_t tty_write(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	struct tty *tty = devfs_node_data(vn);
	uint8_t buf[OUT_CHUNK];
	int64_t done = 0;
	uint32_t lflag;
	int err;

	spin_lock(&tty->wq.lock);
	lflag = tty->termios.c_lflag;
	spin_unlock(&tty->wq.lock);
	if ((lflag & TOSTOP) && (err = check_background(tty, SIGTTOU)))
		return err;
	while (u->resid > 0) {
		size_t n = u->resid < sizeof(buf) ? u->resid : sizeof(buf);

		if (done > 0 && signal_pending(proc_current()))
			break; /* ^C stops a long write */
		if (uio_move(u, buf, n, false))
			return done > 0 ? done : -EFAULT;
		mutex_lock(&tty->out_lock);
		output(tty, buf, n);
		mutex_unlock(&tty->out_lock);
		done += (int64_t)n;
	}
	return done;
}

/* ---- the line discipline (input thread; wq.lock held) ------------------------ */

/* Whether c is the enabled special character c_cc[index]. */
static bool is_cc(const struct tty *tty, int index, uint8_t c)
{
	uint8_t cc = tty->termios.c_cc[index];

	return cc != 0 && cc == c;
}

static bool is_control(uint8_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

static void echo_bytes(struct tty *tty, const char *s, size_t n)
{
	n = min_u32((uint32_t)n, ECHO_MAX - tty->echo_len);
	memcpy(tty->echo + tty->echo_len, s, n);
	tty->echo_len += (uint32_t)n;
}

/* Echoes c as typed; a control character as ^X with ECHOCTL. */
static void echo_char(struct tty *tty, uint8_t c)
{
	char ctl[2] = { '^', (char)(c ^ 0x40) };

	if (!(tty->termios.c_lflag & ECHO))
		return;
	if ((tty->termios.c_lflag & ECHOCTL) && is_control(c))
		echo_bytes(tty, ctl, 2);
	else
		echo_bytes(tty, (const char *)&c, 1);
}

/* The byte i places into the line being edited. */
static uint8_t line_byte(const struct tty *tty, uint32_t i)
{
	return (uint8_t)tty->in[(tty->in_head + tty->in_ready + i) % TTY_INPUT_MAX];
}

/* The column after echoing the first n bytes of the line being edited. */
static uint32_t line_column_after(const struct tty *tty, uint32_t n)
{
	bool ctl = tty->termios.c_lflag & ECHOCTL;
	uint32_t col = tty->line_column;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = line_byte(tty, i);

		col = ctl && is_control(c) ? col + 2 : column_after(col, c);
	}
	return col;
}

/* Drops the input not yet read, and any line being edited. */
static void flush_input(struct tty *tty)
{
	tty->in_len = tty->in_ready = 0;
	tty->lnext = false;
}

/*
 * Stores an entry. A full buffer drops it; in canonical mode the last
 * place is kept for a line end. Returns whether it was stored.
 */
static bool put_entry(struct tty *tty, uint8_t c, uint16_t flags)
{
	bool canon = tty->termios.c_lflag & ICANON;
	uint32_t room = TTY_INPUT_MAX - tty->in_len;

	if (room == 0 || (canon && room == 1 && !(flags & IN_DELIM)))
		return false;
	if (tty->in_len == tty->in_ready)
		tty->line_column = tty->column;
	tty->in[(tty->in_head + tty->in_len) % TTY_INPUT_MAX] = (uint16_t)(c | flags);
	tty->in_len++;
	if (!canon || (flags & IN_DELIM))
		tty->in_ready = tty->in_len;
	return true;
}

enum erase_kind { ERASE_CHAR, ERASE_WORD, ERASE_LINE };

/* VERASE, VWERASE, VKILL (typed as c): shortens the line being edited. */
static void erase(struct tty *tty, enum erase_kind kind, uint8_t c)
{
	uint32_t lflag = tty->termios.c_lflag;
	bool utf8 = tty->termios.c_iflag & IUTF8;
	uint32_t len = tty->in_len - tty->in_ready, keep = len;

	if (len == 0)
		return;
	if (kind == ERASE_LINE) {
		keep = 0;
	} else if (kind == ERASE_WORD) {
		while (keep > 0 && (line_byte(tty, keep - 1) == ' ' || line_byte(tty, keep - 1) == '\t'))
			keep--;
		while (keep > 0 && line_byte(tty, keep - 1) != ' ' && line_byte(tty, keep - 1) != '\t')
			keep--;
	} else {
		do /* a UTF-8 character goes whole: continuations, then the lead byte */
			keep--;
		while (utf8 && keep > 0 && (line_byte(tty, keep) & 0xc0) == 0x80);
	}
	if ((lflag & ECHO) && (lflag & ECHOE) && (kind != ERASE_LINE || (lflag & ECHOKE))) {
		uint32_t from = line_column_after(tty, len), to = line_column_after(tty, keep);

		for (uint32_t col = from; col > to; col--)
			echo_bytes(tty, "\b \b", 3);
	} else if (lflag & ECHO) {
		echo_char(tty, c);
		if (kind == ERASE_LINE && (lflag & ECHOK))
			echo_bytes(tty, "\n", 1);
	}
	tty->in_len = tty->in_ready + keep;
}

/* VREPRINT: the line being edited again, on a new line. */
static void reprint(struct tty *tty, uint8_t c)
{
	uint32_t len = tty->in_len - tty->in_ready;

	if (!(tty->termios.c_lflag & ECHO))
		return;
	echo_char(tty, c);
	echo_bytes(tty, "\n", 1);
	tty->line_column = 0;
	for (uint32_t i = 0; i < len; i++)
		echo_char(tty, line_byte(tty, i));
}

/* The signal c generates with ISIG, or 0. */
static int signal_of(const struct tty *tty, uint8_t c)
{
	if (!(tty->termios.c_lflag & ISIG))
		return 0;
	if (is_cc(tty, VINTR, c))
		return SIGINT;
	if (is_cc(tty, VQUIT, c))
		return SIGQUIT;
	if (is_cc(tty, VSUSP, c))
		return SIGTSTP;
	return 0;
}

/*
 * Canonical-mode handling of c. Returns false if c is an ordinary
 * character that the caller stores.
 */
static bool canonical_special(struct tty *tty, uint8_t c)
{
	uint32_t lflag = tty->termios.c_lflag;
	bool ext = lflag & IEXTEN;

	if (is_cc(tty, VERASE, c))
		erase(tty, ERASE_CHAR, c);
	else if (is_cc(tty, VKILL, c))
		erase(tty, ERASE_LINE, c);
	else if (ext && is_cc(tty, VWERASE, c))
		erase(tty, ERASE_WORD, c);
	else if (ext && is_cc(tty, VREPRINT, c))
		reprint(tty, c);
	else if (is_cc(tty, VEOF, c))
		put_entry(tty, c, IN_DELIM | IN_EOF);
	else if (c == '\n' || is_cc(tty, VEOL, c) || (ext && is_cc(tty, VEOL2, c))) {
		if (put_entry(tty, c, IN_DELIM)) {
			if (c == '\n' && (lflag & (ECHO | ECHONL)))
				echo_bytes(tty, "\n", 1);
			else if (c != '\n')
				echo_char(tty, c);
		}
	} else {
		return false;
	}
	return true;
}

/* One received byte through the line discipline. Returns the signal to
 * send to the foreground group, or 0. */
static int ldisc_byte(struct tty *tty, uint8_t c)
{
	uint32_t iflag = tty->termios.c_iflag, lflag = tty->termios.c_lflag;
	int sig;

	if (!spin_held(&tty->wq.lock))
		panic("ldisc_byte: wq.lock not held");
	if (tty->lnext) {
		tty->lnext = false;
	} else {
		if (iflag & ISTRIP)
			c &= 0x7f;
		if (c == '\r' && (iflag & IGNCR))
			return 0;
		if (c == '\r' && (iflag & ICRNL))
			c = '\n';
		else if (c == '\n' && (iflag & INLCR))
			c = '\r';
		sig = signal_of(tty, c);
		if (sig) {
			if (!(lflag & NOFLSH))
				flush_input(tty);
			echo_char(tty, c);
			return sig;
		}
		if ((lflag & IEXTEN) && is_cc(tty, VLNEXT, c)) {
			tty->lnext = true;
			return 0;
		}
		if ((lflag & ICANON) && canonical_special(tty, c))
			return 0;
	}
	if (put_entry(tty, c, 0))
		echo_char(tty, c);
	return 0;
}

/* Runs one byte through the line discipline, sends its signal (without
 * waiting for output in progress), wakes readers and pollers, outputs its
 * echo. Input thread only. */
static void receive(struct tty *tty, uint8_t c)
{
	uint32_t pgrp;
	int sig;

	spin_lock(&tty->wq.lock);
	sig = ldisc_byte(tty, c);
	pgrp = tty->pgrp;
	spin_unlock(&tty->wq.lock);
	if (sig)
		signal_group(tty, pgrp, sig);
	wake_up_all(&tty->wq);
	poll_wake();
	mutex_lock(&tty->out_lock);
	echo_flush(tty);
	mutex_unlock(&tty->out_lock);
}

static bool raw_pending(void *arg)
{
	return ((struct tty *)arg)->raw_len > 0;
}

/* The terminal's input thread: what drivers queued, through the line
 * discipline, in a context that may take locks and write to consoles. */
static void input_thread(void *arg)
{
	struct tty *tty = arg;

	for (;;) {
		uint8_t buf[64];
		uint32_t n = 0;

		wait_until(&tty->raw_wq, raw_pending, tty);
		spin_lock(&tty->raw_wq.lock);
		for (; n < sizeof(buf) && tty->raw_len > 0; n++) {
			buf[n] = tty->raw[tty->raw_head];
			tty->raw_head = (tty->raw_head + 1) % RAW_MAX;
			tty->raw_len--;
		}
		spin_unlock(&tty->raw_wq.lock);
		for (uint32_t i = 0; i < n; i++)
			receive(tty, buf[i]);
	}
}

void tty_input(struct tty *tty, char c)
{
	spin_lock(&tty->raw_wq.lock);
	if (tty->raw_len < RAW_MAX) {
		tty->raw[(tty->raw_head + tty->raw_len) % RAW_MAX] = (uint8_t)c;
		tty->raw_len++;
	}
	spin_unlock(&tty->raw_wq.lock);
	wake_up_one(&tty->raw_wq);
}

/* ---- reading -------------------------------------------------------------------- */

/* What a read waits for: a line (canonical mode) or `want` bytes. */
struct read_wait {
	struct tty *tty;
	uint32_t want;
};

/* Whether the read can complete now. wq.lock held. */
static bool input_ready_locked(const struct read_wait *w)
{
	const struct tty *tty = w->tty;

	if (tty->termios.c_lflag & ICANON)
		return tty->in_ready > 0;
	return tty->in_ready >= w->want;
}

static bool input_ready(void *arg)
{
	return input_ready_locked(arg) || signal_pending(proc_current());
}

/*
 * Sleeps until the read can complete, a signal comes (signal_send wakes
 * the sleeper), or the deadline. Returns -ETIMEDOUT at the deadline.
 */
static int wait_input(struct read_wait *w, uint64_t deadline)
{
	if (deadline == NO_DEADLINE) {
		wait_until(&w->tty->wq, input_ready, w);
		return 0;
	}
	return wait_until_deadline(&w->tty->wq, input_ready, w, deadline);
}

/*
 * Moves up to max readable bytes into buf: in canonical mode up to and
 * including the end of one line (an IN_EOF entry is taken, not copied).
 * wq.lock held. Returns the bytes copied.
 */
static uint32_t take_input(struct tty *tty, uint8_t *buf, uint32_t max)
{
	bool canon = tty->termios.c_lflag & ICANON;
	uint32_t n = 0;

	while (n < max && tty->in_ready > 0) {
		uint16_t e = tty->in[tty->in_head];

		tty->in_head = (tty->in_head + 1) % TTY_INPUT_MAX;
		tty->in_len--;
		tty->in_ready--;
		if (!(e & IN_EOF))
			buf[n++] = (uint8_t)e;
		if (canon && (e & IN_DELIM))
			break;
	}
	return n;
}

/*
 * What a read of resid bytes waits for under the current termios: *want
 * bytes (0: none, return at once) and, for VTIME, *vtime_ns. Canonical
 * reads wait for a line (want 1, no timer). wq.lock held.
 */
static void read_rule(const struct tty *tty, uint64_t resid, uint32_t *want, uint64_t *vtime_ns)
{
	uint32_t vmin = tty->termios.c_cc[VMIN], vtime = tty->termios.c_cc[VTIME];

	*vtime_ns = (uint64_t)vtime * 100000000ull;
	if (tty->termios.c_lflag & ICANON) {
		*want = 1;
		*vtime_ns = 0;
	} else if (vmin == 0) {
		*want = vtime ? 1 : 0;
	} else {
		*want = (uint32_t)(resid < vmin ? resid : vmin);
	}
}

static int64_t tty_read(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	struct tty *tty = devfs_node_data(vn);
	uint32_t max = (uint32_t)(u->resid < TTY_INPUT_MAX ? u->resid : TTY_INPUT_MAX), n;
	struct read_wait w = { tty, 1 };
	uint64_t deadline = NO_DEADLINE, vtime_ns;
	bool timed_out = false;
	uint8_t *buf;
	int64_t ret = check_background(tty, SIGTTIN);

	if (ret)
		return ret;
	buf = kmalloc(max);
	for (;;) {
		spin_lock(&tty->wq.lock);
		read_rule(tty, u->resid, &w.want, &vtime_ns);
		if (timed_out || w.want == 0 || input_ready_locked(&w))
			break; /* with wq.lock held */
		/* VTIME counts from the read (VMIN 0) or from the first byte. */
		if (vtime_ns && deadline == NO_DEADLINE &&
		    (tty->termios.c_cc[VMIN] == 0 || tty->in_ready > 0))
			deadline = time_since_boot_ns() + vtime_ns;
		spin_unlock(&tty->wq.lock);
		if (f->flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		if (signal_pending(proc_current())) {
			ret = -EINTR;
			goto out;
		}
		timed_out = wait_input(&w, deadline) == -ETIMEDOUT;
	}
	n = take_input(tty, buf, max);
	spin_unlock(&tty->wq.lock);
	ret = uio_move(u, buf, n, true) ? -EFAULT : (int64_t)n;
out:
	kfree(buf);
	return ret;
}

unsigned tty_poll(struct vnode *vn, struct file *f)
{
	struct tty *tty = devfs_node_data(vn);
	unsigned events = POLLOUT | POLLWRNORM;

	spin_lock(&tty->wq.lock);
	if (tty->in_ready > 0)
		events |= POLLIN | POLLRDNORM;
	spin_unlock(&tty->wq.lock);
	return events;
}

/* ---- ioctl ---------------------------------------------------------------------- */

static int set_termios(struct tty *tty, unsigned long arg, bool flush)
{
	struct tty_termios t;

	if (copy_from_user(&t, (const void *)arg, sizeof(t)))
		return -EFAULT;
	spin_lock(&tty->wq.lock);
	tty->termios = t;
	if (!(t.c_lflag & ICANON))
		tty->in_ready = tty->in_len; /* a line being edited becomes readable */
	if (flush)
		flush_input(tty);
	spin_unlock(&tty->wq.lock);
	wake_up_all(&tty->wq);
	poll_wake();
	return 0;
}

static int set_winsize(struct tty *tty, unsigned long arg)
{
	struct tty_winsize ws;
	uint32_t pgrp;
	bool changed;

	if (copy_from_user(&ws, (const void *)arg, sizeof(ws)))
		return -EFAULT;
	spin_lock(&tty->wq.lock);
	changed = memcmp(&ws, &tty->winsize, sizeof(ws)) != 0;
	tty->winsize = ws;
	pgrp = tty->pgrp;
	spin_unlock(&tty->wq.lock);
	if (changed)
		signal_group(tty, pgrp, SIGWINCH);
	return 0;
}

/* TIOCSCTTY: the caller, a session leader, takes tty as its controlling
 * terminal; stealing it from another session needs root and arg 1. */
static int set_ctty(struct tty *tty, struct file *f, unsigned long arg)
{
	struct process *p = proc_current();
	uint32_t sid;

	if (!p || p->pid != p->sid)
		return -EPERM;
	sid = live_session(tty);
	if (sid == p->sid)
		return 0;
	if (sid && !(arg == 1 && p->cred.euid == 0))
		return -EPERM;
	if ((f->flags & O_ACCMODE) == O_WRONLY && p->cred.euid != 0)
		return -EPERM;
	take_ctty(tty, p);
	return 0;
}

/* TIOCNOTTY: the session leader gives the terminal up; its foreground
 * group gets SIGHUP and SIGCONT, as on Linux. Other members: no effect. */
static int drop_ctty(struct tty *tty)
{
	struct process *p = proc_current();
	uint32_t pgrp;

	if (!is_ctty(tty, p))
		return -ENOTTY;
	if (p->pid != p->sid)
		return 0;
	spin_lock(&tty->wq.lock);
	pgrp = tty->pgrp;
	tty->session = tty->pgrp = 0;
	spin_unlock(&tty->wq.lock);
	signal_group(tty, pgrp, SIGHUP);
	signal_group(tty, pgrp, SIGCONT);
	return 0;
}

/* TIOCSPGRP: a group of the caller's session becomes the foreground. */
static int set_pgrp(struct tty *tty, unsigned long arg)
{
	struct process *p = proc_current();
	struct group_query q = { 0 };
	int32_t pgrp;

	if (!is_ctty(tty, p))
		return -ENOTTY;
	if (copy_from_user(&pgrp, (const void *)arg, sizeof(pgrp)))
		return -EFAULT;
	if (pgrp < 0)
		return -EINVAL;
	q.pgrp = (uint32_t)pgrp;
	q.sid = p->sid;
	proc_for_each(query_member, &q);
	if (!q.exists)
		return -ESRCH;
	if (!q.in_session)
		return -EPERM;
	spin_lock(&tty->wq.lock);
	tty->pgrp = q.pgrp;
	spin_unlock(&tty->wq.lock);
	return 0;
}

/* TIOCGPGRP, TIOCGSID: the foreground group or the session, as an int. */
static int get_id(struct tty *tty, unsigned long arg, bool session)
{
	int32_t id;

	if (!is_ctty(tty, proc_current()))
		return -ENOTTY;
	spin_lock(&tty->wq.lock);
	id = (int32_t)(session ? tty->session : tty->pgrp);
	spin_unlock(&tty->wq.lock);
	return copy_to_user((void *)arg, &id, sizeof(id));
}

/* FIONREAD: the bytes a reader could take now. */
static int get_readable(struct tty *tty, unsigned long arg)
{
	int32_t n = 0;

	spin_lock(&tty->wq.lock);
	for (uint32_t i = 0; i < tty->in_ready; i++)
		n += !(tty->in[(tty->in_head + i) % TTY_INPUT_MAX] & IN_EOF);
	spin_unlock(&tty->wq.lock);
	return copy_to_user((void *)arg, &n, sizeof(n));
}

/* TIOCSTI: c as if typed (controlling terminal, or root). */
static int push_input(struct tty *tty, unsigned long arg)
{
	struct process *p = proc_current();
	char c;

	if (!is_ctty(tty, p) && (!p || p->cred.euid != 0))
		return -EPERM;
	if (copy_from_user(&c, (const void *)arg, 1))
		return -EFAULT;
	tty_input(tty, c);
	return 0;
}

static int tty_ioctl(struct vnode *vn, struct file *f, unsigned long cmd, unsigned long arg)
{
	struct tty *tty = devfs_node_data(vn);
	struct tty_termios t;
	struct tty_winsize ws;
	int32_t zero = 0;
	int err;

	switch (cmd) { /* the calls that change the terminal: background groups ask first */
	case TCSETS: case TCSETSW: case TCSETSF: case TIOCSPGRP: case TCFLSH: case TCXONC:
	case TCSBRK: case TCSBRKP:
		if ((err = check_background(tty, SIGTTOU)))
			return err;
		break;
	}
	switch (cmd) {
	case TCGETS:
		spin_lock(&tty->wq.lock);
		t = tty->termios;
		spin_unlock(&tty->wq.lock);
		return copy_to_user((void *)arg, &t, sizeof(t));
	case TCSETS:
	case TCSETSW: /* output is synchronous: nothing to drain */
	case TCSETSF:
		return set_termios(tty, arg, cmd == TCSETSF);
	case TIOCGWINSZ:
		spin_lock(&tty->wq.lock);
		ws = tty->winsize;
		spin_unlock(&tty->wq.lock);
		return copy_to_user((void *)arg, &ws, sizeof(ws));
	case TIOCSWINSZ:
		return set_winsize(tty, arg);
	case TIOCSCTTY:
		return set_ctty(tty, f, arg);
	case TIOCNOTTY:
		return drop_ctty(tty);
	case TIOCGPGRP:
		return get_id(tty, arg, false);
	case TIOCGSID:
		return get_id(tty, arg, true);
	case TIOCSPGRP:
		return set_pgrp(tty, arg);
	case FIONREAD:
		return get_readable(tty, arg);
	case TIOCOUTQ:
		return copy_to_user((void *)arg, &zero, sizeof(zero));
	case TIOCSTI:
		return push_input(tty, arg);
	case TCFLSH: /* TCIFLUSH 0, TCOFLUSH 1, TCIOFLUSH 2 */
		if (arg > 2)
			return -EINVAL;
		if (arg != 1) {
			spin_lock(&tty->wq.lock);
			flush_input(tty);
			spin_unlock(&tty->wq.lock);
		}
		return 0;
	case TCXONC:
		return arg > 3 ? -EINVAL : 0; /* no flow control */
	case TCSBRK:
	case TCSBRKP:
		return 0; /* tcdrain: output is synchronous; no breaks */
	default:
		return -ENOTTY;
	}
}

/* ---- the device nodes ------------------------------------------------------------- */

/* /dev/console: never becomes a controlling terminal by open, as on Linux. */
static int console_open(struct vnode *vn, struct file *f)
{
	return 0;
}

/* /dev/ttyS0: a session leader without a terminal gets it (no O_NOCTTY). */
static int serial_open(struct vnode *vn, struct file *f)
{
	struct tty *tty = devfs_node_data(vn);
	struct process *p = proc_current();

	if (p && !(f->flags & O_NOCTTY) && p->pid == p->sid && !live_session(tty))
		take_ctty(tty, p);
	return 0;
}

/* /dev/tty: the caller's controlling terminal. */
static int ctty_open(struct vnode *vn, struct file *f)
{
	struct tty *tty = devfs_node_data(vn);
	struct process *p = proc_current();

	return p && live_session(tty) == p->sid ? 0 : -ENXIO;
}

static const struct vnode_ops console_ops = {
	.open = console_open, .read = tty_read, .write = tty_write, .ioctl = tty_ioctl,
	.poll = tty_poll,
};
static const struct vnode_ops serial_ops = {
	.open = serial_open, .read = tty_read, .write = tty_write, .ioctl = tty_ioctl,
	.poll = tty_poll,
};
static const struct vnode_ops ctty_ops = {
	.open = ctty_open, .read = tty_read, .write = tty_write, .ioctl = tty_ioctl,
	.poll = tty_poll,
};

struct tty *tty_of_vnode(struct vnode *vn)
{
	if (!S_ISCHR(vn->mode) || !vn->mnt || strcmp(vn->mnt->fstype, "devfs") != 0)
		return NULL;
	return devfs_node_data(vn) == &console_tty ? &console_tty : NULL;
}

struct tty *tty_console(void)
{
	return __atomic_load_n(&console_ready, __ATOMIC_ACQUIRE) ? &console_tty : NULL;
}

static void register_node(const char *name, uint32_t perm, uint32_t major, uint32_t minor,
			  const struct vnode_ops *ops)
{
	int err = devfs_register(name, S_IFCHR | perm, devfs_encode_dev(major, minor), ops,
				 &console_tty);

	if (err)
		log_warn("tty", "cannot register /dev/%s: %s", name, errno_name(err));
}

/*
 * One terminal, two outputs of different sizes: with a serial port, the
 * size is the usual 80x24 of the terminal at the other end (whose real
 * size the kernel cannot know; `stty cols N rows M` sets it); without one,
 * the screen's text size.
 */
static struct tty_winsize initial_winsize(bool serial)
{
	uint32_t cols, rows;

	if (serial || !fbcon_console_size(&cols, &rows))
		return (struct tty_winsize){ .ws_row = 24, .ws_col = 80 };
	return (struct tty_winsize){ .ws_row = (uint16_t)rows, .ws_col = (uint16_t)cols };
}

void tty_init(void)
{
	struct tty *tty = &console_tty;
	bool serial;

	wait_queue_init(&tty->raw_wq, "tty-raw");
	wait_queue_init(&tty->wq, "tty");
	mutex_init(&tty->out_lock, "tty-out");
	tty->termios = default_termios;
	proc_on_session_exit(leader_exited);
	register_node("console", 0600, 5, 1, &console_ops);
	register_node("ttyS0", 0660, 4, 64, &serial_ops);
	register_node("tty", 0666, 5, 0, &ctty_ops);
	thread_create("tty-input", input_thread, tty);
	__atomic_store_n(&console_ready, true, __ATOMIC_RELEASE);
	serial = serial_rx_start(tty);
	tty->winsize = initial_winsize(serial);
	log_info("tty", "console window %ux%u, %s", tty->winsize.ws_col, tty->winsize.ws_row,
		 serial ? "a serial terminal's usual size" : "the screen's");
}
