#include "agent_fixture.hpp"

#include "panic_archive.hpp"

#include <linux/fs.h>
#include <setjmp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "wdboot/slot_policy.hpp"

namespace wdtest {

TempDir::TempDir() {
    char tmpl[] = "/tmp/wdboot-agent-test.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    // Tests may leave immutable files behind; clear the flag so they can be removed.
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec)) {
            std::string cmd = "chattr -i '" + it->path().string() + "' 2>/dev/null";
            if (system(cmd.c_str()) != 0) {
            }
        }
    }
    std::filesystem::remove_all(path_, ec);
}

void write_text(const std::string& path, const std::string& text, unsigned mode) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    chmod(path.c_str(), mode);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::string s = read_text(path);
    return std::vector<uint8_t>(s.begin(), s.end());
}

int CountingFlags::get(int fd, unsigned& flags) {
    ++gets;
    if (fake_immutable) {
        flags = FS_IMMUTABLE_FL;
        return 0;
    }
    return real.get(fd, flags);
}

int CountingFlags::set(int fd, unsigned flags) {
    ++sets;
    set_values.push_back(flags);
    if (fail_set_with != 0) return fail_set_with;
    if (fake_immutable) return 0;
    return real.set(fd, flags);
}

bool FakeWatchdog::load_driver(const std::string& module, std::string& message) {
    loaded.push_back(module);
    events.push_back("load " + module);
    if (!fail_load.empty()) {
        message = fail_load;
        return false;
    }
    auto it = on_load.find(module);
    if (it != on_load.end()) devices.push_back(it->second);
    return true;
}

bool FakeWatchdog::magic_close(const std::string& device, std::string& message) {
    closed.push_back(device);
    if (!fail_close.empty()) {
        message = fail_close;
        return false;
    }
    // As the Linux watchdog core: the open starts the timer, the 'V' and the close
    // succeed, and the stop is refused with nowayout, so the device stays active.
    for (auto& d : devices)
        if (d.device == device) d.state = d.nowayout ? "active" : "inactive";
    return true;
}

void FakeWatchdog::sleep_ms(unsigned) { ++sleeps; }

bool FakeWatchdog::bmc_request(uint8_t netfn, uint8_t cmd, const std::vector<uint8_t>& data, BmcResponse& out,
                               std::string& message) {
    std::vector<uint8_t> logged{netfn, cmd};
    logged.insert(logged.end(), data.begin(), data.end());
    bmc_requests.push_back(logged);
    if (!bmc_unreachable.empty()) {
        message = bmc_unreachable;
        return false;
    }
    out = BmcResponse{};
    out.completion_code = 0;
    if (netfn == 0x06 && cmd == 0x25) {  // Get Watchdog Timer
        const uint16_t present = bmc_running ? bmc_initial : 0;
        out.data = {bmc_use, bmc_action, 0, 0, static_cast<uint8_t>(bmc_initial & 0xFF),
                    static_cast<uint8_t>(bmc_initial >> 8), static_cast<uint8_t>(present & 0xFF),
                    static_cast<uint8_t>(present >> 8)};
    } else if (netfn == 0x06 && cmd == 0x24 && data.size() == 6) {  // Set Watchdog Timer
        bmc_use = data[0];
        bmc_action = data[1];
        bmc_initial = static_cast<uint16_t>(data[4] | data[5] << 8);
        if (!bmc_ignores_stop) bmc_running = (data[0] & 0x40) != 0 && bmc_running;
        if (bmc_ignores_stop) bmc_use |= 0x40;
    } else {
        out.completion_code = 0xC1;  // invalid command
    }
    return true;
}

bool FakeWatchdog::write_service_manager_config(const std::string& text, std::string& message) {
    events.push_back("drop-in");
    if (!fail_service_manager.empty()) {
        message = fail_service_manager;
        return false;
    }
    drop_in = text;
    return true;
}

bool FakeWatchdog::reexec_service_manager(std::string& message) {
    events.push_back("reexec");
    if (!fail_service_manager.empty()) {
        message = fail_service_manager;
        return false;
    }
    auto value = [&](const std::string& key) {
        size_t at = drop_in.find("\n" + key + "=");
        if (at == std::string::npos) return std::string();
        at += key.size() + 2;
        return drop_in.substr(at, drop_in.find('\n', at) - at);
    };
    systemd_device = value("WatchdogDevice");
    systemd_runtime = value("RuntimeWatchdogSec");
    return true;
}

bool FakeWatchdog::reload_service_manager(std::string& message) {
    events.push_back("reload");
    if (!fail_service_manager.empty()) {
        message = fail_service_manager;
        return false;
    }
    // A reload applies RuntimeWatchdogSec= only; PID 1 keeps its device, whose default
    // is /dev/watchdog0.
    size_t at = drop_in.find("\nRuntimeWatchdogSec=");
    if (at != std::string::npos) {
        at += 20;
        systemd_runtime = drop_in.substr(at, drop_in.find('\n', at) - at);
    }
    if (systemd_device.empty()) systemd_device = "/dev/watchdog0";
    return true;
}

bool FakeWatchdog::query_service_manager(ServiceManagerWatchdog& out, std::string& message) {
    events.push_back("query");
    if (!fail_service_manager.empty()) {
        message = fail_service_manager;
        return false;
    }
    if (systemd_ignores_wakes > 0) --systemd_ignores_wakes;
    else if (systemd_takes_device)
        for (auto& d : devices)
            if (d.device == systemd_device && d.state != "active") d.state = "active";
    out.device = systemd_device;
    out.runtime = systemd_runtime;
    return true;
}

std::string FakeRunner::efibootmgr_listing() const {
    std::string s = "BootCurrent: 0001\nTimeout: 0 seconds\nBootOrder: ";
    for (size_t i = 0; i < order.size(); ++i) s += (i ? "," : "") + order[i];
    s += "\n";
    for (const auto& [num, label] : labels) {
        auto l = loaders.find(num);
        s += "Boot" + num + "* " + label + "\tHD(1,GPT,abc)/File(" + (l == loaders.end() ? "\\EFI\\x.efi" : l->second) + ")\n";
    }
    return s;
}

CommandResult FakeRunner::run(const std::vector<std::string>& argv) {
    calls.push_back(argv);
    CommandResult r;
    if (fail_exit_for >= 0 && calls.size() - 1 == static_cast<size_t>(fail_exit_for)) {
        r.exit_code = 5;
        r.output = "injected failure";
        return r;
    }
    r.exit_code = 0;
    if (!argv.empty() && output_of.count(argv[0])) r.output = output_of[argv[0]];
    if (argv.empty() || argv[0] != "efibootmgr") return r;
    auto arg = [&](const std::string& name) -> std::string {
        for (size_t i = 1; i + 1 < argv.size(); ++i)
            if (argv[i] == name) return argv[i + 1];
        return "";
    };
    auto has = [&](const std::string& name) {
        for (const auto& a : argv)
            if (a == name) return true;
        return false;
    };
    if (has("--create")) {
        char num[5];
        for (unsigned n = 0;; ++n) {
            snprintf(num, sizeof num, "%04X", n);
            if (!labels.count(num)) break;
        }
        labels[num] = arg("--label");
        loaders[num] = arg("--loader");
        order.insert(order.begin(), num);
    } else if (has("--delete-bootnum")) {
        std::string n = arg("--bootnum");
        labels.erase(n);
        loaders.erase(n);
        std::erase(order, n);
    } else if (has("--delete-bootorder")) {
        order.clear();
    } else if (has("--bootorder")) {
        order.clear();
        std::stringstream ss(arg("--bootorder"));
        std::string item;
        while (std::getline(ss, item, ',')) order.push_back(item);
    }
    r.output = efibootmgr_listing();
    return r;
}

Agent::Agent() {
    efivars = dir / "efivars";
    std::filesystem::create_directories(efivars);
    std::filesystem::create_directories(dir / "esp/EFI/wdboot");
    vars = std::make_unique<Efivarfs>(efivars, flags, mounts);
    env.efivars = vars.get();
    env.watchdog = &watchdog;
    env.runner = &runner;
    env.is_root = true;
    env.clock = [this] { return clock; };
    env.out = &out;
    env.err = &err;
    env.config.esp = dir / "esp";
    env.config.watchdog_wait_s = 1;
    env.boot_dir = dir / "boot";
    env.cmdline_file = dir / "cmdline";
    env.esp_candidates = {};
    env.state_lock = dir / "wdbootctl.lock";
    env.health_owner = getuid();
    // Never the machine's own /sys/fs/pstore and /var/lib: mark-good sweeps them.
    env.pstore = {dir / "pstore", dir / "systemd-pstore", dir / "wdboot-pstore"};
    // Never the machine's own unit links and /var/lib (blesser check, journal cursor).
    env.system_root = dir / "root";
    env.journal_cursor = dir / "var/lib/wdboot/journal-cursor";
    env.journal_sink_name = "test";
    env.journal_send = [this](const std::vector<std::string>& fields, std::string& why) {
        if (!journal_fail.empty()) {
            why = journal_fail;
            return false;
        }
        journal.push_back(fields);
        return true;
    };
    // Nor the machine's /var/lib/wdboot/kernel-slots: mark-good reads it to promote.
    env.kernel_state = dir / "kernel-slots";
    // Nor the machine's /run/boot-loader-entries (systemd's tools read it).
    env.boot_loader_entries = dir / "run/boot-loader-entries";
}

void Agent::write_config(const std::string& text) { write_text(dir / "esp/EFI/wdboot/wdboot.conf", text); }

void Agent::clear_output() {
    out.str("");
    err.str("");
}

LoadedState Agent::state() {
    EfivarfsStore store(*vars);
    return load_state(store);
}

namespace {

// The loader's side of a boot, as efi/ does it, over the fake efivarfs.
class LoaderPlatform final : public BootPlatform {
public:
    LoaderPlatform(Efivarfs& vars, ResetCause cause, uint64_t now, std::set<std::string> fail, LoadFailure why,
                   jmp_buf& jb)
        : vars_(vars), cause_(cause), now_(now), fail_(std::move(fail)), why_(why), jb_(jb) {}
    WatchdogProbe probe_watchdog(const Config&) override {
        return {true, "i6300esb", cause_, "modprobe.blacklist=i6300esb"};
    }
    uint64_t now() override { return now_; }
    // efi-pstore records as efivarfs shows them, counted by the agent's own rule (which
    // is the loader's: every dump-type* variable of the pstore GUID).
    int pstore_records() override {
        unsigned n = 0;
        std::string why;
        return count_pstore_variables(vars_.root(), n, why) ? static_cast<int>(n) : -1;
    }
    bool nvram_free(uint64_t&) override { return false; }
    // As efi/loader_interface.cpp: both entry variables of the loader GUID, the
    // one-shot deleted right after it is read.
    void read_loader_entries(LoaderEntryVariables& out) override {
        read_entry(kLoaderEntryDefault, out.default_entry);
        read_entry(kLoaderEntryOneShot, out.one_shot);
        out.one_shot_removed = true;
        if (out.one_shot.present) {
            Status s = vars_.remove(kLoaderEntryOneShot, kLoaderVendorGuidText);
            out.one_shot_removed = s == Status::ok || s == Status::not_found;
        }
    }
    Status load_image(const SlotConfig& slot, const CommandLineParts&, LoadFailure& why) override {
        if (!fail_.count(slot.name)) return Status::ok;
        why = why_;
        return Status::load_failed;
    }
    void unload_image() override {}
    Status arm_watchdog(uint32_t) override { return Status::ok; }
    void publish(const BootState& st, const Decision& d, uint32_t boot_id, const WatchdogProbe& wd,
                 uint32_t timeout_s) override {
        booted = st.slots[d.record_slot].name;
        id = boot_id;
        std::string text = "slot=" + booted + " index=" + std::to_string(d.record_slot) + " boot_id=" +
                           std::to_string(boot_id) + " watchdog=" + wd.driver + " timeout=" +
                           std::to_string(timeout_s) + " trial=" + (d.trial ? "1" : "0") + " forced=0";
        // Volatile: BS|RT, no NV.
        (void)vars_.write(kCurrentVariable, 0x6, reinterpret_cast<const uint8_t*>(text.data()), text.size());
    }
    Status start_image() override { longjmp(jb_, 1); }
    void reset_machine() override {}
    void power_off() override {}
    void disarm_watchdog() override {}
    void log(const char*) override {}
    std::string booted;
    uint32_t id = 0;

private:
    void read_entry(const char* name, LoaderEntryVariable& v) {
        v = LoaderEntryVariable{};
        uint32_t attributes = 0;
        std::vector<uint8_t> data;
        if (vars_.read(name, attributes, data, kLoaderVendorGuidText) != Status::ok) return;
        v.present = true;
        v.size = static_cast<uint32_t>(data.size());
        std::memcpy(v.data, data.data(), std::min(data.size(), sizeof(v.data)));
    }

    Efivarfs& vars_;
    ResetCause cause_;
    uint64_t now_;
    std::set<std::string> fail_;
    LoadFailure why_;
    jmp_buf& jb_;
};

}  // namespace

Agent::BootOutcome Agent::boot(ResetCause cause, std::set<std::string> fail_load) {
    auto cfg = std::make_unique<Config>();
    std::string path;
    if (!load_boot_config(env, *cfg, path)) throw std::runtime_error("no wdboot.conf on the fake ESP");
    // A reboot clears volatile variables.
    (void)vars->remove(kCurrentVariable);
    EfivarfsStore store(*vars);
    static jmp_buf jb;
    LoaderPlatform platform(*vars, cause, clock, std::move(fail_load), load_failure, jb);
    BootOutcome o;
    // start_image() leaves run_boot() the way a running kernel does: it never returns.
    if (setjmp(jb) == 0) {
        (void)run_boot(*cfg, store, platform);
        return o;
    }
    o.slot = platform.booted;
    o.boot_id = platform.id;
    return o;
}

}  // namespace wdtest
