#include "CVipsShim.h"

#include <stdio.h>
#include <string.h>

int ig_init(const char *argv0) {
    if (VIPS_INIT(argv0)) return -1;
    vips_cache_set_max(0);
    // Strangers' bytes reach libvips: only the three loaders ImageGate accepts may run, and none of the
    // operations libvips itself marks as unfit for untrusted input (ImageMagick, PDF, SVG, matrix files...).
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
    vips_operation_block_set("VipsForeignLoadPng", FALSE);
    vips_operation_block_set("VipsForeignLoadWebp", FALSE);
    return 0;
}

/// Tags an image as sRGB, so colour-aware operations (composite, colourspace) know what its bands mean.
static int ig_tag_srgb(VipsImage *in, VipsImage **out) {
    return vips_copy(in, out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
}

int ig_wrap_rgb(const uint8_t *pixels, size_t length, int w, int h, VipsImage **out) {
    if ((size_t) w * (size_t) h * 3 != length) {
        vips_error("ig_wrap_rgb", "pixel buffer has the wrong length");
        return -1;
    }
    VipsImage *raw = vips_image_new_from_memory(pixels, length, w, h, 3, VIPS_FORMAT_UCHAR);
    if (!raw) return -1;
    int rc = ig_tag_srgb(raw, out);
    g_object_unref(raw);
    return rc;
}

int ig_caption(VipsImage *in, const char *text, const char *footer, int font_px, VipsImage **out) {
    int w = in->Xsize, h = in->Ysize;
    char font[64];
    snprintf(font, sizeof font, "DejaVu Sans Bold %d", font_px);
    gchar *escaped_text = g_markup_escape_text(text, -1);
    gchar *escaped_footer = g_markup_escape_text(footer, -1);
    gchar *markup = g_strdup_printf("%s\n<span size=\"60%%\" weight=\"normal\">%s</span>", escaped_text, escaped_footer);
    g_free(escaped_text);
    g_free(escaped_footer);
    VipsImage *mask = NULL;
    int rc = vips_text(&mask, markup, "font", font, "width", (int) (w * 0.9), "dpi", 72, "align", VIPS_ALIGN_CENTRE,
                       "wrap", VIPS_TEXT_WRAP_WORD_CHAR, NULL);
    g_free(markup);
    if (rc) return -1;

    // Keep the caption inside the lower third of the picture.
    VipsImage *fitted = NULL;
    int max_h = h / 3;
    if (mask->Ysize > max_h) {
        if (vips_extract_area(mask, &fitted, 0, 0, mask->Xsize, max_h, NULL)) {
            g_object_unref(mask);
            return -1;
        }
        g_object_unref(mask);
    } else {
        fitted = mask;
    }

    int pad = font_px;
    int band_h = fitted->Ysize + 2 * pad;
    if (band_h > h) band_h = h;
    int band_y = h - band_h;

    // Only the caption band is touched: darken it, lay the text over it, and put it back. Compositing the whole
    // picture would process every pixel in float for a few lines of text.
    VipsImage *band = NULL, *dark = NULL, *alpha = NULL, *white = NULL, *rgba = NULL, *composed = NULL, *flat = NULL,
              *band8 = NULL;
    rc = -1;
    double half[3] = {0.45, 0.45, 0.45}, zero[3] = {0, 0, 0};
    if (vips_extract_area(in, &band, 0, band_y, w, band_h, NULL)) goto done;
    if (vips_linear(band, &dark, half, zero, 3, "uchar", TRUE, NULL)) goto done;
    // White text: three bands of 255 with the rendered mask as alpha.
    if (vips_black(&white, fitted->Xsize, fitted->Ysize, "bands", 3, NULL)) goto done;
    {
        VipsImage *lit = NULL;
        double one[3] = {1, 1, 1}, full[3] = {255, 255, 255};
        if (vips_linear(white, &lit, one, full, 3, "uchar", TRUE, NULL)) goto done;
        g_object_unref(white);
        white = lit;
    }
    if (vips_cast(fitted, &alpha, VIPS_FORMAT_UCHAR, NULL)) goto done;
    {
        VipsImage *joined = NULL;
        if (vips_bandjoin2(white, alpha, &joined, NULL)) goto done;
        int tagged = ig_tag_srgb(joined, &rgba);
        g_object_unref(joined);
        if (tagged) goto done;
    }
    {
        VipsImage *tagged_dark = NULL;
        if (ig_tag_srgb(dark, &tagged_dark)) goto done;
        g_object_unref(dark);
        dark = tagged_dark;
    }
    if (vips_composite2(dark, rgba, &composed, VIPS_BLEND_MODE_OVER, "x", (w - fitted->Xsize) / 2, "y", pad, NULL)) goto done;
    if (vips_extract_band(composed, &flat, 0, "n", 3, NULL)) goto done;
    if (vips_cast(flat, &band8, VIPS_FORMAT_UCHAR, NULL)) goto done;
    if (vips_insert(in, band8, out, 0, band_y, NULL)) goto done;
    rc = 0;
done:
    if (fitted) g_object_unref(fitted);
    if (band) g_object_unref(band);
    if (dark) g_object_unref(dark);
    if (white) g_object_unref(white);
    if (alpha) g_object_unref(alpha);
    if (rgba) g_object_unref(rgba);
    if (composed) g_object_unref(composed);
    if (flat) g_object_unref(flat);
    if (band8) g_object_unref(band8);
    return rc;
}

/// Brings any decoded image to 3-band 8-bit sRGB, flattening alpha onto black.
static int ig_to_srgb8(VipsImage *in, VipsImage **out) {
    VipsImage *srgb = NULL, *flat = NULL;
    if (vips_colourspace(in, &srgb, VIPS_INTERPRETATION_sRGB, NULL)) return -1;
    if (vips_image_hasalpha(srgb)) {
        if (vips_flatten(srgb, &flat, NULL)) {
            g_object_unref(srgb);
            return -1;
        }
        g_object_unref(srgb);
    } else {
        flat = srgb;
    }
    VipsImage *three = NULL;
    int rc;
    if (flat->Bands >= 3) {
        rc = vips_extract_band(flat, &three, 0, "n", 3, NULL);
    } else {
        VipsImage *bands[3] = {flat, flat, flat};
        rc = vips_bandjoin(bands, &three, 3, NULL);
    }
    g_object_unref(flat);
    if (rc) return -1;
    rc = vips_cast(three, out, VIPS_FORMAT_UCHAR, NULL);
    g_object_unref(three);
    return rc;
}

int ig_thumbnail_buffer(const void *buf, size_t length, int w, int h, VipsImage **out) {
    VipsImage *thumb = NULL;
    if (vips_thumbnail_buffer((void *) buf, length, &thumb, w, "height", h, NULL)) return -1;
    VipsImage *rgb = NULL;
    int rc = ig_to_srgb8(thumb, &rgb);
    g_object_unref(thumb);
    if (rc) return -1;
    // The caller's buffer may go away after this call: materialise the pixels now.
    *out = vips_image_copy_memory(rgb);
    g_object_unref(rgb);
    return *out ? 0 : -1;
}

int ig_insert(VipsImage *base, VipsImage *sub, int x, int y, VipsImage **out) {
    return vips_insert(base, sub, out, x, y, NULL);
}

int ig_probe_buffer(const void *buf, size_t length, int format, int full_decode, int *width, int *height) {
    // The caller has checked the magic bytes: the loader is named, never looked up from the bytes.
    // fail_on=truncated makes a cut-off file an error instead of a warning with grey pixels.
    VipsImage *image = NULL;
    int rc = -1;
    switch (format) {
    case IG_FORMAT_JPEG:
        // libjpeg reports data that ends early ("premature end of data segment") as a warning, not as truncation:
        // a header that lies about the size would otherwise decode to grey.
        rc = vips_jpegload_buffer((void *) buf, length, &image, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_WARNING, NULL);
        break;
    case IG_FORMAT_PNG:
        rc = vips_pngload_buffer((void *) buf, length, &image, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
        break;
    case IG_FORMAT_WEBP:
        rc = vips_webpload_buffer((void *) buf, length, &image, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
        break;
    default:
        vips_error("ig_probe_buffer", "unsupported format");
        return -1;
    }
    if (rc || !image) return -1;
    *width = image->Xsize;
    *height = image->Ysize;
    if (full_decode) {
        double avg = 0;
        rc = vips_avg(image, &avg, NULL);
    }
    g_object_unref(image);
    return rc;
}

int ig_save_png(VipsImage *in, int compression, void **buf, size_t *length) {
    return vips_pngsave_buffer(in, buf, length, "compression", compression, "filter", VIPS_FOREIGN_PNG_FILTER_NONE, NULL);
}

int ig_save_jpeg(VipsImage *in, int quality, void **buf, size_t *length) {
    return vips_jpegsave_buffer(in, buf, length, "Q", quality, "strip", TRUE, NULL);
}

int ig_width(VipsImage *image) { return vips_image_get_width(image); }
int ig_height(VipsImage *image) { return vips_image_get_height(image); }
int ig_bands(VipsImage *image) { return vips_image_get_bands(image); }

void ig_unref(VipsImage *image) {
    if (image) g_object_unref(image);
}

void ig_free(void *p) { g_free(p); }

void ig_take_error(char *dst, size_t cap) {
    const char *msg = vips_error_buffer();
    if (cap > 0) {
        strncpy(dst, msg ? msg : "", cap - 1);
        dst[cap - 1] = 0;
    }
    vips_error_clear();
}
