// SPDX-License-Identifier: GPL-2.0
/*
 * Linked into reapwatch-static only when the static libelf.a needs it (the Makefile asks
 * nm): elfutils 0.192's libelf.a, as Debian 13 ships it, calls eu_search_tree_init() and
 * eu_search_tree_fini() from elfutils' internal libeu (lib/eu-search.c), which no Debian
 * package provides, so a static link fails with both undefined.
 *
 * Their search_tree (lib/eu-search.h) is the root of a tsearch() tree followed by a lock.
 * That libelf is built without thread safety (nothing in it calls pthread_rwlock_*), so the
 * lock is an unused int; and every Elf that holds a tree comes from calloc(), which is also
 * how glibc spells an initialised rwlock. So these touch the root alone, as the originals
 * do apart from the lock. Weak, so that a libelf.a that does bring them wins.
 */
#include <search.h>
#include <stddef.h>

struct eu_search_tree {
	void *root;
};

void eu_search_tree_init(struct eu_search_tree *tree);
void eu_search_tree_fini(struct eu_search_tree *tree, void (*free_node)(void *));

__attribute__((weak)) void eu_search_tree_init(struct eu_search_tree *tree)
{
	tree->root = NULL;
}

__attribute__((weak)) void eu_search_tree_fini(struct eu_search_tree *tree,
					       void (*free_node)(void *))
{
	if (tree->root)
		tdestroy(tree->root, free_node);
	tree->root = NULL;
}
