/* ext2tool: the host command-line build of the kernel's ext2 driver. */
#ifndef TOOLS_EXT2TOOL_H
#define TOOLS_EXT2TOOL_H

#include <stdio.h>

#include "fs/ext2.h"

extern int ext2tool_verbose;

/* True if the command only reads (the image is then mounted read-only). */
int ext2tool_command_reads_only(const char *name);

/*
 * Runs one command (argv[0] is its name) on the mounted fs, writing its
 * output to stdout and its error message to stderr. Returns 0 or a
 * negative errno; -EINVAL with a usage line for a malformed command.
 */
int ext2tool_run(struct ext2_fs *fs, int argc, char **argv);

/* Prints the usage text. */
void ext2tool_usage(FILE *out);

#endif
