#include "agent_env.hpp"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace wdboot::agent {

Exit fail(AgentEnv& env, Exit e, const std::string& message) {
    *env.err << "wdbootctl: " << message << "\n";
    if (env.json) *env.out << nlohmann::json{{"error", message}, {"exit_code", code(e)}}.dump() << "\n";
    return e;
}

std::string captured_message(const std::ostringstream& sink) {
    std::string m = sink.str();
    if (m.rfind("wdbootctl: ", 0) == 0) m.erase(0, 11);
    while (!m.empty() && m.back() == '\n') m.pop_back();
    return m;
}

AgentEnv capturing_errors(const AgentEnv& env, std::ostringstream& sink) {
    AgentEnv quiet = env;
    quiet.json = false;
    quiet.err = &sink;
    return quiet;
}

void note(AgentEnv& env, const std::string& message) {
    (env.json ? *env.err : *env.out) << message << "\n";
}

bool read_current_boot(AgentEnv& env, CurrentBoot& out, std::string& why) {
    uint32_t attributes = 0;
    std::vector<uint8_t> data;
    Status s = env.efivars->read(kCurrentVariable, attributes, data);
    if (s == Status::not_found) {
        why = "this system was not booted by wdboot (no WdbootCurrent variable)";
        return false;
    }
    if (s != Status::ok) {
        why = "cannot read WdbootCurrent: " + env.efivars->last_error();
        return false;
    }
    std::string err;
    if (!parse_current_boot(data, out, err)) {
        why = "WdbootCurrent is unusable: " + err;
        return false;
    }
    return true;
}

Exit open_session(AgentEnv& env, unsigned needs, Session& s) {
    const std::string root = env.efivars->root();
    Availability avail = env.efivars->availability();
    if (avail == Availability::missing) {
        return fail(env, Exit::no_efivarfs,
                    "efivarfs not found at " + root + " (not booted through UEFI, or efivarfs not mounted)");
    }
    s.have_current = read_current_boot(env, s.current, s.current_error);
    if ((needs & kNeedCurrent) && !s.have_current) return fail(env, Exit::not_wdboot, s.current_error);
    if (needs & kNeedWrite) {
        if (!env.is_root) return fail(env, Exit::not_root, "this command changes UEFI variables: run it as root");
        if (avail == Availability::read_only) {
            return fail(env, Exit::efivarfs_read_only,
                        "efivarfs at " + root + " is mounted read-only (mount -o remount,rw " + root + ")");
        }
    }
    if ((needs & kNeedWrite) && !env.holds_state_lock) {
        std::string why;
        StateLock::Result lr = s.lock.acquire(env.state_lock, env.lock_wait_ms, why);
        if (lr == StateLock::Result::timed_out) return fail(env, Exit::busy, why + ": try again");
        if (lr == StateLock::Result::unavailable) *env.err << "wdbootctl: warning: " << why << ": going on unlocked\n";
    }
    s.store = std::make_unique<EfivarfsStore>(*env.efivars);
    s.loaded = load_state(*s.store);
    if (needs & kNeedWrite) {
        if (s.loaded.read_only) {
            return fail(env, Exit::state_locked,
                        "the state record was written by a newer wdboot (newer major version): refusing to "
                        "overwrite it");
        }
        if (!s.loaded.from_copy) {
            if (!s.loaded.corrupt)
                return fail(env, Exit::state_locked, "no state record yet: wdboot creates it on the next boot");
            std::string copies;
            for (int i = 0; i < 2; ++i) {
                copies += std::string(i == 0 ? "" : ", ") + "copy " + kCopyNames[i] + " " +
                          (s.loaded.corrupt_mask & (1u << i) ? std::string("damaged (") + to_string(s.loaded.copies[i].status) + ")"
                                                             : std::string("absent"));
            }
            return fail(env, Exit::state_locked,
                        "no valid copy of the state record (" + copies +
                            "): wdboot repairs it on the next boot; refusing to write");
        }
    }
    return Exit::ok;
}

Exit save_session(AgentEnv& env, Session& s, const BootState& next, bool* wrote) {
    if (env.before_save) env.before_save();
    bool w = false;
    Status st = save_state(*s.store, s.loaded, next, &w);
    if (wrote) *wrote = w;
    if (st == Status::ok) return Exit::ok;
    if (st == Status::read_only || st == Status::unsupported_version) {
        std::string why = env.efivars->last_error();
        if (why.empty()) return fail(env, Exit::state_locked, "the state record may not be written (newer major version)");
        return fail(env, Exit::efivarfs_read_only, "cannot write the state record: " + why);
    }
    std::string why = env.efivars->last_error();
    return fail(env, Exit::io_error,
                std::string("cannot write the state record: ") + (why.empty() ? to_string(st) : why));
}

std::string esp_file(const std::string& esp, const std::string& efi_path) {
    std::string p = efi_path;
    for (char& c : p)
        if (c == '\\') c = '/';
    if (p.empty() || p[0] != '/') p = "/" + p;
    return esp + p;
}

std::string find_esp(const AgentEnv& env) {
    if (!env.esp.empty()) return env.esp;
    if (env.config.esp != "auto") return env.config.esp;
    for (const auto& c : env.esp_candidates) {
        struct stat st {};
        if (stat((c + "/EFI").c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return c;
    }
    return "";
}

Exit run_with_agent_config(AgentEnv& env, const std::string& path, bool explicit_path, const std::string& command,
                           const std::function<Exit(AgentEnv&)>& run) {
    if (load_agent_config(path, explicit_path, env.config, *env.err)) return run(env);
    if (!runs_with_broken_agent_config(command))
        return fail(env, Exit::config, path + " is unusable: " + command + " refused");
    *env.err << "wdbootctl: " << path << " is unusable: " << command
             << " runs with the built-in defaults (watchdog-mode " << to_string(env.config.watchdog_mode)
             << ") and exits with code " << code(Exit::config) << " when it succeeds\n";
    Exit e = run(env);
    return e == Exit::ok ? Exit::config : e;
}

bool load_boot_config(const AgentEnv& env, Config& cfg, std::string& path) {
    config_defaults(cfg);
    const std::string esp = find_esp(env);
    if (esp.empty()) return false;
    path = esp_file(esp, env.config.config_path);
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    (void)parse_config(text.data(), text.size(), cfg);
    (void)finish_config(cfg);
    return true;
}

Exit CommandLock::take() {
    if (env_.holds_state_lock) return Exit::ok;
    std::string why;
    StateLock::Result r = lock_.acquire(env_.state_lock, env_.lock_wait_ms, why);
    if (r == StateLock::Result::timed_out) return fail(env_, Exit::busy, why + ": try again");
    if (r == StateLock::Result::unavailable) *env_.err << "wdbootctl: warning: " << why << ": going on unlocked\n";
    env_.holds_state_lock = true;
    taken_ = true;
    return Exit::ok;
}

}  // namespace wdboot::agent
