// Everything an agent command touches, gathered in one place so that every command is
// a plain function of (AgentEnv, arguments) -> exit code. main.cpp fills it with the
// real machine; tests fill it with a temporary efivarfs, a fake watchdog and a fake
// command runner.
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "agent_config.hpp"
#include "atomic_file.hpp"
#include "command_runner.hpp"
#include "current_boot.hpp"
#include "efivarfs.hpp"
#include "esp_space.hpp"
#include "exit_codes.hpp"
#include "journal_sink.hpp"
#include "panic_archive.hpp"
#include "state_lock.hpp"
#include "watchdog_control.hpp"
#include "wdboot/config.hpp"
#include "wdboot/state_store.hpp"

namespace wdboot::agent {

struct AgentEnv {
    Efivarfs* efivars = nullptr;
    WatchdogSystem* watchdog = nullptr;
    CommandRunner* runner = nullptr;
    AgentConfig config;
    bool is_root = false;
    std::function<uint64_t()> clock;  // seconds since 1970, for journal entries
    std::ostream* out = nullptr;
    std::ostream* err = nullptr;
    bool json = false;

    // The ESP mount point given with --esp (empty: none). It wins over agent.conf's esp=
    // and the candidates, for every command that reads the ESP (find_esp()).
    std::string esp;
    // Where `install` and friends look; overridable for tests.
    std::vector<std::string> esp_candidates{"/boot/efi", "/efi", "/boot"};
    std::string boot_dir = "/boot";
    std::string cmdline_file = "/proc/cmdline";
    std::string kernel_release;  // uname -r
    std::string loader_image;    // the wdbootx64.efi that `install` copies
    // pstorefs, systemd-pstore's archive and wdboot's panic archive (panic_archive.hpp).
    PstorePaths pstore;
    // Prefix of /etc, /lib and /usr/lib where the blesser check reads unit links
    // (blesser_conflicts.hpp); empty: the running system. Tests: a temporary tree.
    std::string system_root;
    // Which record journal entries went to the systemd journal (journal_export.hpp),
    // and how an entry is sent: the sink this binary was built with (journal_sink.hpp);
    // tests capture the fields.
    std::string journal_cursor = kDefaultJournalCursor;
    JournalSend journal_send;
    std::string journal_sink_name = "none";
    uid_t health_owner = 0;      // who must own health-dir and its checks (tests: their own uid)
    FileSync* file_sync = nullptr;  // fsync/rename for ESP writes; nullptr: the real calls

    // The lock every state change holds from its read to its write (state_lock.hpp).
    std::string state_lock = kDefaultStateLock;
    unsigned lock_wait_ms = 10000;
    // True while a command holds state_lock around a longer change (kernel-add,
    // kernel-remove, the promotion after mark-good): open_session() then does not take
    // it again (a second flock of the same file in one process would wait for itself).
    bool holds_state_lock = false;

    // Where systemd's tools look for boot loader entries before the ESP
    // (loader_entries.hpp, publish_boot_loader_entries); empty: never written.
    std::string boot_loader_entries = "/run/boot-loader-entries";
    // The slots the kernel hooks manage (kernel_slots.hpp).
    std::string kernel_state = "/var/lib/wdboot/kernel-slots";
    // Free space on a file system (statvfs); tests inject a result. Empty: the real call.
    std::function<bool(const std::string& path, FsSpace& out, std::string& err)> fs_space;
    // Tests only: called with the lock held, after the state was read and changed,
    // just before it is written (to race two agents deterministically).
    std::function<void()> before_save;

    // CLOCK_BOOTTIME in milliseconds, for mark-good's margin to the watchdog's deadline
    // (blessing_margin.hpp); empty or false: unknown. Tests inject it.
    std::function<bool(uint64_t& ms)> boot_time_ms;

    uint64_t now() const { return clock ? clock() : 0; }
};

// What a command needs before it may run. Only what strictly needs this boot asks for
// kNeedCurrent (mark-good, disarm without --driver, mark-bad without a SLOT, the health
// action): the record itself can be read and changed from rescue media or a chroot,
// where WdbootCurrent is absent, as bootctl's commands can.
enum Need : unsigned {
    kNeedCurrent = 1u,  // booted by wdboot (WdbootCurrent present and valid)
    kNeedWrite = 2u,    // will write the state record: root, writable efivarfs, writable record
};

// An opened state: the record as loaded by the core's two-copy rule, plus this boot.
struct Session {
    StateLock lock;  // held from the read to the write (kNeedWrite only)
    std::unique_ptr<EfivarfsStore> store;
    LoadedState loaded{};
    bool have_current = false;
    CurrentBoot current;
    std::string current_error;  // why WdbootCurrent is unusable, when !have_current
};

// Checks the preconditions in a fixed order (efivarfs present, booted by wdboot, root,
// efivarfs writable, the state lock, record writable) and loads the state — under the
// lock for kNeedWrite, so that the change is made to what is really there. Prints the
// refusal and returns its exit code, or Exit::ok.
Exit open_session(AgentEnv& env, unsigned needs, Session& s);

// Reads WdbootCurrent. False with a reason when absent or malformed.
bool read_current_boot(AgentEnv& env, CurrentBoot& out, std::string& why);

// Saves `next` through the core's save_state (other copy, generation + 1, only if
// changed). Prints failures; returns the exit code.
Exit save_session(AgentEnv& env, Session& s, const BootState& next, bool* wrote = nullptr);

// Prints a refusal or failure: "wdbootctl: MESSAGE" on stderr, and with --json also
// {"error": MESSAGE, "exit_code": N} on stdout. Returns `e`.
Exit fail(AgentEnv& env, Exit e, const std::string& message);

// The state lock for a whole command that changes more than the record: the ESP files,
// wdboot.conf, the agent state and the record change together, and a second agent
// (a kernel hook, mark-good's promotion, an operator's add-slot) must see all of it or
// none. Used by kernel-add, kernel-remove, the promotion, add-slot and remove-slot;
// open_session() inside does not lock again (env.holds_state_lock).
class CommandLock {
public:
    explicit CommandLock(AgentEnv& env) : env_(env) {}
    ~CommandLock() {
        if (taken_) env_.holds_state_lock = false;
    }
    CommandLock(const CommandLock&) = delete;
    CommandLock& operator=(const CommandLock&) = delete;
    // Exit::busy (with its message) when another agent held it for too long; a lock
    // that cannot be had at all (a read-only /run) is a warning and goes on unlocked.
    Exit take();

private:
    AgentEnv& env_;
    StateLock lock_;
    bool taken_ = false;
};

// What fail() wrote into a captured error stream (commands that report a refusal as part
// of a larger result, like mark-good's record step): the message without the
// "wdbootctl: " prefix and the line end.
std::string captured_message(const std::ostringstream& sink);

// A copy of `env` for running a command's steps inside another one: text mode, and its
// errors captured in `sink` (read them with captured_message()).
AgentEnv capturing_errors(const AgentEnv& env, std::ostringstream& sink);

// Prints an informational line (stdout in text mode; stderr with --json, so that stdout
// stays one JSON document).
void note(AgentEnv& env, const std::string& message);

// The ESP mount point: --esp, else agent.conf's esp=, else the first candidate holding
// EFI/. Empty when none is found.
std::string find_esp(const AgentEnv& env);

// Converts an ESP path (\EFI\wdboot\x) to a path under the mount point.
std::string esp_file(const std::string& esp, const std::string& efi_path);

// Runs one command (named as on the command line) after loading agent.conf into
// env.config with load_agent_config(). When agent.conf is unusable, a command for
// which runs_with_broken_agent_config() holds runs with the built-in defaults (said on
// env.err) and its Exit::ok becomes Exit::config afterwards, so the problem is not
// missed; any other failure keeps its own code. Every other command does not run:
// Exit::config. Called by main().
Exit run_with_agent_config(AgentEnv& env, const std::string& path, bool explicit_path, const std::string& command,
                           const std::function<Exit(AgentEnv&)>& run);

// Reads and parses wdboot.conf from the ESP into cfg (defaults first). False when the
// file cannot be read; parse diagnostics are left in cfg.diagnostics.
bool load_boot_config(const AgentEnv& env, Config& cfg, std::string& path);

}  // namespace wdboot::agent
