// libFuzzer target for the PE inspection of a slot's image (src/core/pe_image.cpp) and
// the command line composed from it. The input is taken in both layouts. The oracle: an
// embedded command line lies inside the input and holds no NUL; only a UKI has one; the
// composed text is NUL-terminated inside kOptionsMax, and, when it fits and the image is
// a UKI whose text is kept, it starts with that text. libFuzzer hands over an exactly
// sized heap copy, so ASan catches any read past the end.
#include <stddef.h>
#include <stdint.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "wdboot/pe_image.hpp"

using namespace wdboot;

namespace {

void expect(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    for (PeLayout layout : {PeLayout::file, PeLayout::loaded}) {
        PeImageInfo info{};
        PeError e = inspect_pe_image(data, size, layout, info);
        if (info.embedded_length > 0) {
            expect(e == PeError::ok);
            expect(info.type == PeImageType::unified_kernel);
            const char* begin = reinterpret_cast<const char*>(data);
            expect(info.embedded_cmdline >= begin && info.embedded_cmdline + info.embedded_length <= begin + size);
            expect(std::memchr(info.embedded_cmdline, 0, info.embedded_length) == nullptr);
        }
        char out[kOptionsMax];
        for (bool secure : {false, true}) {
            ComposedCommandLine c = compose_command_line(ImageKind::efi_app, info, false,
                                                         CommandLineParts{"quiet", "modprobe.blacklist=i6300esb"},
                                                         secure, out);
            size_t n = std::strlen(out);
            expect(n < kOptionsMax);
            if (c.fits && c.embedded_kept && !c.embedded_not_ascii) {
                for (size_t i = 0; i < info.embedded_length; ++i) {
                    char want = static_cast<unsigned char>(info.embedded_cmdline[i]) < 0x20 ? ' '
                                                                                          : info.embedded_cmdline[i];
                    expect(out[i] == want);
                }
            }
            expect(c.stub_ignores_options == (secure && info.cmdline_section_bytes > 0));
            if (info.embedded_length > 0) expect(info.cmdline_section_bytes >= info.embedded_length);
        }
    }
    return 0;
}
