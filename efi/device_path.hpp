// Checking the device path of a Boot#### entry (`bootentry` slots) before anything
// walks it: append_device_path (efi_services.cpp), the short-form expansion in efi_image.cpp
// (HD() fields, file path nodes) and the firmware's LoadImage all trust node lengths.
// Pure and freestanding (no efi.h), host-tested (tests/unit/test_efi_device_path.cpp)
// and fuzzed (fuzz/fuzz_device_path.cpp). Called by parse_load_option().
//
// A node is { UINT8 Type; UINT8 SubType; UINT16 Length (little endian, header
// included) }. The fixed sizes of the media nodes (type 0x04) are those of the UEFI
// specification 2.10, section 10.3.5 (Media Device Path), as laid out in edk2's
// MdePkg/Include/Protocol/DevicePath.h and gnu-efi's efidevp.h:
//   0x01 hard drive 42, 0x02 CD-ROM 24, 0x03 vendor >= 20, 0x04 file path >= 6
//   (an even length, a NUL-terminated UCS-2 name inside the node), 0x05 media
//   protocol 20, 0x06 PIWG firmware file 20, 0x07 PIWG firmware volume 20,
//   0x08 relative offset range 24, 0x09 RAM disk 38.
// A media node may be longer than its fixed part (it is walked by its length; the
// fields read stay inside it) but not shorter. Other node types are taken by their
// length alone: nothing in wdboot reads their fields, the firmware does.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace wdboot::efi {

// Nodes in one path, End-Entire included. efibootmgr writes 3 (HD, File, End); a full
// firmware path (PciRoot/Pci/Sata/HD/File/End) about 6.
constexpr size_t kDevicePathMaxNodes = 64;

enum class [[nodiscard]] DevicePathError : uint8_t {
    ok,
    header_past_end,         // fewer than 4 bytes left where the next node starts
    node_too_short,          // a node length below 4 (the header itself)
    node_past_end,           // a node running past the end of the path list
    end_instance,            // End-Instance (0x7F/0x01): wdboot takes single-instance paths only
    end_unknown_subtype,     // an End node (0x7F) that is neither 0x01 nor 0xFF
    end_entire_length,       // End-Entire (0x7F/0xFF) with a length other than 4
    missing_end,             // the list ends on a node boundary without End-Entire
    too_many_nodes,          // more than kDevicePathMaxNodes nodes
    media_node_too_short,    // a media node shorter than its subtype's fixed size
    file_path_odd_length,    // a file path node whose name is not whole UCS-2 units
    file_path_unterminated,  // a file path node without a NUL unit inside it
};

const char* to_string(DevicePathError e);

struct DevicePathCheck {
    DevicePathError error;
    size_t offset;  // error: first byte of the offending node (or where it would start)
    size_t bytes;   // ok: bytes of the path, its End-Entire node included
    size_t nodes;   // ok: nodes of the path, End-Entire included
};

// Decides whether path[0..list_bytes) starts with one well-formed, single-instance
// device path that ends in End-Entire (0x7F/0xFF, length 4). Reads only inside
// path[0..list_bytes), changes nothing. Bytes after that End-Entire are not looked at
// (a load option's FilePathList may carry further, OEM-specific paths that wdboot
// ignores); every path handed to the firmware or to gnu-efi is the checked one.
DevicePathCheck check_device_path(const uint8_t* path, size_t list_bytes);

}  // namespace wdboot::efi
