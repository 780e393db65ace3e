// Secure Boot on the agent's side (issue 12, secure_boot_check.hpp): which slots the
// loader's strict policy refuses, where the policy comes from, install refusing to
// leave a machine on which no slot would start, install --secure-boot-policy, status,
// the add-slot and kernel-add warnings, and `log` naming a Secure Boot refusal.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "../common/pe_builder.hpp"
#include "agent_fixture.hpp"
#include "boot_entry.hpp"
#include "boot_entry_heal.hpp"
#include "install_commands.hpp"
#include "kernel_commands.hpp"
#include "report_commands.hpp"
#include "secure_boot_check.hpp"
#include "slot_commands.hpp"
#include "state_commands.hpp"

using namespace wdtest;
using wdboot::PeLayout;
namespace fs = std::filesystem;

namespace {

constexpr char kSecureBootVar[] = "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
constexpr char kGlobalGuid[] = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

void secure_boot(Agent& a, bool on) {
    write_text(a.efivars + "/" + kSecureBootVar, std::string("\x06\0\0\0", 4) + (on ? '\x01' : '\x00'));
}

std::string bytes_of(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }
// A bzImage with its EFI stub ("HdrS"), a UKI with an embedded command line.
std::string plain_kernel() { return bytes_of(make_pe({{".text", "kernel"}}, PeLayout::file, true)); }
std::string uki() { return bytes_of(make_pe({{".cmdline", "root=/dev/vda2 ro"}, {".linux", "k"}}, PeLayout::file)); }

// A Debian machine as install finds it: three kernels in /boot (PE images), initrds for
// the running and the previous one, and a command line to reuse.
void machine(Agent& a) {
    write_text(a.dir / "boot/vmlinuz-6.1.0-9-amd64", plain_kernel());
    write_text(a.dir / "boot/vmlinuz-6.1.0-17-amd64", plain_kernel());
    write_text(a.dir / "boot/initrd.img-6.1.0-17-amd64", "previous initrd");
    write_text(a.dir / "boot/vmlinuz-6.1.0-18-amd64", plain_kernel());
    write_text(a.dir / "boot/initrd.img-6.1.0-18-amd64", "running initrd");
    write_text(a.dir / "cmdline", "BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=UUID=1234 ro quiet\n");
    write_text(a.dir / "wdbootx64.efi", "MZ fake loader");
    a.env.kernel_release = "6.1.0-18-amd64";
    a.env.loader_image = a.dir / "wdbootx64.efi";
    a.runner.labels = {{"0000", "UiApp"}, {"0001", "debian"}};
    a.runner.order = {"0001", "0000"};
}

InstallOptions install_options() {
    InstallOptions o;
    o.disk = "/dev/vda";
    o.part = "1";
    return o;
}

// The argv of efibootmgr --create, or empty.
std::vector<std::string> create_call(const Agent& a) {
    for (const auto& c : a.runner.calls)
        if (c.size() > 1 && c[1] == "--create") return c;
    return {};
}

// An EFI_LOAD_OPTION as efibootmgr writes it: active, "wdboot",
// HD()/File(\EFI\wdboot\wdbootx64.efi)/End, then `optional` as the optional data.
std::vector<uint8_t> load_option(const std::vector<uint8_t>& optional) {
    std::vector<uint8_t> hd(42, 0);
    hd[0] = 0x04;
    hd[1] = 0x01;
    hd[2] = 42;
    hd[3] = 0;
    std::vector<uint8_t> file{0x04, 0x04, 0, 0};
    const std::vector<uint8_t> name = utf16("\\EFI\\wdboot\\wdbootx64.efi");
    file.insert(file.end(), name.begin(), name.end());
    file[2] = static_cast<uint8_t>(file.size());
    std::vector<uint8_t> path = hd;
    path.insert(path.end(), file.begin(), file.end());
    path.insert(path.end(), {0x7F, 0xFF, 0x04, 0x00});
    std::vector<uint8_t> v{1, 0, 0, 0, static_cast<uint8_t>(path.size()), static_cast<uint8_t>(path.size() >> 8)};
    const std::vector<uint8_t> desc = utf16("wdboot");
    v.insert(v.end(), desc.begin(), desc.end());
    v.insert(v.end(), path.begin(), path.end());
    v.insert(v.end(), optional.begin(), optional.end());
    return v;
}

// install.state naming Boot0004, and Boot0004 with these load options.
void boot_entry(Agent& a, const std::vector<uint8_t>& optional) {
    write_text(a.dir / "esp/EFI/wdboot/install.state", "bootnum=0004\nbootorder=0001\n");
    const std::vector<uint8_t> v = load_option(optional);
    REQUIRE(a.vars->write("Boot0004", 7, v.data(), v.size(), kGlobalGuid) == Status::ok);
}

// WdbootCurrent as the loader writes it since issue 12.
void current(Agent& a, const std::string& words) {
    const std::string text = "slot=primary index=0 boot_id=1 watchdog=none timeout=0 trial=0 forced=0 " + words;
    REQUIRE(a.vars->write(kCurrentVariable, 6, reinterpret_cast<const uint8_t*>(text.data()), text.size()) ==
            Status::ok);
}

// The ESP as install leaves it: plain kernels with initrds and options.
void installed_esp(Agent& a) {
    for (const char* v : {"6.1.0-17-amd64", "6.1.0-18-amd64"}) {
        write_text(a.dir / ("esp/EFI/wdboot/kernels/" + std::string(v) + "/vmlinuz"), plain_kernel());
        write_text(a.dir / ("esp/EFI/wdboot/kernels/" + std::string(v) + "/initrd.img"), "initrd");
    }
    a.write_config(
        "timeout 30\nwatchdog none\n"
        "slot primary\n  linux \\EFI\\wdboot\\kernels\\6.1.0-18-amd64\\vmlinuz\n"
        "  initrd \\EFI\\wdboot\\kernels\\6.1.0-18-amd64\\initrd.img\n  options root=UUID=1234 ro\n"
        "slot fallback\n  linux \\EFI\\wdboot\\kernels\\6.1.0-17-amd64\\vmlinuz\n"
        "  initrd \\EFI\\wdboot\\kernels\\6.1.0-17-amd64\\initrd.img\n  options root=UUID=1234 ro\n");
}

std::unique_ptr<Config> parsed(const std::string& text) { return loader_config("", text); }

}  // namespace

TEST_CASE("secure boot check: a plain kernel with options or initrds is refused, as the loader decides") {
    Agent a;
    const std::string esp = a.dir / "esp";
    write_text(esp + "/k/vmlinuz", plain_kernel());
    write_text(esp + "/k/uki.efi", uki());
    write_text(esp + "/k/text", "not a PE image at all, just text that is long enough to be a header...........");
    auto cfg = parsed(
        "watchdog none\n"
        "slot opts\n  linux \\k\\vmlinuz\n  options root=/dev/vda2\n"
        "slot initrd\n  linux \\k\\vmlinuz\n  initrd \\k\\initrd\n"
        "slot bare\n  linux \\k\\vmlinuz\n"
        "slot uki\n  linux \\k\\uki.efi\n  options quiet\n  initrd \\k\\initrd\n"
        "slot efikernel\n  efi \\k\\vmlinuz\n  options root=/dev/vda2\n"
        "slot entry\n  bootentry 0001\n  options quiet\n"
        "slot text\n  linux \\k\\text\n  options root=/dev/vda2\n"
        "slot missing\n  linux \\k\\gone\n  options root=/dev/vda2\n");
    REQUIRE(cfg->slot_count == 8);  // kMaxSlots
    std::vector<std::string> read;
    const ImageFileOf files = [&](const std::string& p) {
        read.push_back(p);
        return esp_file(esp, p);
    };
    auto verdicts = [&](bool on, SecureBootPolicy policy) {
        std::map<std::string, SlotCheck> m;
        for (const SlotCheck& c : check_slots(*cfg, on, policy, files)) m[c.slot] = c;
        return m;
    };

    SECTION("Secure Boot on, strict") {
        auto v = verdicts(true, SecureBootPolicy::strict);
        CHECK(v["opts"].verdict == SlotVerdict::refused);
        CHECK_THAT(v["opts"].why, Catch::Contains("plain Linux kernel") && Catch::Contains("whose options come"));
        CHECK(v["initrd"].verdict == SlotVerdict::refused);
        CHECK_THAT(v["initrd"].why, Catch::Contains("whose initrds come"));
        CHECK(v["efikernel"].verdict == SlotVerdict::refused);  // the headers count, not the keyword
        CHECK(v["bare"].verdict == SlotVerdict::starts);
        CHECK(v["uki"].verdict == SlotVerdict::starts);
        CHECK(v["uki"].options_dropped);
        CHECK(v["uki"].initrds_dropped);
        CHECK(v["entry"].verdict == SlotVerdict::starts);
        CHECK(v["text"].verdict == SlotVerdict::unknown);
        CHECK_THAT(v["text"].why, Catch::Contains("is not a PE image (no MZ header)") &&
                                      Catch::Contains("cannot be told"));
        CHECK(v["missing"].verdict == SlotVerdict::unknown);
        CHECK_THAT(v["missing"].why, Catch::Contains("cannot be read"));
        CHECK_THAT(slot_check_text(v["opts"]), Catch::StartsWith("slot \"opts\" (\\k\\vmlinuz): a plain Linux kernel"));
        // A bootentry slot's image is never read: the policy never refuses one.
        CHECK(std::find(read.begin(), read.end(), "\\k\\vmlinuz") != read.end());
        for (const auto& p : read) CHECK(p.find("0001") == std::string::npos);
    }
    SECTION("Secure Boot on, permissive: nothing refused, no image read") {
        auto v = verdicts(true, SecureBootPolicy::permissive);
        for (const auto& [name, c] : v) {
            INFO(name);
            CHECK(c.verdict == SlotVerdict::starts);
            CHECK_FALSE(c.options_dropped);
        }
        CHECK(read.empty());
    }
    SECTION("Secure Boot off: nothing refused, no image read") {
        auto v = verdicts(false, SecureBootPolicy::strict);
        for (const auto& [name, c] : v) CHECK(c.verdict == SlotVerdict::starts);
        CHECK(read.empty());
    }
    SECTION("one slot only") {
        auto only = check_slots(*cfg, true, SecureBootPolicy::strict, files, "bare");
        REQUIRE(only.size() == 1);
        CHECK(only[0].slot == "bare");
    }
}

TEST_CASE("secure boot check: the policy the loader reads from its load options and wdboot.conf") {
    const std::string conf = "watchdog none\nslot a\n  linux \\k\\vmlinuz\n";
    CHECK(loader_config("", conf)->secure_boot_policy == SecureBootPolicy::strict);
    CHECK(loader_config("secure-boot-policy=permissive", conf)->secure_boot_policy == SecureBootPolicy::permissive);
    // The file may not loosen it: ignored, as by the loader.
    CHECK(loader_config("", "secure-boot-policy permissive\n" + conf)->secure_boot_policy == SecureBootPolicy::strict);
    CHECK(loader_config("secure-boot-policy=strict", conf)->secure_boot_policy == SecureBootPolicy::strict);
}

TEST_CASE("secure boot check: where the running machine's policy comes from") {
    Agent a;
    const std::string esp = a.dir / "esp";
    const std::string conf = "watchdog none\nslot primary\n  linux \\k\\vmlinuz\n";
    SECTION("nothing readable: strict, the default, and why") {
        EffectivePolicy p = effective_policy(a.env, esp, conf);
        CHECK(p.policy == SecureBootPolicy::strict);
        CHECK(p.source == "default");
        CHECK(p.detail == "install.state names no boot entry");
        CHECK_FALSE(p.boot_entry.has_value());
    }
    SECTION("install.state names an entry that is gone") {
        write_text(esp + "/EFI/wdboot/install.state", "bootnum=0004\n");
        EffectivePolicy p = effective_policy(a.env, esp, conf);
        CHECK(p.source == "default");
        CHECK(p.detail == "Boot0004 does not exist");
    }
    SECTION("the boot entry's load options, UCS-2 as efibootmgr --unicode writes them") {
        boot_entry(a, utf16("secure-boot-policy=permissive", false));
        EffectivePolicy p = effective_policy(a.env, esp, conf);
        CHECK(p.policy == SecureBootPolicy::permissive);
        CHECK(p.source == "boot-entry");
        CHECK(p.detail == "Boot0004");
        CHECK(p.boot_entry == SecureBootPolicy::permissive);
    }
    SECTION("a boot entry without load options: strict") {
        boot_entry(a, {});
        EffectivePolicy p = effective_policy(a.env, esp, conf);
        CHECK(p.policy == SecureBootPolicy::strict);
        CHECK(p.source == "boot-entry");
    }
    SECTION("binary optional data (a firmware-made entry) is not taken for a policy") {
        boot_entry(a, {0x01, 0x9c, 0xff, 0x00, 0x13, 0xee, 0x80, 0x02});
        EffectivePolicy p = effective_policy(a.env, esp, conf);
        CHECK(p.source == "default");
        CHECK(p.detail == "Boot0004's load options are not text");
    }
    SECTION("a Boot#### that is not an EFI_LOAD_OPTION") {
        write_text(esp + "/EFI/wdboot/install.state", "bootnum=0004\n");
        const uint8_t junk[] = {1, 0, 0, 0, 0xff};
        REQUIRE(a.vars->write("Boot0004", 7, junk, sizeof junk, kGlobalGuid) == Status::ok);
        EffectivePolicy p = effective_policy(a.env, esp, conf);
        CHECK(p.source == "default");
        CHECK_THAT(p.detail, Catch::StartsWith("Boot0004 is not an EFI_LOAD_OPTION the agent can read"));
    }
    SECTION("the loader's own word wins, and the boot entry's is kept for the next boot") {
        boot_entry(a, utf16("secure-boot-policy=permissive", false));
        current(a, "secure_boot=1 secure_boot_policy=strict");
        EffectivePolicy p = effective_policy(a.env, esp, conf);
        CHECK(p.policy == SecureBootPolicy::strict);
        CHECK(p.source == "loader");
        CHECK(p.boot_entry == SecureBootPolicy::permissive);
    }
    SECTION("a loader before issue 12 says nothing: the boot entry counts") {
        boot_entry(a, utf16("secure-boot-policy=permissive", false));
        current(a, "");
        CHECK(effective_policy(a.env, esp, conf).source == "boot-entry");
    }
}

TEST_CASE("install under Secure Boot and strict refuses when no slot would start, and changes nothing") {
    Agent a;
    machine(a);
    secure_boot(a, true);
    InstallOptions o = install_options();
    SECTION("install") {}
    SECTION("install --dry-run") { o.dry_run = true; }
    SECTION("install --secure-boot-policy strict") { o.secure_boot_policy = "strict"; }
    CHECK(cmd_install(a.env, o) == Exit::refused);
    const std::string err = a.err.str();
    CHECK_THAT(err, Catch::Contains("Secure Boot is on and secure-boot-policy is strict: the loader would start none") &&
                        Catch::Contains("slot \"primary\" (\\EFI\\wdboot\\kernels\\6.1.0-18-amd64\\vmlinuz): a plain "
                                        "Linux kernel") &&
                        Catch::Contains("slot \"fallback\"") && Catch::Contains("Nothing changed") &&
                        Catch::Contains("--secure-boot-policy permissive") &&
                        Catch::Contains("signed unified kernel images"));
    // Nothing on the ESP, no efibootmgr call, no install.state.
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/wdbootx64.efi"));
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/wdboot.conf"));
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/kernels"));
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/install.state"));
    CHECK(a.runner.calls.empty());
    CHECK(a.runner.order == std::vector<std::string>{"0001", "0000"});
}

TEST_CASE("install under Secure Boot refuses with a kept wdboot.conf whose slots would all be refused") {
    Agent a;
    machine(a);
    secure_boot(a, true);
    installed_esp(a);
    const std::string conf = read_text(a.dir / "esp/EFI/wdboot/wdboot.conf");
    CHECK(cmd_install(a.env, install_options()) == Exit::refused);
    CHECK_THAT(a.err.str(), Catch::Contains("start none of the slots"));
    CHECK(read_text(a.dir / "esp/EFI/wdboot/wdboot.conf") == conf);
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/wdbootx64.efi"));
    CHECK(a.runner.calls.empty());
}

TEST_CASE("install under Secure Boot with a slot that still starts proceeds and names the refused one") {
    Agent a;
    machine(a);
    secure_boot(a, true);
    // No command line to reuse, and the previous kernel without an initrd: the fallback
    // slot takes nothing from wdboot.conf and starts; primary has its initrd.
    write_text(a.dir / "cmdline", "BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64\n");
    fs::remove(a.dir / "boot/initrd.img-6.1.0-17-amd64");
    REQUIRE(cmd_install(a.env, install_options()) == Exit::ok);
    CHECK_THAT(a.err.str(), Catch::Contains("warning: Secure Boot is on and secure-boot-policy is strict: the loader "
                                            "will refuse\n  slot \"primary\"") &&
                                !Catch::Contains("slot \"fallback\""));
    CHECK(fs::exists(a.dir / "esp/EFI/wdboot/wdboot.conf"));
    CHECK(create_call(a).size() == 10);  // no load options
}

TEST_CASE("install --secure-boot-policy permissive puts it into the boot entry's load options") {
    Agent a;
    machine(a);
    InstallOptions o = install_options();
    o.secure_boot_policy = "permissive";
    SECTION("Secure Boot on: the starter config's kernels boot, said to be unverified") {
        secure_boot(a, true);
        REQUIRE(cmd_install(a.env, o) == Exit::ok);
        CHECK_THAT(a.out.str(), Catch::Contains("secure-boot-policy permissive: the options and initrds of "
                                                "wdboot.conf reach the kernels unverified"));
        CHECK_THAT(a.err.str(), !Catch::Contains("refuse"));
    }
    SECTION("Secure Boot off: written all the same, nothing checked") {
        secure_boot(a, false);
        REQUIRE(cmd_install(a.env, o) == Exit::ok);
        CHECK_THAT(a.out.str() + a.err.str(), !Catch::Contains("Secure Boot"));
    }
    CHECK(create_call(a) == std::vector<std::string>{"efibootmgr", "--create", "--disk", "/dev/vda", "--part", "1",
                                                     "--label", "wdboot", "--loader", "\\EFI\\wdboot\\wdbootx64.efi",
                                                     "--unicode", "secure-boot-policy=permissive"});
    const InstallState st = read_install_state(a.dir / "esp/EFI/wdboot/install.state");
    CHECK(st.load_options == "secure-boot-policy=permissive");
    CHECK(fs::exists(a.dir / "esp/EFI/wdboot/wdboot.conf"));
}

TEST_CASE("install --secure-boot-policy: strict writes no load options, a reinstall without it drops them") {
    Agent a;
    machine(a);
    InstallOptions o = install_options();
    o.secure_boot_policy = "permissive";
    REQUIRE(cmd_install(a.env, o) == Exit::ok);
    a.runner.calls.clear();
    o.secure_boot_policy = "strict";
    REQUIRE(cmd_install(a.env, o) == Exit::ok);
    CHECK(create_call(a).size() == 10);
    CHECK_FALSE(read_install_state(a.dir / "esp/EFI/wdboot/install.state").load_options.has_value());
}

TEST_CASE("a reinstall under Secure Boot without --secure-boot-policy permissive says the entry would lose it") {
    Agent a;
    machine(a);
    InstallOptions o = install_options();
    o.secure_boot_policy = "permissive";
    REQUIRE(cmd_install(a.env, o) == Exit::ok);
    // The entry efibootmgr made, with its load options, as the firmware keeps it.
    const std::string num = a.runner.order.front();
    write_text(a.dir / "esp/EFI/wdboot/install.state",
               "bootnum=" + num + "\nbootorder=0001,0000\nload_options=secure-boot-policy=permissive\n");
    const std::vector<uint8_t> v = load_option(utf16("secure-boot-policy=permissive", false));
    REQUIRE(a.vars->write("Boot" + num, 7, v.data(), v.size(), kGlobalGuid) == Status::ok);
    secure_boot(a, true);
    a.runner.calls.clear();
    a.clear_output();
    o.secure_boot_policy.clear();
    CHECK(cmd_install(a.env, o) == Exit::refused);
    CHECK_THAT(a.err.str(), Catch::Contains("Boot" + num + " has secure-boot-policy=permissive now") &&
                                Catch::Contains("Nothing changed"));
    CHECK(a.runner.calls.empty());
    CHECK(read_install_state(a.dir / "esp/EFI/wdboot/install.state").load_options == "secure-boot-policy=permissive");
    // With the flag again: installed, the entry keeps it.
    a.clear_output();
    o.secure_boot_policy = "permissive";
    REQUIRE(cmd_install(a.env, o) == Exit::ok);
    CHECK(create_call(a).back() == "secure-boot-policy=permissive");
}

TEST_CASE("install --secure-boot-policy: refusals") {
    Agent a;
    machine(a);
    InstallOptions o = install_options();
    SECTION("with --no-boot-entry, which would not write it") {
        o.secure_boot_policy = "permissive";
        o.no_boot_entry = true;
        CHECK(cmd_install(a.env, o) == Exit::usage);
        CHECK_THAT(a.err.str(), Catch::Contains("--no-boot-entry leaves alone"));
    }
    SECTION("an unknown policy") {
        o.secure_boot_policy = "lax";
        CHECK(cmd_install(a.env, o) == Exit::usage);
        CHECK_THAT(a.err.str(), Catch::Contains("strict or permissive, not \"lax\""));
    }
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/wdboot.conf"));
    CHECK(a.runner.calls.empty());
}

TEST_CASE("install --no-boot-entry under Secure Boot judges the slots by the existing entry's policy") {
    Agent a;
    machine(a);
    secure_boot(a, true);
    InstallOptions o = install_options();
    o.no_boot_entry = true;
    SECTION("the entry says permissive: installed") {
        boot_entry(a, utf16("secure-boot-policy=permissive", false));
        CHECK(cmd_install(a.env, o) == Exit::ok);
        CHECK(fs::exists(a.dir / "esp/EFI/wdboot/wdboot.conf"));
    }
    SECTION("no entry: strict, refused") {
        CHECK(cmd_install(a.env, o) == Exit::refused);
        CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/wdboot.conf"));
    }
}

TEST_CASE("the boot entry check re-creates a lost entry with the load options install gave it") {
    Agent a;
    machine(a);
    InstallOptions o = install_options();
    o.secure_boot_policy = "permissive";
    REQUIRE(cmd_install(a.env, o) == Exit::ok);
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    const std::string num = a.runner.order.front();
    REQUIRE(a.boot().slot == "primary");
    a.runner.labels.erase(num);  // a firmware update forgot it
    a.runner.loaders.erase(num);
    a.runner.order = {"0001", "0000"};
    a.runner.calls.clear();
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    const std::vector<std::string> c = create_call(a);
    REQUIRE(c.size() == 12);
    CHECK(c[10] == "--unicode");
    CHECK(c[11] == "secure-boot-policy=permissive");
    CHECK(read_install_state(a.dir / "esp/EFI/wdboot/install.state").load_options == "secure-boot-policy=permissive");
}

TEST_CASE("status: Secure Boot, the policy and its source, and a warning per refused slot") {
    Agent a;
    installed_esp(a);
    a.boot();
    auto status_json = [&] {
        a.clear_output();
        a.env.json = true;
        REQUIRE(cmd_status(a.env) == Exit::ok);
        return nlohmann::json::parse(a.out.str())["secure_boot"];
    };
    auto status_text = [&] {
        a.clear_output();
        a.env.json = false;
        REQUIRE(cmd_status(a.env) == Exit::ok);
        return a.out.str();
    };
    SECTION("Secure Boot off") {
        nlohmann::json sb = status_json();
        CHECK(sb["enabled"] == false);
        CHECK(sb["policy"] == "strict");
        CHECK(sb["policy_source"] == "default");
        CHECK(sb["loader_saw"].is_null());  // the fake loader is older than issue 12
        CHECK(sb["refused_slots"].empty());
        CHECK(sb["unchecked_slots"].empty());
        CHECK_THAT(status_text(), Catch::Contains("secure boot: off, secure-boot-policy strict (default: "
                                                  "install.state names no boot entry)") &&
                                      !Catch::Contains("WARNING: Secure Boot"));
    }
    SECTION("Secure Boot on, strict from the loader: both slots refused") {
        secure_boot(a, true);
        current(a, "secure_boot=1 secure_boot_policy=strict");
        nlohmann::json sb = status_json();
        CHECK(sb["enabled"] == true);
        CHECK(sb["loader_saw"] == true);
        CHECK(sb["policy"] == "strict");
        CHECK(sb["policy_source"] == "loader");
        CHECK(sb["next_boot_policy"] == "strict");
        REQUIRE(sb["refused_slots"].size() == 2);
        CHECK(sb["refused_slots"][0]["slot"] == "primary");
        CHECK(sb["refused_slots"][0]["image"] == "\\EFI\\wdboot\\kernels\\6.1.0-18-amd64\\vmlinuz");
        CHECK_THAT(sb["refused_slots"][0]["reason"].get<std::string>(), Catch::Contains("plain Linux kernel"));
        const std::string text = status_text();
        CHECK_THAT(text, Catch::Contains("secure boot: on, secure-boot-policy strict (loader: WdbootCurrent)") &&
                             Catch::Contains("WARNING: Secure Boot: the loader refuses slot \"primary\"") &&
                             Catch::Contains("WARNING: Secure Boot: the loader refuses slot \"fallback\"") &&
                             Catch::Contains("--secure-boot-policy permissive"));
    }
    SECTION("Secure Boot on, the boot entry now says permissive: nothing refused from the next boot") {
        secure_boot(a, true);
        current(a, "secure_boot=1 secure_boot_policy=strict");
        boot_entry(a, utf16("secure-boot-policy=permissive", false));
        nlohmann::json sb = status_json();
        CHECK(sb["policy"] == "strict");
        CHECK(sb["boot_entry"] == "Boot0004");
        CHECK(sb["boot_entry_policy"] == "permissive");
        CHECK(sb["next_boot_policy"] == "permissive");
        CHECK(sb["refused_slots"].empty());
        CHECK_THAT(status_text(), Catch::Contains("; permissive from the next boot (Boot0004)"));
    }
    SECTION("Secure Boot on, an image that cannot be read is said, not guessed") {
        secure_boot(a, true);
        write_text(a.dir / "esp/EFI/wdboot/kernels/6.1.0-17-amd64/vmlinuz", "garbage");
        nlohmann::json sb = status_json();
        CHECK(sb["policy_source"] == "default");
        REQUIRE(sb["refused_slots"].size() == 1);
        REQUIRE(sb["unchecked_slots"].size() == 1);
        CHECK(sb["unchecked_slots"][0]["slot"] == "fallback");
        CHECK_THAT(status_text(), Catch::Contains("note: Secure Boot: slot \"fallback\":") &&
                                      Catch::Contains("cannot be told"));
    }
    SECTION("the schema number is unchanged: fields were only added") {
        a.clear_output();
        a.env.json = true;
        REQUIRE(cmd_status(a.env) == Exit::ok);
        CHECK(nlohmann::json::parse(a.out.str())["schema"] == 1);
    }
}

TEST_CASE("add-slot under Secure Boot and strict warns that the loader will refuse a plain kernel with options") {
    Agent a;
    machine(a);
    installed_esp(a);
    secure_boot(a, true);
    SlotSpec s;
    s.name = "rescue";
    s.kernel = a.dir / "boot/vmlinuz-6.1.0-9-amd64";
    SECTION("with options: warned, added") {
        s.options = "root=UUID=1234 single";
        REQUIRE(cmd_add_slot(a.env, s, "") == Exit::ok);
        CHECK_THAT(a.err.str(), Catch::Contains("warning: Secure Boot is on: the loader will refuse slot \"rescue\" "
                                                "(\\EFI\\wdboot\\kernels\\rescue\\vmlinuz): a plain Linux kernel") &&
                                    Catch::Contains("--secure-boot-policy permissive"));
        CHECK_THAT(read_text(a.dir / "esp/EFI/wdboot/wdboot.conf"), Catch::Contains("slot rescue"));
    }
    SECTION("--dry-run: warned from the file still in /boot") {
        s.options = "root=UUID=1234 single";
        s.dry_run = true;
        REQUIRE(cmd_add_slot(a.env, s, "") == Exit::ok);
        CHECK_THAT(a.err.str(), Catch::Contains("will refuse slot \"rescue\""));
    }
    SECTION("without options or initrds: nothing to say") {
        REQUIRE(cmd_add_slot(a.env, s, "") == Exit::ok);
        CHECK_THAT(a.err.str(), !Catch::Contains("Secure Boot"));
    }
    SECTION("the boot entry says permissive: nothing to say") {
        boot_entry(a, utf16("secure-boot-policy=permissive", false));
        s.options = "root=UUID=1234 single";
        REQUIRE(cmd_add_slot(a.env, s, "") == Exit::ok);
        CHECK_THAT(a.err.str(), !Catch::Contains("Secure Boot"));
    }
}

TEST_CASE("kernel-add under Secure Boot and strict warns, and the hook still succeeds") {
    Agent a;
    machine(a);
    installed_esp(a);
    a.env.fs_space = [](const std::string&, FsSpace& sp, std::string&) {
        sp = {1024ull * 1024 * 1024, 4096};
        return true;
    };
    write_text(a.dir / "boot/vmlinuz-6.1.0-19-amd64", plain_kernel());
    write_text(a.dir / "boot/initrd.img-6.1.0-19-amd64", "new initrd");
    a.boot();  // a record for the hook's trial
    KernelAddOptions k;
    k.version = "6.1.0-19-amd64";
    SECTION("Secure Boot on") {
        secure_boot(a, true);
        CHECK(cmd_kernel_add(a.env, k) == Exit::ok);
        CHECK_THAT(a.err.str(), Catch::Contains("warning: Secure Boot is on: the loader will refuse slot "
                                                "\"6.1.0-19-amd64\"") &&
                                    Catch::Contains("whose options and initrds come from wdboot.conf"));
    }
    SECTION("Secure Boot off: no warning") {
        CHECK(cmd_kernel_add(a.env, k) == Exit::ok);
        CHECK_THAT(a.err.str(), !Catch::Contains("Secure Boot"));
    }
    CHECK_THAT(read_text(a.dir / "esp/EFI/wdboot/wdboot.conf"), Catch::Contains("slot 6.1.0-19-amd64"));
}

TEST_CASE("log names a Secure Boot refusal of the loader") {
    Agent a;
    installed_esp(a);
    std::string detail;
    SECTION("firmware: access denied") {
        a.load_failure = LoadFailure::access_denied;
        detail = "security violation: access denied";
    }
    SECTION("firmware: security violation") {
        a.load_failure = LoadFailure::security_violation;
        detail = "security violation";
    }
    SECTION("wdboot's strict policy") {
        a.load_failure = LoadFailure::secure_boot_policy;
        detail = "secure-boot-policy strict";
    }
    // primary is not started; fallback boots in the same boot.
    REQUIRE(a.boot(ResetCause::power_on, {"primary"}).slot == "fallback");
    a.env.json = true;
    REQUIRE(cmd_log(a.env, 0) == Exit::ok);
    bool found = false;
    for (const auto& e : nlohmann::json::parse(a.out.str()))
        if (e["event"] == "load-failed") {
            found = true;
            CHECK(e["slot"] == "primary");
            CHECK(e["detail"] == static_cast<int>(a.load_failure));
            CHECK(e["detail_text"] == detail);
        }
    CHECK(found);
    a.clear_output();
    a.env.json = false;
    REQUIRE(cmd_log(a.env, 0) == Exit::ok);
    CHECK_THAT(a.out.str(), Catch::Contains("load-failed") && Catch::Contains(detail));
}
