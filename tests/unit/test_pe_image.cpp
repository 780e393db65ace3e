// The PE inspection that decides what a slot's image is (Linux kernel, UKI, other EFI
// application) and the command line each kind is given (src/core/pe_image.cpp).
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../common/pe_builder.hpp"
#include "wdboot/pe_image.hpp"

using namespace wdboot;
using wdtest::make_pe;
using wdtest::put16;
using wdtest::put32;
using wdtest::Section;

namespace {

PeImageInfo inspect(const std::vector<uint8_t>& b, PeLayout layout, PeError want = PeError::ok) {
    PeImageInfo info{};
    REQUIRE(inspect_pe_image(b.data(), b.size(), layout, info) == want);
    return info;
}

// The result points into the bytes: they must outlive it.
PeImageInfo inspect(std::vector<uint8_t>&&, PeLayout, PeError = PeError::ok) = delete;

std::string embedded(const PeImageInfo& i) { return std::string(i.embedded_cmdline, i.embedded_length); }

const std::vector<Section> kUki = {{".osrel", "ID=debian\n"},
                                   {".cmdline", "root=/dev/vda2 ro quiet\n"},
                                   {".linux", "MZ...kernel"},
                                   {".initrd", "070701"}};

}  // namespace

TEST_CASE("pe_image: a UKI is found by its .linux section and its .cmdline is read, in both layouts") {
    for (PeLayout layout : {PeLayout::file, PeLayout::loaded}) {
        auto image = make_pe(kUki, layout);
        PeImageInfo i = inspect(image, layout);
        CHECK(i.type == PeImageType::unified_kernel);
        CHECK(i.has_cmdline_section);
        CHECK(embedded(i) == "root=/dev/vda2 ro quiet");  // the newline objcopy took from the file goes
    }
    // ukify writes the text with a NUL; padding NULs and leading blanks go too.
    auto b = make_pe({{".cmdline", std::string("  console=ttyS0\0\0\0", 18)}, {".linux", "k"}}, PeLayout::loaded);
    CHECK(embedded(inspect(b, PeLayout::loaded)) == "console=ttyS0");
}

TEST_CASE("pe_image: a UKI without .cmdline, a Linux kernel, any other application") {
    auto ub = make_pe({{".linux", "k"}}, PeLayout::loaded);
    PeImageInfo u = inspect(ub, PeLayout::loaded);
    CHECK(u.type == PeImageType::unified_kernel);
    CHECK_FALSE(u.has_cmdline_section);
    CHECK(u.embedded_length == 0);

    auto kb = make_pe({{".setup", "s"}, {".text", "t"}}, PeLayout::loaded, true);
    PeImageInfo k = inspect(kb, PeLayout::loaded);
    CHECK(k.type == PeImageType::linux_kernel);

    // shim, GRUB, a shell: no .linux, no "HdrS"; a .cmdline alone does not make a UKI.
    auto ab = make_pe({{".text", "t"}, {".cmdline", "x"}}, PeLayout::loaded);
    PeImageInfo a = inspect(ab, PeLayout::loaded);
    CHECK(a.type == PeImageType::efi_application);
    CHECK(a.embedded_length == 0);
}

TEST_CASE("pe_image: malformed headers are named and never read past the image") {
    PeImageInfo i{};
    CHECK(inspect_pe_image(nullptr, 0, PeLayout::file, i) == PeError::too_small);
    std::vector<uint8_t> good = make_pe(kUki, PeLayout::file);

    auto bad = good;
    bad[0] = 'X';
    inspect(bad, PeLayout::file, PeError::no_mz);
    bad = good;
    put32(bad, 0x3C, static_cast<uint32_t>(bad.size() - 8));
    inspect(bad, PeLayout::file, PeError::bad_pe_offset);
    bad = good;
    put32(bad, 0x3C, 0xFFFFFFF0u);
    inspect(bad, PeLayout::file, PeError::bad_pe_offset);
    bad = good;
    bad[0x81] = 'Q';
    inspect(bad, PeLayout::file, PeError::no_pe_signature);
    bad = good;
    put16(bad, 0x86, 0xFFFF);  // 65535 sections
    inspect(bad, PeLayout::file, PeError::sections_outside);
    bad = good;
    size_t cmdline_header = 0x80 + 24 + 240 + 40;
    put32(bad, cmdline_header + 20, 0xFFFFFF00u);  // PointerToRawData far away
    PeImageInfo c = inspect(bad, PeLayout::file, PeError::cmdline_outside);
    CHECK(c.embedded_length == 0);
    CHECK(c.type == PeImageType::efi_application);  // on an error nothing is believed
    bad = good;
    put32(bad, cmdline_header + 8, 0xFFFFFFFFu);  // VirtualSize huge, raw size small: file reads raw
    CHECK(embedded(inspect(bad, PeLayout::file)) == "root=/dev/vda2 ro quiet");
    inspect(bad, PeLayout::loaded, PeError::cmdline_outside);

    // Every prefix of a good image: an error or a result, inside the bytes (ASan checks
    // the reads; each prefix is its own exactly sized allocation).
    for (size_t n = 0; n <= good.size(); ++n) {
        std::vector<uint8_t> prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        PeImageInfo p{};
        PeError e = inspect_pe_image(prefix.data(), prefix.size(), PeLayout::file, p);
        if (e == PeError::ok && p.embedded_length > 0) {
            CHECK(p.embedded_cmdline >= reinterpret_cast<const char*>(prefix.data()));
            CHECK(p.embedded_cmdline + p.embedded_length <= reinterpret_cast<const char*>(prefix.data() + n));
        }
    }
}

TEST_CASE("compose_command_line: each kind of image gets what it needs") {
    char out[kOptionsMax];
    CommandLineParts parts{"console=ttyS0", "modprobe.blacklist=i6300esb"};
    auto ukib = make_pe(kUki, PeLayout::loaded);
    auto kernelb = make_pe({{".text", "t"}}, PeLayout::loaded, true);
    auto appb = make_pe({{".text", "t"}}, PeLayout::loaded);
    PeImageInfo uki = inspect(ukib, PeLayout::loaded);
    PeImageInfo kernel = inspect(kernelb, PeLayout::loaded);
    PeImageInfo app = inspect(appb, PeLayout::loaded);

    SECTION("a Linux kernel: options, then the watchdog's arguments") {
        ComposedCommandLine c = compose_command_line(ImageKind::linux_efi, kernel, false, parts, false, out);
        CHECK(std::string(out) == "console=ttyS0 modprobe.blacklist=i6300esb");
        CHECK(c.watchdog_args_passed);
        CHECK_FALSE(c.embedded_kept);
        // A bzImage under `efi` is still a kernel.
        compose_command_line(ImageKind::efi_app, kernel, false, parts, false, out);
        CHECK(std::string(out) == "console=ttyS0 modprobe.blacklist=i6300esb");
    }
    SECTION("a UKI keeps its embedded command line in front (its root= must not be lost)") {
        ComposedCommandLine c = compose_command_line(ImageKind::efi_app, uki, false, parts, false, out);
        CHECK(std::string(out) == "root=/dev/vda2 ro quiet console=ttyS0 modprobe.blacklist=i6300esb");
        CHECK(c.embedded_kept);
        CHECK(c.watchdog_args_passed);
        CHECK_FALSE(c.stub_ignores_options);
        compose_command_line(ImageKind::efi_app, uki, false, CommandLineParts{"", "modprobe.blacklist=iTCO_wdt"},
                             false, out);
        CHECK(std::string(out) == "root=/dev/vda2 ro quiet modprobe.blacklist=iTCO_wdt");
        // Under `linux` the same.
        compose_command_line(ImageKind::linux_efi, uki, false, CommandLineParts{"", ""}, false, out);
        CHECK(std::string(out) == "root=/dev/vda2 ro quiet");
    }
    SECTION("a UKI under Secure Boot: the stub uses only what is embedded; missing watchdog arguments are named") {
        ComposedCommandLine c = compose_command_line(ImageKind::efi_app, uki, false, parts, true, out);
        CHECK(c.stub_ignores_options);
        CHECK(c.embedded_lacks_watchdog_args);
        auto with = make_pe({{".cmdline", "root=/dev/vda2 modprobe.blacklist=i6300esb"}, {".linux", "k"}},
                            PeLayout::loaded);
        PeImageInfo w = inspect(with, PeLayout::loaded);
        c = compose_command_line(ImageKind::efi_app, w, false, parts, true, out);
        CHECK(c.stub_ignores_options);
        CHECK_FALSE(c.embedded_lacks_watchdog_args);
        // A .cmdline of blanks and NULs still counts for systemd-stub 252: under Secure Boot
        // the kernel gets nothing of ours, and the missing arguments are named.
        auto blankb = make_pe({{".cmdline", std::string(" \n\0\0", 4)}, {".linux", "k"}}, PeLayout::loaded);
        PeImageInfo blank = inspect(blankb, PeLayout::loaded);
        CHECK(blank.embedded_length == 0);
        c = compose_command_line(ImageKind::efi_app, blank, false, parts, true, out);
        CHECK(c.stub_ignores_options);
        CHECK(c.embedded_lacks_watchdog_args);
        // No embedded command line: the stub takes the load options even under Secure Boot.
        auto bareb = make_pe({{".linux", "k"}}, PeLayout::loaded);
        PeImageInfo bare = inspect(bareb, PeLayout::loaded);
        c = compose_command_line(ImageKind::efi_app, bare, false, parts, true, out);
        CHECK_FALSE(c.stub_ignores_options);
        CHECK(std::string(out) == "console=ttyS0 modprobe.blacklist=i6300esb");
    }
    SECTION("another EFI application: options only (shim would take the arguments for a file name)") {
        ComposedCommandLine c = compose_command_line(ImageKind::efi_app, app, false, parts, false, out);
        CHECK(std::string(out) == "console=ttyS0");
        CHECK_FALSE(c.watchdog_args_passed);
        compose_command_line(ImageKind::boot_entry, app, false, parts, false, out);
        CHECK(std::string(out) == "console=ttyS0");
        // Declared `linux`, whatever the headers say: the arguments go.
        c = compose_command_line(ImageKind::linux_efi, app, false, parts, false, out);
        CHECK(c.watchdog_args_passed);
    }
    SECTION("a boot entry's own text takes the place of a UKI's embedded command line") {
        ComposedCommandLine c = compose_command_line(ImageKind::boot_entry, uki, true, parts, false, out);
        CHECK(std::string(out) == "console=ttyS0 modprobe.blacklist=i6300esb");
        CHECK_FALSE(c.embedded_kept);
        c = compose_command_line(ImageKind::boot_entry, uki, false, parts, false, out);
        CHECK(c.embedded_kept);
    }
    SECTION("too long, non-ASCII and control characters") {
        std::string big(1000, 'x');
        auto b = make_pe({{".cmdline", big}, {".linux", "k"}}, PeLayout::loaded);
        PeImageInfo i = inspect(b, PeLayout::loaded);
        ComposedCommandLine c = compose_command_line(ImageKind::efi_app, i, false, parts, false, out);
        CHECK_FALSE(c.fits);
        c = compose_command_line(ImageKind::efi_app, i, false, CommandLineParts{"", ""}, false, out);
        CHECK(c.fits);

        auto n = make_pe({{".cmdline", "root=/dev/vda2 quiet=\xc3\xa9"}, {".linux", "k"}}, PeLayout::loaded);
        c = compose_command_line(ImageKind::efi_app, inspect(n, PeLayout::loaded), false, parts, false, out);
        CHECK(c.embedded_not_ascii);

        auto nl = make_pe({{".cmdline", "root=/dev/vda2\nquiet\tro\n"}, {".linux", "k"}}, PeLayout::loaded);
        compose_command_line(ImageKind::efi_app, inspect(nl, PeLayout::loaded), false, CommandLineParts{"", ""},
                             false, out);
        CHECK(std::string(out) == "root=/dev/vda2 quiet ro");
    }
}

TEST_CASE("command_line_has_words: whole words only") {
    const char* c = "root=/dev/vda2 modprobe.blacklist=i6300esb quiet";
    CHECK(command_line_has_words(c, std::strlen(c), "modprobe.blacklist=i6300esb"));
    CHECK(command_line_has_words(c, std::strlen(c), "quiet root=/dev/vda2"));
    CHECK(command_line_has_words(c, std::strlen(c), ""));
    CHECK_FALSE(command_line_has_words(c, std::strlen(c), "modprobe.blacklist=i6300"));
    CHECK_FALSE(command_line_has_words(c, std::strlen(c), "modprobe.blacklist=iTCO_wdt"));
    const char* d = "xmodprobe.blacklist=i6300esb";
    CHECK_FALSE(command_line_has_words(d, std::strlen(d), "modprobe.blacklist=i6300esb"));
    // only the first n bytes count
    CHECK_FALSE(command_line_has_words(c, 14, "quiet"));
}
