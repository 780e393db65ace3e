#include "pstore_dump.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace wdboot::agent {
namespace {

bool parse_number(const std::string& s, uint64_t& out) {
    if (s.empty() || s.size() > 19) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc();
}

std::vector<std::string> split_fields(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
        if (p == std::string::npos) return out;
        start = p + 1;
    }
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        if (nl == std::string::npos) nl = text.size();
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

// `WORD#N PartM` with WORD letters, N and M decimal.
bool is_header(const std::string& line, std::string* reason) {
    size_t hash = line.find('#');
    if (hash == 0 || hash == std::string::npos) return false;
    for (size_t i = 0; i < hash; ++i)
        if (!std::isalpha(static_cast<unsigned char>(line[i]))) return false;
    size_t space = line.find(" Part", hash);
    if (space == std::string::npos || space == hash + 1) return false;
    for (size_t i = hash + 1; i < space; ++i)
        if (!std::isdigit(static_cast<unsigned char>(line[i]))) return false;
    const std::string m = line.substr(space + 5);
    if (m.empty()) return false;
    for (char c : m)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    if (reason) *reason = line.substr(0, hash);
    return true;
}

// "<4>[   12.000000] text" -> "[   12.000000] text": the syslog level the kernel's
// dumper puts in front of every record.
std::string strip_level(const std::string& line) {
    if (line.size() >= 3 && line[0] == '<') {
        size_t close = line.find('>');
        if (close != std::string::npos && close > 1 && close <= 4) {
            bool digits = true;
            for (size_t i = 1; i < close; ++i) digits = digits && std::isdigit(static_cast<unsigned char>(line[i]));
            if (digits) return line.substr(close + 1);
        }
    }
    return line;
}

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

// Lines that begin the report of what went wrong, before the panic line.
bool is_oops_head(const std::string& line) {
    static const char* const kHeads[] = {"BUG:",          "Oops:",        "general protection fault", "kernel BUG at",
                                         "Unable to handle", "sysrq: Trigger a crash", "WARNING:", "watchdog: BUG",
                                         "Kernel stack is corrupted", "VFS: Unable to mount root"};
    for (const char* h : kHeads)
        if (contains(line, h)) return true;
    return false;
}

}  // namespace

std::vector<DumpKey> dump_keys(const std::vector<std::pair<DumpKey, unsigned>>& parts) {
    std::vector<size_t> order(parts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const auto& x = parts[a];
        const auto& y = parts[b];
        if (x.first.count != y.first.count) return x.first.count < y.first.count;
        if (x.first.time != y.first.time) return x.first.time < y.first.time;
        return x.second < y.second;
    });
    std::vector<DumpKey> out(parts.size());
    bool open = false;
    DumpKey current{};
    unsigned last_part = 0;
    for (size_t i : order) {
        const auto& [key, part] = parts[i];
        const bool continues = open && key.count == current.count && part > last_part &&
                               key.time >= current.time && key.time - current.time <= kDumpSpanSeconds;
        if (!continues) {
            current = key;
            open = true;
        }
        last_part = part;
        out[i] = current;
    }
    return out;
}

std::string to_string(const DumpKey& k) { return std::to_string(k.time) + "-" + std::to_string(k.count); }

bool parse_dump_variable(const std::string& file_name, DumpKey& key, unsigned& part) {
    const std::string prefix = "dump-type0-";
    const std::string suffix = std::string("-") + kPstoreVendorGuidText;
    if (file_name.size() <= prefix.size() + suffix.size()) return false;
    if (file_name.compare(0, prefix.size(), prefix) != 0) return false;
    if (file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
    const std::string middle = file_name.substr(prefix.size(), file_name.size() - prefix.size() - suffix.size());
    // PART-COUNT-TIME-C, or PART-COUNT-TIME from kernels before compression was marked.
    auto f = split_fields(middle, '-');
    if (f.size() == 4 && f[3] != "C" && f[3] != "D") return false;
    if (f.size() != 3 && f.size() != 4) return false;
    uint64_t p = 0, c = 0, t = 0;
    if (!parse_number(f[0], p) || !parse_number(f[1], c) || !parse_number(f[2], t)) return false;
    if (p > 99 || c > 999) return false;
    key = {t, static_cast<unsigned>(c)};
    part = static_cast<unsigned>(p);
    return true;
}

bool parse_pstore_file(const std::string& file_name, DumpKey& key, unsigned& part) {
    const std::string prefix = "dmesg-efi-";
    if (file_name.compare(0, prefix.size(), prefix) != 0) return false;
    uint64_t id = 0;
    if (!parse_number(file_name.substr(prefix.size()), id)) return false;
    key = {id / 100000, static_cast<unsigned>(id % 1000)};
    part = static_cast<unsigned>((id / 1000) % 100);
    return true;
}

std::string dump_reason(const std::string& part_text) {
    std::string first = part_text.substr(0, part_text.find('\n'));
    if (!first.empty() && first.back() == '\r') first.pop_back();
    std::string reason;
    return is_header(first, &reason) ? reason : "";
}

std::string dump_log_text(std::vector<DumpPart> parts) {
    std::sort(parts.begin(), parts.end(), [](const DumpPart& a, const DumpPart& b) { return a.part > b.part; });
    std::string out;
    for (const DumpPart& p : parts) {
        std::string text = p.text;
        std::erase(text, '\0');
        std::erase(text, '\r');
        auto lines = split_lines(text);
        for (size_t i = 0; i < lines.size(); ++i) {
            if (i == 0 && is_header(lines[i], nullptr)) continue;
            out += strip_level(lines[i]);
            out += '\n';
        }
    }
    return out;
}

std::vector<std::string> panic_excerpt(const std::string& log_text, size_t max_lines) {
    std::vector<std::string> lines = split_lines(log_text);
    while (!lines.empty() && lines.back().find_first_not_of(" \t") == std::string::npos) lines.pop_back();
    if (max_lines == 0 || lines.empty()) return {};
    size_t panic = lines.size();
    for (size_t i = lines.size(); i-- > 0;) {
        // Not the closing "---[ end Kernel panic - not syncing: ... ]---".
        if (contains(lines[i], "Kernel panic - not syncing") && !contains(lines[i], "---[ end ")) {
            panic = i;
            break;
        }
    }
    if (panic == lines.size()) {
        size_t from = lines.size() > max_lines ? lines.size() - max_lines : 0;
        return {lines.begin() + static_cast<std::ptrdiff_t>(from), lines.end()};
    }
    // Room for a few lines after the panic line (CPU, Call Trace) as well.
    const size_t before_max = max_lines > 4 ? max_lines - 4 : max_lines - 1;
    size_t start = panic >= 5 ? panic - 5 : 0;
    // The earliest head in reach: "BUG: ..." comes before "Oops: ..." of the same report.
    for (size_t i = panic; i-- > 0 && panic - i <= before_max;)
        if (is_oops_head(lines[i])) start = i;
    start = std::min(start, panic);
    if (panic - start > before_max) start = panic - before_max;
    size_t end = std::min(lines.size(), start + max_lines);
    return {lines.begin() + static_cast<std::ptrdiff_t>(start), lines.begin() + static_cast<std::ptrdiff_t>(end)};
}

}  // namespace wdboot::agent
