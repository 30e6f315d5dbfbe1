// libFuzzer harness for the reference-image probe: the one place where strangers' bytes reach libvips.
// It follows the server's path exactly: the magic bytes pick the format (anything else never reaches libvips),
// the header is read, and only a header within the pixel limit is decoded in full.
//
//   scripts/fuzz [seconds]     builds this with the Swift toolchain's clang (-fsanitize=fuzzer,address) and runs it
//                              on a copy of fuzz/corpus/probe
#include <stdint.h>
#include <string.h>

#include "CVipsShim.h"

// The catalog's largest accepted reference: 36 megapixels (see Sources/Catalog/catalog.json).
static const int64_t max_pixels = 36000000;

static int format_of(const uint8_t *data, size_t size) {
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return IG_FORMAT_JPEG;
    if (size >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) return IG_FORMAT_PNG;
    if (size >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0) return IG_FORMAT_WEBP;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int started = 0;
    if (!started) {
        if (ig_init("probe-fuzzer")) return 0;
        started = 1;
    }
    int format = format_of(data, size);
    if (!format) return 0;
    int width = 0, height = 0;
    if (ig_probe_buffer(data, size, format, 0, &width, &height) == 0 && (int64_t) width * height <= max_pixels) {
        ig_probe_buffer(data, size, format, 1, &width, &height);
    }
    char message[256];
    ig_take_error(message, sizeof message);
    return 0;
}
