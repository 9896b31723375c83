/* Reading the boot files from the volume the loader itself was loaded from. */
#ifndef LOADER_FILES_H
#define LOADER_FILES_H

#include <efi.h>
#include <stdint.h>

/* Opens the root directory of the loader's own volume; prints the error. */
EFI_STATUS files_open_root(EFI_HANDLE image, EFI_FILE_HANDLE *root);

/*
 * Reads `path` ("boot/kernel.elf", '/' separated) whole into fresh pages
 * recorded under `cls` (enum mem_class). Returns 0 and sets *pa and *size;
 * -ENOENT if the file does not exist (nothing printed: the caller decides
 * whether that matters); -EFBIG if it is larger than max_size or empty
 * when min_size > 0; -EIO for a read failure. Errors other than -ENOENT
 * print a loader error naming the file.
 */
int files_read(EFI_FILE_HANDLE root, const char *path, uint32_t cls, uint64_t min_size,
	       uint64_t max_size, uint64_t *pa, uint64_t *size);

#endif
