#include "config_edit.hpp"

#include <algorithm>

#include "wdboot/text_encoding.hpp"

namespace wdboot::agent {
namespace {

// The stanzas as parse_config() reads them, before finish_config() drops any.
std::unique_ptr<Config> parse_stanzas(const std::string& text) {
    auto cfg = std::make_unique<Config>();
    config_defaults(*cfg);
    (void)parse_config(text.data(), text.size(), *cfg);
    return cfg;
}

// The lines of text as the parser numbers them (lines[0] is line 1), each with its
// line end; a last line without one counts too.
std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        end = end == std::string::npos ? text.size() : end + 1;
        lines.push_back(text.substr(start, end - start));
        start = end;
    }
    return lines;
}

bool is_blank(const std::string& line) { return line.find_first_not_of(" \t\r\n\v\f") == std::string::npos; }

}  // namespace

bool check_config_text(const std::string& text, std::string& problems, std::unique_ptr<Config>* parsed) {
    auto cfg = std::make_unique<Config>();
    config_defaults(*cfg);
    Status a = parse_config(text.data(), text.size(), *cfg);
    Status b = finish_config(*cfg);
    for (uint8_t i = 0; i < cfg->diagnostics.count; ++i) {
        const Diagnostic& d = cfg->diagnostics.items[i];
        if (d.severity == Severity::error) problems += "line " + std::to_string(d.line) + ": " + d.message + "\n";
    }
    const bool ok = a == Status::ok && b == Status::ok && cfg->diagnostics.errors == 0;
    if (parsed != nullptr) *parsed = std::move(cfg);
    return ok;
}

bool has_slot(const std::string& text, const std::string& name) {
    return parse_stanzas(text)->find(name.c_str()) != kNoSlot;
}

std::string slot_stanza(const std::string& name, const std::string& image_key, const std::string& image,
                        const std::vector<std::string>& initrds, const std::string& options, unsigned tries,
                        bool rescue) {
    std::string s = "slot " + name + "\n    " + image_key + " " + image + "\n";
    for (const auto& i : initrds) s += "    initrd " + i + "\n";
    if (!options.empty()) s += "    options " + options + "\n";
    if (tries != 0) s += "    tries " + std::to_string(tries) + "\n";
    if (rescue) s += "    rescue\n";
    return s;
}

std::string with_stanza(const std::string& text, const std::string& stanza) {
    std::string out = text;
    if (!out.empty() && out.back() != '\n') out += "\n";
    return out + "\n" + stanza;
}

std::string without_stanza(const std::string& text, const std::string& name) {
    std::string out = text;
    // A second stanza of the same name is dropped by the parser while the first exists
    // and would boot once the first is gone: every pass removes the one it keeps.
    for (auto cfg = parse_stanzas(out); cfg->find(name.c_str()) != kNoSlot; cfg = parse_stanzas(out)) {
        const SlotConfig& slot = cfg->slots[cfg->find(name.c_str())];
        std::vector<std::string> lines = split_lines(out);
        size_t first = slot.line - 1;  // 0-based, [first, end)
        size_t end = std::min<size_t>(slot.last_line, lines.size());
        if (first >= end) break;  // cannot happen (line <= last_line); never loop on it
        while (end < lines.size() && is_blank(lines[end])) ++end;
        if (end == lines.size())
            while (first > 0 && is_blank(lines[first - 1])) --first;
        // The byte order mark is the file's, not its first line's.
        const size_t bom = first == 0 && !lines.empty() ? utf8_bom_length(lines[0].data(), lines[0].size()) : 0;
        std::string rest = lines.empty() ? std::string() : lines[0].substr(0, bom);
        for (size_t i = 0; i < lines.size(); ++i)
            if (i < first || i >= end) rest += lines[i];
        out = rest;
    }
    return out;
}

}  // namespace wdboot::agent
