// Fixed-signature wrappers around the libvips calls ImageGate needs.
// Most libvips operations are C-variadic (`..., NULL`-terminated option lists), which Swift cannot call,
// so each one used by the Imaging module gets a plain C function here. Every function returns 0 on
// success and non-zero on failure; the reason is then in `ig_error_message()`.
#ifndef CVIPSSHIM_H
#define CVIPSSHIM_H

#include <stddef.h>
#include <stdint.h>
#include <vips/vips.h>

/// Starts libvips once per process and turns its operation cache off (a server must not keep old pixels).
int ig_init(const char *argv0);

/// Wraps `w`×`h` packed 8-bit RGB pixels as an image without copying them: the caller keeps `pixels` alive and
/// unchanged until every image built from this one has been released.
int ig_wrap_rgb(const uint8_t *pixels, size_t length, int w, int h, VipsImage **out);

/// Sets `text` and a smaller `footer` line (plain UTF-8; escaped here for Pango markup) as a caption on a
/// darkened band at the bottom.
int ig_caption(VipsImage *in, const char *text, const char *footer, int font_px, VipsImage **out);

/// Decodes an encoded image and scales it to fit inside `w`×`h`, as 3-band 8-bit sRGB.
int ig_thumbnail_buffer(const void *buf, size_t length, int w, int h, VipsImage **out);

/// Pastes `sub` onto `base` at (x, y); both 3-band uchar.
int ig_insert(VipsImage *base, VipsImage *sub, int x, int y, VipsImage **out);

/// The reference formats ImageGate accepts, as the caller identified them from the magic bytes.
enum { IG_FORMAT_JPEG = 1, IG_FORMAT_PNG = 2, IG_FORMAT_WEBP = 3 };
/// Reads the header of an encoded image with exactly the loader of `format` (never one looked up from the bytes):
/// its size. With `full_decode` non-zero every pixel is decoded too, which proves the file is not truncated or corrupt.
int ig_probe_buffer(const void *buf, size_t length, int format, int full_decode, int *width, int *height);

/// Encodes to PNG / JPEG in memory. Free `*buf` with `ig_free`.
int ig_save_png(VipsImage *in, int compression, void **buf, size_t *length);
int ig_save_jpeg(VipsImage *in, int quality, void **buf, size_t *length);

int ig_width(VipsImage *image);
int ig_height(VipsImage *image);
int ig_bands(VipsImage *image);

void ig_unref(VipsImage *image);
void ig_free(void *p);

/// Copies the libvips error buffer into `dst` (at most `cap` bytes, NUL-terminated) and clears it.
void ig_take_error(char *dst, size_t cap);

#endif
