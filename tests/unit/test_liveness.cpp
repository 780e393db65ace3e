// The whole-system liveness checker. The loader (the real run_boot() and slot policy),
// the agent's rule for a healthy boot (the watchdog step first, then bless() or
// record_unstoppable() in one write — what `wdbootctl mark-good` does) and the faults
// are one state machine. It is explored exhaustively to a stated depth and then by
// random walks, and after every step the properties of docs/boot-flow.md
// ("Never stuck") are checked:
//   L1 from any reachable state, if some slot not marked bad boots healthy, a blessed
//      boot follows within kBound resets once the faults stop;
//   L2 every reset of an attempt that is on record is counted by the next boot, and a
//      watchdog is never armed for an attempt that is not on record;
//   L3 a recorded blessing is never lost (no failure is ever counted for a blessed boot);
//   L4 on the healthy path the loader writes at most once per started attempt;
//   L5 a slot never proven bad (not bad, no hard failure) is never lost for good: in the
//      world where it is the only healthy slot and every other one panics, it is
//      blessed within kBound resets.
//   L6 a crash loop ends: in the world where the slot that runs crashes at run time
//      after every blessing (a panic, or a hang under a handed-over watchdog) and another
//      slot with tries boots healthy, that other slot is blessed within
//      runtime-crashes N + kBound boots.
//   L7 only crashes are counted, and never one alone: a clean reboot or a power cut of
//      a running machine adds no runtime-crash entry, and a crash-loop demotion needs
//      N runtime crashes in the slot's window (a single crash never demotes).
//   L8 every image is started under a deadline no longer than `timeout`; a shorter one
//      (early-timeout, in the worlds whose watchdog is the itco) only together with the
//      blessing deadline the kernel needs to take over, watchdog.open_timeout=TIMEOUT,
//      and never the module blacklist (which would leave the early deadline to reset a
//      healthy boot). Without it a hung userspace would be fed by the kernel for ever.
//   L9 an image Secure Boot refuses (the firmware's db/dbx, or wdboot's strict policy)
//      costs no reset and is never started: the boot that tried it goes on to another
//      slot or its on-exhausted action, and, when that boot's writes reach NVRAM, its
//      load-failed entry carries the refusal's reason (LoadFailure).
// The OS also writes the Boot Loader Interface's entry variables: `bootctl set-default`
// (LoaderEntryDefault, which stays) and `systemctl reboot --boot-loader-entry`
// (LoaderEntryOneShot, which the loader deletes before deciding; when NVRAM refuses
// writes the delete fails and the request is not honoured). The agent's set-default
// rewrites an existing LoaderEntryDefault, as `wdbootctl set-default` does.
// Panics leave efi-pstore records in NVRAM in half of the worlds (efi_pstore loaded),
// so that a panic is evidence there and an unclean reset in the other half.
// A failure names the property, the seed or the path, and the history of steps.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "wdboot/slot_policy.hpp"

using namespace wdboot;

namespace {

// The stated depth and walk length; a sanitizer build (ten times slower) runs a
// smaller share of the same exploration.
#ifdef WDBOOT_LIVENESS_SMALL
constexpr int kDefaultDepth = 2;
constexpr uint64_t kDefaultSteps = 100000;
#else
constexpr int kDefaultDepth = 3;
constexpr uint64_t kDefaultSteps = 1000000;
#endif

// What a slot's image does when it is started.
enum class Behaviour : uint8_t {
    good,           // boots; userspace healthy; the agent blesses and disarms
    panic,          // panics early and reboots itself (panic=N): an unclean reset
    hang,           // hangs: only a watchdog brings the machine back
    unloadable,     // LoadImage fails
    start_returns,  // StartImage returns
    unstoppable,    // userspace healthy, but the agent cannot stop the watchdog
    load_hang,      // LoadImage (or the initrd read) hangs
    crashes,        // boots healthy and is blessed, then crashes at run time (a panic, or
                    // a hang under a handed-over watchdog, in turn)
    refused,        // Secure Boot refuses it: LoadImage says EFI_ACCESS_DENIED (unsigned,
                    // in dbx) or the strict policy will not start it
};
constexpr const char* kBehaviourNames[] = {"good",          "panic",       "hang",      "unloadable",
                                           "start-returns", "unstoppable", "load-hang", "crashes",
                                           "refused"};
constexpr Behaviour kAllBehaviours[] = {Behaviour::good,          Behaviour::panic,       Behaviour::hang,
                                        Behaviour::unloadable,    Behaviour::start_returns, Behaviour::unstoppable,
                                        Behaviour::load_hang,     Behaviour::crashes,     Behaviour::refused};
constexpr uint32_t kBehaviourCount = sizeof(kAllBehaviours) / sizeof(kAllBehaviours[0]);

// Where the power fails during a boot, if it does.
enum class Cut : uint8_t { none, at_probe, after_arm, torn_write, in_load, before_start };

// The faults of one boot and of the agent that follows it.
struct Faults {
    Cut cut = Cut::none;
    bool store_fails = false;  // every NVRAM write of this boot fails (full / read-only)
    bool hang_in_load = false;
    enum class Agent : uint8_t { normal, never_runs, killed_after_watchdog, disarm_fails, write_fails } agent = Agent::normal;
};

struct PowerCut {};
struct Hang {};

// NVRAM that can refuse writes for good (a mode of the world) or for one boot, and
// lose power in the middle of a write.
class Nvram : public wdtest::FakeStore {
public:
    bool refuse = false;
    bool cut_in_write = false;
    size_t tear_at = 0;
    Status write(Copy c, const uint8_t* data, size_t len) override {
        if (refuse) return Status::io_error;
        if (cut_in_write) {
            cut_in_write = false;
            tear_next_write_at = static_cast<int>(tear_at);
            (void)FakeStore::write(c, data, len);
            throw PowerCut{};
        }
        return FakeStore::write(c, data, len);
    }
};

// The machine under the loader: the watchdog, the image, the power.
class Platform : public BootPlatform {
public:
    ResetCause cause = ResetCause::power_on;
    int pstore = 0;
    const std::vector<Behaviour>* behaviour = nullptr;
    const Config* cfg = nullptr;
    Faults faults;
    uint64_t clock = 1700000000;

    bool armed = false;
    uint8_t loaded_ci = kNoSlot;
    uint32_t boot_id = 0;
    int attempts_loaded = 0;

    WatchdogProbe probe_watchdog(const Config&) override {
        if (faults.cut == Cut::at_probe) throw PowerCut{};
        // Worlds with early-timeout run on the TCO, whose Linux driver takes the timer over.
        if (cfg->early_timeout_s != kEarlyTimeoutOff) return {true, "itco", cause, "modprobe.blacklist=iTCO_wdt"};
        return {true, "i6300esb", cause, "modprobe.blacklist=i6300esb"};
    }
    uint32_t armed_s = 0;
    std::string l8;  // what broke L8, if anything
    std::vector<uint8_t> refused;  // config slots Secure Boot refused in this boot (L9)
    std::string l9;                // what broke L9 inside the boot, if anything
    uint64_t now() override { return clock; }
    int pstore_records() override { return pstore; }
    bool nvram_free(uint64_t& remaining) override {
        remaining = 1u << 20;
        return true;
    }
    // The Boot Loader Interface's entry variables as the OS left them (config indices,
    // kNoSlot: absent). The one-shot is deleted as it is read, unless NVRAM refuses.
    uint8_t one_shot = kNoSlot;
    uint8_t entry_default = kNoSlot;
    bool delete_fails = false;
    bool one_shot_deleted = false;
    void read_loader_entries(LoaderEntryVariables& out) override {
        out = LoaderEntryVariables{};
        auto fill = [&](LoaderEntryVariable& v, uint8_t ci) {
            if (ci == kNoSlot) return;
            const std::vector<uint8_t> bytes = wdtest::utf16(cfg->slots[ci].name);
            v.present = true;
            v.size = static_cast<uint32_t>(bytes.size());
            std::copy(bytes.begin(), bytes.end(), v.data);
        };
        fill(out.one_shot, one_shot);
        fill(out.default_entry, entry_default);
        out.one_shot_removed = one_shot == kNoSlot || !delete_fails;
        one_shot_deleted = one_shot != kNoSlot && !delete_fails;
    }
    Status load_image(const SlotConfig& slot, const CommandLineParts& parts, LoadFailure& why) override {
        if (armed) {
            const std::string args = parts.watchdog_args;
            const std::string handoff = "watchdog.open_timeout=" + std::to_string(cfg->timeout_s);
            if (armed_s == 0 || armed_s > cfg->timeout_s) l8 = "armed for " + std::to_string(armed_s) + " s";
            else if (armed_s < cfg->timeout_s && args != handoff)
                l8 = "armed for " + std::to_string(armed_s) + " s with kernel arguments '" + args + "'";
            else if (armed_s == cfg->timeout_s && args.find("watchdog.open_timeout") != std::string::npos)
                l8 = "one deadline with the hand-off's arguments '" + args + "'";
        }
        if (faults.hang_in_load) throw Hang{};
        if (faults.cut == Cut::in_load) throw PowerCut{};
        loaded_ci = cfg->find(slot.name);
        if ((*behaviour)[loaded_ci] == Behaviour::load_hang) throw Hang{};
        ++attempts_loaded;
        if ((*behaviour)[loaded_ci] == Behaviour::refused) {
            refused.push_back(loaded_ci);
            why = LoadFailure::access_denied;
            return Status::load_failed;
        }
        if ((*behaviour)[loaded_ci] != Behaviour::unloadable) return Status::ok;
        why = LoadFailure::not_found;
        return Status::load_failed;
    }
    void unload_image() override {}
    Status arm_watchdog(uint32_t seconds) override {
        armed = true;
        armed_s = seconds;
        if (faults.cut == Cut::after_arm) throw PowerCut{};
        return Status::ok;
    }
    void disarm_watchdog() override { armed = false; }
    void publish(const BootState&, const Decision&, uint32_t id, const WatchdogProbe&, uint32_t) override {
        boot_id = id;
    }
    Status start_image() override {
        if (std::find(refused.begin(), refused.end(), loaded_ci) != refused.end()) l9 = "a refused image was started";
        if (faults.cut == Cut::before_start) throw PowerCut{};
        if ((*behaviour)[loaded_ci] == Behaviour::start_returns) return Status::start_failed;
        throw wdtest::ImageTookOver{};
    }
    void reset_machine() override {}
    void power_off() override {}
    void log(const char* line) override {
        if (std::strstr(line, "booting") != nullptr || std::strstr(line, "exhausted") != nullptr) decision = line;
    }
    std::string decision;
};

// How a boot ended, seen from outside.
enum class End : uint8_t {
    reset,        // the machine reset; `cause` says what the watchdog will report
    up_blessed,   // running, blessed, watchdog stopped
    up_unblessed, // running, watchdog stopped, the blessing not on record
    crashed,      // blessed, then crashed at run time (the machine resets)
    stuck,        // hung with no watchdog running
    off,          // powered off (on-exhausted halt) or back to the firmware with nothing to boot
};

// The steps taken, for the failure message; off in the continuations of L1 and L5
// (they run hundreds of thousands of times) unless a failure is being explained.
struct History {
    bool on = true;
    std::string text;
    template <typename T>
    History& operator<<(const T& v) {
        if (on) {
            std::ostringstream o;
            o << v;
            text += o.str();
        }
        return *this;
    }
};

struct World {
    Config cfg{};
    std::vector<Behaviour> behaviour;
    Nvram nv;
    uint64_t clock = 1700000000;
    ResetCause next_cause = ResetCause::power_on;
    bool running = false;  // the machine is up (blessed or not) rather than about to boot
    std::set<uint32_t> blessed;  // boot ids whose blessing was written
    bool pstore_works = false;   // efi_pstore is loaded: a panic leaves records in NVRAM
    int pstore = 0;              // efi-pstore records in NVRAM now
    int crashes = 0;             // runtime crashes of `crashes` slots so far (panic/hang in turn)
    uint8_t booted = kNoSlot;    // config index of the slot the last boot started
    uint8_t entry_one_shot = kNoSlot;  // LoaderEntryOneShot (config index), kNoSlot: absent
    uint8_t entry_default = kNoSlot;   // LoaderEntryDefault
    // What ended the running machine before this boot, for L7.
    enum class Ended : uint8_t { boot, clean, crash } ended = Ended::boot;
    History history;
};

// What a panic does to NVRAM: efi-pstore saves the kernel log (14 records under OVMF),
// unless NVRAM is full or read-only, which stops efi-pstore as it stops wdboot.
void panic_writes_pstore(World& w) {
    if (w.pstore_works && !w.nv.refuse) w.pstore += 14;
}

Config make_config(uint8_t slots, uint8_t tries, OnExhausted policy) {
    static const char* names[] = {"primary", "fallback", "third"};
    Config cfg = wdtest::make_config({}, tries);
    for (uint8_t i = 0; i < slots; ++i) {
        SlotConfig& s = cfg.slots[cfg.slot_count++];
        std::strcpy(s.name, names[i]);
        s.kind = ImageKind::linux_efi;
    }
    cfg.slots[slots - 1].rescue = true;
    cfg.on_exhausted = policy;
    return cfg;
}

// Sum of the tries of the configured slots, and the bound kBound of L1 and L5 built
// from it: the tries left now, one restoration of the unproven slots' tries, one
// rotation through the forced candidates, and the on-exhausted reset itself.
uint32_t total_tries(const Config& cfg) {
    uint32_t t = 0;
    for (uint8_t i = 0; i < cfg.slot_count; ++i) t += cfg.tries_for(cfg.slots[i]);
    return t;
}
uint32_t bound(const Config& cfg) { return 2 * total_tries(cfg) + cfg.slot_count + 2; }

[[noreturn]] void violated(const char* property, const std::string& what, const World& w) {
    FAIL(property << ": " << what << "\nhistory:\n" << w.history.text);
    std::abort();
}

// The entries a boot added to the journal, newest first.
std::vector<JournalEntry> new_entries(const BootState& before, const BootState& after, bool from_copy) {
    std::vector<JournalEntry> added;
    size_t fresh = 0;
    // Entries added since `before`: compare by generation-independent position.
    while (fresh < after.journal_count) {
        const JournalEntry& e = after.journal_newest(fresh);
        bool old = false;
        for (size_t j = 0; from_copy && j < before.journal_count; ++j) {
            const JournalEntry& o = before.journal_newest(j);
            if (std::memcmp(&o, &e, sizeof(o)) == 0) old = true;
        }
        if (old) break;
        ++fresh;
    }
    for (size_t i = 0; i < fresh; ++i) added.push_back(after.journal_newest(i));
    return added;
}

// Counted failures the boot journalled: new entries that blame an attempt.
std::vector<uint32_t> counted_failures(const BootState& before, const BootState& after, bool from_copy) {
    std::vector<uint32_t> ids;
    for (const JournalEntry& e : new_entries(before, after, from_copy)) {
        bool counted = (e.event == Event::watchdog_reset && e.detail != 0xFF) || e.event == Event::unclean_reset ||
                       e.event == Event::panic || e.event == Event::load_failed || e.event == Event::start_failed;
        if (counted) ids.push_back(e.boot_id);
    }
    return ids;
}

// One boot of the world and what follows it, with the given faults. Checks L2, L3
// and L4 on the way. Returns how the boot ended.
End step(World& w, const Faults& f, bool check) {
    LoadedState before_l{};
    if (check) before_l = load_state(w.nv);
    const BootState& before = before_l.state;
    const bool attempt_on_record = check && before_l.from_copy && before.attempt_slot != kNoSlot;

    Platform p;
    p.cause = w.next_cause;
    p.pstore = w.pstore;
    p.behaviour = &w.behaviour;
    p.cfg = &w.cfg;
    p.faults = f;
    w.clock += 60;
    p.clock = w.clock;
    p.one_shot = w.entry_one_shot;
    p.entry_default = w.entry_default;
    p.delete_fails = w.nv.refuse || f.store_fails;
    const bool refuse_before = w.nv.refuse;
    if (f.store_fails) w.nv.refuse = true;
    if (f.cut == Cut::torn_write) {
        w.nv.cut_in_write = true;
        w.nv.tear_at = static_cast<size_t>(w.clock % kRecordSize);
    }
    const int writes_before = w.nv.writes;
    End end = End::reset;
    ResetCause cause = ResetCause::power_on;
    bool took_over = false;
    bool interrupted = false;  // a power cut or a hang ended the boot inside run_boot()
    BootResult r{};
    try {
        r = run_boot(w.cfg, w.nv, p);
        end = r.action == Action::reset_machine ? End::reset : End::off;
    } catch (const wdtest::ImageTookOver&) {
        took_over = true;
    } catch (const PowerCut&) {
        end = End::reset;
        interrupted = true;
    } catch (const Hang&) {
        interrupted = true;
        // A hang in LoadImage: the hardware watchdog if armed, else the firmware's.
        end = End::reset;
        cause = p.armed ? ResetCause::watchdog : ResetCause::power_on;
    }
    w.nv.cut_in_write = false;
    w.nv.refuse = refuse_before;
    if (p.one_shot_deleted) w.entry_one_shot = kNoSlot;
    const int writes = w.nv.writes - writes_before;

    if (check) {
        LoadedState after_l = load_state(w.nv);
        const BootState& after = after_l.state;
        const bool recorded = took_over && after_l.from_copy && after.attempt_slot != kNoSlot &&
                              after.attempt_boot_id == p.boot_id;
        // L2: the reset that ended the previous attempt is counted now.
        auto counted = counted_failures(before, after, before_l.from_copy);
        bool counted_prev = false;
        for (uint32_t id : counted) counted_prev |= id == before.attempt_boot_id;
        const bool loader_ran_to_accounting = f.cut != Cut::at_probe;
        const bool accounting_saved = after_l.from_copy && after.generation != before.generation;
        if (attempt_on_record && loader_ran_to_accounting && accounting_saved && !counted_prev) {
            violated("L2", "the reset of boot " + std::to_string(before.attempt_boot_id) + " was not counted", w);
        }
        if (!p.l8.empty()) violated("L8", p.l8, w);
        // L9: a refusal never starts the image; when this boot's writes reached NVRAM, its
        // load-failed entry says why, and nothing of the refusal reset the machine.
        if (!p.l9.empty()) violated("L9", p.l9, w);
        const bool writes_reached = !refuse_before && !f.store_fails && !interrupted && after_l.from_copy;
        for (uint8_t ci : p.refused) {
            if (!writes_reached) break;
            const uint8_t ri = after.find_slot(w.cfg.slots[ci].name);
            bool journalled = false;
            for (uint8_t i = 0; i < after.journal_count; ++i) {
                const JournalEntry& e = after.journal_newest(i);
                journalled |= e.slot == ri && e.event == Event::load_failed &&
                              e.detail == static_cast<uint8_t>(LoadFailure::access_denied);
            }
            if (!journalled)
                violated("L9", std::string("slot \"") + w.cfg.slots[ci].name +
                                   "\" was refused but no load-failed (access denied) entry is on record", w);
        }
        if (!p.refused.empty() && !took_over && !interrupted && end == End::reset &&
            r.action != Action::reset_machine)
            violated("L9", "a boot with a refused image ended in a reset nobody asked for", w);
        // L2: never a watchdog running for an attempt that is not on record.
        if (took_over && p.armed && !recorded) violated("L2", "a watchdog is armed for an attempt not on record", w);
        // L3: a blessed boot is never counted as a failure.
        for (uint32_t id : counted) {
            if (w.blessed.count(id)) violated("L3", "a failure was counted for blessed boot " + std::to_string(id), w);
        }
        // L4: the healthy path writes once per started attempt.
        if (took_over && writes > p.attempts_loaded) {
            violated("L4", std::to_string(writes) + " writes for " + std::to_string(p.attempts_loaded) + " loaded images", w);
        }
        // L7: what this boot journalled about runtime crashes.
        for (const JournalEntry& e : new_entries(before, after, before_l.from_copy)) {
            const bool runtime = e.event == Event::runtime_panic || e.event == Event::runtime_hang;
            if ((runtime || e.event == Event::crash_loop) && w.ended == World::Ended::clean) {
                violated("L7", std::string("a clean reboot or power cut was counted: ") + to_string(e.event), w);
            }
            if (e.event == Event::crash_loop && e.slot != kNoSlot && before_l.from_copy &&
                before.slots[e.slot].runtime_crashes + 1 < w.cfg.runtime_crash_limit) {
                violated("L7", "crash loop after " + std::to_string(before.slots[e.slot].runtime_crashes + 1) +
                                   " runtime crashes in the window",
                         w);
            }
        }
    }
    w.ended = World::Ended::boot;

    w.history << "  boot(cause " << to_string(w.next_cause) << ", cut " << static_cast<int>(f.cut)
              << (f.store_fails ? ", store fails" : "") << (f.hang_in_load ? ", hang in load" : "") << ") -> ";
    if (!took_over) {
        w.history << (end == End::off ? to_string(r.action) : "reset") << "\n";
        w.next_cause = cause;
        w.running = false;
        return end;
    }

    const Behaviour b = w.behaviour[p.loaded_ci];
    w.booted = p.loaded_ci;
    w.history << "[" << p.decision << "] ";
    w.history << w.cfg.slots[p.loaded_ci].name << " (" << kBehaviourNames[static_cast<int>(b)] << ", "
              << (p.armed ? "armed" : "unarmed") << ")";
    if (b == Behaviour::panic) {
        panic_writes_pstore(w);
        w.history << ": panic reboot\n";
        w.next_cause = ResetCause::power_on;
        w.running = false;
        return End::reset;
    }
    if (b == Behaviour::hang) {
        w.history << ": hang\n";
        w.running = false;
        w.next_cause = ResetCause::watchdog;
        return p.armed ? End::reset : End::stuck;
    }

    // Userspace is up: systemd-pstore archives the efi-pstore records (and removes them
    // from NVRAM) early in every boot, whatever the agent does.
    w.pstore = 0;
    // The agent (its rule, as cmd_mark_good applies it).
    using A = Faults::Agent;
    if (f.agent == A::never_runs) {
        w.history << ": agent never ran\n";
        w.running = !p.armed;
        w.next_cause = ResetCause::watchdog;
        return p.armed ? End::reset : End::up_unblessed;
    }
    // Nothing armed (an unprotected boot): the agent has nothing to stop.
    const bool watchdog_ok = !p.armed || (b != Behaviour::unstoppable && f.agent != A::disarm_fails);
    if (watchdog_ok) p.armed = false;
    bool wrote_bless = false;
    if (f.agent != A::killed_after_watchdog && f.agent != A::write_fails && !w.nv.refuse) {
        LoadedState l = load_state(w.nv);
        BootState next = l.state;
        // The blessing notes the records left after systemd-pstore (none).
        next.pstore_records = static_cast<uint8_t>(w.pstore);
        Status s = record_healthy_boot(next, p.boot_id, watchdog_ok, w.clock);
        if (s == Status::ok && !l.read_only && l.from_copy) {
            bool wrote = false;
            if (save_state(w.nv, l, next, &wrote) == Status::ok && watchdog_ok) wrote_bless = true;
        }
    }
    if (wrote_bless) w.blessed.insert(p.boot_id);
    w.history << (watchdog_ok ? ": watchdog stopped" : ": watchdog NOT stopped")
              << (wrote_bless ? ", blessed\n" : ", not blessed\n");
    if (p.armed) {
        w.next_cause = ResetCause::watchdog;
        w.running = false;
        return End::reset;
    }
    if (wrote_bless && b == Behaviour::crashes) {
        // It runs a while, then crashes: a panic (efi-pstore saves it, panic=N reboots)
        // and a hang under the handed-over watchdog, in turn.
        const bool panic = (w.crashes++ % 2) == 0;
        if (panic) panic_writes_pstore(w);
        w.next_cause = panic ? ResetCause::power_on : ResetCause::watchdog;
        w.ended = World::Ended::crash;
        w.running = false;
        w.history << "    runtime " << (panic ? "panic" : "hang") << "\n";
        return End::crashed;
    }
    w.running = true;
    return wrote_bless ? End::up_blessed : End::up_unblessed;
}

// What can happen to a running machine before its next boot.
enum class Later : uint8_t {
    reboot,
    power_cut,
    runtime_hang,
    try_other,
    set_default_other,
    mark_bad_other,
    reset_counters,
    runtime_panic,
    bootctl_set_default,  // LoaderEntryDefault = target; the machine keeps running
    reboot_to_entry,      // LoaderEntryOneShot = target, then a clean reboot
};
constexpr int kLaterCount = 10;
// The events that name a slot (explored once per slot).
bool names_a_slot(int e) {
    return (e >= static_cast<int>(Later::try_other) && e <= static_cast<int>(Later::mark_bad_other)) ||
           e >= static_cast<int>(Later::bootctl_set_default);
}

void later(World& w, Later e, uint8_t target) {
    auto command = [&](auto f, const char* name) {
        LoadedState l = load_state(w.nv);
        BootState next = l.state;
        uint8_t ri = next.find_slot(w.cfg.slots[target].name);
        if (ri == kNoSlot || f(next, ri) != Status::ok || l.read_only || !l.from_copy) return;
        (void)save_state(w.nv, l, next, nullptr);
        w.history << "    " << name << " " << w.cfg.slots[target].name << "\n";
    };
    switch (e) {
        case Later::reboot:
        case Later::power_cut:
            w.next_cause = ResetCause::power_on;
            w.running = false;
            w.ended = World::Ended::clean;
            w.history << (e == Later::reboot ? "    reboot\n" : "    power cut\n");
            break;
        case Later::runtime_hang:
            // A hang at run time under a handed-over watchdog.
            w.next_cause = ResetCause::watchdog;
            w.running = false;
            w.ended = World::Ended::crash;
            w.history << "    runtime hang (watchdog)\n";
            break;
        case Later::runtime_panic:
            panic_writes_pstore(w);
            w.next_cause = ResetCause::power_on;
            w.running = false;
            w.ended = World::Ended::crash;
            w.history << "    runtime panic\n";
            break;
        case Later::try_other: command([&](BootState& s, uint8_t ri) { return request_trial(s, ri, 1, w.clock); }, "try"); break;
        case Later::set_default_other:
            command([&](BootState& s, uint8_t ri) { return set_default(s, ri, w.clock); }, "set-default");
            // wdbootctl set-default rewrites an existing LoaderEntryDefault first.
            if (w.entry_default != kNoSlot) w.entry_default = target;
            break;
        case Later::bootctl_set_default:
            w.entry_default = target;
            w.history << "    bootctl set-default " << w.cfg.slots[target].name << "\n";
            break;
        case Later::reboot_to_entry:
            w.entry_one_shot = target;
            w.next_cause = ResetCause::power_on;
            w.running = false;
            w.ended = World::Ended::clean;
            w.history << "    systemctl reboot --boot-loader-entry=" << w.cfg.slots[target].name << "\n";
            break;
        case Later::mark_bad_other: command([&](BootState& s, uint8_t ri) { return mark_bad(s, ri, w.clock); }, "mark-bad"); break;
        case Later::reset_counters: command([&](BootState& s, uint8_t) { return reset_counters(s, w.clock); }, "reset"); break;
    }
}

std::string summary(const World& w) {
    LoadedState l = load_state(const_cast<Nvram&>(w.nv));
    BootState st = l.state;
    std::ostringstream o;
    o << "  gen " << st.generation << " corrupt " << int(l.corrupt_mask) << " copies " << to_string(l.copies[0].status) << "/"
      << to_string(l.copies[1].status) << "\n";
    o << "  policy " << to_string(w.cfg.on_exhausted) << ", state flags " << int(st.flags) << ", last good "
      << int(st.last_good_slot) << ", trial " << int(st.trial_slot) << ", attempt " << int(st.attempt_slot) << "\n";
    for (uint8_t i = 0; i < kMaxSlots; ++i) {
        const SlotState& s = st.slots[i];
        if (!s.used()) continue;
        o << "  [" << int(i) << "] " << s.name << " tries " << int(s.tries_left) << "/" << int(s.max_tries) << " flags "
          << int(s.flags) << " outcome " << to_string(s.last_outcome) << "\n";
    }
    return o.str();
}

// L1 and L5: copies the world, lets the faults stop (NVRAM writable, the agent works),
// and boots until a blessed boot. Returns the number of resets, or -1 if there was
// none within `limit` boots, -2 if the machine got stuck or went off.
// With `need_good`, only a blessed boot of a slot that stays up (Behaviour::good) ends
// the run.
int resets_until_blessed(const World& from, const std::vector<Behaviour>& behaviour, uint32_t limit,
                         std::string* trace = nullptr, bool need_good = false) {
    World w;
    w.cfg = from.cfg;
    w.behaviour = behaviour;
    w.nv.vars[0] = from.nv.vars[0];
    w.nv.vars[1] = from.nv.vars[1];
    w.nv.present[0] = from.nv.present[0];
    w.nv.present[1] = from.nv.present[1];
    w.clock = from.clock;
    w.next_cause = from.next_cause;
    w.pstore_works = from.pstore_works;
    w.entry_one_shot = from.entry_one_shot;
    w.entry_default = from.entry_default;
    w.pstore = from.pstore;
    w.crashes = from.crashes;
    w.history.on = trace != nullptr;
    w.history << (trace != nullptr ? summary(w) : "");
    int resets = 0;
    if (from.running) {
        // A running unblessed machine: its next boot is a reboot.
        w.next_cause = ResetCause::power_on;
    }
    for (uint32_t i = 0; i < limit; ++i) {
        End e = step(w, Faults{}, false);
        if (trace != nullptr) {
            w.history << summary(w);
            *trace = w.history.text;
        }
        if (e == End::up_blessed || (e == End::crashed && !need_good)) return resets;
        if (e == End::up_unblessed) return -3;  // cannot happen without faults
        if (e == End::stuck || e == End::off) return -2;
        ++resets;
    }
    return -1;
}

bool has_flag(const World& w, const BootState& st, uint8_t ci, uint8_t flags) {
    uint8_t ri = st.find_slot(w.cfg.slots[ci].name);
    return ri != kNoSlot && (st.slots[ri].flags & flags) != 0;
}

struct Stats {
    uint64_t steps = 0;
    uint64_t liveness_checks = 0;
    uint64_t crash_loop_checks = 0;  // L6 continuations run
    int worst_l1 = 0;
};

// Whether the next boot will prove slot ri bad with evidence: its attempt in progress
// is about to be counted as a watchdog reset or a panic, or the agent could not stop its
// watchdog; or, blessed, it crashed at run time and this crash completes a crash loop.
bool about_to_be_proven_bad(const World& w, const BootState& st, uint8_t ri) {
    const bool crash_pending = !w.running && (w.next_cause == ResetCause::watchdog || w.pstore > st.pstore_records);
    if (st.attempt_slot == ri) return crash_pending || st.slots[ri].last_outcome == Outcome::unstoppable;
    return crash_pending && st.attempt_slot == kNoSlot && st.slots[ri].last_boot_id == st.last_boot_id &&
           st.slots[ri].last_outcome == Outcome::blessed && w.cfg.runtime_crash_limit != 0 &&
           st.slots[ri].runtime_crashes + 1 >= w.cfg.runtime_crash_limit;
}

// L1 and L5 at the current state of the world.
void check_liveness(const World& w, Stats& stats) {
    const uint32_t limit = bound(w.cfg);
    const BootState st = load_state(const_cast<Nvram&>(w.nv)).state;
    // With on-exhausted halt, powering off is the operator's choice (no L1), and the
    // unproven slots get their tries back once per exhaustion: L5 holds until then.
    const bool halt = w.cfg.on_exhausted == OnExhausted::halt;
    if (halt && (st.flags & kStateUnprovenRestored)) return;
    bool some_good = false;
    for (uint8_t ci = 0; ci < w.cfg.slot_count; ++ci) {
        const bool healthy = w.behaviour[ci] == Behaviour::good || w.behaviour[ci] == Behaviour::crashes;
        if (healthy && !has_flag(w, st, ci, kSlotBad)) some_good = true;
    }
    ++stats.liveness_checks;
    if (some_good && !halt) {
        int n = resets_until_blessed(w, w.behaviour, 4 * limit);
        if (n < 0 || static_cast<uint32_t>(n) > limit) {
            std::string trace;
            (void)resets_until_blessed(w, w.behaviour, 4 * limit, &trace);
            violated("L1", "no blessed boot within " + std::to_string(limit) + " resets (" + std::to_string(n) + "); then:\n" + trace, w);
        }
        if (n > stats.worst_l1) stats.worst_l1 = n;
    }
    // L6: a slot crashes after every blessing, another one boots healthy and can still
    // be chosen (tries left, or never proven bad): the crash loop ends on it.
    bool crasher = false;
    for (uint8_t ci = 0; ci < w.cfg.slot_count; ++ci) crasher |= w.behaviour[ci] == Behaviour::crashes;
    for (uint8_t ci = 0; crasher && !halt && ci < w.cfg.slot_count; ++ci) {
        const uint8_t ri = st.find_slot(w.cfg.slots[ci].name);
        if (w.behaviour[ci] != Behaviour::good || ri == kNoSlot || st.slots[ri].has(kSlotBad)) continue;
        if (st.slots[ri].tries_left == 0 && st.slots[ri].has(kSlotFailedHard)) continue;
        if (about_to_be_proven_bad(w, st, ri)) continue;
        const uint32_t l6 = limit + w.cfg.runtime_crash_limit + 1;
        ++stats.crash_loop_checks;
        int n = resets_until_blessed(w, w.behaviour, 4 * l6, nullptr, true);
        if (n < 0 || static_cast<uint32_t>(n) > l6) {
            std::string trace;
            (void)resets_until_blessed(w, w.behaviour, 4 * l6, &trace, true);
            violated("L6", std::string("the crash loop did not end on a good slot such as \"") + w.cfg.slots[ci].name + "\" within " +
                               std::to_string(l6) + " boots (" + std::to_string(n) + "); then:\n" + trace,
                     w);
        }
        break;
    }
    // L5: each slot never proven bad, made the only one that can be blessed: every
    // other slot panics from now on (fails without evidence, so that only the rules
    // about unproven slots can bring this one back).
    for (uint8_t ci = 0; ci < w.cfg.slot_count; ++ci) {
        if (has_flag(w, st, ci, kSlotBad | kSlotFailedHard)) continue;
        const uint8_t ri = st.find_slot(w.cfg.slots[ci].name);
        if (ri != kNoSlot && about_to_be_proven_bad(w, st, ri)) continue;
        std::vector<Behaviour> alone(w.cfg.slot_count, Behaviour::panic);
        alone[ci] = Behaviour::good;
        int n = resets_until_blessed(w, alone, 4 * limit);
        if (n < 0 || static_cast<uint32_t>(n) > limit) {
            std::string trace;
            (void)resets_until_blessed(w, alone, 4 * limit, &trace);
            violated("L5", std::string("slot \"") + w.cfg.slots[ci].name + "\" (never proven bad) was not blessed within " +
                               std::to_string(limit) + " resets (" + std::to_string(n) + "); then:\n" + trace,
                     w);
        }
    }
}

// The faults the explorer picks from for one boot.
std::vector<Faults> fault_menu() {
    std::vector<Faults> m;
    using A = Faults::Agent;
    for (A a : {A::normal, A::never_runs, A::killed_after_watchdog, A::disarm_fails, A::write_fails}) {
        Faults f;
        f.agent = a;
        m.push_back(f);
    }
    for (Cut c : {Cut::at_probe, Cut::after_arm, Cut::torn_write, Cut::in_load, Cut::before_start}) {
        Faults f;
        f.cut = c;
        m.push_back(f);
    }
    Faults full;
    full.store_fails = true;
    m.push_back(full);
    Faults hang;
    hang.hang_in_load = true;
    m.push_back(hang);
    return m;
}

World new_world(const Config& cfg, const std::vector<Behaviour>& behaviour) {
    World w;
    w.cfg = cfg;
    w.behaviour = behaviour;
    return w;
}

void copy_world(World& to, const World& from) {
    to.cfg = from.cfg;
    to.behaviour = from.behaviour;
    to.nv.vars[0] = from.nv.vars[0];
    to.nv.vars[1] = from.nv.vars[1];
    to.nv.present[0] = from.nv.present[0];
    to.nv.present[1] = from.nv.present[1];
    to.nv.refuse = from.nv.refuse;
    to.nv.writes = from.nv.writes;
    to.clock = from.clock;
    to.next_cause = from.next_cause;
    to.pstore_works = from.pstore_works;
    to.entry_one_shot = from.entry_one_shot;
    to.entry_default = from.entry_default;
    to.pstore = from.pstore;
    to.crashes = from.crashes;
    to.ended = from.ended;
    to.running = from.running;
    to.blessed = from.blessed;
    to.history = from.history;
}

// Depth-first over every sequence of `depth` events: a boot with any one fault (or
// none), or, while the machine runs, any later event.
void explore(const World& w, int depth, const std::vector<Faults>& menu, Stats& stats) {
    check_liveness(w, stats);
    if (depth == 0) return;
    if (w.running) {
        for (int e = 0; e < kLaterCount; ++e) {
            for (uint8_t t = 0; t < (names_a_slot(e) ? w.cfg.slot_count : 1); ++t) {
                World next;
                copy_world(next, w);
                later(next, static_cast<Later>(e), t);
                ++stats.steps;
                explore(next, depth - 1, menu, stats);
            }
        }
        return;
    }
    for (const Faults& f : menu) {
        World next;
        copy_world(next, w);
        End end = step(next, f, true);
        ++stats.steps;
        if (end == End::stuck || end == End::off) continue;  // nothing follows (see docs)
        explore(next, depth - 1, menu, stats);
    }
}

std::vector<std::vector<Behaviour>> behaviour_pairs() {
    std::vector<std::vector<Behaviour>> v;
    for (Behaviour a : kAllBehaviours)
        for (Behaviour b : kAllBehaviours) v.push_back({a, b});
    return v;
}

}  // namespace

TEST_CASE("liveness: every fault sequence to a stated depth on two slots keeps L1-L9", "[liveness]") {
    const int depth = std::getenv("WDBOOT_LIVENESS_DEPTH") ? std::atoi(std::getenv("WDBOOT_LIVENESS_DEPTH")) : kDefaultDepth;
    Stats stats;
    const auto menu = fault_menu();
    for (OnExhausted policy : {OnExhausted::last_good, OnExhausted::rescue, OnExhausted::reset, OnExhausted::halt}) {
        for (const auto& behaviour : behaviour_pairs()) {
            World w = new_world(make_config(2, 2, policy), behaviour);
            // Panics leave efi-pstore records under two of the four policies.
            w.pstore_works = policy == OnExhausted::last_good || policy == OnExhausted::reset;
            w.history << "policy " << to_string(policy) << ", slots " << kBehaviourNames[static_cast<int>(behaviour[0])]
                      << "/" << kBehaviourNames[static_cast<int>(behaviour[1])] << "\n";
            explore(w, depth, menu, stats);
        }
    }
    INFO("steps " << stats.steps << ", liveness checks " << stats.liveness_checks << ", worst L1 " << stats.worst_l1);
    CHECK(stats.steps > 10000);
    // Crash-loop continuations seen: 599 at depth 2 (the sanitizer build), several
    // thousand at depth 3; far fewer means the L6 walks stopped being reached.
    CHECK(stats.crash_loop_checks > (depth >= 3 ? 1000u : 300u));
    WARN("exhaustive to depth " << depth << ": " << stats.steps << " steps, " << stats.liveness_checks << " liveness checks ("
                        << stats.crash_loop_checks << " of a crash loop), worst resets to a blessed boot " << stats.worst_l1);
}

TEST_CASE("liveness: every single-bit flip of either state copy leaves a live, counting machine", "[liveness]") {
    // Issue 7, loop case 4, and "a copy corrupted (every byte, every bit)": a damaged
    // copy must never stop the loader from counting, nor the machine from recovering.
    Stats stats;
#ifdef WDBOOT_LIVENESS_SMALL
    const std::vector<Behaviour> primaries = {Behaviour::hang};
#else
    const std::vector<Behaviour> primaries = {Behaviour::hang, Behaviour::good};
#endif
    for (Behaviour primary : primaries) {
        World base = new_world(make_config(2, 2, OnExhausted::last_good), {primary, Behaviour::good});
        (void)step(base, Faults{}, true);  // the first attempt: copy A
        (void)step(base, Faults{}, true);  // and the next one copy B
        for (int copy = 0; copy < 2; ++copy) {
            if (!base.nv.present[copy]) continue;
            for (size_t byte = 0; byte < base.nv.vars[copy].size(); ++byte) {
                for (int bit = 0; bit < 8; ++bit) {
                    World w;
                    copy_world(w, base);
                    // A damaged newest copy loses its write (the two-copy rule's stated
                    // limit): the blessing in it is then not wdboot's to keep.
                    if (load_state(base.nv).source == static_cast<Copy>(copy)) w.blessed.clear();
                    w.nv.vars[copy][byte] = static_cast<uint8_t>(w.nv.vars[copy][byte] ^ (1u << bit));
                    LoadedState l = load_state(w.nv);
                    if (l.read_only) violated("L2", "one flipped bit made the store read-only", w);
                    (void)step(w, Faults{}, true);
                    check_liveness(w, stats);
                }
            }
        }
    }
    WARN("bit flips: " << stats.liveness_checks << " liveness checks, worst resets to a blessed boot " << stats.worst_l1);
    CHECK(stats.liveness_checks >= primaries.size() * 2 * kRecordSize * 8);
}

TEST_CASE("liveness: a million random steps on two and three slots, one or two deadlines, keep L1-L9", "[liveness][random]") {
    const uint64_t kSteps = std::getenv("WDBOOT_LIVENESS_STEPS") ? std::strtoull(std::getenv("WDBOOT_LIVENESS_STEPS"), nullptr, 10)
                                                                 : kDefaultSteps;
    Stats stats;
    const auto menu = fault_menu();
    const OnExhausted policies[] = {OnExhausted::last_good, OnExhausted::rescue, OnExhausted::reset, OnExhausted::halt};
    uint32_t seed = 0;
    while (stats.steps < kSteps) {
        ++seed;
        std::mt19937 rng(seed);
        auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
        uint8_t slots = static_cast<uint8_t>(2 + pick(2));
        std::vector<Behaviour> behaviour;
        for (uint8_t i = 0; i < slots; ++i) behaviour.push_back(kAllBehaviours[pick(kBehaviourCount)]);
        World w = new_world(make_config(slots, static_cast<uint8_t>(1 + pick(3)), policies[pick(4)]), behaviour);
        if (pick(2) == 0) w.cfg.early_timeout_s = 30;  // two deadlines, on the itco (L8)
        w.nv.refuse = pick(20) == 0;  // NVRAM full or read-only from the start
        w.pstore_works = pick(2) == 0;
        w.history << "seed " << seed << "\n";
        for (int i = 0; i < 200 && stats.steps < kSteps; ++i) {
            ++stats.steps;
            if (w.running) {
                later(w, static_cast<Later>(pick(kLaterCount)), static_cast<uint8_t>(pick(slots)));
            } else {
                Faults f = pick(3) == 0 ? menu[pick(static_cast<uint32_t>(menu.size()))] : Faults{};
                End end = step(w, f, true);
                if (end == End::stuck || end == End::off) break;
            }
            if (pick(16) == 0 && !w.nv.refuse) check_liveness(w, stats);
            if (pick(50) == 0) w.nv.refuse = !w.nv.refuse;  // the store fills up, or is cleaned
            if (w.history.text.size() > 20000) w.history.text = "(history cut)\n";
        }
    }
    WARN("random: " << stats.steps << " steps over " << seed << " seeds, " << stats.liveness_checks
                    << " liveness checks, worst resets to a blessed boot " << stats.worst_l1);
    CHECK(stats.steps >= kSteps);
}
