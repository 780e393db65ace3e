#include "device_path.hpp"

namespace wdboot::efi {

namespace {

constexpr uint8_t kMediaType = 0x04;
constexpr uint8_t kMediaFilePath = 0x04;
constexpr uint8_t kEndType = 0x7F;
constexpr uint8_t kEndInstance = 0x01;
constexpr uint8_t kEndEntire = 0xFF;
constexpr size_t kHeader = 4;

// Smallest length of each media subtype (index = subtype), 0 = not checked beyond the
// header. See the table in device_path.hpp.
constexpr uint16_t kMediaMinLength[] = {0, 42, 24, 20, 6, 20, 20, 20, 24, 38};

DevicePathCheck fail(DevicePathError e, size_t offset) { return {e, offset, 0, 0}; }

// The name must be whole UCS-2 units and contain a NUL unit: the firmware and gnu-efi
// measure it with StrLen, which must stop inside the node.
DevicePathError check_file_path(const uint8_t* node, size_t len) {
    if (len % 2 != 0) return DevicePathError::file_path_odd_length;
    for (size_t at = kHeader; at + 1 < len; at += 2)
        if (node[at] == 0 && node[at + 1] == 0) return DevicePathError::ok;
    return DevicePathError::file_path_unterminated;
}

}  // namespace

const char* to_string(DevicePathError e) {
    switch (e) {
        case DevicePathError::ok: return "ok";
        case DevicePathError::header_past_end: return "node header runs past the end of the path list";
        case DevicePathError::node_too_short: return "node length below 4";
        case DevicePathError::node_past_end: return "node runs past the end of the path list";
        case DevicePathError::end_instance: return "End-Instance node (multi-instance paths are not taken)";
        case DevicePathError::end_unknown_subtype: return "End node with an unknown subtype";
        case DevicePathError::end_entire_length: return "End-Entire node with a length other than 4";
        case DevicePathError::missing_end: return "no End-Entire node before the end of the path list";
        case DevicePathError::too_many_nodes: return "more than 64 nodes";
        case DevicePathError::media_node_too_short: return "media node shorter than its subtype's size";
        case DevicePathError::file_path_odd_length: return "file path node with an odd length";
        case DevicePathError::file_path_unterminated: return "file path node without a NUL terminator";
    }
    return "unknown device path error";
}

DevicePathCheck check_device_path(const uint8_t* path, size_t list_bytes) {
    if (path == nullptr) return fail(DevicePathError::missing_end, 0);
    size_t at = 0;
    for (size_t nodes = 1;; ++nodes) {
        if (at == list_bytes) return fail(DevicePathError::missing_end, at);
        if (list_bytes - at < kHeader) return fail(DevicePathError::header_past_end, at);
        if (nodes > kDevicePathMaxNodes) return fail(DevicePathError::too_many_nodes, at);
        const uint8_t* node = path + at;
        uint8_t type = node[0];
        uint8_t subtype = node[1];
        size_t len = size_t(node[2]) | size_t(node[3]) << 8;
        if (len < kHeader) return fail(DevicePathError::node_too_short, at);
        if (len > list_bytes - at) return fail(DevicePathError::node_past_end, at);

        if (type == kEndType) {
            // gnu-efi ends an instance at any End node and goes on to the next one, so an
            // End-Instance (or an End of unknown subtype) would let AppendDevicePath walk
            // whatever follows. wdboot rejects rather than truncates: a multi-instance
            // boot entry is not what efibootmgr or the firmware write, and a rejected
            // slot is marked load-failed and falls back like any unloadable image.
            if (subtype == kEndInstance) return fail(DevicePathError::end_instance, at);
            if (subtype != kEndEntire) return fail(DevicePathError::end_unknown_subtype, at);
            if (len != kHeader) return fail(DevicePathError::end_entire_length, at);
            return {DevicePathError::ok, 0, at + len, nodes};
        }
        if (type == kMediaType && subtype < sizeof(kMediaMinLength) / sizeof(kMediaMinLength[0]) &&
            len < kMediaMinLength[subtype])
            return fail(DevicePathError::media_node_too_short, at);
        if (type == kMediaType && subtype == kMediaFilePath) {
            DevicePathError e = check_file_path(node, len);
            if (e != DevicePathError::ok) return fail(e, at);
        }
        at += len;
    }
}

}  // namespace wdboot::efi
