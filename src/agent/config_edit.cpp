#include "config_edit.hpp"

#include <algorithm>
#include <sstream>

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

std::string with_stanzas_first(const std::string& text, const std::vector<std::string>& names) {
    std::string blocks, rest = text;
    for (const auto& name : names) {
        auto cfg = parse_stanzas(rest);
        const uint8_t i = cfg->find(name.c_str());
        if (i == kNoSlot) continue;
        const std::vector<std::string> lines = split_lines(rest);
        const size_t first = cfg->slots[i].line - 1;
        const size_t end = std::min<size_t>(cfg->slots[i].last_line, lines.size());
        std::string block;
        for (size_t l = first; l < end; ++l) block += lines[l];
        if (!block.empty() && block.back() != '\n') block += "\n";
        blocks += block + "\n";
        rest = without_stanza(rest, name);
    }
    if (blocks.empty()) return text;
    // In front of the first `slot` line that is left (the parser's first stanza; a
    // stanza it dropped still starts with `slot`, so look at the words).
    const std::vector<std::string> lines = split_lines(rest);
    size_t at = lines.size();
    for (size_t l = 0; l < lines.size(); ++l) {
        const size_t b = lines[l].find_first_not_of(" \t");
        if (b != std::string::npos && lines[l].compare(b, 4, "slot") == 0 && b + 4 < lines[l].size() &&
            (lines[l][b + 4] == ' ' || lines[l][b + 4] == '\t')) {
            at = l;
            break;
        }
    }
    // A comment right above that stanza belongs to it: the moved ones go above it.
    while (at > 0 && at < lines.size()) {
        const size_t b = lines[at - 1].find_first_not_of(" \t");
        if (b == std::string::npos || lines[at - 1][b] != '#') break;
        --at;
    }
    std::string out;
    for (size_t l = 0; l < at; ++l) out += lines[l];
    if (at == lines.size()) {
        if (!out.empty() && out.back() != '\n') out += "\n";
        if (!out.empty() && !is_blank(lines.empty() ? std::string() : lines.back())) out += "\n";
        blocks.pop_back();  // no stanza follows: no blank line at the end of the file
    }
    out += blocks;
    for (size_t l = at; l < lines.size(); ++l) out += lines[l];
    return out;
}

std::string without_default_lines(const std::string& text, const std::string& only) {
    const std::vector<std::string> lines = split_lines(text);
    std::string out;
    bool globals = true;
    for (size_t l = 0; l < lines.size(); ++l) {
        std::string line = l == 0 ? lines[0].substr(utf8_bom_length(lines[0].data(), lines[0].size())) : lines[l];
        std::istringstream words(line);
        std::string key, value;
        words >> key >> value;
        if (key == "slot") globals = false;
        if (globals && key == "default" && (only.empty() || value == only)) {
            if (l == 0) out += lines[0].substr(0, lines[0].size() - line.size());  // keep the byte order mark
            continue;
        }
        out += lines[l];
    }
    return out;
}

}  // namespace wdboot::agent
