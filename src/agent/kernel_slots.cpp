#include "kernel_slots.hpp"

#include <string.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wdboot/crc32.hpp"

namespace wdboot::agent {
namespace {

bool name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

bool parse_u64(const std::string& v, uint64_t& out) {
    if (v.empty() || v.size() > 20 || v.find_first_not_of("0123456789") != std::string::npos) return false;
    out = std::strtoull(v.c_str(), nullptr, 10);
    return true;
}

// "boot/time/tries" of a HookTrial.
bool parse_trial(const std::string& v, HookTrial& t) {
    const size_t a = v.find('/'), b = v.find('/', a == std::string::npos ? a : a + 1);
    uint64_t boot = 0, time = 0, tries = 0;
    if (a == std::string::npos || b == std::string::npos) return false;
    if (!parse_u64(v.substr(0, a), boot) || !parse_u64(v.substr(a + 1, b - a - 1), time) ||
        !parse_u64(v.substr(b + 1), tries) || boot > 0xFFFFFFFFu || tries == 0 || tries > 255)
        return false;
    t = {static_cast<uint32_t>(boot), time, static_cast<uint8_t>(tries)};
    return true;
}

}  // namespace

std::string kernel_slot_name(const std::string& version) {
    std::string n = version;
    for (char& c : n)
        if (!name_char(c)) c = '_';
    if (!n.empty() && (n[0] == '.' || n[0] == '-')) n[0] = '_';
    if (n.size() <= 15) return n;
    char tail[8];
    const uint32_t crc = crc32(reinterpret_cast<const uint8_t*>(version.data()), version.size());
    std::snprintf(tail, sizeof(tail), "-%04x", static_cast<unsigned>(crc & 0xFFFFu));
    return n.substr(0, 10) + tail;
}

bool is_valid_kernel_version(const std::string& version, std::string& why) {
    if (version.empty() || version.size() > 200) {
        why = "a kernel version is 1..200 characters";
        return false;
    }
    if (version == "." || version == "..") {
        why = "\"" + version + "\" is not a kernel version";
        return false;
    }
    for (char c : version) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F || strchr("/\\\"*:<>?|", c) != nullptr) {
            why = "kernel version \"" + version + "\" contains a character that cannot name a folder on the ESP";
            return false;
        }
    }
    return true;
}

bool load_kernel_slots(const std::string& path, std::vector<KernelSlot>& out, std::vector<std::string>& warnings,
                       std::string& err) {
    out.clear();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return true;
    std::ifstream in(path);
    if (!in) {
        err = "cannot read " + path;
        return false;
    }
    std::string line;
    unsigned n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty() || line[0] == '#') continue;
        std::istringstream words(line);
        std::string w;
        KernelSlot k;
        bool ok = true;
        while (words >> w) {
            const size_t eq = w.find('=');
            const std::string key = w.substr(0, eq), value = eq == std::string::npos ? "" : w.substr(eq + 1);
            std::string why;
            if (key == "version" && is_valid_kernel_version(value, why)) k.version = value;
            else if (key == "slot" && !value.empty()) k.slot = value;
            else if (key == "added") ok = ok && parse_u64(value, k.added);
            else if (key == "trial") ok = ok && (k.trial = parse_trial(value, k.request));
            // Unknown words: a newer agent's; kept out of the way, not an error.
        }
        if (!ok || k.version.empty() || k.slot.empty()) {
            warnings.push_back(path + ":" + std::to_string(n) + ": line not understood, ignored: " + line);
            continue;
        }
        out.push_back(k);
    }
    return true;
}

bool save_kernel_slots(FileSync& sync, const std::string& path, const std::vector<KernelSlot>& slots, std::string& err) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    std::string text =
        "# The kernel slots wdbootctl kernel-add manages (docs/agent.md). Written by wdbootctl; do not edit.\n";
    for (const auto& k : slots) {
        text += "version=" + k.version + " slot=" + k.slot + " added=" + std::to_string(k.added);
        if (k.trial)
            text += " trial=" + std::to_string(k.request.boot_id) + "/" + std::to_string(k.request.time) + "/" +
                    std::to_string(k.request.tries);
        text += "\n";
    }
    return write_file_atomic(sync, path, text, err);
}

KernelSlot* find_by_slot(std::vector<KernelSlot>& slots, const std::string& slot) {
    for (auto& k : slots)
        if (k.slot == slot) return &k;
    return nullptr;
}

KernelSlot* find_by_version(std::vector<KernelSlot>& slots, const std::string& version) {
    for (auto& k : slots)
        if (k.version == version) return &k;
    return nullptr;
}

std::vector<std::string> slots_to_prune(const std::vector<KernelSlot>& managed, unsigned keep,
                                        const std::set<std::string>& protect) {
    std::vector<const KernelSlot*> oldest_first;
    for (const auto& k : managed) oldest_first.push_back(&k);
    std::sort(oldest_first.begin(), oldest_first.end(), [](const KernelSlot* a, const KernelSlot* b) {
        const int c = strverscmp(a->version.c_str(), b->version.c_str());
        return c != 0 ? c < 0 : a->added < b->added;
    });
    std::vector<std::string> out;
    size_t left = managed.size();
    for (const KernelSlot* k : oldest_first) {
        if (left <= keep) break;
        if (protect.count(k->slot) != 0) continue;
        out.push_back(k->slot);
        --left;
    }
    return out;
}

}  // namespace wdboot::agent
