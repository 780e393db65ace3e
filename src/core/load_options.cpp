// The wdboot boot entry's load options (`efibootmgr --unicode 'config=... timeout=30'`):
// which config file to read, and overrides of its global keys that are read and
// reported exactly like the file's (config_parser.hpp). Syntax: docs/config.md, "Load
// options".
#include "config_parser.hpp"
#include "wdboot/config.hpp"

namespace wdboot {

using namespace config_parser;

Status parse_load_options(const char* text, size_t len, LoadOptions& out, Diagnostics& diag) {
    out = LoadOptions{};
    uint32_t errors_before = diag.errors;
    if (text == nullptr) len = 0;
    size_t used = 0;
    bool first = true;
    size_t i = 0;
    while (i < len) {
        // NUL separates words too: efibootmgr puts one between separate arguments, and
        // the UEFI shell's command line ends with one.
        while (i < len && (is_space(text[i]) || text[i] == '\n' || text[i] == '\0')) ++i;
        size_t start = i;
        while (i < len && !(is_space(text[i]) || text[i] == '\n' || text[i] == '\0')) ++i;
        if (i == start) break;
        Span word{text + start, i - start};
        bool was_first = first;
        first = false;

        size_t eq = 0;
        while (eq < word.n && word.p[eq] != '=') ++eq;
        Message m;
        if (eq == word.n) {
            if (was_first && word.n >= 4 && equal_ignoring_case(Span{word.p + word.n - 4, 4}, ".efi")) {
                continue;  // the image path the UEFI shell passes as the first word
            }
            m.append("load option ");
            append_quoted(m, word);
            m.append(" ignored: expected key=value");
            report(diag, kNoLine, Severity::warning, m);
            continue;
        }
        Span key{word.p, eq};
        Span value{word.p + eq + 1, word.n - eq - 1};
        if (key.is("config")) {
            if (out.config_path[0] != '\0') {
                diag.add(kNoLine, Severity::warning, "config= given twice; the last one is used");
            }
            Message why;
            why.append("config= ");
            if (!normalise_path(value, out.config_path, why)) {
                out.config_path[0] = '\0';
                report(diag, kNoLine, Severity::error, why);
            }
            continue;
        }
        if (!is_global_key(key)) {
            m.append("load option ");
            append_quoted(m, word);
            m.append(" ignored: only config= and global keys can be set here");
            report(diag, kNoLine, Severity::warning, m);
            continue;
        }
        size_t need = used + (used > 0 ? 1 : 0) + word.n;
        if (need > kOptionsChars) {
            m.append("load options too long; ");
            append_quoted(m, word);
            m.append(" ignored");
            report(diag, kNoLine, Severity::error, m);
            continue;
        }
        if (used > 0) out.overrides[used++] = ' ';
        for (size_t k = 0; k < word.n; ++k) out.overrides[used++] = word.p[k];
        out.overrides[used] = '\0';
    }
    return diag.errors == errors_before ? Status::ok : Status::invalid_argument;
}

Status apply_load_options(const LoadOptions& opts, Config& cfg) {
    uint32_t errors_before = cfg.diagnostics.errors;
    // Bounded: a caller-built LoadOptions might lack its terminator.
    size_t n = 0;
    while (n < kOptionsChars && opts.overrides[n] != '\0') ++n;
    Span rest{opts.overrides, n};
    while (!rest.empty()) {
        Span after;
        Span word = next_token(rest, after);
        rest = after;
        if (word.empty()) break;
        size_t eq = 0;
        while (eq < word.n && word.p[eq] != '=') ++eq;
        Span key{word.p, eq};
        Span value{word.p + (eq < word.n ? eq + 1 : eq), eq < word.n ? word.n - eq - 1 : 0};
        (void)set_global(cfg, key, value, kNoLine);
    }
    return cfg.diagnostics.errors == errors_before ? Status::ok : Status::invalid_argument;
}

}  // namespace wdboot
