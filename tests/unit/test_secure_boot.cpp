// Secure Boot: the strict and permissive policies for what wdboot cannot verify
// (unverified_inputs), where the policy may come from (secure-boot-policy in the load
// options and wdboot.conf), and the reason of a refused image in the journal.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <string>

#include "fixtures.hpp"
#include "wdboot/boot_flow.hpp"
#include "wdboot/config.hpp"
#include "wdboot/secure_boot.hpp"

using namespace wdboot;
using wdtest::Machine;

namespace {

constexpr auto kStrict = SecureBootPolicy::strict;
constexpr auto kPermissive = SecureBootPolicy::permissive;

std::unique_ptr<Config> configured(const std::string& file, const std::string& load_options = "") {
    auto cfg = std::make_unique<Config>();
    config_defaults(*cfg);
    LoadOptions lo{};
    REQUIRE(parse_load_options(load_options.c_str(), load_options.size(), lo, cfg->diagnostics) == Status::ok);
    (void)parse_config(file.data(), file.size(), *cfg);
    REQUIRE(apply_load_options(lo, *cfg) == Status::ok);
    REQUIRE(finish_config(*cfg) == Status::ok);
    return cfg;
}

bool warned(const Config& cfg, uint32_t line, const std::string& needle) {
    for (size_t i = 0; i < cfg.diagnostics.count; ++i) {
        const Diagnostic& d = cfg.diagnostics.items[i];
        if (d.line == line && d.severity == Severity::warning && std::string(d.message).find(needle) != std::string::npos)
            return true;
    }
    return false;
}

const char kSlots[] = "slot a\nlinux \\vmlinuz\noptions root=/dev/vda\n";

}  // namespace

TEST_CASE("secure boot off: nothing from wdboot.conf is dropped or refused, whatever the policy", "[secure-boot]") {
    for (auto policy : {kStrict, kPermissive}) {
        for (auto type : {PeImageType::linux_kernel, PeImageType::unified_kernel, PeImageType::efi_application}) {
            UnverifiedInputs r = unverified_inputs(false, policy, ImageKind::linux_efi, type, true, true);
            CHECK_FALSE(r.refused);
            CHECK_FALSE(r.options_dropped);
            CHECK_FALSE(r.initrds_dropped);
            CHECK_FALSE(r.unverified_passed);
        }
    }
}

TEST_CASE("strict: a UKI or an EFI application boots with what it carries, the config's additions dropped",
          "[secure-boot]") {
    for (auto kind : {ImageKind::efi_app, ImageKind::linux_efi}) {
        for (auto type : {PeImageType::unified_kernel, PeImageType::efi_application}) {
            UnverifiedInputs r = unverified_inputs(true, kStrict, kind, type, true, true);
            CHECK_FALSE(r.refused);
            CHECK(r.options_dropped);
            CHECK(r.initrds_dropped);
            CHECK_FALSE(r.unverified_passed);
        }
    }
    // Nothing to drop: nothing said.
    UnverifiedInputs none = unverified_inputs(true, kStrict, ImageKind::efi_app, PeImageType::unified_kernel, false,
                                              false);
    CHECK_FALSE(none.options_dropped);
    CHECK_FALSE(none.initrds_dropped);
}

TEST_CASE("strict: a plain kernel that would need the config's options or initrds is refused", "[secure-boot]") {
    CHECK(unverified_inputs(true, kStrict, ImageKind::linux_efi, PeImageType::linux_kernel, true, false).refused);
    CHECK(unverified_inputs(true, kStrict, ImageKind::linux_efi, PeImageType::linux_kernel, false, true).refused);
    CHECK(unverified_inputs(true, kStrict, ImageKind::efi_app, PeImageType::linux_kernel, true, true).refused);
    // With nothing from the config it boots (a built-in command line, or wdboot's own
    // arguments alone).
    UnverifiedInputs bare = unverified_inputs(true, kStrict, ImageKind::linux_efi, PeImageType::linux_kernel, false,
                                              false);
    CHECK_FALSE(bare.refused);
    CHECK_FALSE(bare.options_dropped);
    // Behind a Boot#### entry its command line is the entry's text (NVRAM): the
    // config's options are dropped, the kernel still boots.
    UnverifiedInputs entry = unverified_inputs(true, kStrict, ImageKind::boot_entry, PeImageType::linux_kernel, true,
                                               false);
    CHECK_FALSE(entry.refused);
    CHECK(entry.options_dropped);
}

TEST_CASE("permissive: the config's options and initrds pass, and are said to be unverified", "[secure-boot]") {
    UnverifiedInputs r = unverified_inputs(true, kPermissive, ImageKind::linux_efi, PeImageType::linux_kernel, true,
                                           true);
    CHECK_FALSE(r.refused);
    CHECK_FALSE(r.options_dropped);
    CHECK_FALSE(r.initrds_dropped);
    CHECK(r.unverified_passed);
    CHECK_FALSE(unverified_inputs(true, kPermissive, ImageKind::efi_app, PeImageType::unified_kernel, false, false)
                    .unverified_passed);
}

TEST_CASE("secure-boot-policy: strict by default, permissive only from the boot entry's load options",
          "[secure-boot][config]") {
    CHECK(configured(kSlots)->secure_boot_policy == kStrict);
    CHECK(configured(kSlots, "secure-boot-policy=permissive")->secure_boot_policy == kPermissive);

    auto strict_file = configured(std::string("secure-boot-policy strict\n") + kSlots);
    CHECK(strict_file->secure_boot_policy == kStrict);
    CHECK(strict_file->diagnostics.count == 0);

    // The file the policy distrusts cannot loosen it.
    auto loosened = configured(std::string("timeout 30\nsecure-boot-policy permissive\n") + kSlots);
    CHECK(loosened->secure_boot_policy == kStrict);
    CHECK(warned(*loosened, 2, "only taken from the boot entry's load options"));

    // The load options win over the file either way.
    CHECK(configured(std::string("secure-boot-policy strict\n") + kSlots, "secure-boot-policy=permissive")
              ->secure_boot_policy == kPermissive);
    auto both = configured(std::string("secure-boot-policy permissive\n") + kSlots, "secure-boot-policy=permissive");
    CHECK(both->secure_boot_policy == kPermissive);

    auto bad = std::make_unique<Config>();
    config_defaults(*bad);
    std::string text = std::string("secure-boot-policy lax\n") + kSlots;
    CHECK(parse_config(text.data(), text.size(), *bad) == Status::invalid_argument);
    CHECK(std::string(bad->diagnostics.items[0].message) ==
          "secure-boot-policy must be strict or permissive, got 'lax'");
    CHECK(bad->secure_boot_policy == kStrict);
}

TEST_CASE("an image Secure Boot refuses: load-failed (security violation) on record, the next slot in the same boot",
          "[secure-boot][flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    m.refused = {"primary"};
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.took_over);
    REQUIRE(b.slot == "fallback");
    BootState st = m.state();
    REQUIRE(st.journal_newest(1).event == Event::load_failed);
    CHECK(st.journal_newest(1).detail == static_cast<uint8_t>(LoadFailure::security_violation));
    CHECK(st.slots[st.find_slot("primary")].last_outcome == Outcome::load_failed);
    bool said = false;
    for (const auto& l : b.lines)
        said |= l.find("slot \"primary\" could not be loaded (security violation): marked failed") != std::string::npos;
    CHECK(said);
    // A missing image says so too, with its own reason.
    Machine n(wdtest::make_config({"primary", "fallback"}));
    (void)n.boot(ResetCause::power_on, {"primary"});
    CHECK(n.state().journal_newest(1).detail == static_cast<uint8_t>(LoadFailure::not_found));
}

TEST_CASE("every LoadFailure has a name", "[secure-boot]") {
    for (uint8_t v = 0; v <= static_cast<uint8_t>(LoadFailure::out_of_resources); ++v) {
        std::string name = to_string(static_cast<LoadFailure>(v));
        CHECK(!name.empty());
        CHECK((v == 0 || name != "unknown"));
    }
    CHECK(std::string(to_string(LoadFailure::security_violation)) == "security violation");
    CHECK(std::string(to_string(SecureBootPolicy::permissive)) == "permissive");
}
