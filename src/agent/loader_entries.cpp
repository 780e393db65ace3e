#include "loader_entries.hpp"

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <vector>

#include "current_boot.hpp"
#include "wdboot/loader_entries.hpp"

namespace fs = std::filesystem;

namespace wdboot::agent {

const char* to_string(EntryDefaultSync s) {
    switch (s) {
        case EntryDefaultSync::absent: return "absent";
        case EntryDefaultSync::already: return "already";
        case EntryDefaultSync::rewritten: return "rewritten";
        case EntryDefaultSync::failed: return "failed";
    }
    return "?";
}

EntryDefaultSync sync_loader_entry_default(Efivarfs& vars, const std::string& slot, std::string& message) {
    message.clear();
    uint32_t attributes = 0;
    std::vector<uint8_t> data;
    Status s = vars.read(kLoaderEntryDefault, attributes, data, kLoaderVendorGuidText);
    if (s == Status::not_found) return EntryDefaultSync::absent;
    if (s != Status::ok) {
        message = std::string("cannot read ") + kLoaderEntryDefault + ": " + vars.last_error();
        return EntryDefaultSync::failed;
    }
    std::vector<uint8_t> wanted;
    for (char c : slot) {
        wanted.push_back(static_cast<uint8_t>(c));
        wanted.push_back(0);
    }
    // Both spellings systemd accepts name the slot: with and without the final NUL.
    std::vector<uint8_t> without_nul = wanted;
    wanted.push_back(0);
    wanted.push_back(0);
    if (data == wanted || data == without_nul) return EntryDefaultSync::already;
    // Its own attributes (bootctl's NV|BS|RT): the firmware refuses others.
    s = vars.write(kLoaderEntryDefault, attributes, wanted.data(), wanted.size(), kLoaderVendorGuidText);
    if (s != Status::ok) {
        message = std::string("cannot rewrite ") + kLoaderEntryDefault + " to \"" + slot + "\": " + vars.last_error() +
                  " (the loader would make its old value the default again; remove it with `bootctl set-default \"\"`)";
        return EntryDefaultSync::failed;
    }
    return EntryDefaultSync::rewritten;
}


namespace {

// A wdboot.conf path (\EFI\x, relative to the ESP root) as a Type #1 entry path.
std::string entry_path(const char* p) {
    std::string out(p);
    for (char& c : out)
        if (c == '\\') c = '/';
    if (out.empty() || out[0] != '/') out.insert(out.begin(), '/');
    return out;
}

}  // namespace

std::string type1_entry_text(const SlotConfig& slot) {
    std::string t = "# wdboot slot \"" + std::string(slot.name) +
                    "\" for systemd's tools (wdbootctl, from wdboot.conf); wdboot boots it, not this file\n"
                    "title wdboot " + slot.name + "\nsort-key wdboot\n";
    switch (slot.kind) {
        case ImageKind::linux_efi:
            t += "linux " + entry_path(slot.path) + "\n";
            for (uint8_t i = 0; i < slot.initrd_count; ++i) t += "initrd " + entry_path(slot.initrds[i]) + "\n";
            if (slot.options[0] != '\0') t += std::string("options ") + slot.options + "\n";
            break;
        case ImageKind::efi_app:
            t += "efi " + entry_path(slot.path) + "\n";
            if (slot.options[0] != '\0') t += std::string("options ") + slot.options + "\n";
            break;
        default:
            break;  // a Boot#### slot has no file to name
    }
    return t;
}

bool publish_boot_loader_entries(const std::string& root, const Config& cfg, std::string& err) {
    const fs::path dir = fs::path(root) / "loader" / "entries";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        err = "cannot create " + dir.string() + ": " + ec.message();
        return false;
    }
    std::set<std::string> wanted;
    for (uint8_t i = 0; i < cfg.slot_count; ++i) {
        const std::string name = std::string(cfg.slots[i].name) + ".conf";
        wanted.insert(name);
        const fs::path tmp = dir / ("." + name + ".tmp");
        {
            std::ofstream f(tmp, std::ios::trunc);
            f << type1_entry_text(cfg.slots[i]);
            if (!f.flush()) {
                err = "cannot write " + tmp.string();
                return false;
            }
        }
        fs::rename(tmp, dir / name, ec);
        if (ec) {
            err = "cannot rename " + tmp.string() + ": " + ec.message();
            return false;
        }
    }
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".conf") == 0 && wanted.count(n) == 0) fs::remove(e.path(), ec);
    }
    return true;
}

void refresh_boot_loader_entries(AgentEnv& env) {
    if (env.boot_loader_entries.empty() || env.efivars == nullptr ||
        env.efivars->availability() == Availability::missing)
        return;
    CurrentBoot cur;
    std::string why;
    if (!read_current_boot(env, cur, why)) return;
    auto cfg = std::make_unique<Config>();
    std::string path;
    if (!load_boot_config(env, *cfg, path)) return;  // its own message was printed
    if (!publish_boot_loader_entries(env.boot_loader_entries, *cfg, why))
        *env.err << "wdbootctl: warning: systemd's tools will not know the slots as boot loader entries: " << why
                 << "\n";
}

}  // namespace wdboot::agent
