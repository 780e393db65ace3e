// Host tests of the loader's pure parsers in efi/load_option.cpp: EFI_LOAD_OPTION
// (Boot#### values, for `bootentry` slots) and load options as text. The device path
// check itself: test_efi_device_path.cpp.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "../../efi/load_option.hpp"

using wdboot::efi::DevicePathError;
using wdboot::efi::LoadOptionError;
using wdboot::efi::LoadOptionView;
using wdboot::efi::load_options_text;
using wdboot::efi::parse_load_option;

namespace {

std::vector<uint8_t> ucs2(const std::string& s, bool nul) {
    std::vector<uint8_t> out;
    for (char c : s) {
        out.push_back(static_cast<uint8_t>(c));
        out.push_back(0);
    }
    if (nul) out.insert(out.end(), {0, 0});
    return out;
}

// HD(1,GPT,...)/File(\vmlinuz)/End, as efibootmgr writes it.
std::vector<uint8_t> short_form_path() {
    std::vector<uint8_t> p = {4, 1, 42, 0, 1, 0, 0, 0};
    p.insert(p.end(), {0x00, 0x08, 0, 0, 0, 0, 0, 0});   // start 2048
    p.insert(p.end(), {0x00, 0x00, 2, 0, 0, 0, 0, 0});   // size 131072
    for (int i = 0; i < 16; ++i) p.push_back(static_cast<uint8_t>(0xA0 + i));
    p.insert(p.end(), {2, 2});
    std::vector<uint8_t> name = ucs2("\\vmlinuz", true);
    p.insert(p.end(), {4, 4, static_cast<uint8_t>(4 + name.size()), 0});
    p.insert(p.end(), name.begin(), name.end());
    p.insert(p.end(), {0x7F, 0xFF, 4, 0});
    return p;
}

std::vector<uint8_t> load_option(const std::vector<uint8_t>& path, const std::vector<uint8_t>& optional) {
    std::vector<uint8_t> v = {1, 0, 0, 0, static_cast<uint8_t>(path.size()), static_cast<uint8_t>(path.size() >> 8)};
    std::vector<uint8_t> desc = ucs2("Debian", true);
    v.insert(v.end(), desc.begin(), desc.end());
    v.insert(v.end(), path.begin(), path.end());
    v.insert(v.end(), optional.begin(), optional.end());
    return v;
}

}  // namespace

TEST_CASE("parse_load_option splits a Boot#### value into its parts", "[efi]") {
    std::vector<uint8_t> path = short_form_path();
    std::vector<uint8_t> data = ucs2("root=/dev/vda2 quiet", false);
    std::vector<uint8_t> v = load_option(path, data);
    LoadOptionView view{};
    REQUIRE(parse_load_option(v.data(), v.size(), view) == LoadOptionError::ok);
    CHECK(view.attributes == 1);
    CHECK(view.description_units == 6);
    CHECK(view.description == v.data() + 6);
    CHECK(view.device_path == v.data() + 6 + 14);
    CHECK(view.device_path_bytes == path.size());
    CHECK(view.optional_bytes == data.size());
    CHECK(std::vector<uint8_t>(view.optional_data, view.optional_data + view.optional_bytes) == data);
}

TEST_CASE("parse_load_option accepts an entry without optional data", "[efi]") {
    std::vector<uint8_t> v = load_option(short_form_path(), {});
    LoadOptionView view{};
    REQUIRE(parse_load_option(v.data(), v.size(), view) == LoadOptionError::ok);
    CHECK(view.optional_bytes == 0);
}

TEST_CASE("parse_load_option rejects every truncation of the description or path", "[efi]") {
    std::vector<uint8_t> v = load_option(short_form_path(), {});
    for (size_t len = 0; len < v.size(); ++len) {
        LoadOptionView view{};
        INFO("length " << len);
        CHECK(parse_load_option(v.data(), len, view) != LoadOptionError::ok);
    }
}

TEST_CASE("parse_load_option rejects inconsistent layouts and device paths", "[efi]") {
    LoadOptionView view{};
    SECTION("shorter than its fixed header") {
        std::vector<uint8_t> v = {1, 0, 0, 0, 4};
        CHECK(parse_load_option(v.data(), v.size(), view) == LoadOptionError::too_short);
        CHECK(parse_load_option(nullptr, 0, view) == LoadOptionError::too_short);
    }
    SECTION("description without terminator") {
        std::vector<uint8_t> v = {1, 0, 0, 0, 4, 0, 'D', 0, 'e', 0};
        CHECK(parse_load_option(v.data(), v.size(), view) == LoadOptionError::description_unterminated);
    }
    SECTION("path list longer than the variable") {
        std::vector<uint8_t> v = load_option(short_form_path(), {});
        v[4] = static_cast<uint8_t>(v[4] + 10);
        CHECK(parse_load_option(v.data(), v.size(), view) == LoadOptionError::path_list_past_end);
    }
    SECTION("a node shorter than its header") {
        std::vector<uint8_t> path = short_form_path();
        path[2] = 2;
        path[3] = 0;
        std::vector<uint8_t> v = load_option(path, {});
        CHECK(parse_load_option(v.data(), v.size(), view) == LoadOptionError::device_path);
        CHECK(view.path_check.error == DevicePathError::node_too_short);
        CHECK(view.path_check.offset == 0);
    }
    SECTION("no End node inside the list") {
        std::vector<uint8_t> path = short_form_path();
        path.resize(path.size() - 4);
        std::vector<uint8_t> v = load_option(path, {});
        CHECK(parse_load_option(v.data(), v.size(), view) == LoadOptionError::device_path);
        CHECK(view.path_check.error == DevicePathError::missing_end);
    }
    SECTION("empty path list") {
        std::vector<uint8_t> v = load_option({}, {});
        CHECK(parse_load_option(v.data(), v.size(), view) == LoadOptionError::device_path);
        CHECK(view.path_check.error == DevicePathError::missing_end);
    }
    SECTION("issue 7: File(\\a), End-Instance, then a zero-length node") {
        std::vector<uint8_t> path = {4, 4, 10, 0, '\\', 0, 'a', 0, 0, 0, 0x7F, 0x01, 4, 0, 0, 0, 0, 0};
        std::vector<uint8_t> v = load_option(path, {});
        CHECK(parse_load_option(v.data(), v.size(), view) == LoadOptionError::device_path);
        CHECK(view.path_check.error == DevicePathError::end_instance);
        CHECK(view.path_check.offset == 10);
    }
}

TEST_CASE("load_options_text decodes UCS-2 and ASCII and refuses binary", "[efi]") {
    char out[64];
    struct Case {
        std::vector<uint8_t> in;
        bool ok;
        std::string text;
    };
    std::vector<Case> cases = {
        {ucs2("config=\\EFI\\x.conf timeout=30", true), true, "config=\\EFI\\x.conf timeout=30"},
        {ucs2("tries=2", false), true, "tries=2"},
        {{'t', 'r', 'i', 'e', 's', '=', '2'}, true, "tries=2"},
        {{'a', 'b', 0}, true, "ab"},
        {{}, true, ""},
        {{0, 0}, true, ""},
        // A firmware-made boot option's optional data: a GUID, not text.
        {{0x2d, 0x0d, 0x62, 0xd9, 0xc3, 0xe1, 0x40, 0x45, 0x8b, 0xae, 0xb8, 0x7b, 0x8c, 0xc4, 0x3f, 0x27}, false, ""},
        {{'a', '\n', 'b'}, false, ""},
        // efibootmgr -u 'config=\x.conf' 'timeout=30': NUL-separated arguments.
        {[] {
             auto a = ucs2("config=\\x.conf", true);
             auto b = ucs2("timeout=30", true);
             a.insert(a.end(), b.begin(), b.end());
             return a;
         }(),
         true, "config=\\x.conf timeout=30"},
        {{'a', 0, 'b', 0, 0}, true, "a b"},
    };
    for (const Case& c : cases) {
        INFO("case text \"" << c.text << "\"");
        CHECK(load_options_text(c.in.empty() ? nullptr : c.in.data(), c.in.size(), out, sizeof(out)) == c.ok);
        CHECK(std::string(out) == c.text);
    }
}

TEST_CASE("load_options_text refuses text that does not fit", "[efi]") {
    char out[8];
    std::vector<uint8_t> in = ucs2("1234567", true);
    CHECK(load_options_text(in.data(), in.size(), out, sizeof(out)));
    in = ucs2("12345678", true);
    CHECK_FALSE(load_options_text(in.data(), in.size(), out, sizeof(out)));
    CHECK(std::string(out).empty());
}
