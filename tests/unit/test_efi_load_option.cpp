// Host tests of the loader's pure parsers in efi/load_option.cpp: EFI_LOAD_OPTION
// (Boot#### values, for `bootentry` slots) and load options as text. The device path
// check itself: test_efi_device_path.cpp.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "../../efi/load_option.hpp"

using wdboot::efi::describe_problem;
using wdboot::efi::join_boot_entry_options;
using wdboot::efi::DevicePathError;
using wdboot::efi::LoadOptionError;
using wdboot::efi::LoadOptionView;
using wdboot::efi::load_options_text;
using wdboot::efi::OptionsProblem;
using wdboot::efi::OptionsText;
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

// UTF-16LE units of a string with characters beyond ASCII (no terminator).
std::vector<uint8_t> ucs2_units(const std::u16string& s) {
    std::vector<uint8_t> out;
    for (char16_t c : s) {
        out.push_back(static_cast<uint8_t>(c & 0xFF));
        out.push_back(static_cast<uint8_t>(c >> 8));
    }
    return out;
}

std::vector<uint8_t> bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
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
        OptionsText kind;
        std::string text;
    };
    std::vector<Case> cases = {
        {ucs2("config=\\EFI\\x.conf timeout=30", true), OptionsText::text, "config=\\EFI\\x.conf timeout=30"},
        {ucs2("tries=2", false), OptionsText::text, "tries=2"},
        {{'t', 'r', 'i', 'e', 's', '=', '2'}, OptionsText::text, "tries=2"},
        {{'a', 'b', 0}, OptionsText::text, "ab"},
        {{}, OptionsText::text, ""},
        {{0, 0}, OptionsText::text, ""},
        // A firmware-made boot option's optional data: a GUID, not text.
        {{0x2d, 0x0d, 0x62, 0xd9, 0xc3, 0xe1, 0x40, 0x45, 0x8b, 0xae, 0xb8, 0x7b, 0x8c, 0xc4, 0x3f, 0x27},
         OptionsText::binary, ""},
        // Line ends separate words like blanks do.
        {{'a', '\n', 'b'}, OptionsText::text, "a b"},
        // efibootmgr -u 'config=\x.conf' 'timeout=30': NUL-separated arguments.
        {[] {
             auto a = ucs2("config=\\x.conf", true);
             auto b = ucs2("timeout=30", true);
             a.insert(a.end(), b.begin(), b.end());
             return a;
         }(),
         OptionsText::text, "config=\\x.conf timeout=30"},
        {{'a', 0, 'b', 0, 0}, OptionsText::text, "a b"},
    };
    for (const Case& c : cases) {
        INFO("case text \"" << c.text << "\"");
        CHECK(load_options_text(c.in.empty() ? nullptr : c.in.data(), c.in.size(), out, sizeof(out)) == c.kind);
        CHECK(std::string(out) == c.text);
    }
}

TEST_CASE("load_options_text accepts byte order marks and trailing line ends", "[efi]") {
    char out[64];
    const std::string text = "config=\\EFI\\x.conf timeout=30";
    const std::vector<std::vector<uint8_t>> inputs = {
        concat({0xFF, 0xFE}, ucs2(text, true)),           // UTF-16LE byte order mark
        concat({0xFF, 0xFE}, ucs2(text + "\r\n", false)),  // ... and a CRLF, no NUL
        ucs2(text + "\n", true),
        ucs2(text + "\r\n", true),
        ucs2(text + "\r\n", false),
        ucs2(" \t" + text + " \n\n", true),
        bytes(text + "\n"),
        bytes(text + "\r\n"),
        concat({0xEF, 0xBB, 0xBF}, bytes(text + "\n")),  // UTF-8 byte order mark
    };
    for (size_t i = 0; i < inputs.size(); ++i) {
        INFO("input " << i);
        OptionsProblem problem{};
        CHECK(load_options_text(inputs[i].data(), inputs[i].size(), out, sizeof(out), &problem) == OptionsText::text);
        CHECK(std::string(out) == text);
        CHECK(problem.words_dropped == 0);
    }
}

TEST_CASE("load_options_text drops only the word with a character that is not ASCII, and names it", "[efi]") {
    char out[64];
    struct Case {
        std::vector<uint8_t> in;
        std::string text;  // what is left
        uint32_t code;
        size_t position;
        std::string word;
    };
    const std::vector<Case> cases = {
        // One non-ASCII character: config= still works.
        {ucs2_units(u"config=\\x.conf tim\u00e9out=30"), "config=\\x.conf", 0xE9, 19, "tim?out=30"},
        // In config= itself: the other words still work; config= is not guessed.
        {ucs2_units(u"config=\\caf\u00e9.conf timeout=30"), "timeout=30", 0xE9, 12, "config=\\caf?.conf"},
        // Bytes (efibootmgr without --unicode), UTF-8: the character is decoded.
        {bytes("timeout=30 caf\xc3\xa9=1"), "timeout=30", 0xE9, 15, "caf?=1"},
        // Control characters and a byte order mark inside the text.
        {ucs2_units(u"timeout=30 a\u0001b"), "timeout=30", 0x01, 13, "a?b"},
        {ucs2_units(u"timeout=30 \ufefftries=2"), "timeout=30", 0xFEFF, 12, "?tries=2"},
        // A character outside the BMP (a surrogate pair) is one character.
        {ucs2_units(u"x=\U0001F600 timeout=30"), "timeout=30", 0x1F600, 3, "x=?"},
    };
    for (const Case& c : cases) {
        INFO("word " << c.word);
        OptionsProblem problem{};
        CHECK(load_options_text(c.in.data(), c.in.size(), out, sizeof(out), &problem) == OptionsText::text);
        CHECK(std::string(out) == c.text);
        CHECK(problem.words_dropped == 1);
        CHECK(problem.code == c.code);
        CHECK(problem.position == c.position);
        CHECK(std::string(problem.word) == c.word);
    }
    SECTION("the message names the character, its position and the word") {
        std::vector<uint8_t> in = ucs2_units(u"config=\\x.conf tim\u00e9out=30 d\u00e9fault=b");
        OptionsProblem problem{};
        REQUIRE(load_options_text(in.data(), in.size(), out, sizeof(out), &problem) == OptionsText::text);
        CHECK(std::string(out) == "config=\\x.conf");
        char message[160];
        describe_problem(problem, message, sizeof(message));
        CHECK(std::string(message) ==
              "load option 'tim?out=30' ignored: non-ASCII character U+00e9 at character 19 (only ASCII is read); "
              "1 more such word(s)");
    }
}

TEST_CASE("load_options_text refuses text that does not fit", "[efi]") {
    char out[8];
    std::vector<uint8_t> in = ucs2("1234567", true);
    CHECK(load_options_text(in.data(), in.size(), out, sizeof(out)) == OptionsText::text);
    in = ucs2("12345678", true);
    CHECK(load_options_text(in.data(), in.size(), out, sizeof(out)) == OptionsText::too_long);
    CHECK(std::string(out).empty());
}

TEST_CASE("join_boot_entry_options appends the watchdog arguments to any text entry", "[efi]") {
    const std::string args = "quiet modprobe.blacklist=i6300esb";
    uint16_t out[128];
    size_t units = 0;
    struct Case {
        std::vector<uint8_t> data;
        std::u16string expected;
    };
    const std::vector<Case> cases = {
        {ucs2("root=/dev/vda2", true), u"root=/dev/vda2 quiet modprobe.blacklist=i6300esb"},
        {concat({0xFF, 0xFE}, ucs2("root=/dev/vda2\r\n", true)), u"root=/dev/vda2 quiet modprobe.blacklist=i6300esb"},
        {ucs2("root=/dev/vda2 \n", false), u"root=/dev/vda2 quiet modprobe.blacklist=i6300esb"},
        {bytes("root=/dev/vda2\n"), u"root=/dev/vda2 quiet modprobe.blacklist=i6300esb"},
        {concat({0xEF, 0xBB, 0xBF}, bytes("root=/dev/vda2")), u"root=/dev/vda2 quiet modprobe.blacklist=i6300esb"},
        // The entry's own non-ASCII characters stay as they are: its command line, not ours.
        {ucs2_units(u"root=/dev/vda2 label=caf\u00e9"), u"root=/dev/vda2 label=caf\u00e9 quiet modprobe.blacklist=i6300esb"},
        {bytes("label=caf\xc3\xa9"), u"label=caf\u00e9 quiet modprobe.blacklist=i6300esb"},
        {{}, u"quiet modprobe.blacklist=i6300esb"},
        {{0, 0}, u"quiet modprobe.blacklist=i6300esb"},
    };
    for (size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        const Case& c = cases[i];
        REQUIRE(join_boot_entry_options(c.data.empty() ? nullptr : c.data.data(), c.data.size(), args.c_str(), out,
                                        128, units) == OptionsText::text);
        REQUIRE(units == c.expected.size() + 1);
        CHECK(std::u16string(reinterpret_cast<const char16_t*>(out), units - 1) == c.expected);
        CHECK(out[units - 1] == 0);
    }
    SECTION("binary data is left to the caller") {
        std::vector<uint8_t> guid = {0x2d, 0x0d, 0x62, 0xd9, 0xc3, 0xe1, 0x40, 0x45,
                                     0x8b, 0xae, 0xb8, 0x7b, 0x8c, 0xc4, 0x3f, 0x27};
        CHECK(join_boot_entry_options(guid.data(), guid.size(), args.c_str(), out, 128, units) == OptionsText::binary);
        CHECK(units == 0);
    }
    SECTION("nothing at all gives no options") {
        CHECK(join_boot_entry_options(nullptr, 0, "", out, 128, units) == OptionsText::text);
        CHECK(units == 0);
    }
    SECTION("too long") {
        std::vector<uint8_t> in = ucs2(std::string(100, 'x'), true);
        CHECK(join_boot_entry_options(in.data(), in.size(), args.c_str(), out, 128, units) == OptionsText::too_long);
        CHECK(join_boot_entry_options(in.data(), in.size(), "", out, 128, units) == OptionsText::text);
        CHECK(units == 101);
    }
    SECTION("the capacity holds the text and its NUL exactly") {
        // "abcd efgh" + U+1F600 (a surrogate pair): 11 units, then " xy": 14, each + the NUL.
        std::vector<uint8_t> in = ucs2_units(u"abcd\nefgh\U0001F600");
        for (size_t cap = 1; cap <= 18; ++cap) {
            INFO("cap " << cap);
            CHECK(join_boot_entry_options(in.data(), in.size(), "", out, cap, units) ==
                  (cap >= 12 ? OptionsText::text : OptionsText::too_long));
            CHECK(join_boot_entry_options(in.data(), in.size(), "xy", out, cap, units) ==
                  (cap >= 15 ? OptionsText::text : OptionsText::too_long));
            if (cap >= 15) {
                CHECK(units == 15);
                CHECK(std::u16string(reinterpret_cast<const char16_t*>(out), units - 1) == u"abcd efgh\U0001F600 xy");
            }
        }
    }
}
