/* Reading the boot files from the volume the loader itself was loaded from. */
#include <efi.h>
#include <efilib.h>

#include "loader/alloc.h"
#include "loader/console.h"
#include "loader/files.h"

#define ENOENT 2
#define EIO    5
#define EFBIG  27

EFI_STATUS files_open_root(EFI_HANDLE image, EFI_FILE_HANDLE *root)
{
	EFI_LOADED_IMAGE *li = NULL;
	EFI_FILE_IO_INTERFACE *fs = NULL;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st)) {
		console_error("no loaded-image protocol (EFI status %#lx)", (unsigned long)st);
		return st;
	}
	st = uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle, &FileSystemProtocol,
			       (void **)&fs);
	if (EFI_ERROR(st)) {
		console_error("the loader's volume has no file system (EFI status %#lx)",
			      (unsigned long)st);
		return st;
	}
	st = uefi_call_wrapper(fs->OpenVolume, 2, fs, root);
	if (EFI_ERROR(st))
		console_error("cannot open the loader's volume (EFI status %#lx)", (unsigned long)st);
	return st;
}

/* "boot/kernel.elf" -> L"\\boot\\kernel.elf"; false if it does not fit. */
static bool to_efi_path(const char *path, CHAR16 *out, size_t cap)
{
	size_t i = 0;

	out[i++] = L'\\';
	for (; *path; path++) {
		if (i + 1 >= cap)
			return false;
		out[i++] = *path == '/' ? L'\\' : (CHAR16)*path;
	}
	out[i] = 0;
	return true;
}

static int file_size(EFI_FILE_HANDLE fh, const char *path, uint64_t *size)
{
	EFI_FILE_INFO *info = LibFileInfo(fh);

	if (!info) {
		console_error("%s: cannot read its file information", path);
		return -EIO;
	}
	*size = info->FileSize;
	FreePool(info);
	return 0;
}

int files_read(EFI_FILE_HANDLE root, const char *path, uint32_t cls, uint64_t min_size,
	       uint64_t max_size, uint64_t *pa, uint64_t *size)
{
	CHAR16 name[128];
	EFI_FILE_HANDLE fh;
	EFI_STATUS st;
	uint64_t done = 0;
	int err;

	if (!to_efi_path(path, name, sizeof(name) / sizeof(name[0])))
		return -ENOENT;
	st = uefi_call_wrapper(root->Open, 5, root, &fh, name, EFI_FILE_MODE_READ, 0);
	if (st == EFI_NOT_FOUND)
		return -ENOENT;
	if (EFI_ERROR(st)) {
		console_error("%s: cannot open (EFI status %#lx)", path, (unsigned long)st);
		return -EIO;
	}
	err = file_size(fh, path, size);
	if (err)
		goto out_close;
	if (*size < min_size || *size > max_size) {
		console_error("%s: size %lu bytes is outside [%lu, %lu]", path,
			      (unsigned long)*size, (unsigned long)min_size, (unsigned long)max_size);
		err = -EFBIG;
		goto out_close;
	}
	*pa = alloc_pages((*size + 4095) / 4096 + (*size == 0), cls, path);
	if (!*pa) {
		err = -EIO;
		goto out_close;
	}
	/* Firmware may return fewer bytes than asked for: loop until done. */
	while (done < *size) {
		UINTN chunk = *size - done;

		st = uefi_call_wrapper(fh->Read, 3, fh, &chunk, (void *)(uintptr_t)(*pa + done));
		if (EFI_ERROR(st) || chunk == 0) {
			console_error("%s: read failed at byte %lu (EFI status %#lx)", path,
				      (unsigned long)done, (unsigned long)st);
			err = -EIO;
			goto out_close;
		}
		done += chunk;
	}
	err = 0;
out_close:
	uefi_call_wrapper(fh->Close, 1, fh);
	return err;
}
