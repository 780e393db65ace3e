// Shared fakes for the core tests: an in-memory variable store that counts calls and
// injects failures, a scripted boot platform, and a config builder.
#pragma once
#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "wdboot/boot_flow.hpp"
#include "wdboot/boot_record.hpp"
#include "wdboot/config.hpp"
#include "wdboot/state_store.hpp"
#include "utf16.hpp"

namespace wdtest {

// A config with the given slots (linux kind, path \<name>), in order.
inline wdboot::Config make_config(std::initializer_list<const char*> names, uint8_t tries = 3) {
    wdboot::Config cfg;
    std::memset(&cfg, 0, sizeof(cfg));
    wdboot::config_defaults(cfg);
    cfg.tries = tries;
    for (const char* n : names) {
        wdboot::SlotConfig& s = cfg.slots[cfg.slot_count++];
        std::strncpy(s.name, n, sizeof(s.name) - 1);
        s.kind = wdboot::ImageKind::linux_efi;
        std::string path = std::string("\\") + n;
        std::strncpy(s.path, path.c_str(), sizeof(s.path) - 1);
    }
    return cfg;
}

class FakeStore : public wdboot::VariableStore {
public:
    std::vector<uint8_t> vars[2];
    bool present[2] = {false, false};
    int reads = 0;
    int writes = 0;
    wdboot::Status fail_read[2] = {wdboot::Status::ok, wdboot::Status::ok};
    wdboot::Status fail_write = wdboot::Status::ok;
    // Power cut during the next write: only this many bytes land (then the variable is
    // left with that prefix), and the write reports an I/O error.
    int tear_next_write_at = -1;
    std::vector<wdboot::Copy> write_log;

    wdboot::Status read(wdboot::Copy c, uint8_t* buf, size_t cap, size_t& len) override {
        ++reads;
        int i = static_cast<int>(c);
        if (fail_read[i] != wdboot::Status::ok) return fail_read[i];
        if (!present[i]) return wdboot::Status::not_found;
        len = vars[i].size();
        if (len > cap) return wdboot::Status::bad_size;
        std::memcpy(buf, vars[i].data(), len);
        return wdboot::Status::ok;
    }
    wdboot::Status write(wdboot::Copy c, const uint8_t* data, size_t len) override {
        int i = static_cast<int>(c);
        if (fail_write != wdboot::Status::ok) return fail_write;
        ++writes;
        write_log.push_back(c);
        if (tear_next_write_at >= 0) {
            size_t n = static_cast<size_t>(tear_next_write_at) < len ? static_cast<size_t>(tear_next_write_at) : len;
            vars[i].assign(data, data + n);
            present[i] = n > 0;
            tear_next_write_at = -1;
            return wdboot::Status::io_error;
        }
        vars[i].assign(data, data + len);
        present[i] = true;
        return wdboot::Status::ok;
    }
    void put(wdboot::Copy c, const wdboot::BootState& st) {
        uint8_t b[wdboot::kRecordSize];
        wdboot::encode_record(st, b);
        int i = static_cast<int>(c);
        vars[i].assign(b, b + sizeof(b));
        present[i] = true;
    }
};

// Thrown by FakePlatform::start_image() when the image "takes over the machine": a
// real StartImage of a kernel never returns, so run_boot() must not continue.
struct ImageTookOver {};

// A platform whose images succeed or fail as scripted. start_image() returns only when
// the script says the image fails to start; otherwise it throws ImageTookOver and the
// test then simulates what happened to the machine.
class FakePlatform : public wdboot::BootPlatform {
public:
    wdboot::WatchdogProbe probe{true, "i6300esb", wdboot::ResetCause::power_on, "modprobe.blacklist=i6300esb"};
    uint64_t clock = 1700000000;
    std::vector<std::string> missing;        // slot names whose image is absent
    std::vector<std::string> refused;        // slot names whose image Secure Boot refuses
    std::vector<std::string> refuse_start;   // slot names whose StartImage returns an error
    wdboot::Status arm_result = wdboot::Status::ok;
    int pstore = 0;                     // efi-pstore records in NVRAM (-1: cannot enumerate)
    bool nvram_known = true;
    uint64_t nvram_free_bytes = 1u << 20;
    // LoaderEntryOneShot / LoaderEntryDefault in NVRAM (the bytes of the variable).
    std::optional<std::vector<uint8_t>> one_shot, default_entry;
    bool refuse_one_shot_delete = false;  // SetVariable to delete it fails
    int entry_reads = 0;

    std::vector<std::string> lines;
    std::vector<std::string> loaded;   // slot names loaded, in order
    std::vector<std::string> cmdlines;
    std::string started;               // slot that was started and "kept running"
    uint32_t started_boot_id = 0;
    int arms = 0, disarms = 0, unloads = 0, resets = 0, poweroffs = 0, publishes = 0;
    uint32_t armed_timeout = 0;

    static bool contains(const std::vector<std::string>& v, const char* s) {
        for (const auto& x : v) {
            if (x == s) return true;
        }
        return false;
    }
    wdboot::WatchdogProbe probe_watchdog(const wdboot::Config&) override { return probe; }
    uint64_t now() override { return clock; }
    int pstore_records() override { return pstore; }
    bool nvram_free(uint64_t& remaining) override {
        remaining = nvram_free_bytes;
        return nvram_known;
    }
    static void fill(const std::optional<std::vector<uint8_t>>& from, wdboot::LoaderEntryVariable& to) {
        to = wdboot::LoaderEntryVariable{};
        if (!from) return;
        to.present = true;
        to.size = static_cast<uint32_t>(from->size());
        std::memcpy(to.data, from->data(), std::min(from->size(), sizeof(to.data)));
    }
    void read_loader_entries(wdboot::LoaderEntryVariables& out) override {
        ++entry_reads;
        fill(default_entry, out.default_entry);
        fill(one_shot, out.one_shot);
        out.one_shot_removed = !refuse_one_shot_delete;
        if (!refuse_one_shot_delete) one_shot.reset();
    }
    wdboot::Status load_image(const wdboot::SlotConfig& s, const wdboot::CommandLineParts& parts,
                              wdboot::LoadFailure& why) override {
        loaded.push_back(s.name);
        // What a Linux kernel would be given (compose_command_line for linux_efi).
        char cmdline[wdboot::kOptionsMax];
        wdboot::compose_command_line(wdboot::ImageKind::linux_efi, wdboot::PeImageInfo{}, false, parts, false, cmdline);
        cmdlines.push_back(cmdline);
        if (contains(refused, s.name)) {
            why = wdboot::LoadFailure::security_violation;
            return wdboot::Status::load_failed;
        }
        if (!contains(missing, s.name)) return wdboot::Status::ok;
        why = wdboot::LoadFailure::not_found;
        return wdboot::Status::load_failed;
    }
    void unload_image() override { ++unloads; }
    wdboot::Status arm_watchdog(uint32_t t) override {
        ++arms;
        armed_timeout = t;
        return arm_result;
    }
    void disarm_watchdog() override { ++disarms; }
    void publish(const wdboot::BootState&, const wdboot::Decision&, uint32_t boot_id, const wdboot::WatchdogProbe&,
                 uint32_t) override {
        ++publishes;
        started_boot_id = boot_id;
    }
    wdboot::Status start_image() override {
        const std::string& name = loaded.back();
        if (contains(refuse_start, name.c_str())) return wdboot::Status::start_failed;
        started = name;
        throw ImageTookOver{};
    }
    void reset_machine() override { ++resets; }
    void power_off() override { ++poweroffs; }
    void log(const char* line) override { lines.push_back(line); }
    std::vector<std::pair<uint8_t, uint8_t>> failovers;  // note_failover() calls
    void note_failover(uint8_t failed, uint8_t next) override { failovers.emplace_back(failed, next); }

    bool logged(const std::string& needle) const {
        for (const auto& l : lines) {
            if (l.find(needle) != std::string::npos) return true;
        }
        return false;
    }
};

// A simulated machine: a config, NVRAM, and boots through the real run_boot().
struct Machine {
    wdboot::Config cfg;
    FakeStore store;
    uint64_t clock = 1700000000;
    int pstore = 0;  // efi-pstore records in NVRAM, as the loader and the agent count them
    uint64_t nvram_free_bytes = 1u << 20;
    // The Boot Loader Interface's entry variables, as the OS left them in NVRAM.
    std::optional<std::vector<uint8_t>> one_shot, default_entry;
    bool refuse_one_shot_delete = false;
    std::vector<std::string> refused;  // slots whose image Secure Boot refuses (LoadImage)

    struct Boot {
        wdboot::BootResult result{};
        bool took_over = false;  // an image started and kept the machine
        std::string slot;        // the slot that took over
        uint32_t boot_id = 0;
        int writes = 0;
        std::vector<std::string> lines;
        std::vector<std::string> cmdlines;
        std::vector<std::string> loaded;
        int disarms = 0, resets = 0, poweroffs = 0, arms = 0;
        int entry_reads = 0;
        std::vector<std::pair<uint8_t, uint8_t>> failovers;
    };

    explicit Machine(wdboot::Config c) : cfg(c) {}

    Boot boot(wdboot::ResetCause cause, std::vector<std::string> missing = {},
              std::vector<std::string> refuse = {}, bool watchdog = true) {
        FakePlatform p;
        p.probe.cause = cause;
        p.probe.present = watchdog;
        if (!watchdog) {
            p.probe.driver = "none";
            p.probe.kernel_args = "";
        }
        p.missing = std::move(missing);
        p.refused = refused;
        p.refuse_start = std::move(refuse);
        p.pstore = pstore;
        p.nvram_free_bytes = nvram_free_bytes;
        p.one_shot = one_shot;
        p.default_entry = default_entry;
        p.refuse_one_shot_delete = refuse_one_shot_delete;
        clock += 60;
        p.clock = clock;
        Boot b;
        int before = store.writes;
        try {
            b.result = wdboot::run_boot(cfg, store, p);
        } catch (const ImageTookOver&) {
            b.took_over = true;
            b.slot = p.started;
            b.boot_id = p.started_boot_id;
        }
        b.writes = store.writes - before;
        one_shot = p.one_shot;
        default_entry = p.default_entry;
        b.entry_reads = p.entry_reads;
        b.lines = p.lines;
        b.failovers = p.failovers;
        b.cmdlines = p.cmdlines;
        b.loaded = p.loaded;
        b.disarms = p.disarms;
        b.resets = p.resets;
        b.poweroffs = p.poweroffs;
        b.arms = p.arms;
        return b;
    }

    wdboot::BootState state() { return wdboot::load_state(store).state; }

    // A copy of the slot's entry as stored now (by value: two calls never alias).
    wdboot::SlotState slot(const char* name) {
        wdboot::BootState st = state();
        uint8_t i = st.find_slot(name);
        if (i == wdboot::kNoSlot) throw std::runtime_error(std::string("no slot ") + name);
        return st.slots[i];
    }

    // What the agent does: bless the boot through the core and save.
    wdboot::Status bless(uint32_t boot_id) {
        wdboot::LoadedState l = wdboot::load_state(store);
        wdboot::BootState s = l.state;
        wdboot::Status st = wdboot::bless(s, boot_id, clock);
        if (st != wdboot::Status::ok) return st;
        if (pstore >= 0) s.pstore_records = static_cast<uint8_t>(pstore > 255 ? 255 : pstore);
        return wdboot::save_state(store, l, s, nullptr);
    }

    template <typename F>
    wdboot::Status command(F f) {
        wdboot::LoadedState l = wdboot::load_state(store);
        wdboot::BootState s = l.state;
        wdboot::Status st = f(s);
        if (st != wdboot::Status::ok) return st;
        return wdboot::save_state(store, l, s, nullptr);
    }
};

}  // namespace wdtest
