#include "load_option.hpp"

namespace wdboot::efi {

namespace {
constexpr uint8_t kEndType = 0x7F;
constexpr size_t kNodeHeader = 4;
}  // namespace

bool parse_load_option(const uint8_t* data, size_t len, LoadOptionView& out) {
    if (data == nullptr || len < 6) return false;
    uint32_t attributes = uint32_t(data[0]) | uint32_t(data[1]) << 8 | uint32_t(data[2]) << 16 |
                          uint32_t(data[3]) << 24;
    size_t path_bytes = size_t(data[4]) | size_t(data[5]) << 8;

    size_t at = 6;
    size_t units = 0;
    for (;;) {
        if (at + 2 > len) return false;  // no terminator
        if (data[at] == 0 && data[at + 1] == 0) break;
        at += 2;
        ++units;
    }
    const uint8_t* description = data + 6;
    at += 2;

    if (path_bytes < kNodeHeader || path_bytes > len - at) return false;
    const uint8_t* path = data + at;
    // Walk the first instance: every node must fit and have a sane length.
    size_t walked = 0;
    for (;;) {
        if (walked + kNodeHeader > path_bytes) return false;
        size_t node_len = size_t(path[walked + 2]) | size_t(path[walked + 3]) << 8;
        if (node_len < kNodeHeader || walked + node_len > path_bytes) return false;
        uint8_t type = path[walked];
        walked += node_len;
        if (type == kEndType) break;
    }

    out.attributes = attributes;
    out.description = description;
    out.description_units = units;
    out.device_path = path;
    out.device_path_bytes = path_bytes;
    out.optional_data = path + path_bytes;
    out.optional_bytes = len - at - path_bytes;
    return true;
}

}  // namespace wdboot::efi
