#include "current_boot.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "wdboot/boot_record.hpp"

namespace wdboot::agent {
namespace {

// The loader writes ASCII, but firmware tools that copy variables around tend to
// produce UCS-2; accept both rather than refusing a perfectly good boot.
std::string decode_text(const std::vector<uint8_t>& data) {
    bool utf16 = data.size() >= 2 && data.size() % 2 == 0;
    for (size_t i = 1; utf16 && i < data.size(); i += 2) utf16 = data[i] == 0;
    std::string text;
    for (size_t i = 0; i < data.size(); i += utf16 ? 2 : 1) {
        if (data[i] == 0) break;
        text.push_back(static_cast<char>(data[i]));
    }
    return text;
}

bool parse_u32(const std::string& s, uint32_t& out) {
    if (s.empty() || s.size() > 10) return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
    if (v > 0xFFFFFFFFull) return false;
    out = static_cast<uint32_t>(v);
    return true;
}

bool valid_slot_name(const std::string& s) {
    if (s.empty() || s.size() >= kSlotNameBytes) return false;
    for (char c : s) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    }
    return true;
}

}  // namespace

bool parse_current_boot(const std::vector<uint8_t>& data, CurrentBoot& out, std::string& error) {
    CurrentBoot cb;
    const std::string text = decode_text(data);
    bool have_slot = false, have_id = false;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ';')) ++i;
        size_t start = i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != ';') ++i;
        if (start == i) continue;
        std::string word = text.substr(start, i - start);
        size_t eq = word.find('=');
        if (eq == std::string::npos || eq == 0) {
            cb.other[word] = "";
            continue;
        }
        std::string key = word.substr(0, eq);
        for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = word.substr(eq + 1);
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);

        if (key == "slot") {
            if (!valid_slot_name(value)) {
                error = "WdbootCurrent: invalid slot name \"" + value + "\"";
                return false;
            }
            cb.slot = value;
            have_slot = true;
        } else if (key == "boot_id" || key == "boot-id" || key == "bootid") {
            uint32_t v = 0;
            if (!parse_u32(value, v) || v == 0) {
                error = "WdbootCurrent: invalid boot_id \"" + value + "\"";
                return false;
            }
            cb.boot_id = v;
            have_id = true;
        } else if (key == "index") {
            uint32_t v = 0;
            // A bad index is not fatal: commands find the slot by name.
            cb.index = parse_u32(value, v) && v < kMaxSlots ? static_cast<int>(v) : -1;
        } else if (key == "watchdog") {
            cb.watchdog = value.empty() ? "none" : value;
        } else if (key == "timeout") {
            uint32_t v = 0;
            cb.timeout = parse_u32(value, v) ? v : 0;
        } else if (key == "secure_boot" && (value == "0" || value == "1")) {
            cb.secure_boot = value == "1" ? 1 : 0;
        } else if (key == "secure_boot_policy" && (value == "strict" || value == "permissive")) {
            cb.secure_boot_policy = value;
        } else {
            // Also a secure_boot word with a value the loader never writes: shown by
            // status as it is, never taken for a policy.
            cb.other[key] = value;
        }
    }
    if (!have_slot) {
        error = text.empty() ? "WdbootCurrent is empty" : "WdbootCurrent has no slot= word";
        return false;
    }
    if (!have_id) {
        error = "WdbootCurrent has no boot_id= word";
        return false;
    }
    out = std::move(cb);
    return true;
}

}  // namespace wdboot::agent
