/* The framebuffer console on the GOP screen the loader found, if any. */
#include "dev/console.h"
#include "dev/fbcon.h"
#include "dev/screen.h"
#include "log.h"
#include "mm/kmalloc.h"
#include "mm/vmm.h"

extern const struct font font_default;

static struct fbcon screen_con;

void screen_init(const struct boot_framebuffer *fb)
{
	size_t cells;
	uint32_t *cell_store;
	void *pixels;
	int err;

	if (fb->format == BOOT_PIXEL_NONE || fb->size == 0) {
		log_info("screen", "no framebuffer: the serial console only");
		return;
	}
	if (fb->width == 0 || fb->height == 0 || fb->pitch < fb->width * 4ull ||
	    (uint64_t)fb->pitch * fb->height > fb->size) {
		log_warn("screen", "framebuffer %ux%u pitch %u does not fit its %lu bytes: not used",
			 fb->width, fb->height, fb->pitch, (unsigned long)fb->size);
		return;
	}
	cells = fbcon_cells_needed(fb->width, fb->height, &font_default);
	if (cells == 0) {
		log_warn("screen", "%ux%u is too small for a text console", fb->width, fb->height);
		return;
	}
	pixels = vmm_map_device(PA(fb->base_pa), (uint64_t)fb->pitch * fb->height, PTE_PWT);
	cell_store = kmalloc(cells * sizeof(uint32_t));
	err = fbcon_init(&screen_con, pixels, fb->width, fb->height, fb->pitch, fb->format,
			 fb->red_mask, fb->green_mask, fb->blue_mask, &font_default, cell_store,
			 cells);
	if (err) {
		kfree(cell_store);
		log_warn("screen", "framebuffer format %u not supported (error %d): not used",
			 fb->format, err);
		return;
	}
	fbcon_register(&screen_con);
	console_register(&fbcon_console);
	log_info("screen", "%ux%u text console on the %ux%u framebuffer at %#lx",
		 screen_con.cols, screen_con.rows, fb->width, fb->height,
		 (unsigned long)fb->base_pa);
}
