// libFuzzer target for the Boot#### device path check (efi/device_path.cpp) and the
// EFI_LOAD_OPTION split around it (efi/load_option.cpp). The input is taken both as a
// bare path list and as a whole load option. The oracle: a path that is accepted can be
// walked node by node inside the buffer the way gnu-efi walks it, every node at least
// a header long, media nodes at least their fixed size, no End-Instance, and it ends in
// an End-Entire node of length 4 exactly `bytes` in, after `nodes` nodes. A rejection
// points inside the list (or just past it). libFuzzer hands over an exactly sized heap
// copy, so ASan catches any read past the end.
#include <stddef.h>
#include <stdint.h>

#include <cstdlib>

#include "../efi/device_path.hpp"
#include "../efi/load_option.hpp"

using wdboot::efi::check_device_path;
using wdboot::efi::DevicePathCheck;
using wdboot::efi::DevicePathError;
using wdboot::efi::LoadOptionError;
using wdboot::efi::LoadOptionView;

namespace {

void expect(bool ok) {
    if (!ok) std::abort();
}

size_t media_min(uint8_t subtype) {
    static constexpr size_t kMin[] = {4, 42, 24, 20, 6, 20, 20, 20, 24, 38};
    return subtype < sizeof(kMin) / sizeof(kMin[0]) ? kMin[subtype] : 4;
}

void check_walk(const uint8_t* path, size_t list_bytes, const DevicePathCheck& c) {
    if (c.error != DevicePathError::ok) {
        expect(c.offset <= list_bytes);
        return;
    }
    expect(c.bytes >= 4 && c.bytes <= list_bytes);
    size_t at = 0;
    size_t nodes = 0;
    for (;;) {
        expect(at + 4 <= c.bytes);
        uint8_t type = path[at];
        uint8_t subtype = path[at + 1];
        size_t len = size_t(path[at + 2]) | size_t(path[at + 3]) << 8;
        expect(len >= 4 && at + len <= c.bytes);
        ++nodes;
        expect(nodes <= wdboot::efi::kDevicePathMaxNodes);
        if (type == 0x7F) {
            expect(subtype == 0xFF);  // never End-Instance, never an unknown End
            expect(len == 4);
            expect(at + len == c.bytes);
            break;
        }
        if (type == 0x04) {
            expect(len >= media_min(subtype));
            if (subtype == 0x04) {
                expect(len % 2 == 0);
                bool nul = false;
                for (size_t i = at + 4; i + 1 < at + len && !nul; i += 2) nul = path[i] == 0 && path[i + 1] == 0;
                expect(nul);
            }
        }
        at += len;
    }
    expect(nodes == c.nodes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    DevicePathCheck c = check_device_path(data, size);
    check_walk(data, size, c);
    DevicePathCheck again = check_device_path(data, size);
    expect(again.error == c.error && again.offset == c.offset && again.bytes == c.bytes && again.nodes == c.nodes);

    LoadOptionView view{};
    LoadOptionError e = parse_load_option(data, size, view);
    if (e == LoadOptionError::ok) {
        expect(view.device_path >= data && view.device_path_bytes <= size);
        expect(size_t(view.device_path - data) + view.device_path_bytes <= size);
        expect(view.optional_data == view.device_path + view.device_path_bytes);
        expect(size_t(view.optional_data - data) + view.optional_bytes == size);
        check_walk(view.device_path, view.device_path_bytes, view.path_check);
        expect(view.path_check.error == DevicePathError::ok);
    } else if (e == LoadOptionError::device_path) {
        expect(view.path_check.error != DevicePathError::ok);
    }
    return 0;
}
