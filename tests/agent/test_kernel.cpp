// kernel-add / kernel-remove and what mark-good does with a trial they asked for:
// against a temporary /boot and ESP, the fake efivarfs and the core's real run_boot(),
// so that "the previous default is next" is checked by booting, not by reading the text.
#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>
#include <nlohmann/json.hpp>

#include "agent_fixture.hpp"
#include "config_edit.hpp"
#include "esp_space.hpp"
#include "install_commands.hpp"
#include "kernel_commands.hpp"
#include "kernel_slots.hpp"
#include "slot_commands.hpp"
#include "loader_entries.hpp"
#include "state_commands.hpp"
#include "wdboot/loader_entries.hpp"
#include "wdboot/slot_policy.hpp"

using namespace wdtest;
namespace fs = std::filesystem;

namespace {

constexpr char kInstalledConfig[] =
    "# wdboot.conf written by wdbootctl install\ntimeout 30\ntries 3\nwatchdog i6300esb\n"
    "\nslot primary\n    linux \\EFI\\wdboot\\kernels\\6.1.0-18-amd64\\vmlinuz\n"
    "    initrd \\EFI\\wdboot\\kernels\\6.1.0-18-amd64\\initrd.img\n    options root=UUID=1234 ro quiet\n"
    "\nslot fallback\n    linux \\EFI\\wdboot\\kernels\\6.1.0-17-amd64\\vmlinuz\n"
    "    initrd \\EFI\\wdboot\\kernels\\6.1.0-17-amd64\\initrd.img\n    options root=UUID=1234 ro quiet\n";

void add_boot_kernel(Agent& a, const std::string& v) {
    write_text(a.dir / ("boot/vmlinuz-" + v), "kernel " + v);
    write_text(a.dir / ("boot/initrd.img-" + v), "initrd " + v);
}

// An installed machine: primary (6.1.0-18, running) and fallback (6.1.0-17) on the
// ESP, a record with primary blessed.
void installed(Agent& a) {
    for (const char* v : {"6.1.0-17-amd64", "6.1.0-18-amd64"}) {
        add_boot_kernel(a, v);
        write_text(a.dir / ("esp/EFI/wdboot/kernels/" + std::string(v) + "/vmlinuz"), std::string("kernel ") + v);
        write_text(a.dir / ("esp/EFI/wdboot/kernels/" + std::string(v) + "/initrd.img"), std::string("initrd ") + v);
    }
    write_text(a.dir / "cmdline", "BOOT_IMAGE=/vmlinuz root=UUID=1234 ro quiet\n");
    a.write_config(kInstalledConfig);
    a.env.kernel_release = "6.1.0-18-amd64";
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    a.env.fs_space = [](const std::string&, FsSpace& s, std::string&) {
        s = {1024ull * 1024 * 1024, 4096};
        return true;
    };
    REQUIRE(a.boot().slot == "primary");
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    a.clear_output();
}

// What the loader boots next, and then that boot blessed (the watchdog stopped).
std::string boot_and_bless(Agent& a) {
    auto b = a.boot();
    a.watchdog.devices.clear();
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    return b.slot;
}

std::vector<std::string> slot_order(Agent& a) {
    auto cfg = std::make_unique<Config>();
    std::string path;
    REQUIRE(load_boot_config(a.env, *cfg, path));
    std::vector<std::string> names;
    for (uint8_t i = 0; i < cfg->slot_count; ++i) names.push_back(cfg->slots[i].name);
    return names;
}

std::string config_text(Agent& a) { return read_text(a.dir / "esp/EFI/wdboot/wdboot.conf"); }

std::string record_name(const LoadedState& l, uint8_t ri) {
    return ri < kMaxSlots && l.state.slots[ri].used() ? l.state.slots[ri].name : "";
}

Exit add_with(AgentEnv& env, const std::string& v) {
    KernelAddOptions o;
    o.version = v;
    return cmd_kernel_add(env, o);
}

Exit add(Agent& a, const std::string& v) { return add_with(a.env, v); }

std::vector<KernelSlot> managed(Agent& a) {
    std::vector<KernelSlot> m;
    std::vector<std::string> w;
    std::string err;
    REQUIRE(load_kernel_slots(a.env.kernel_state, m, w, err));
    CHECK(w.empty());
    return m;
}

// Fails every rename into the ESP's wdboot folder (the last step of an atomic write).
class FailingRename final : public FileSync {
public:
    int rename(const char* from, const char* to) override {
        if (std::string(to).find("wdboot.conf") != std::string::npos) {
            errno = EIO;
            return -1;
        }
        return ::rename(from, to);
    }
};

}  // namespace

TEST_CASE("kernel slot names follow wdboot.conf's rule, the same version always the same name") {
    CHECK(kernel_slot_name("6.1.0-18-amd64") == "6.1.0-18-amd64");
    CHECK(kernel_slot_name("6.8.0+") == "6.8.0_");
    CHECK(kernel_slot_name(".hidden") == "_hidden");
    CHECK(kernel_slot_name("-rc1") == "_rc1");
    const std::string cloud = kernel_slot_name("6.1.0-18-cloud-amd64");
    CHECK(cloud.size() == 15);
    CHECK(cloud.rfind("6.1.0-18-c-", 0) == 0);
    CHECK(cloud == kernel_slot_name("6.1.0-18-cloud-amd64"));
    CHECK(cloud != kernel_slot_name("6.1.0-18-cloud-arm64"));
    CHECK(kernel_slot_name("6.12.6+bpo-amd64").size() == 15);
    for (const char* v : {"6.1.0-18-amd64", "6.8.0+", ".hidden", "-rc1", "6.1.0-18-cloud-amd64", "6.12.6+bpo-amd64",
                          "x", "6.1.0-0.deb11.17-amd64"})
        CHECK(is_valid_slot_name(kernel_slot_name(v).c_str()));
    std::string why;
    CHECK(is_valid_kernel_version("6.12.6+bpo-amd64", why));
    CHECK_FALSE(is_valid_kernel_version("../../x", why));
    CHECK_FALSE(is_valid_kernel_version("..", why));
    CHECK_FALSE(is_valid_kernel_version("a b", why));
    CHECK_FALSE(is_valid_kernel_version("", why));
}

TEST_CASE("space needed on the ESP: whole clusters, and the old file is there until its rename") {
    CHECK(space_needed({{1, 0}}, 4096) == 4096);
    CHECK(space_needed({{8192, 0}, {100, 0}}, 4096) == 12288);
    // Replacing a file of the same size needs room for one more copy of it, at the peak.
    CHECK(space_needed({{8192, 8192}}, 4096) == 8192);
    // Two replaced files: the first new one is written while both old ones exist; then
    // the first old one goes before the second new one is written.
    CHECK(space_needed({{8192, 8192}, {4096, 4096}}, 4096) == 8192);
    // A smaller replacement still needs its own size while the old one exists.
    CHECK(space_needed({{4096, 8192}}, 4096) == 4096);
}

TEST_CASE("agent.conf: new-kernel, promote-on-bless, keep") {
    AgentConfig c;
    std::vector<ConfigMessage> m;
    CHECK(c.new_kernel == NewKernel::trial);
    CHECK(c.promote_on_bless);
    CHECK(c.keep == 3);
    REQUIRE(parse_agent_config("new-kernel = default\npromote-on-bless = no\nkeep = 5\n", c, m));
    CHECK(c.new_kernel == NewKernel::make_default);
    CHECK_FALSE(c.promote_on_bless);
    CHECK(c.keep == 5);
    AgentConfig d;
    CHECK_FALSE(parse_agent_config("new-kernel = maybe\nkeep = 1\nkeep = 8\npromote-on-bless = 1\n", d, m));
    CHECK(m.size() == 4);
    CHECK(d.new_kernel == NewKernel::trial);
    CHECK(d.keep == 3);
}

TEST_CASE("kernel-add: a new kernel is a one-shot trial, blessed, it is the default and the previous default is next") {
    Agent a;
    installed(a);
    add_boot_kernel(a, "6.1.0-19-amd64");
    REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
    const std::string esp = a.dir / "esp/EFI/wdboot/kernels/6.1.0-19-amd64";
    CHECK(read_text(esp + "/vmlinuz") == "kernel 6.1.0-19-amd64");
    CHECK(read_text(esp + "/initrd.img") == "initrd 6.1.0-19-amd64");
    // Appended: until it is blessed, the order does not change.
    CHECK(slot_order(a) == std::vector<std::string>{"primary", "fallback", "6.1.0-19-amd64"});
    CHECK(config_text(a).find("slot 6.1.0-19-amd64\n    linux \\EFI\\wdboot\\kernels\\6.1.0-19-amd64\\vmlinuz\n"
                              "    initrd \\EFI\\wdboot\\kernels\\6.1.0-19-amd64\\initrd.img\n"
                              "    options root=UUID=1234 ro quiet\n") != std::string::npos);
    LoadedState l = a.state();
    CHECK(record_name(l, l.state.trial_slot) == "6.1.0-19-amd64");
    REQUIRE(managed(a).size() == 1);
    CHECK(managed(a)[0].trial);

    // The trial boots and is blessed: promoted.
    CHECK(boot_and_bless(a) == "6.1.0-19-amd64");
    l = a.state();
    CHECK(record_name(l, l.state.default_slot) == "6.1.0-19-amd64");
    CHECK(slot_order(a) == std::vector<std::string>{"6.1.0-19-amd64", "primary", "fallback"});
    CHECK_FALSE(managed(a)[0].trial);
    CHECK(a.out.str().find("is the default now; \"primary\" is next") != std::string::npos);

    // A second kernel: its promotion puts the first one second, not `primary`.
    add_boot_kernel(a, "6.1.0-20-amd64");
    REQUIRE(add(a, "6.1.0-20-amd64") == Exit::ok);
    CHECK(boot_and_bless(a) == "6.1.0-20-amd64");
    CHECK(slot_order(a) == std::vector<std::string>{"6.1.0-20-amd64", "6.1.0-19-amd64", "primary", "fallback"});
    // And the chooser agrees: the new default fails three times, the previous one boots.
    CHECK(a.boot().slot == "6.1.0-20-amd64");
    CHECK(a.boot(ResetCause::watchdog).slot == "6.1.0-20-amd64");
    CHECK(a.boot(ResetCause::watchdog).slot == "6.1.0-20-amd64");
    CHECK(a.boot(ResetCause::watchdog).slot == "6.1.0-19-amd64");
}

// `bootctl set-default NAME` as it leaves the variable: NV|BS|RT, UTF-16LE with its NUL.
void bootctl_set_default(Agent& a, const std::string& name) {
    std::vector<uint8_t> v = utf16(name);
    REQUIRE(a.vars->write(kLoaderEntryDefault, kAttrNvBsRt, v.data(), v.size(), kLoaderVendorGuidText) == Status::ok);
}

TEST_CASE("a promotion keeps systemd's LoaderEntryDefault in step, when it cannot, the default stays") {
    Agent a;
    installed(a);
    bootctl_set_default(a, "primary");  // the operator once ran `bootctl set-default primary`
    add_boot_kernel(a, "6.1.0-19-amd64");
    REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
    const std::string var = a.vars->path_of(kLoaderEntryDefault, kLoaderVendorGuidText);
    SECTION("rewritten: the loader keeps the promoted kernel as the default") {
        CHECK(boot_and_bless(a) == "6.1.0-19-amd64");
        const std::vector<uint8_t> bytes = read_bytes(var);
        std::string text;  // the UTF-16LE after the 4 attribute bytes, as ASCII
        for (size_t i = 4; i + 1 < bytes.size(); i += 2) text.push_back(static_cast<char>(bytes[i] | bytes[i + 1] << 8));
        CHECK(text == std::string("6.1.0-19-amd64") + '\0');
        for (int i = 0; i < 3; ++i) CHECK(a.boot().slot == "6.1.0-19-amd64");
        LoadedState l = a.state();
        CHECK(record_name(l, l.state.default_slot) == "6.1.0-19-amd64");
    }
    SECTION("the variable cannot be read or written: a warning, the boot stays blessed, the default is primary") {
        std::filesystem::remove(var);
        std::filesystem::create_directory(var);  // open() for reading or writing fails
        CHECK(boot_and_bless(a) == "6.1.0-19-amd64");
        CHECK(a.err.str().find("is blessed but not promoted") != std::string::npos);
        CHECK(a.err.str().find("LoaderEntryDefault") != std::string::npos);
        LoadedState l = a.state();
        CHECK(record_name(l, l.state.default_slot) != "6.1.0-19-amd64");
        CHECK(l.state.slots[l.state.find_slot("6.1.0-19-amd64")].flags & kSlotGood);
    }
}

TEST_CASE("kernel-add: a plain try, or a trial asked for again by hand, is not promoted") {
    Agent a;
    installed(a);
    add_boot_kernel(a, "6.1.0-19-amd64");
    SECTION("new-kernel none: only a slot; wdbootctl try of it is not promoted") {
        a.env.config.new_kernel = NewKernel::none;
        REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
        CHECK(a.state().state.trial_slot == kNoSlot);
        REQUIRE(cmd_try(a.env, "6.1.0-19-amd64", 1) == Exit::ok);
    }
    SECTION("a hook trial replaced by the operator's try of the same slot") {
        REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
        a.clock += 5;
        REQUIRE(cmd_try(a.env, "6.1.0-19-amd64", 1) == Exit::ok);
    }
    const std::string before = config_text(a);
    CHECK(boot_and_bless(a) == "6.1.0-19-amd64");
    LoadedState l = a.state();
    CHECK(l.state.default_slot == kNoSlot);
    CHECK(config_text(a) == before);
    CHECK(a.boot().slot == "primary");
    for (const auto& k : managed(a)) CHECK_FALSE(k.trial);
}

TEST_CASE("kernel-add: promote-on-bless no keeps a blessed hook trial a plain slot") {
    Agent a;
    installed(a);
    a.env.config.promote_on_bless = false;
    add_boot_kernel(a, "6.1.0-19-amd64");
    REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
    CHECK(boot_and_bless(a) == "6.1.0-19-amd64");
    CHECK(a.state().state.default_slot == kNoSlot);
    CHECK(a.boot().slot == "primary");
}

TEST_CASE("kernel-add: new-kernel default makes it the default at once, the previous default next") {
    Agent a;
    installed(a);
    a.env.config.new_kernel = NewKernel::make_default;
    // An operator default and a config `default` line: both give way to the new slot.
    REQUIRE(cmd_set_default(a.env, "fallback") == Exit::ok);
    std::string text = config_text(a);
    text.replace(text.find("watchdog i6300esb\n"), 18, "watchdog i6300esb\ndefault primary\n");
    a.write_config(text);
    add_boot_kernel(a, "6.1.0-19-amd64");
    REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
    LoadedState l = a.state();
    CHECK(record_name(l, l.state.default_slot) == "6.1.0-19-amd64");
    CHECK(l.state.trial_slot == kNoSlot);
    CHECK(slot_order(a) == std::vector<std::string>{"6.1.0-19-amd64", "fallback", "primary"});
    CHECK(config_text(a).find("default primary") == std::string::npos);
    CHECK(a.boot().slot == "6.1.0-19-amd64");
}

TEST_CASE("kernel-add again for the same version only refreshes the files, --refresh-only never adds") {
    Agent a;
    installed(a);
    add_boot_kernel(a, "6.1.0-19-amd64");
    SECTION("a slot kernel-add made") {
        REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
        const std::string text = config_text(a);
        const uint32_t generation = a.state().state.generation;
        const auto m = managed(a);
        write_text(a.dir / "boot/initrd.img-6.1.0-19-amd64", "initrd rebuilt");
        REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
        CHECK(read_text(a.dir / "esp/EFI/wdboot/kernels/6.1.0-19-amd64/initrd.img") == "initrd rebuilt");
        CHECK(config_text(a) == text);
        CHECK(a.state().state.generation == generation);
        CHECK(managed(a).size() == m.size());
        CHECK(managed(a)[0].request.boot_id == m[0].request.boot_id);
    }
    SECTION("the slot install made for the running kernel (update-initramfs -u)") {
        write_text(a.dir / "boot/initrd.img-6.1.0-18-amd64", "initrd with a new hook");
        KernelAddOptions o;
        o.version = "6.1.0-18-amd64";
        o.refresh_only = true;
        o.initrds = {a.dir / "boot/initrd.img-6.1.0-18-amd64"};
        const std::string text = config_text(a);
        REQUIRE(cmd_kernel_add(a.env, o) == Exit::ok);
        CHECK(read_text(a.dir / "esp/EFI/wdboot/kernels/6.1.0-18-amd64/initrd.img") == "initrd with a new hook");
        CHECK(config_text(a) == text);
        CHECK(managed(a).empty());
    }
    SECTION("--refresh-only of a kernel without a slot changes nothing") {
        KernelAddOptions o;
        o.version = "6.1.0-19-amd64";
        o.refresh_only = true;
        const std::string text = config_text(a);
        REQUIRE(cmd_kernel_add(a.env, o) == Exit::ok);
        CHECK(config_text(a) == text);
        CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-19-amd64"));
        CHECK(a.out.str().find("nothing to refresh") != std::string::npos);
    }
}

TEST_CASE("kernel-add: an ESP without room refuses before anything is copied") {
    Agent a;
    installed(a);
    write_text(a.dir / "boot/vmlinuz-6.1.0-19-amd64", std::string(3 * 1024 * 1024, 'k'));
    write_text(a.dir / "boot/initrd.img-6.1.0-19-amd64", std::string(2 * 1024 * 1024, 'i'));
    const std::string text = config_text(a);
    const uint32_t generation = a.state().state.generation;
    // 5 MiB of files + 1 MiB margin; 5.5 MiB free.
    a.env.fs_space = [](const std::string&, FsSpace& s, std::string&) {
        s = {5 * 1024 * 1024 + 512 * 1024, 4096};
        return true;
    };
    CHECK(add(a, "6.1.0-19-amd64") == Exit::install);
    const std::string err = a.err.str();
    CHECK(err.find("not enough space on the ESP " + (a.dir / "esp")) != std::string::npos);
    CHECK(err.find("need 6.0 MiB") != std::string::npos);
    CHECK(err.find("5.5 MiB are free") != std::string::npos);
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-19-amd64"));
    CHECK(config_text(a) == text);
    CHECK(a.state().state.generation == generation);
    CHECK(managed(a).empty());
    // statvfs itself failing is a refusal too.
    a.env.fs_space = [](const std::string&, FsSpace&, std::string& e) {
        e = "statvfs: Input/output error";
        return false;
    };
    CHECK(add(a, "6.1.0-19-amd64") == Exit::install);
    CHECK(config_text(a) == text);
    // With room (exactly what is needed): added.
    a.env.fs_space = [](const std::string&, FsSpace& s, std::string&) {
        s = {6 * 1024 * 1024, 4096};
        return true;
    };
    CHECK(add(a, "6.1.0-19-amd64") == Exit::ok);
}

TEST_CASE("kernel-add: a long version gets a mapped slot name, the folder keeps the version") {
    Agent a;
    installed(a);
    add_boot_kernel(a, "6.1.0-19-cloud-amd64");
    REQUIRE(add(a, "6.1.0-19-cloud-amd64") == Exit::ok);
    const std::string name = kernel_slot_name("6.1.0-19-cloud-amd64");
    CHECK(slot_order(a).back() == name);
    CHECK(config_text(a).find("\\EFI\\wdboot\\kernels\\6.1.0-19-cloud-amd64\\vmlinuz") != std::string::npos);
    REQUIRE(managed(a).size() == 1);
    CHECK(managed(a)[0].version == "6.1.0-19-cloud-amd64");
    CHECK(managed(a)[0].slot == name);
    REQUIRE(cmd_kernel_remove(a.env, "6.1.0-19-cloud-amd64") == Exit::ok);
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-19-cloud-amd64"));
}

TEST_CASE("kernel-add refuses what it cannot do, and changes nothing") {
    Agent a;
    installed(a);
    const std::string text = config_text(a);
    CHECK(add(a, "../etc") == Exit::usage);
    CHECK(add(a, "6.1.0-99-amd64") == Exit::install);  // no /boot/vmlinuz-6.1.0-99-amd64
    // A slot of that name for something else.
    a.write_config(text + "\nslot 6.1.0-19-amd64\n    efi \\EFI\\tools\\shell.efi\n");
    add_boot_kernel(a, "6.1.0-19-amd64");
    CHECK(add(a, "6.1.0-19-amd64") == Exit::usage);
    a.write_config(text);
    a.env.is_root = false;
    CHECK(add(a, "6.1.0-19-amd64") == Exit::not_root);
    a.env.is_root = true;
    // wdboot not installed on this ESP.
    fs::remove(a.dir / "esp/EFI/wdboot/wdboot.conf");
    CHECK(add(a, "6.1.0-19-amd64") == Exit::install);
    CHECK(a.err.str().find("wdboot is not installed on the ESP") != std::string::npos);
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-19-amd64"));
    CHECK(managed(a).empty());
}

TEST_CASE("kernel-remove: the slot and its files go, twice is harmless, the booted slot is refused") {
    Agent a;
    installed(a);
    add_boot_kernel(a, "6.1.0-19-amd64");
    REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
    SECTION("a pending trial is cancelled with it") {
        REQUIRE(cmd_kernel_remove(a.env, "6.1.0-19-amd64") == Exit::ok);
        CHECK(a.out.str().find("pending trial of slot \"6.1.0-19-amd64\" is cancelled") != std::string::npos);
        CHECK(slot_order(a) == std::vector<std::string>{"primary", "fallback"});
        CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-19-amd64"));
        LoadedState l = a.state();
        CHECK(l.state.trial_slot == kNoSlot);
        CHECK(l.state.find_slot("6.1.0-19-amd64") == kNoSlot);
        CHECK(managed(a).empty());
        const std::string text = config_text(a);
        a.clear_output();
        REQUIRE(cmd_kernel_remove(a.env, "6.1.0-19-amd64") == Exit::ok);
        CHECK(a.out.str().find("nothing to remove") != std::string::npos);
        CHECK(config_text(a) == text);
        CHECK(a.boot().slot == "primary");
    }
    SECTION("the booted slot stays; once another kernel boots, it goes, and the default moves on") {
        CHECK(boot_and_bless(a) == "6.1.0-19-amd64");  // promoted: the default, booted
        const std::string text = config_text(a);
        CHECK(cmd_kernel_remove(a.env, "6.1.0-19-amd64") == Exit::refused);
        CHECK(a.err.str().find("is the booted kernel") != std::string::npos);
        CHECK(config_text(a) == text);
        CHECK(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-19-amd64/vmlinuz"));
        REQUIRE(cmd_try(a.env, "primary", 1) == Exit::ok);
        CHECK(boot_and_bless(a) == "primary");
        a.clear_output();
        REQUIRE(cmd_kernel_remove(a.env, "6.1.0-19-amd64") == Exit::ok);
        CHECK(a.out.str().find("was the default: \"primary\" is first now") != std::string::npos);
        CHECK(a.state().state.default_slot == kNoSlot);
        CHECK(a.boot().slot == "primary");
    }
    SECTION("a slot written by hand for that version is left alone") {
        const std::string text = config_text(a);
        REQUIRE(cmd_kernel_remove(a.env, "6.1.0-17-amd64") == Exit::ok);
        CHECK(a.out.str().find("slot \"fallback\" boots kernel 6.1.0-17-amd64 but was not added by kernel-add") !=
              std::string::npos);
        CHECK(config_text(a) == text);
    }
}

TEST_CASE("pruning keeps N kernel slots, oldest first, never the booted, the default or the last blessed") {
    std::vector<KernelSlot> m{{"6.1.0-21-amd64", "a21", 3, false, {}},
                              {"6.1.0-9-amd64", "a9", 1, false, {}},
                              {"6.1.0-19-amd64", "a19", 2, false, {}},
                              {"6.1.0-20-amd64", "a20", 4, false, {}}};
    CHECK(slots_to_prune(m, 2, {}) == std::vector<std::string>{"a9", "a19"});  // version order, not added order
    CHECK(slots_to_prune(m, 2, {"a9"}) == std::vector<std::string>{"a19", "a20"});
    CHECK(slots_to_prune(m, 4, {}).empty());
    CHECK(slots_to_prune(m, 2, {"a9", "a19", "a20", "a21"}).empty());

    // Through the commands: keep 2; the oldest kernel slot is booted, default and last
    // blessed; the next oldest goes when a third one comes.
    Agent a;
    installed(a);
    a.env.config.keep = 2;
    a.env.config.new_kernel = NewKernel::none;
    for (const char* v : {"6.1.0-19-amd64", "6.1.0-20-amd64", "6.1.0-21-amd64"}) add_boot_kernel(a, v);
    REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
    REQUIRE(add(a, "6.1.0-20-amd64") == Exit::ok);
    REQUIRE(cmd_set_default(a.env, "6.1.0-19-amd64") == Exit::ok);
    CHECK(boot_and_bless(a) == "6.1.0-19-amd64");
    a.clear_output();
    REQUIRE(add(a, "6.1.0-21-amd64") == Exit::ok);
    CHECK(a.out.str().find("pruned slot \"6.1.0-20-amd64\"") != std::string::npos);
    CHECK(slot_order(a) == std::vector<std::string>{"primary", "fallback", "6.1.0-19-amd64", "6.1.0-21-amd64"});
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-20-amd64"));
    CHECK(managed(a).size() == 2);
    // install's slots are not the hooks' to prune.
    CHECK(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-17-amd64/vmlinuz"));
}

TEST_CASE("a promotion that fails never undoes or blocks the blessing") {
    Agent a;
    installed(a);
    add_boot_kernel(a, "6.1.0-19-amd64");
    REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
    auto b = a.boot();
    REQUIRE(b.slot == "6.1.0-19-amd64");
    FailingRename sync;
    a.env.file_sync = &sync;
    a.watchdog.devices.clear();
    CHECK(cmd_mark_good(a.env) == Exit::ok);
    LoadedState l = a.state();
    const SlotState& s = l.state.slots[l.state.find_slot("6.1.0-19-amd64")];
    CHECK(s.last_outcome == Outcome::blessed);
    CHECK(s.last_boot_id == b.boot_id);
    CHECK(l.state.default_slot == kNoSlot);
    CHECK(a.err.str().find("is blessed but not promoted") != std::string::npos);
    CHECK(slot_order(a) == std::vector<std::string>{"primary", "fallback", "6.1.0-19-amd64"});
}

TEST_CASE("kernel-add, add-slot, remove-slot wait for the state lock, held too long, they exit 15 and change nothing") {
    Agent a;
    installed(a);
    add_boot_kernel(a, "6.1.0-19-amd64");
    const std::string text = config_text(a);
    StateLock held;
    std::string why;
    REQUIRE(held.acquire(a.env.state_lock, 0, why) == StateLock::Result::locked);
    a.env.lock_wait_ms = 100;
    CHECK(add(a, "6.1.0-19-amd64") == Exit::busy);
    CHECK(cmd_kernel_remove(a.env, "6.1.0-19-amd64") == Exit::busy);
    CHECK(config_text(a) == text);
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-19-amd64"));
    // add-slot and remove-slot edit wdboot.conf under the same lock.
    SlotSpec spec;
    spec.name = "byhand";
    spec.linux_path = "\\EFI\\wdboot\\kernels\\6.1.0-17-amd64\\vmlinuz";
    CHECK(cmd_add_slot(a.env, spec, "") == Exit::busy);
    CHECK(cmd_remove_slot(a.env, "fallback", "") == Exit::busy);
    CHECK(config_text(a) == text);
    held.release();
    CHECK(add(a, "6.1.0-19-amd64") == Exit::ok);
    CHECK_FALSE(a.env.holds_state_lock);  // given back
    CHECK(cmd_add_slot(a.env, spec, "") == Exit::ok);
    CHECK(cmd_remove_slot(a.env, "byhand", "") == Exit::ok);
    CHECK_FALSE(a.env.holds_state_lock);
}

TEST_CASE("config edits: stanzas moved to the front keep their comments and the rest") {
    const std::string text = "timeout 30\ndefault b\n\n# first\nslot a\n  linux \\a\n\n# about b\nslot b\n  linux \\b\n"
                             "  # inside b\n  options x\n\nslot c\n  linux \\c\n";
    const std::string moved = with_stanzas_first(text, {"c", "b"});
    CHECK(moved == "timeout 30\ndefault b\n\nslot c\n  linux \\c\n\nslot b\n  linux \\b\n  # inside b\n  options x\n\n"
                   "# first\nslot a\n  linux \\a\n\n# about b\n");
    CHECK(with_stanzas_first(text, {"nope"}) == text);
    CHECK(without_default_lines(text) == "timeout 30\n\n# first\nslot a\n  linux \\a\n\n# about b\nslot b\n  linux \\b\n"
                                         "  # inside b\n  options x\n\nslot c\n  linux \\c\n");
    CHECK(without_default_lines(text, "a") == text);
}

TEST_CASE("two kernel-adds of the same kernel at once: one slot, the other only refreshes") {
    Agent a;
    installed(a);
    add_boot_kernel(a, "6.1.0-19-amd64");
    std::ostringstream out2, err2;
    AgentEnv other = a.env;
    other.out = &out2;
    other.err = &err2;
    Exit e1 = Exit::failure, e2 = Exit::failure;
    std::thread t([&] { e2 = add_with(other, "6.1.0-19-amd64"); });
    e1 = add(a, "6.1.0-19-amd64");
    t.join();
    CHECK(e1 == Exit::ok);
    CHECK(e2 == Exit::ok);
    CHECK(slot_order(a) == std::vector<std::string>{"primary", "fallback", "6.1.0-19-amd64"});
    CHECK(managed(a).size() == 1);
    const std::string both = a.out.str() + out2.str();
    CHECK(both.find("added (trial)") != std::string::npos);
    CHECK(both.find("refreshed") != std::string::npos);
}

TEST_CASE("pruning: the last blessed slot and the default are kept, each for itself") {
    Agent a;
    installed(a);
    a.env.config.keep = 2;
    a.env.config.new_kernel = NewKernel::none;
    for (const char* v : {"6.1.0-19-amd64", "6.1.0-20-amd64", "6.1.0-21-amd64"}) add_boot_kernel(a, v);
    REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
    REQUIRE(add(a, "6.1.0-20-amd64") == Exit::ok);
    REQUIRE(cmd_try(a.env, "6.1.0-19-amd64", 1) == Exit::ok);
    CHECK(boot_and_bless(a) == "6.1.0-19-amd64");  // the last blessed, not the default
    CHECK(a.boot().slot == "primary");             // booted now: primary, not blessed yet
    REQUIRE(cmd_set_default(a.env, "6.1.0-20-amd64") == Exit::ok);  // the default, never booted
    a.clear_output();
    REQUIRE(add(a, "6.1.0-21-amd64") == Exit::ok);
    CHECK(a.out.str().find("pruned") == std::string::npos);
    CHECK(managed(a).size() == 3);
    for (const char* v : {"6.1.0-19-amd64", "6.1.0-20-amd64", "6.1.0-21-amd64"})
        CHECK(fs::exists(a.dir / ("esp/EFI/wdboot/kernels/" + std::string(v) + "/vmlinuz")));
    // Once 6.1.0-19 is neither (primary blessed), it is the oldest and goes.
    a.watchdog.devices.clear();
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    REQUIRE(cmd_kernel_remove(a.env, "6.1.0-21-amd64") == Exit::ok);
    add_boot_kernel(a, "6.1.0-22-amd64");
    a.clear_output();
    REQUIRE(add(a, "6.1.0-22-amd64") == Exit::ok);
    CHECK(a.out.str().find("pruned slot \"6.1.0-19-amd64\"") != std::string::npos);
    CHECK(managed(a).size() == 2);
}

TEST_CASE("install's kernel slots are the hooks' too: keep counts them, kernel-remove removes them, the fallback stays") {
    Agent a;
    for (const char* v : {"6.1.0-17-amd64", "6.1.0-18-amd64"}) add_boot_kernel(a, v);
    write_text(a.dir / "cmdline", "BOOT_IMAGE=/vmlinuz root=UUID=1234 ro quiet\n");
    write_text(a.dir / "wdbootx64.efi", "MZ fake loader");
    a.env.loader_image = a.dir / "wdbootx64.efi";
    a.env.kernel_release = "6.1.0-18-amd64";
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    a.env.fs_space = [](const std::string&, FsSpace& s, std::string&) {
        s = {1024ull * 1024 * 1024, 4096};
        return true;
    };
    InstallOptions o;
    o.esp = a.dir / "esp";
    o.no_boot_entry = true;
    o.timeout_s = 30;
    REQUIRE(cmd_install(a.env, o) == Exit::ok);
    std::vector<KernelSlot> m = managed(a);
    REQUIRE(m.size() == 2);
    CHECK((m[0].slot == "primary" && m[0].version == "6.1.0-18-amd64" && !m[0].trial));
    CHECK((m[1].slot == "fallback" && m[1].version == "6.1.0-17-amd64"));
    CHECK(boot_and_bless(a) == "primary");

    // keep 2 and three kernels: the new trial, the booted default and its fallback are
    // all protected, so nothing goes yet.
    a.env.config.keep = 2;
    add_boot_kernel(a, "6.1.0-19-amd64");
    a.clear_output();
    REQUIRE(add(a, "6.1.0-19-amd64") == Exit::ok);
    CHECK(a.out.str().find("pruned") == std::string::npos);
    // Blessed, the trial is promoted; primary (the previous default) is its fallback
    // now, and the oldest, fallback (6.1.0-17), goes.
    a.clear_output();
    CHECK(boot_and_bless(a) == "6.1.0-19-amd64");
    CHECK(a.out.str().find("pruned slot \"fallback\" (kernel 6.1.0-17-amd64; keep 2)") != std::string::npos);
    CHECK(slot_order(a) == std::vector<std::string>{"6.1.0-19-amd64", "primary"});
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-17-amd64"));
    CHECK(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-18-amd64/vmlinuz"));

    // Its package removed, install's primary slot goes with its files.
    a.clear_output();
    REQUIRE(cmd_kernel_remove(a.env, "6.1.0-18-amd64") == Exit::ok);
    CHECK(a.out.str().find("slot \"primary\" removed") != std::string::npos);
    CHECK(slot_order(a) == std::vector<std::string>{"6.1.0-19-amd64"});
    CHECK_FALSE(fs::exists(a.dir / "esp/EFI/wdboot/kernels/6.1.0-18-amd64"));
    CHECK(managed(a).size() == 1);
}
