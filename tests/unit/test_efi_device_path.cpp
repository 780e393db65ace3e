// Host tests of check_device_path (efi/device_path.cpp), the check every Boot####
// device path passes before the loader, gnu-efi or the firmware walks it. Each input is
// copied into a heap buffer of exactly its size, so the sanitizer build (scripts/dev
// test, build-sanitize/) catches a read past the end.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../../efi/device_path.hpp"

using wdboot::efi::check_device_path;
using wdboot::efi::DevicePathCheck;
using wdboot::efi::DevicePathError;
using wdboot::efi::kDevicePathMaxNodes;
using Bytes = std::vector<uint8_t>;

namespace {

Bytes node(uint8_t type, uint8_t subtype, const Bytes& payload) {
    size_t len = 4 + payload.size();
    Bytes n = {type, subtype, static_cast<uint8_t>(len), static_cast<uint8_t>(len >> 8)};
    n.insert(n.end(), payload.begin(), payload.end());
    return n;
}

Bytes le(uint64_t v, int bytes) {
    Bytes out;
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes ucs2(const std::string& s) {
    Bytes out;
    for (char c : s) out.insert(out.end(), {static_cast<uint8_t>(c), 0});
    out.insert(out.end(), {0, 0});
    return out;
}

Bytes guid(uint8_t first) {
    Bytes g;
    for (int i = 0; i < 16; ++i) g.push_back(static_cast<uint8_t>(first + i));
    return g;
}

// HD(part, GPT, guid, start, size): 42 bytes.
Bytes hd_gpt(uint32_t part, uint64_t start, uint64_t size) {
    return node(4, 1, cat({le(part, 4), le(start, 8), le(size, 8), guid(0xA0), {2, 2}}));
}
Bytes file(const std::string& name) { return node(4, 4, ucs2(name)); }
Bytes end_entire() { return {0x7F, 0xFF, 4, 0}; }
Bytes end_instance() { return {0x7F, 0x01, 4, 0}; }
Bytes pci_root() { return node(2, 1, cat({le(0x0A0341D0, 4), le(0, 4)})); }
Bytes pci(uint8_t dev, uint8_t fn) { return node(1, 1, {fn, dev}); }
Bytes sata(uint16_t port) { return node(3, 0x12, cat({le(port, 2), le(0xFFFF, 2), le(0, 2)})); }

// The check on an exactly sized heap copy.
DevicePathCheck check(const Bytes& b) {
    std::unique_ptr<uint8_t[]> exact(new uint8_t[b.size() + (b.empty() ? 1 : 0)]);
    if (!b.empty()) std::memcpy(exact.get(), b.data(), b.size());
    return check_device_path(exact.get(), b.size());
}

// The invariants of an accepted path, checked by walking it the way gnu-efi does.
void require_walkable(const Bytes& b, const DevicePathCheck& c) {
    REQUIRE(c.error == DevicePathError::ok);
    REQUIRE(c.bytes <= b.size());
    size_t at = 0;
    size_t nodes = 0;
    for (;;) {
        REQUIRE(at + 4 <= c.bytes);
        size_t len = size_t(b[at + 2]) | size_t(b[at + 3]) << 8;
        REQUIRE(len >= 4);
        REQUIRE(at + len <= c.bytes);
        ++nodes;
        if (b[at] == 0x7F) {
            REQUIRE(b[at + 1] == 0xFF);
            REQUIRE(len == 4);
            REQUIRE(at + len == c.bytes);
            break;
        }
        if (b[at] == 4 && b[at + 1] == 1) REQUIRE(len >= 42);
        at += len;
    }
    REQUIRE(nodes == c.nodes);
    REQUIRE(nodes <= kDevicePathMaxNodes);
}

void require_rejected(const Bytes& b, DevicePathError e, size_t offset) {
    DevicePathCheck c = check(b);
    INFO("reason: " << to_string(c.error));
    CHECK(c.error == e);
    CHECK(c.offset == offset);
}

}  // namespace

TEST_CASE("check_device_path accepts the paths efibootmgr and firmware write", "[efi][device_path]") {
    SECTION("HD()/File() short form, as efibootmgr writes it") {
        Bytes p = cat({hd_gpt(1, 2048, 131072), file("\\EFI\\debian\\shimx64.efi"), end_entire()});
        DevicePathCheck c = check(p);
        require_walkable(p, c);
        CHECK(c.nodes == 3);
        CHECK(c.bytes == p.size());
    }
    SECTION("PciRoot/Pci/Sata/HD/File, a firmware's full path") {
        Bytes p = cat({pci_root(), pci(0x1F, 2), sata(0), hd_gpt(1, 2048, 1048576), file("\\EFI\\BOOT\\BOOTX64.EFI"),
                       end_entire()});
        DevicePathCheck c = check(p);
        require_walkable(p, c);
        CHECK(c.nodes == 6);
    }
    SECTION("a bare File() short form") {
        Bytes p = cat({file("\\vmlinuz"), end_entire()});
        require_walkable(p, check(p));
    }
    SECTION("HD() with an MBR signature") {
        Bytes hd = node(4, 1, cat({le(1, 4), le(63, 8), le(1000, 8), le(0x12345678, 4), Bytes(12, 0), {1, 1}}));
        Bytes p = cat({hd, file("\\a.efi"), end_entire()});
        require_walkable(p, check(p));
    }
    SECTION("OVMF's shell entry: Fv()/FvFile()") {
        Bytes p = cat({node(4, 7, guid(0x10)), node(4, 6, guid(0x20)), end_entire()});
        require_walkable(p, check(p));
    }
    SECTION("every media subtype at its fixed size") {
        Bytes p = cat({node(4, 2, Bytes(20, 0)), node(4, 3, guid(1)), node(4, 3, cat({guid(1), {9, 9, 9}})),
                       node(4, 5, guid(2)), node(4, 8, Bytes(20, 0)), node(4, 9, Bytes(34, 0)),
                       node(4, 4, {0, 0}), node(4, 0x0A, {}), end_entire()});
        require_walkable(p, check(p));
    }
    SECTION("a file name with bytes after its NUL, and an HD() longer than 42") {
        Bytes p = cat({node(4, 1, Bytes(40, 0)), node(4, 4, cat({ucs2("\\x"), {'y', 0}})), end_entire()});
        require_walkable(p, check(p));
    }
    SECTION("further paths after End-Entire are not looked at") {
        Bytes first = cat({hd_gpt(1, 2048, 131072), file("\\vmlinuz"), end_entire()});
        Bytes p = cat({first, file("\\initrd.img"), {0, 0, 0, 0}});
        DevicePathCheck c = check(p);
        require_walkable(p, c);
        CHECK(c.bytes == first.size());
    }
    SECTION("64 nodes, End-Entire included") {
        Bytes p;
        for (size_t i = 0; i + 1 < kDevicePathMaxNodes; ++i) p = cat({p, pci(1, 0)});
        p = cat({p, end_entire()});
        DevicePathCheck c = check(p);
        require_walkable(p, c);
        CHECK(c.nodes == kDevicePathMaxNodes);
    }
}

TEST_CASE("check_device_path rejects each malformed path with its own reason", "[efi][device_path]") {
    Bytes hd = hd_gpt(1, 2048, 131072);
    SECTION("issue 7: File(\\a), End-Instance, then a zero-length node") {
        require_rejected(cat({file("\\a"), end_instance(), {0, 0, 0, 0}}), DevicePathError::end_instance, 10);
    }
    SECTION("End-Instance between two instances") {
        require_rejected(cat({hd, file("\\a"), end_instance(), file("\\b"), end_entire()}),
                         DevicePathError::end_instance, 52);
    }
    SECTION("node lengths 0 to 3") {
        for (uint8_t len = 0; len < 4; ++len) {
            Bytes p = cat({hd, {1, 1, len, 0}, Bytes(8, 0), end_entire()});
            require_rejected(p, DevicePathError::node_too_short, 42);
        }
    }
    SECTION("a node running past the list") {
        Bytes p = cat({hd, file("\\vmlinuz"), end_entire()});
        p[42 + 2] = static_cast<uint8_t>(p.size());  // the File() node's length
        require_rejected(p, DevicePathError::node_past_end, 42);
        p[42 + 2] = 0;
        p[42 + 3] = 0xFF;
        require_rejected(p, DevicePathError::node_past_end, 42);
    }
    SECTION("1 to 3 bytes where a node header should be") {
        for (size_t extra = 1; extra < 4; ++extra)
            require_rejected(cat({hd, Bytes(extra, 0x7F)}), DevicePathError::header_past_end, 42);
    }
    SECTION("no End-Entire, or an empty list") {
        require_rejected(cat({hd, file("\\a")}), DevicePathError::missing_end, 52);
        require_rejected({}, DevicePathError::missing_end, 0);
        CHECK(check_device_path(nullptr, 16).error == DevicePathError::missing_end);
    }
    SECTION("an End node of unknown subtype") {
        require_rejected(cat({file("\\a"), {0x7F, 0x02, 4, 0}}), DevicePathError::end_unknown_subtype, 10);
    }
    SECTION("End-Entire longer than 4") {
        require_rejected(cat({file("\\a"), {0x7F, 0xFF, 8, 0}, Bytes(4, 0)}), DevicePathError::end_entire_length, 10);
    }
    SECTION("65 nodes") {
        Bytes p;
        for (size_t i = 0; i < kDevicePathMaxNodes; ++i) p = cat({p, pci(1, 0)});
        p = cat({p, end_entire()});
        require_rejected(p, DevicePathError::too_many_nodes, kDevicePathMaxNodes * 6);
    }
    SECTION("each media subtype one byte short of its fixed size") {
        struct Min {
            uint8_t subtype;
            size_t len;
        };
        for (Min m : {Min{1, 42}, Min{2, 24}, Min{3, 20}, Min{4, 6}, Min{5, 20}, Min{6, 20}, Min{7, 20}, Min{8, 24},
                      Min{9, 38}}) {
            INFO("subtype " << int(m.subtype));
            require_rejected(cat({pci(2, 0), node(4, m.subtype, Bytes(m.len - 5, 0)), end_entire()}),
                             DevicePathError::media_node_too_short, 6);
            require_rejected(cat({pci(2, 0), node(4, m.subtype, {}), end_entire()}),
                             DevicePathError::media_node_too_short, 6);
        }
    }
    SECTION("a file path node of odd length") {
        require_rejected(cat({hd, node(4, 4, {'\\', 0, 0, 0, 0}), end_entire()}), DevicePathError::file_path_odd_length,
                         42);
    }
    SECTION("a file path node without NUL") {
        require_rejected(cat({hd, node(4, 4, {'\\', 0, 'a', 0}), end_entire()}), DevicePathError::file_path_unterminated,
                         42);
        // A NUL straddling two units is not a NUL unit.
        require_rejected(cat({hd, node(4, 4, {'a', 0, 0, 'b'}), end_entire()}), DevicePathError::file_path_unterminated,
                         42);
    }
}

TEST_CASE("every DevicePathError has its own name", "[efi][device_path]") {
    std::vector<std::string> seen;
    for (int e = 0; e <= static_cast<int>(DevicePathError::file_path_unterminated); ++e) {
        std::string name = to_string(static_cast<DevicePathError>(e));
        CHECK(name != "unknown device path error");
        for (const std::string& s : seen) CHECK(s != name);
        seen.push_back(name);
    }
}

TEST_CASE("check_device_path stays inside the list for every truncation and byte change", "[efi][device_path]") {
    const Bytes full = cat({pci_root(), pci(0x1F, 2), sata(0), hd_gpt(1, 2048, 1048576), file("\\EFI\\a.efi"),
                            end_entire()});
    for (size_t len = 0; len < full.size(); ++len) {
        Bytes p(full.begin(), full.begin() + static_cast<long>(len));
        DevicePathCheck c = check(p);
        INFO("length " << len);
        CHECK(c.error != DevicePathError::ok);
        CHECK(c.offset <= len);
    }
    // Every value of every byte: whatever is accepted must be walkable.
    size_t accepted = 0;
    for (size_t at = 0; at < full.size(); ++at) {
        for (int v = 0; v < 256; ++v) {
            Bytes p = full;
            p[at] = static_cast<uint8_t>(v);
            DevicePathCheck c = check(p);
            if (c.error == DevicePathError::ok) {
                ++accepted;
                require_walkable(p, c);
            } else {
                REQUIRE(c.offset < p.size() + 1);
            }
        }
    }
    CHECK(accepted > full.size());  // the payload bytes are free
}
