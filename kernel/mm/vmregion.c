/* User address-space regions: an AVL tree plus a sorted list, with reserve-then-commit range ops. */
#include "mm/vmregion.h"

#include "lib/errno.h"
#include "log.h"
#include "mm/addr.h"
#include "panic.h"

#define PAGE_MASK (FRAME_SIZE - 1)

#define MAX_HEIGHT 96 /* beyond any balanced tree that fits in 64-bit memory */

static const struct vmr_ops no_ops;

static int height(const struct vm_region *n)
{
	return n ? n->height : 0;
}

static void update_height(struct vm_region *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = 1 + (l > r ? l : r);
}

static struct vm_region *rotate_right(struct vm_region *n)
{
	struct vm_region *l = n->left;

	n->left = l->right;
	l->right = n;
	update_height(n);
	update_height(l);
	return l;
}

static struct vm_region *rotate_left(struct vm_region *n)
{
	struct vm_region *r = n->right;

	n->right = r->left;
	r->left = n;
	update_height(n);
	update_height(r);
	return r;
}

/*
 * Restores the AVL property at n, whose subtrees are balanced and differ in
 * height by at most 2 (true after one insertion or removal below n).
 * Returns the subtree's new root.
 */
static struct vm_region *rebalance(struct vm_region *n)
{
	int balance = height(n->left) - height(n->right);

	if (balance > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (balance < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	update_height(n);
	return n;
}

/*
 * Inserts node, whose start is in no other node, into the subtree at root;
 * returns the new root. The recursion (here and below) is as deep as the
 * tree, at most 1.44 log2(n + 2) levels.
 */
static struct vm_region *tree_insert(struct vm_region *root, struct vm_region *node)
{
	if (!root) {
		node->left = node->right = NULL;
		node->height = 1;
		return node;
	}
	if (node->start < root->start)
		root->left = tree_insert(root->left, node);
	else
		root->right = tree_insert(root->right, node);
	return rebalance(root);
}

/* Unlinks the lowest node of the subtree at root into *min; returns the new root. */
static struct vm_region *tree_remove_min(struct vm_region *root, struct vm_region **min)
{
	if (!root->left) {
		*min = root;
		return root->right;
	}
	root->left = tree_remove_min(root->left, min);
	return rebalance(root);
}

/* Unlinks node from the subtree at root (panics if absent); returns the new root. */
static struct vm_region *tree_remove(struct vm_region *root, struct vm_region *node)
{
	struct vm_region *min;

	if (!root || (node->start == root->start && node != root))
		panic("vmr_remove: region [%#lx, %#lx) is not in the map",
		      (unsigned long)node->start, (unsigned long)node->end);
	if (node->start < root->start) {
		root->left = tree_remove(root->left, node);
	} else if (node->start > root->start) {
		root->right = tree_remove(root->right, node);
	} else {
		if (!node->left)
			return node->right;
		if (!node->right)
			return node->left;
		node->right = tree_remove_min(node->right, &min);
		min->left = node->left;
		min->right = node->right;
		root = min;
	}
	return rebalance(root);
}

/*
 * The lowest region with end > addr. Regions are disjoint, so ends are in
 * the same order as starts, and a region containing addr is the answer.
 * Counts the regions visited in *visits.
 */
static struct vm_region *lookup(const struct vm_map *map, uint64_t addr, unsigned *visits)
{
	struct vm_region *n = map->root, *best = NULL;

	*visits = 0;
	while (n) {
		++*visits;
		if (n->end <= addr) {
			n = n->right;
		} else if (n->start <= addr) {
			return n;
		} else {
			best = n;
			n = n->left;
		}
	}
	return best;
}

/* The highest region with start < addr, or NULL. */
static struct vm_region *last_starting_before(const struct vm_map *map, uint64_t addr)
{
	struct vm_region *n = map->root, *best = NULL;

	while (n) {
		if (n->start < addr) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

void vmr_init(struct vm_map *map, const struct vmr_ops *ops)
{
	map->root = NULL;
	list_init(&map->regions);
	map->count = 0;
	map->ops = ops ? ops : &no_ops;
}

struct vm_region *vmr_first_ending_after(const struct vm_map *map, uint64_t addr)
{
	unsigned visits;

	return lookup(map, addr, &visits);
}

struct vm_region *vmr_find(const struct vm_map *map, uint64_t addr)
{
	struct vm_region *region = vmr_first_ending_after(map, addr);

	return region && region->start <= addr ? region : NULL;
}

unsigned vmr_lookup_cost(const struct vm_map *map, uint64_t addr)
{
	unsigned visits;

	lookup(map, addr, &visits);
	return visits;
}

/* Lowest fit: every region before `next` ends at or below the cursor. */
static int gap_bottom_up(const struct vm_map *map, uint64_t size, uint64_t lo, uint64_t hi,
			 uint64_t align, uint64_t *out)
{
	uint64_t cursor = align_up(lo, align);
	struct vm_region *next;

	if (cursor < lo)
		return -ENOMEM;
	for (next = vmr_first_ending_after(map, cursor);; next = vmr_next(map, next)) {
		if (cursor > hi || hi - cursor < size)
			return -ENOMEM;
		if (!next || (next->start >= cursor && next->start - cursor >= size)) {
			*out = cursor;
			return 0;
		}
		cursor = align_up(next->end, align);
		if (cursor < next->end)
			return -ENOMEM;
	}
}

/* Highest fit: every region after `prev` starts at or above top. */
static int gap_top_down(const struct vm_map *map, uint64_t size, uint64_t lo, uint64_t hi,
			uint64_t align, uint64_t *out)
{
	struct vm_region *prev = last_starting_before(map, hi);
	uint64_t top = hi, candidate;

	for (;; prev = vmr_prev(map, prev)) {
		if (top < lo || top - lo < size)
			return -ENOMEM;
		candidate = align_down(top - size, align);
		if (candidate < lo)
			return -ENOMEM;
		if (!prev || prev->end <= candidate) {
			*out = candidate;
			return 0;
		}
		top = prev->start;
	}
}

int vmr_find_gap(const struct vm_map *map, uint64_t size, uint64_t lo, uint64_t hi,
		 uint64_t align, bool topdown, uint64_t *out)
{
	if (size == 0 || (size & PAGE_MASK) || align < FRAME_SIZE || (align & (align - 1)))
		return -EINVAL;
	if (topdown)
		return gap_top_down(map, size, lo, hi, align, out);
	return gap_bottom_up(map, size, lo, hi, align, out);
}

static bool valid_range(uint64_t start, uint64_t end)
{
	return start < end && !((start | end) & PAGE_MASK);
}

/* Links region (overlapping nothing) into the tree and into the list before next. */
static void link_region(struct vm_map *map, struct vm_region *region, struct vm_region *next)
{
	struct list_node *after = next ? &next->link : &map->regions;

	map->root = tree_insert(map->root, region);
	list_insert_between(&region->link, after->prev, after);
	map->count++;
}

void vmr_remove(struct vm_map *map, struct vm_region *region)
{
	map->root = tree_remove(map->root, region);
	list_remove(&region->link);
	map->count--;
}

static void get_file(const struct vm_map *map, void *file)
{
	if (file && map->ops->file_get)
		map->ops->file_get(file);
}

/* Drops the file reference of a region already out of the map, then frees it. */
static void drop_region(const struct vm_map *map, struct vm_region *region)
{
	if (region->file && map->ops->file_put)
		map->ops->file_put(region->file);
	if (map->ops->free_region)
		map->ops->free_region(region);
}

/* Copies the public fields of src for [start, end) inside it into dst. */
static void copy_attributes(struct vm_region *dst, const struct vm_region *src, uint64_t start,
			    uint64_t end)
{
	dst->start = start;
	dst->end = end;
	dst->prot = src->prot;
	dst->flags = src->flags;
	dst->file = src->file;
	dst->file_offset = src->file_offset + (start - src->start);
}

int vmr_insert(struct vm_map *map, struct vm_region *region)
{
	struct vm_region *next;

	if (!valid_range(region->start, region->end))
		return -EINVAL;
	next = vmr_first_ending_after(map, region->start);
	if (next && next->start < region->end)
		return -EEXIST;
	link_region(map, region, next);
	return 0;
}

bool vmr_can_merge(const struct vm_region *a, const struct vm_region *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags || a->file != b->file)
		return false;
	if (!a->file)
		return !(a->flags & VMR_SHARED);
	return a->file_offset + (a->end - a->start) == b->file_offset;
}

/* Grows a over b (its mergeable successor) and frees b. The tree keys do not change. */
static void absorb(struct vm_map *map, struct vm_region *a, struct vm_region *b)
{
	vmr_remove(map, b);
	a->end = b->end;
	drop_region(map, b);
}

struct vm_region *vmr_merge_neighbours(struct vm_map *map, struct vm_region *region)
{
	struct vm_region *next = vmr_next(map, region), *prev = vmr_prev(map, region);

	if (next && vmr_can_merge(region, next))
		absorb(map, region, next);
	if (prev && vmr_can_merge(prev, region)) {
		absorb(map, prev, region);
		region = prev;
	}
	return region;
}

int vmr_reserve_fill(const struct vm_map *map, struct vmr_reserve *r,
		     struct vm_region *(*alloc)(void *ctx), void *ctx)
{
	for (unsigned i = 0; i < r->needed && i < VMR_RESERVE_MAX; i++) {
		if (r->spare[i])
			continue;
		r->spare[i] = alloc(ctx);
		if (!r->spare[i]) {
			vmr_reserve_release(map, r);
			return -ENOMEM;
		}
	}
	return 0;
}

void vmr_reserve_release(const struct vm_map *map, struct vmr_reserve *r)
{
	for (unsigned i = 0; i < VMR_RESERVE_MAX; i++) {
		if (r->spare[i] && map->ops->free_region)
			map->ops->free_region(r->spare[i]);
		r->spare[i] = NULL;
	}
}

static struct vm_region *take_spare(struct vmr_reserve *r, const char *fn)
{
	for (unsigned i = 0; i < VMR_RESERVE_MAX; i++) {
		struct vm_region *spare = r->spare[i];

		if (spare) {
			r->spare[i] = NULL;
			return spare;
		}
	}
	panic("%s: reserve short (map changed since prepare?)", fn);
}

/*
 * Cuts region at addr (strictly inside it) with a spare from r: region
 * keeps [start, addr), the spare becomes [addr, end) with its own file
 * reference. Returns the upper piece.
 */
static struct vm_region *split(struct vm_map *map, struct vm_region *region, uint64_t addr,
			       struct vmr_reserve *r, const char *fn)
{
	struct vm_region *upper = take_spare(r, fn);

	copy_attributes(upper, region, addr, region->end);
	region->end = addr;
	get_file(map, upper->file);
	link_region(map, upper, vmr_next(map, region));
	return upper;
}

int vmr_unmap_prepare(const struct vm_map *map, uint64_t start, uint64_t end,
		      struct vmr_reserve *r)
{
	struct vm_region *region;

	if (!valid_range(start, end))
		return -EINVAL;
	*r = (struct vmr_reserve){ 0 };
	region = vmr_first_ending_after(map, start);
	r->needed = region && region->start < start && region->end > end;
	return 0;
}

void vmr_unmap_commit(struct vm_map *map, uint64_t start, uint64_t end, struct vmr_reserve *r,
		      void (*each_piece)(void *ctx, const struct vm_region *piece), void *ctx)
{
	struct vm_region *region = vmr_first_ending_after(map, start), *next;
	struct vm_region piece = { 0 };

	if (region && region->start < start && region->end > end)
		split(map, region, end, r, __func__);
	for (; region && region->start < end; region = next) {
		next = vmr_next(map, region);
		copy_attributes(&piece, region, region->start < start ? start : region->start,
				region->end > end ? end : region->end);
		if (each_piece)
			each_piece(ctx, &piece);
		if (region->start < start) {
			region->end = start;
		} else if (region->end > end) {
			/* The key moves up inside the region's own range: order holds. */
			region->file_offset += end - region->start;
			region->start = end;
		} else {
			vmr_remove(map, region);
			drop_region(map, region);
		}
	}
	vmr_reserve_release(map, r);
}

int vmr_protect_prepare(const struct vm_map *map, uint64_t start, uint64_t end,
			uint32_t new_prot, struct vmr_reserve *r)
{
	struct vm_region *region;
	uint64_t cursor = start;

	if (!valid_range(start, end) || (new_prot & ~(VMR_READ | VMR_WRITE | VMR_EXEC)))
		return -EINVAL;
	*r = (struct vmr_reserve){ 0 };
	for (region = vmr_first_ending_after(map, start); cursor < end;
	     region = vmr_next(map, region)) {
		if (!region || region->start > cursor) {
			r->needed = 0;
			return -ENOMEM;
		}
		if (region->prot != new_prot)
			r->needed += (region->start < start) + (region->end > end);
		cursor = region->end;
	}
	return 0;
}

/* Merges every mergeable pair from first's predecessor through the region starting at end. */
static void merge_range(struct vm_map *map, struct vm_region *first, uint64_t end)
{
	struct vm_region *a = vmr_prev(map, first), *b;

	if (!a)
		a = first;
	while ((b = vmr_next(map, a)) && b->start <= end) {
		if (vmr_can_merge(a, b))
			absorb(map, a, b);
		else
			a = b;
	}
}

void vmr_protect_commit(struct vm_map *map, uint64_t start, uint64_t end, uint32_t new_prot,
			struct vmr_reserve *r)
{
	struct vm_region *region = vmr_first_ending_after(map, start), *first;

	if (!region || region->start > start)
		panic("vmr_protect_commit: %#lx is not mapped (map changed since prepare?)",
		      (unsigned long)start);
	if (region->start < start && region->prot != new_prot)
		region = split(map, region, start, r, __func__);
	first = region;
	for (; region && region->start < end; region = vmr_next(map, region)) {
		if (region->prot == new_prot)
			continue;
		if (region->end > end)
			split(map, region, end, r, __func__);
		region->prot = new_prot;
	}
	merge_range(map, first, end);
	vmr_reserve_release(map, r);
}

int vmr_clone(struct vm_map *dst, const struct vm_map *src,
	      struct vm_region *(*alloc)(void *ctx), void *ctx)
{
	const struct vm_region *region;
	struct vm_region *copy;

	if (dst->count)
		panic("vmr_clone: destination map is not empty");
	for (region = vmr_first(src); region; region = vmr_next(src, region)) {
		copy = alloc(ctx);
		if (!copy) {
			vmr_destroy(dst, NULL, NULL);
			return -ENOMEM;
		}
		copy_attributes(copy, region, region->start, region->end);
		get_file(dst, copy->file);
		link_region(dst, copy, NULL);
	}
	return 0;
}

void vmr_destroy(struct vm_map *map,
		 void (*each_piece)(void *ctx, const struct vm_region *piece), void *ctx)
{
	struct vm_region *region, *tmp;

	list_for_each_entry_safe(region, tmp, &map->regions, link) {
		if (each_piece)
			each_piece(ctx, region);
		drop_region(map, region);
	}
	vmr_init(map, map->ops);
}

/*
 * Checks the subtree at n: its in-order walk must meet the list from
 * *cursor on, and heights must be right and balanced. Returns the height,
 * or -1 after logging the problem.
 */
static int check_subtree(const struct vm_map *map, const struct vm_region *n,
			 const struct list_node **cursor, int depth)
{
	int l, r;

	if (!n)
		return 0;
	if (depth > MAX_HEIGHT) {
		log_err("vmr", "check: tree deeper than %d (cycle?)", MAX_HEIGHT);
		return -1;
	}
	l = check_subtree(map, n->left, cursor, depth + 1);
	if (l < 0)
		return -1;
	if (vmr_region_of(map, *cursor) != n) {
		log_err("vmr", "check: tree holds [%#lx, %#lx) out of list order",
			(unsigned long)n->start, (unsigned long)n->end);
		return -1;
	}
	*cursor = (*cursor)->next;
	r = check_subtree(map, n->right, cursor, depth + 1);
	if (r < 0)
		return -1;
	if (n->height != 1 + (l > r ? l : r) || l - r > 1 || r - l > 1) {
		log_err("vmr", "check: [%#lx, %#lx) height %d, subtrees %d and %d",
			(unsigned long)n->start, (unsigned long)n->end, n->height, l, r);
		return -1;
	}
	return n->height;
}

bool vmr_check(const struct vm_map *map)
{
	const struct list_node *node, *cursor = map->regions.next;
	const struct vm_region *region;
	uint64_t prev_end = 0;
	size_t count = 0;

	for (node = map->regions.next; node != &map->regions; node = node->next) {
		region = vmr_region_of(map, node);
		if (node->next->prev != node || ++count > map->count) {
			log_err("vmr", "check: list broken or longer than count %zu", map->count);
			return false;
		}
		if (!valid_range(region->start, region->end) || region->start < prev_end) {
			log_err("vmr", "check: region [%#lx, %#lx) empty, misaligned or overlapping",
				(unsigned long)region->start, (unsigned long)region->end);
			return false;
		}
		prev_end = region->end;
	}
	if (count != map->count) {
		log_err("vmr", "check: %zu regions listed, count says %zu", count, map->count);
		return false;
	}
	if (check_subtree(map, map->root, &cursor, 1) < 0)
		return false;
	if (cursor != &map->regions) {
		log_err("vmr", "check: the tree lacks listed regions");
		return false;
	}
	return true;
}
